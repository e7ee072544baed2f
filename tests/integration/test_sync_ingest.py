"""Offline sales going home (issue 17): ``ingest_sale`` and ``push_outbox`` between a
central store (the test's store, SQLite or PostgreSQL) and a till's SQLite replica."""

from __future__ import annotations

import json
from uuid import UUID

import pytest
from sqlalchemy import func, insert, select, update

from pos.domain.journal import Kind, canonical
from pos.domain.results import Code, Err
from pos.domain.sync import Answer, ConflictStatus
from pos.services import journal as journal_service
from pos.services.cart import add_to_cart, open_cart
from pos.services.cash_sessions import open_session
from pos.services.coupons import CouponDraft, CouponKind, apply_coupon, create_coupon
from pos.services.ingest import ingest_sale
from pos.services.journal import sale_as_stored
from pos.services.journal_verify import verify
from pos.store.burst import Burst
from pos.store.engine import StoreTimeouts, make_engine
from pos.store.models import AuditEntry
from pos.store.tables import (
    coupons,
    inventory,
    journal,
    order_items,
    orders,
    outbox,
    oversells,
    payments,
    products,
    redemptions,
    sync_conflicts,
    tills,
)
from pos.store.uow import UnitOfWork
from pos.sync.push import push_outbox, sync_status
from tests.conftest import value
from tests.invariants import assert_invariants
from tests.offline import offline_uow, pull, replica_engine
from tests.sales import pay_cash
from tests.syncing import assert_exactly_once, offline_orders, sell_offline, unsent


@pytest.fixture
def replica(sqlite_template, tmp_path):
    engine = replica_engine(sqlite_template, tmp_path)
    yield engine
    engine.dispose()


def payloads(replica) -> list[dict]:
    with replica.connect() as connection:
        bodies = connection.execute(select(outbox.c.payload).order_by(outbox.c.id)).scalars()
        return [json.loads(body) for body in bodies]


def push(store, replica, clock):
    return push_outbox(
        lambda: UnitOfWork(store.engine, clock),
        lambda: offline_uow(replica, clock),
        sleep=lambda _seconds: None,
    )


def count(engine, table, *where) -> int:
    with engine.connect() as connection:
        return int(
            connection.execute(select(func.count()).select_from(table).where(*where)).scalar_one()
        )


def test_a_sale_made_offline_goes_in_once_and_a_second_push_changes_nothing(
    uow, store, replica, clock, shelf
):
    products_ = [shelf.product(stock=50, price_minor=1000 + n) for n in range(4)]
    pull(store.engine, replica)
    sell_offline(offline_uow(replica, clock), products_, 3)
    sale = payloads(replica)[0]

    first = value(ingest_sale(uow, sale))
    again = value(ingest_sale(uow, sale))

    assert first.answer is Answer.INGESTED
    assert again.answer is Answer.ALREADY_HERE
    assert count(store.engine, orders) == 1
    assert count(store.engine, order_items) == len(sale["lines"])
    assert count(store.engine, payments) == 1
    assert_invariants(store.engine)


def test_the_push_sends_every_sale_once_oldest_first_and_marks_each_with_its_answer(
    uow, store, replica, clock, shelf
):
    products_ = [shelf.product(stock=100) for _ in range(5)]
    pull(store.engine, replica)
    sell_offline(offline_uow(replica, clock), products_, 12, lines=3)
    heard: list[tuple[int, int]] = []

    report = value(
        push_outbox(
            lambda: UnitOfWork(store.engine, clock),
            lambda: offline_uow(replica, clock),
            progress=lambda sent, total: heard.append((sent, total)),
        )
    )

    assert (report.total, report.ingested, report.left) == (12, 12, 0)
    assert heard[0] == (0, 12)
    assert heard[-1] == (12, 12)
    assert unsent(replica) == 0
    assert_exactly_once(store.engine, offline_orders(replica))
    assert_invariants(store.engine)
    # A crash after the central commit and before the mark: the sale is sent again.
    with replica.begin() as connection:
        connection.execute(update(outbox).values(sent_at=None, answer=None))
    again = value(push(store, replica, clock))
    assert (again.ingested, again.already_here) == (0, 12)
    assert value(sync_status(offline_uow(replica, clock))).already_here == 12
    assert_exactly_once(store.engine, offline_orders(replica))


