"""What a manager does with an offline sale the central store could not take, and the
till's own view of its offline sales (DESIGN.md §5, "Pushing back").

The conflict rows are written straight into ``sync_conflicts`` as ``ingest_sale``
leaves them, carrying the payload of a real offline sale made on the test's store.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, insert, select, update

from pos.domain.audit_wording import describe
from pos.domain.messages import render
from pos.domain.results import Code
from pos.domain.sync import ConflictStatus, conflict_reason_text
from pos.services.audit_log import audit_entries
from pos.services.cart import add_to_cart, open_cart
from pos.services.sync_conflicts import (
    MAX_NOTE_LENGTH,
    accept_conflict,
    conflict_detail,
    list_conflicts,
    retry_conflict,
    write_off_conflict,
)
from pos.services.till_offline_sales import SendState, till_offline_sales
from pos.services.users import create_user
from pos.store.engine import make_engine
from pos.store.models import AuditEntry, Role
from pos.store.tables import outbox, sync_conflicts, tills
from pos.store.uow import UnitOfWork
from tests.conftest import START, error, value
from tests.offline import offline_uow
from tests.sales import pay_cash


def offline_sale(store, clock, shelf, cashier, *, quantity: int = 2) -> dict[str, Any]:
    """A cash sale made offline on the test's store; its outbox record's payload."""
    off = offline_uow(store.engine, clock)
    product = shelf.product(stock=5, price_minor=1250, name="Ayran 300 ml")
    cart = value(open_cart(off, cashier_id=cashier.id)).cart_id
    value(add_to_cart(off, cart, product, quantity))
    sale = value(pay_cash(off, cart, given=5000))
    with store.engine.connect() as connection:
        body = connection.execute(
            select(outbox.c.payload).where(outbox.c.key == str(sale.order_id))
        ).scalar_one()
    payload: dict[str, Any] = json.loads(body)
    return payload


def conflict(
    store,
    payload: dict[str, Any] | str | None = None,
    *,
    reason: str = "product_unavailable",
    receipt_number: int | None = 42,
    at=START,
) -> int:
    """A conflict row as ``ingest_sale`` writes one."""
    body = payload if isinstance(payload, str) else json.dumps(payload or {"version": 1})
    order_id = (
        uuid.UUID(payload["order_id"])
        if isinstance(payload, dict) and "order_id" in payload
        else uuid.uuid4()
    )
    with store.engine.begin() as connection:
        till_id = connection.execute(select(tills.c.id).where(tills.c.code == "T01")).scalar()
        return int(
            connection.execute(
                insert(sync_conflicts)
                .values(
                    order_id=order_id,
                    till_id=till_id,
                    till_code="T01",
                    receipt_number=receipt_number,
                    reason=reason,
                    detail="product 99 is not in the central store",
                    payload=body,
                    status=ConflictStatus.OPEN,
                    attempts=1,
                    received_at=at,
                    last_attempt_at=at,
                )
                .returning(sync_conflicts.c.id)
            ).scalar_one()
        )


def status_of(store, conflict_id: int) -> tuple[str, int, str | None]:
    with store.engine.connect() as connection:
        row = connection.execute(
            select(sync_conflicts.c.status, sync_conflicts.c.attempts, sync_conflicts.c.note).where(
                sync_conflicts.c.id == conflict_id
            )
        ).one()
    return str(row.status), row.attempts, row.note


def audit_sentences(uow, manager, locale: str) -> list[str]:
    page = value(audit_entries(uow, manager_id=manager.id, action="sync."))
    return [describe(row.facts, locale) for row in page.rows]


# -- the list and the detail -----------------------------------------------------------


def test_the_list_shows_open_conflicts_newest_first_with_the_tills_time_and_total(
    uow, store, clock, shelf, cashier, manager
):
    payload = offline_sale(store, clock, shelf, cashier)
    older = conflict(store, {"version": 1, "order_id": str(uuid.uuid4())}, receipt_number=7)
    newer = conflict(store, payload, at=START + timedelta(minutes=5))

    page = value(list_conflicts(uow, manager_id=manager.id))

    assert [row.id for row in page.rows] == [newer, older]
    assert page.next_before is None
    first = page.rows[0]
    assert first.receipt == "T01-000042"
    assert first.till_code == "T01"
    assert (first.total_minor, first.currency) == (2500, "TRY")
    assert first.till_time is not None
    assert first.till_time.isoformat().startswith("2026-03-02")
    assert first.status is ConflictStatus.OPEN
    assert first.attempts == 1
    assert page.rows[1].total_minor is None  # a payload without it reads as unknown


def test_the_list_pages_by_id_and_filters_by_status_and_till(uow, store, manager):
    ids = [conflict(store, receipt_number=n) for n in range(1, 6)]
    first = value(list_conflicts(uow, manager_id=manager.id, limit=2))
    assert [row.id for row in first.rows] == [ids[4], ids[3]]
    second = value(list_conflicts(uow, manager_id=manager.id, limit=2, before=first.next_before))
    assert [row.id for row in second.rows] == [ids[2], ids[1]]
    third = value(list_conflicts(uow, manager_id=manager.id, limit=2, before=second.next_before))
    assert [row.id for row in third.rows] == [ids[0]]
    assert third.next_before is None

    value(write_off_conflict(uow, ids[0], "test sale", manager_id=manager.id))
    assert ids[0] not in [r.id for r in value(list_conflicts(uow, manager_id=manager.id)).rows]
    written = value(
        list_conflicts(uow, manager_id=manager.id, status=ConflictStatus.WRITTEN_OFF)
    ).rows
    assert [row.id for row in written] == [ids[0]]
    assert len(value(list_conflicts(uow, manager_id=manager.id, status=None)).rows) == 5
    with store.engine.connect() as connection:
        till_id = connection.execute(select(tills.c.id)).scalar_one()
    assert len(value(list_conflicts(uow, manager_id=manager.id, till_id=till_id)).rows) == 4
    assert value(list_conflicts(uow, manager_id=manager.id, till_id=till_id + 1)).rows == ()


@pytest.mark.parametrize(
    "filters",
    [{"status": "open"}, {"till_id": 0}, {"before": -1}, {"limit": "ten"}, {"till_id": True}],
)
def test_a_bad_filter_is_refused(uow, manager, filters):
    assert error(list_conflicts(uow, manager_id=manager.id, **filters)).code is Code.INVALID_FILTER


def test_the_detail_decodes_the_whole_sale(uow, store, clock, shelf, cashier, manager):
    payload = offline_sale(store, clock, shelf, cashier)
    conflict_id = conflict(store, payload)

    shown = value(conflict_detail(uow, conflict_id, manager_id=manager.id))

    sale = shown.sale
    assert sale is not None
    assert shown.detail == "product 99 is not in the central store"
    assert sale.cashier == "Mehmet Demir"
    assert (sale.total_minor, sale.currency) == (2500, "TRY")
    assert [(line.name, line.quantity, line.total_minor) for line in sale.lines] == [
        ("Ayran 300 ml", 2, 2500)
    ]
    [tender] = sale.tenders
    assert (tender.method, tender.amount_minor, tender.tendered_minor, tender.change_minor) == (
        "cash",
        2500,
        5000,
        2500,
    )
    assert sale.paid_at is not None


def test_a_payload_that_is_not_json_is_shown_without_a_sale(uow, store, manager):
    conflict_id = conflict(store, "{not json", reason="error")
    shown = value(conflict_detail(uow, conflict_id, manager_id=manager.id))
    assert shown.sale is None
    assert shown.conflict.total_minor is None
    assert conflict_reason_text(shown.conflict.reason, "tr") == "Merkez kasada bir yazılım hatası"


def test_the_reason_is_said_in_the_managers_language():
    assert conflict_reason_text("product_unavailable", "tr") == "Ürün mevcut değil"
    assert conflict_reason_text("product_unavailable", "en") == "Product not available"
    # A code whose message has parameters: they are not kept with the conflict.
    assert conflict_reason_text("insufficient_stock", "en") == "Not enough stock - available: …"


# -- the manager's moves -----------------------------------------------------------------


def test_accepting_closes_the_conflict_and_says_so_in_the_audit_log(
    uow, store, clock, shelf, cashier, manager
):
    payload = offline_sale(store, clock, shelf, cashier)
    conflict_id = conflict(store, payload)

    row = value(accept_conflict(uow, conflict_id, "  Para kasada\nsayıldı ", manager_id=manager.id))

    assert row.status is ConflictStatus.ACCEPTED
    assert row.resolved_by == "Ayşe Yılmaz"
    assert status_of(store, conflict_id) == ("accepted", 1, "Para kasada\nsayıldı")
    [tr] = audit_sentences(uow, manager, "tr")
    assert tr.startswith("Ayşe Yılmaz: T01-000042 fişli çevrimdışı satışı olduğu gibi kabul etti")
    assert "₺25,00" in tr
    assert tr.endswith(": Para kasada\nsayıldı")
    [en] = audit_sentences(uow, manager, "en")
    assert en.startswith("Ayşe Yılmaz accepted the offline sale T01-000042 as it is")


def test_writing_off_keeps_the_sale_only_as_a_record(uow, store, manager):
    conflict_id = conflict(store)
    row = value(write_off_conflict(uow, conflict_id, "Deneme satışı", manager_id=manager.id))
    assert row.status is ConflictStatus.WRITTEN_OFF
    assert status_of(store, conflict_id)[0] == "written_off"
    [en] = audit_sentences(uow, manager, "en")
    assert "wrote off the offline sale T01-000042" in en
    assert "Deneme satışı" in en


def test_a_settled_conflict_cannot_move_again(uow, store, manager):
    conflict_id = conflict(store)
    value(accept_conflict(uow, conflict_id, "sayıldı", manager_id=manager.id))
    for move in (accept_conflict, write_off_conflict):
        refused = error(move(uow, conflict_id, "again", manager_id=manager.id))
        assert refused.code is Code.SYNC_CONFLICT_CLOSED
    assert error(retry_conflict(uow, conflict_id, manager_id=manager.id)).code is (
        Code.SYNC_CONFLICT_CLOSED
    )
    assert status_of(store, conflict_id) == ("accepted", 1, "sayıldı")
    assert len(audit_sentences(uow, manager, "en")) == 1


@pytest.mark.parametrize(
    "note", ["", "   ", "bell\x07", "tab\tinside", "x" * 10_000, "x" * (MAX_NOTE_LENGTH + 1), 42]
)
def test_a_bad_note_is_refused_and_changes_nothing(uow, store, manager, note):
    conflict_id = conflict(store)
    for move in (accept_conflict, write_off_conflict):
        assert error(move(uow, conflict_id, note, manager_id=manager.id)).code is Code.INVALID_NOTE
    assert status_of(store, conflict_id) == ("open", 1, None)
    assert audit_sentences(uow, manager, "en") == []


@pytest.mark.parametrize("conflict_id", [999_999, 0, -3, "1", None, 2**40])
def test_an_unknown_conflict_is_refused(uow, store, manager, conflict_id):
    conflict(store)
    for move in (accept_conflict, write_off_conflict):
        refused = error(move(uow, conflict_id, "note", manager_id=manager.id))
        assert refused.code is Code.SYNC_CONFLICT_NOT_FOUND
    assert error(retry_conflict(uow, conflict_id, manager_id=manager.id)).code is (
        Code.SYNC_CONFLICT_NOT_FOUND
    )
    assert error(conflict_detail(uow, conflict_id, manager_id=manager.id)).code is (
        Code.SYNC_CONFLICT_NOT_FOUND
    )


def test_a_cashier_can_neither_see_nor_settle_a_conflict(uow, store, cashier):
    conflict_id = conflict(store)
    assert error(list_conflicts(uow, manager_id=cashier.id)).code is Code.NOT_PERMITTED
    assert error(conflict_detail(uow, conflict_id, manager_id=cashier.id)).code is (
        Code.NOT_PERMITTED
    )
    for move in (accept_conflict, write_off_conflict):
        assert error(move(uow, conflict_id, "benim", manager_id=cashier.id)).code is (
            Code.NOT_PERMITTED
        )
    assert error(retry_conflict(uow, conflict_id, manager_id=cashier.id)).code is (
        Code.NOT_PERMITTED
    )
    assert status_of(store, conflict_id) == ("open", 1, None)


def test_an_unreadable_sale_cannot_be_retried_but_can_be_written_off(uow, store, manager):
    conflict_id = conflict(store, "<garbage", reason="error")
    refused = error(retry_conflict(uow, conflict_id, manager_id=manager.id))
    assert refused.code is Code.SYNC_CONFLICT_UNREADABLE
    assert "kabul edin veya kayıttan düşün" in render(refused, "tr")
    assert status_of(store, conflict_id) == ("open", 1, None)
    value(write_off_conflict(uow, conflict_id, "okunamadı", manager_id=manager.id))


def test_a_retry_after_the_fix_resolves_the_conflict_and_a_second_changes_nothing(
    uow, store, clock, shelf, cashier, manager
):
    payload = offline_sale(store, clock, shelf, cashier)
    # The test's store made the sale offline, so it is both till and central store: the
    # retry finds the sale already there, which resolves the conflict all the same.
    conflict_id = conflict(store, payload)
    row = value(retry_conflict(uow, conflict_id, manager_id=manager.id))
    assert row.status is ConflictStatus.RESOLVED
    assert error(retry_conflict(uow, conflict_id, manager_id=manager.id)).code is (
        Code.SYNC_CONFLICT_CLOSED
    )
    [en] = audit_sentences(uow, manager, "en")
    assert "sent the offline sale T01-000042 to the central store again" in en


# -- two managers at once --------------------------------------------------------------


@pytest.mark.parametrize("store", ["postgresql"], indirect=True)
def test_two_managers_acting_at_once_on_one_conflict_exactly_one_wins(uow, store, clock, manager):
    second = value(create_user(uow, "mudur2", "Can Öztürk", Role.MANAGER, "8765"))
    rounds = 10
    engine = make_engine(store.url, pool_size=8, max_overflow=0)
    outcomes: Counter[str] = Counter()
    try:
        for round_no in range(rounds):
            conflict_id = conflict(store, receipt_number=round_no + 1)
            start = threading.Barrier(4)

            def act(move, note: str, who: int, conflict_id: int = conflict_id, start=start) -> None:
                start.wait()
                result = move(UnitOfWork(engine, clock), conflict_id, note, manager_id=who)
                outcomes[getattr(result, "code", "won")] += 1

            threads = [
                threading.Thread(target=act, args=(accept_conflict, "A", manager.id)),
                threading.Thread(target=act, args=(write_off_conflict, "B", second.id)),
                threading.Thread(target=act, args=(accept_conflict, "C", second.id)),
                threading.Thread(target=act, args=(write_off_conflict, "D", manager.id)),
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            status, _attempts, note = status_of(store, conflict_id)
            assert status in {"accepted", "written_off"}
            assert note in {"A", "B", "C", "D"}
    finally:
        engine.dispose()
    assert outcomes == {"won": rounds, Code.SYNC_CONFLICT_CLOSED: 3 * rounds}
    with store.engine.connect() as connection:
        entries = connection.execute(
            select(func.count()).where(AuditEntry.action.like("sync.%"))
        ).scalar_one()
    assert entries == rounds  # one audited move per conflict


# -- the till's own view -----------------------------------------------------------------


def test_the_till_lists_its_offline_sales_unsent_before_sent(store, clock, shelf, cashier):
    first = offline_sale(store, clock, shelf, cashier, quantity=1)
    clock.advance(minutes=1)
    second = offline_sale(store, clock, shelf, cashier, quantity=3)
    with store.engine.begin() as connection:  # the sync loop sent the first home
        connection.execute(
            update(outbox).where(outbox.c.key == first["order_id"]).values(sent_at=START)
        )
    off = offline_uow(store.engine, clock)

    sales = value(till_offline_sales(off))

    assert [(sale.receipt, sale.state, sale.total_minor) for sale in sales] == [
        (f"T01-{second['receipt_number']:06d}", SendState.UNSENT, 3750),
        (f"T01-{first['receipt_number']:06d}", SendState.SENT, 1250),
    ]
    assert sales[0].at > sales[1].at


def test_the_till_lists_nothing_before_it_sold_offline(uow):
    assert value(till_offline_sales(uow)) == ()
