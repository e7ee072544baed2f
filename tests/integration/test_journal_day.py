"""The till's day in its journal (DESIGN.md §9): the float a session opens with, cash paid
in and out, and the Z that closes it are entries, one each, written in the transaction
that makes them or not at all; a Z's entry holds the report as made, so editing it in
the journal is named by ``pos journal verify``. Both stores."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from pos.domain.journal import Problem
from pos.domain.results import Code
from pos.journal_keys import KEY_DIR_ENV
from pos.services import journal_day
from pos.services.cart import add_to_cart
from pos.services.cash_sessions import close_session, current_session, open_session, pay_in, pay_out
from pos.services.drawer import open_drawer_without_sale
from pos.services.returns import ReturnRequest
from pos.services.users import UserView
from pos.store.models import CashMovement, CashSession, TillRow
from pos.store.uow import UnitOfWork
from tests.conftest import FakeClock, Shelf, Store, error, value
from tests.integration.test_cash_sessions import sell
from tests.integration.test_journal import checked, entries, head, run_verify, triggers_dropped
from tests.integration.test_returns import back
from tests.integration.test_returns import sell as return_sell
from tests.sales import count, new_cart, pay_cash, rows


def a_day(uow: UnitOfWork, shelf: Shelf, cashier: UserView, clock: FakeClock) -> Any:
    """Open with a float counted by note, sell twice, pay in, pay out, close 2 lira short."""
    day = value(open_session(uow, user_id=cashier.id, float_counts={10_000: 1, 5_000: 2}))
    first = sell(uow, shelf, 3_000)
    value(pay_in(uow, user_id=cashier.id, amount_minor=1_000, reason="Bozuk para"))
    value(pay_out(uow, user_id=cashier.id, amount_minor=2_500, reason="Tedarikçi"))
    last = sell(uow, shelf, 1_250)
    clock.advance(hours=9)
    report = value(close_session(uow, day.session_id, user_id=cashier.id, counted={"cash": 22_550}))
    return day, report, (first, last)


def test_a_day_opened_paid_in_and_out_and_closed_is_one_entry_per_event(
    store: Store, uow: UnitOfWork, shelf: Shelf, cashier: UserView, clock: FakeClock
) -> None:
    day, report, (first, last) = a_day(uow, shelf, cashier, clock)

    written = entries(store)
    movements = rows(store, CashMovement, order_by=CashMovement.id)
    assert [(entry.kind, entry.event_id) for entry in written] == [
        ("float", str(day.session_id)),
        ("sale", written[1].event_id),
        ("cash_movement", str(movements[0].id)),
        ("cash_movement", str(movements[1].id)),
        ("sale", written[4].event_id),
        ("z_report", str(day.session_id)),
    ]
    opened = json.loads(written[0].content)
    assert (opened["float"], opened["counts"]) == (20_000, {"10000": 1, "5000": 2})
    paid = [json.loads(entry.content) for entry in written[2:4]]
    assert [(p["kind"], p["amount"], p["reason"]) for p in paid] == [
        ("in", 1_000, "Bozuk para"),
        ("out", 2_500, "Tedarikçi"),
    ]
    z = json.loads(written[5].content)
    assert (z["z"], z["total"]) == (1, report.total_minor) == (1, 4_250)
    kept = z["report"]
    assert (kept["first_receipt"], kept["last_receipt"]) == (first, last)
    (cash,) = kept["tenders"]
    assert (cash["expected_minor"], cash["counted_minor"]) == (22_750, 22_550)
    assert [line["rate_bp"] for line in kept["taxes"]] == [line.rate_bp for line in report.taxes]
    (session,) = rows(store, CashSession)
    assert kept == json.loads(session.z_report)  # the entry holds the Z as it is kept
    assert head(store) == (6, written[-1].hash)
    assert checked(uow).holds


def test_refused_events_of_the_day_write_no_entry(
    store: Store, uow: UnitOfWork, shelf: Shelf, cashier: UserView
) -> None:
    day = value(open_session(uow, user_id=cashier.id, float_minor=1_000))
    refusals = [
        open_session(uow, user_id=cashier.id, float_minor=1_000),  # one is open
        pay_out(uow, user_id=cashier.id, amount_minor=1_001, reason="Banka"),  # above the drawer
        pay_in(uow, user_id=cashier.id, amount_minor=100, reason=""),  # no reason
    ]
    value(close_session(uow, day.session_id, user_id=cashier.id, counted={"cash": 1_000}))
    refusals.append(close_session(uow, day.session_id, user_id=cashier.id, counted={"cash": 1}))

    assert [error(refused).code for refused in refusals] == [
        Code.CASH_SESSION_OPEN,
        Code.PAY_OUT_ABOVE_DRAWER,
        Code.CASH_MOVEMENT_NEEDS_REASON,
        Code.CASH_SESSION_CLOSED,
    ]
    assert [entry.kind for entry in entries(store)] == ["float", "z_report"]


def test_a_close_that_fails_after_its_entry_leaves_neither_the_z_nor_the_entry(
    store: Store, uow: UnitOfWork, cashier: UserView, monkeypatch: pytest.MonkeyPatch
) -> None:
    day = value(open_session(uow, user_id=cashier.id, float_minor=1_000))
    before = head(store)
    written = journal_day.record_z

    def written_then_lost(*arguments: Any) -> Any:
        written(*arguments)
        raise ConnectionError("the store went away before the commit")

    monkeypatch.setattr(journal_day, "record_z", written_then_lost)
    with pytest.raises(ConnectionError):
        close_session(uow, day.session_id, user_id=cashier.id, counted={"cash": 1_000})

    assert head(store) == before
    assert [entry.kind for entry in entries(store)] == ["float"]
    assert value(current_session(uow)) == day  # still open
    assert rows(store, TillRow)[0].last_z_number == 0  # the number was not taken


@pytest.mark.parametrize("event", ["open", "pay in", "close"])
def test_an_event_of_the_day_whose_entry_cannot_be_signed_does_not_happen(
    store: Store,
    uow: UnitOfWork,
    cashier: UserView,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    event: str,
) -> None:
    day = None if event == "open" else value(open_session(uow, user_id=cashier.id, float_minor=0))
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("")  # the key's folder cannot be made: no key, no entry
    monkeypatch.setenv(KEY_DIR_ENV, str(blocked))
    attempts = {
        "open": lambda: open_session(uow, user_id=cashier.id, float_minor=0),
        "pay in": lambda: pay_in(uow, user_id=cashier.id, amount_minor=500, reason="Bozuk para"),
        "close": lambda: close_session(
            uow, day.session_id if day else 0, user_id=cashier.id, counted={"cash": 0}
        ),
    }

    with pytest.raises(NotADirectoryError):
        attempts[event]()

    assert len(entries(store)) == (0 if day is None else 1)
    assert count(store, CashMovement) == 0
    assert count(store, CashSession) == (0 if day is None else 1)
    assert value(current_session(uow)) == day


def test_a_z_edited_in_the_journal_is_named_by_pos_journal_verify(
    store: Store,
    uow: UnitOfWork,
    shelf: Shelf,
    cashier: UserView,
    clock: FakeClock,
    tmp_path: Path,
) -> None:
    a_day(uow, shelf, cashier, clock)
    assert checked(uow).holds

    with triggers_dropped(store) as connection:  # 2 lira short becomes exact
        connection.execute(
            text("UPDATE journal SET content = replace(content, :was, :now) WHERE kind = :z"),
            {"was": '"counted_minor":22550', "now": '"counted_minor":22750', "z": "z_report"},
        )

    for every in (False, True):
        (chain,) = checked(uow, every=every).chains
        assert chain.fault is not None
        assert (chain.fault.seq, chain.fault.problem, chain.fault.kind) == (
            6,
            Problem.CHANGED,
            "z_report",
        )
    said = run_verify(store, tmp_path, "--till", "T01")
    assert said.returncode == 1, said.stderr
    assert "T01: entry 6 (Z report " in said.stdout
    assert "was changed" in said.stdout


def test_a_z_edited_where_it_is_kept_is_named_by_its_entry(
    store: Store,
    uow: UnitOfWork,
    shelf: Shelf,
    cashier: UserView,
    clock: FakeClock,
    tmp_path: Path,
) -> None:
    day, _report, _receipts = a_day(uow, shelf, cashier, clock)
    value(open_session(uow, user_id=cashier.id, float_minor=0))  # the chain goes on

    with store.engine.begin() as connection:  # 2 lira short becomes exact, on the kept Z
        connection.execute(
            text("UPDATE cash_sessions SET z_report = replace(z_report, :was, :now)"),
            {"was": '"counted_minor": 22550', "now": '"counted_minor": 22750'},
        )

    for every in (False, True):
        (chain,) = checked(uow, every=every).chains
        assert chain.fault is not None
        assert (chain.fault.seq, chain.fault.problem, chain.fault.event) == (
            6,
            Problem.Z_EDITED,
            str(day.session_id),
        )
    said = run_verify(store, tmp_path)
    assert said.returncode == 1, said.stderr
    assert f"T01: the Z report of entry 6 (session {day.session_id}) was edited" in said.stdout


def test_cash_paid_in_and_out_beside_returns_sales_and_drawer_openings_keeps_the_chain(
    store: Store, uow: UnitOfWork, shelf: Shelf, cashier: UserView, clock: FakeClock
) -> None:
    # A return numbers itself on the till's row before it names the day's session; a pay
    # in or out locks the session before its entry takes the till's row. The two must
    # not wait on each other.
    value(open_session(uow, user_id=cashier.id, float_minor=100_000))
    sold = [return_sell(uow, shelf, (1250, 2))[0] for _ in range(6)]
    product = shelf.product(stock=100, price_minor=900)
    failures: list[BaseException] = []
    start = threading.Barrier(5)

    def worker(step: Callable[[UnitOfWork, Any], object], items: list[Any]) -> threading.Thread:
        def run() -> None:
            try:
                start.wait()
                for item in items:
                    value(step(UnitOfWork(store.engine, clock), item))  # type: ignore[arg-type]
            except BaseException as failure:
                failures.append(failure)

        return threading.Thread(target=run)

    def sale(work: UnitOfWork, _: object) -> object:
        cart = new_cart(work)
        value(add_to_cart(work, cart, product, 1))
        return pay_cash(work, cart)

    threads = [
        worker(lambda w, s: back(w, s, cashier, ReturnRequest(1, 1)), sold),
        worker(
            lambda w, _: pay_in(w, user_id=cashier.id, amount_minor=500, reason="Bozuk"), [0] * 6
        ),
        worker(
            lambda w, _: pay_out(w, user_id=cashier.id, amount_minor=300, reason="Kargo"), [0] * 6
        ),
        worker(sale, [0] * 6),
        worker(
            lambda w, _: open_drawer_without_sale(w, user_id=cashier.id, reason="Bozuk"), [0] * 6
        ),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    written = entries(store)
    assert [entry.seq for entry in written] == list(range(1, len(written) + 1))
    kinds = [entry.kind for entry in written]
    assert (kinds.count("refund"), kinds.count("cash_movement"), kinds.count("drawer")) == (
        6,
        12,
        6,
    )
    assert kinds.count("sale") == 12
    assert checked(uow).holds