def test_stock_that_runs_short_is_taken_to_zero_and_the_rest_is_an_oversell(
    uow, store, replica, clock, shelf
):
    product = shelf.product(stock=4)
    pull(store.engine, replica)
    off = offline_uow(replica, clock)
    sell_offline(off, [product], 3, lines=1)  # 1 to 3 units each
    sold = sum(line["quantity"] for sale in payloads(replica) for line in sale["lines"])

    value(push(store, replica, clock))

    with store.engine.connect() as connection:
        available = connection.execute(select(inventory.c.available)).scalar_one()
        oversold = connection.execute(select(func.sum(oversells.c.quantity))).scalar_one()
    assert available == max(4 - sold, 0)
    assert (oversold or 0) == max(sold - 4, 0)
    assert_invariants(store.engine)


def test_a_price_changed_centrally_does_not_change_the_sale(uow, store, replica, clock, shelf):
    product = shelf.product(stock=20, price_minor=1500)
    pull(store.engine, replica)
    sell_offline(offline_uow(replica, clock), [product], 1, lines=1)
    with store.engine.begin() as connection:
        connection.execute(update(products).values(price_minor=9900))
    sale = payloads(replica)[0]

    value(push(store, replica, clock))

    with store.engine.connect() as connection:
        line = connection.execute(select(order_items)).one()
        total = connection.execute(select(orders.c.total_minor)).scalar_one()
    assert line.unit_price_minor == 1500
    assert total == sale["total_minor"] == 1500 * line.quantity


def test_a_coupon_used_past_its_limit_is_counted_flagged_and_audited(
    uow, store, replica, clock, shelf, manager
):
    product = shelf.product(stock=50, price_minor=5000)
    draft = CouponDraft(code="YUZDE10", kind=CouponKind.PERCENT, value=1000, usage_limit=1)
    value(create_coupon(uow, draft, user_id=manager.id))
    pull(store.engine, replica)
    off = offline_uow(replica, clock, coupon_allowance=5)
    sell_offline(off, [product], 1, lines=1, coupon="YUZDE10")
    with store.engine.begin() as connection:  # meanwhile another till takes the last use
        connection.execute(insert(tills).values(id=2, code="T02", location_id=1))
    cart = value(open_cart(uow, till_id=2)).cart_id
    value(add_to_cart(uow, cart, product, 1))
    value(apply_coupon(uow, cart, "YUZDE10"))
    value(pay_cash(uow, cart))

    report = value(push(store, replica, clock))

    assert report.ingested == 1
    with store.engine.connect() as connection:
        used = connection.execute(select(coupons.c.times_used)).scalar_one()
        flags = connection.execute(
            select(redemptions.c.over_limit).order_by(redemptions.c.id)
        ).scalars()
        audits = connection.execute(
            select(func.count()).where(AuditEntry.action == "coupon.used_past_limit")
        ).scalar_one()
        assert list(flags) == [False, True]
    assert used == 1
    assert audits == 1
    assert_invariants(store.engine)


def test_a_sale_the_store_cannot_take_is_a_conflict_and_the_sales_behind_it_go_on(
    uow, store, replica, clock, shelf
):
    known = shelf.product(stock=50)
    pull(store.engine, replica)
    with replica.begin() as connection:  # a product the central store never had
        row = dict(connection.execute(select(products)).mappings().one())
        connection.execute(insert(products).values({**row, "id": 999, "sku": "YOK-1"}))
        connection.execute(
            insert(inventory).values(location_id=1, product_id=999, available=5, reserved=0)
        )
    off = offline_uow(replica, clock)
    sell_offline(off, [known], 2, lines=1, seed=1)
    sell_offline(off, [999], 1, lines=1, seed=2)
    sell_offline(off, [known], 2, lines=1, seed=3)
    bad = payloads(replica)[2]

    report = value(push(store, replica, clock))

    assert (report.ingested, report.conflicts, report.left) == (4, 1, 0)
    with store.engine.connect() as connection:
        conflict = connection.execute(select(sync_conflicts)).one()
    assert conflict.reason == Code.SALE_PRODUCT_UNKNOWN.value
    assert conflict.status == ConflictStatus.OPEN
    assert str(conflict.order_id) == bad["order_id"]
    assert json.loads(conflict.payload)["lines"][0]["product_id"] == 999
    assert count(store.engine, orders) == 4
    # Pushed again (by the manager's retry, or a till that never heard): one conflict.
    answer = value(ingest_sale(uow, bad))
    assert (answer.answer, answer.conflict_id) == (Answer.CONFLICT, conflict.id)
    assert count(store.engine, sync_conflicts) == 1
    with store.engine.connect() as connection:
        assert connection.execute(select(sync_conflicts.c.attempts)).scalar_one() == 2
    assert_invariants(store.engine)


def test_a_payload_version_the_store_does_not_know_and_a_reused_key_are_conflicts(
    uow, store, replica, clock, shelf
):
    product = shelf.product(stock=50)
    pull(store.engine, replica)
    sell_offline(offline_uow(replica, clock), [product], 2, lines=1)
    first, second = payloads(replica)

    unknown = value(ingest_sale(uow, {**first, "version": 99}))
    value(ingest_sale(uow, first))
    twin = value(ingest_sale(uow, {**second, "idempotency_key": first["idempotency_key"]}))
    broken = value(ingest_sale(uow, {**second, "lines": "none"}))
    elsewhere = value(ingest_sale(uow, {**second, "till_id": 77}))
    no_coupon = value(ingest_sale(uow, {**second, "coupon": {"id": 55, "code": "YOK"}}))

    assert unknown.answer is Answer.CONFLICT
    assert unknown.reason == Code.SALE_VERSION_UNKNOWN
    assert twin.answer is Answer.CONFLICT
    assert twin.reason == Code.SALE_DUPLICATE
    assert broken.answer is Answer.CONFLICT
    assert broken.reason == Code.SALE_UNREADABLE
    assert elsewhere.reason == Code.TILL_NOT_FOUND
    assert no_coupon.reason == Code.SALE_COUPON_UNKNOWN
    assert count(store.engine, orders) == 1
    assert count(store.engine, sync_conflicts) == 2  # per sale: the second's counts tries
    assert not isinstance(ingest_sale(uow, first), Err)
    assert value(ingest_sale(uow, second)).answer is Answer.INGESTED  # once all is right


def test_each_sale_arriving_joins_the_open_session_ends_its_conflict_and_is_journalled(
    uow, store, replica, clock, shelf, cashier
):
    products_ = [shelf.product(stock=100, price_minor=1000 + n) for n in range(3)]
    pull(store.engine, replica)
    sell_offline(offline_uow(replica, clock), products_, 4, lines=2)
    sales = payloads(replica)
    session = value(open_session(uow, user_id=cashier.id, float_minor=10_000)).session_id
    # An earlier push of the third sale was kept as a conflict (the till was unknown then).
    kept = value(ingest_sale(uow, {**sales[2], "till_id": 77}))
    assert kept.answer is Answer.CONFLICT

    report = value(push(store, replica, clock))

    assert report.ingested == 4
    with store.engine.connect() as connection:
        linked = connection.execute(select(orders.c.cash_session_id)).scalars().all()
        paid = connection.execute(select(payments.c.cash_session_id)).scalars().all()
        conflict = connection.execute(select(sync_conflicts)).one()
        entries = connection.execute(
            select(journal.c.seq, journal.c.event_id, journal.c.content)
            .where(journal.c.kind == Kind.SALE)
            .order_by(journal.c.seq)
        ).all()
        # Each entry says what the store holds of its sale, read back.
        as_stored = [
            canonical(sale_as_stored(connection, UUID(entry.event_id))[1]) for entry in entries
        ]
    assert linked == [session] * 4
    assert paid == [session] * 4
    assert (conflict.status, conflict.resolved_at is not None) == (ConflictStatus.RESOLVED, True)
    # In the till's order, one each, after the session's own entry.
    assert [entry.event_id for entry in entries] == [sale["order_id"] for sale in sales]
    assert [entry.seq for entry in entries] == [2, 3, 4, 5]
    assert [entry.content for entry in entries] == as_stored
    assert value(verify(uow)).holds
    # A second push changes nothing: no second entry.
    with replica.begin() as connection:
        connection.execute(update(outbox).values(sent_at=None, answer=None))
    assert value(push(store, replica, clock)).already_here == 4
    assert count(store.engine, journal, journal.c.kind == Kind.SALE) == 4


def test_a_burst_whose_journal_head_moved_meanwhile_writes_nothing(
    uow, store, replica, clock, shelf
):
    """The bursts of arriving sales chain their entries on the head they looked at: an
    entry made centrally in between fails the transaction that follows it, and the one
    chained behind, and leaves the chain whole."""
    if store.dialect != "postgresql":
        pytest.skip("the sales go in bursts to a central PostgreSQL")
    products_ = [shelf.product(stock=100) for _ in range(3)]
    pull(store.engine, replica)
    sell_offline(offline_uow(replica, clock), products_, 2, lines=2)
    value(push(store, replica, clock))  # the till's key is recorded with its first entry
    till, code = payloads(replica)[0]["till_id"], payloads(replica)[0]["till_code"]
    with store.engine.connect() as connection:
        stale = journal_service.look_head(connection, till, till_code=code)()
    assert stale is not None
    with store.engine.begin() as connection:  # an entry made centrally meanwhile
        journal_service.append(
            connection, till, Kind.DRAWER, "drawer-1", {"why": "change"}, clock()
        )
    with store.engine.connect() as connection:
        burst = Burst(connection)
        first = journal_service.Entry.of(Kind.DRAWER, "drawer-2", {"why": "late"})
        after = journal_service.chain(burst, stale, first, clock(), receipt=None)
        burst.end()
        second = journal_service.Entry.of(Kind.DRAWER, "drawer-3", {"why": "later"})
        journal_service.chain(burst, after, second, clock(), receipt=None)
        burst.end()
        failed = burst.run()

    assert [answer and answer.sqlstate for answer in failed] == ["22012", "22012"]
    assert count(store.engine, journal) == 3  # the 2 sales and the drawer opened centrally
    checked = value(verify(uow))
    assert checked.holds
    # The next push looks again and chains on.
    sell_offline(offline_uow(replica, clock), products_, 3, lines=2, seed=7)
    assert value(push(store, replica, clock)).ingested == 3
    assert value(verify(uow)).holds
    assert count(store.engine, journal) == 6
    assert_exactly_once(store.engine, offline_orders(replica))


def test_a_push_to_a_central_postgresql_that_does_not_answer_is_interrupted_not_raised(
    replica, clock, store, shelf
):
    """The burst's own connection, refused: the push says it stopped, and sent nothing."""
    products_ = [shelf.product(stock=10)]
    pull(store.engine, replica)
    sell_offline(offline_uow(replica, clock), products_, 2, lines=1)
    gone = make_engine(
        "postgresql+psycopg://postgres@127.0.0.1:9/kasa",
        timeouts=StoreTimeouts(connect=2, statement=2, lock=1, idle_in_transaction=2, keepalive=1),
    )
    try:
        result = push_outbox(
            lambda: UnitOfWork(gone, clock),
            lambda: offline_uow(replica, clock),
            sleep=lambda _seconds: None,
            tries=2,
        )
    finally:
        gone.dispose()

    assert isinstance(result, Err)
    assert result.code is Code.SYNC_INTERRUPTED
    assert result.params["sent"] == 0
    assert unsent(replica) == 2
