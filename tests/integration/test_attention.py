"""Card payments that need a manager, on both databases: the four lists, "check again"
against the real terminal simulator, and resolving by hand from the list."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest

from pos.domain.payments import PaymentStatus, Settler
from pos.domain.results import Code, Warn
from pos.payments.http import HttpTerminal
from pos.services.attention import check_again, payments_needing_attention
from pos.services.card_payments import force_resolve, start_card_payment
from pos.services.cart import add_to_cart
from pos.services.payment_events import apply_payment_event
from pos.services.payments import mark_pending
from pos.services.users import UserView
from pos.store.models import AuditEntry, EventOutcome, Order, OrderStatus, Payment, PaymentEvent
from pos.store.uow import UnitOfWork
from tests.conftest import FakeClock, Shelf, Store, error, value
from tests.invariants import assert_invariants
from tests.payments import API_KEY, card_sale, terminal_event, terminal_rig
from tests.sales import new_cart, pay_cash, rows

PAST_THE_WINDOW = {"minutes": 6}


def attention(uow: UnitOfWork, manager: UserView, **kwargs: object):  # type: ignore[no-untyped-def]
    return value(payments_needing_attention(uow, manager_id=manager.id, **kwargs))


def audit_rows(store: Store, action: str) -> list[AuditEntry]:
    return rows(store, AuditEntry, AuditEntry.action == action, order_by=AuditEntry.id)


def dead_terminal() -> HttpTerminal:
    return HttpTerminal("http://127.0.0.1:9", API_KEY, retries=0, connect_timeout=0.2)


def test_each_kind_of_trouble_is_listed_in_its_own_list_and_nothing_else_is(
    store: Store, uow: UnitOfWork, clock: FakeClock, shelf: Shelf, manager: UserView
) -> None:
    # Fine: a cash sale, and a card sale the terminal paid with the right amount.
    product = shelf.product(stock=5, price_minor=1000)
    cart = new_cart(uow)
    value(add_to_cart(uow, cart, product, 1))
    value(pay_cash(uow, cart))
    paid, _cart, _product = card_sale(uow, shelf, 1000)
    event = terminal_event("evt_paid", "pay_paid", payment_id=paid.payment_id)
    assert value(apply_payment_event(uow, event)).outcome is EventOutcome.APPLIED
    # Stuck: the terminal took it on and never said more.
    stuck, _cart, _product = card_sale(uow, shelf, 1292)
    value(mark_pending(uow, stuck.payment_id, provider_payment_id="pay_stuck"))
    # Flagged: the terminal reported another amount.
    flagged, _cart, _product = card_sale(uow, shelf, 1000)
    wrong = terminal_event("evt_wrong", "pay_wrong", payment_id=flagged.payment_id, amount_minor=1)
    assert value(apply_payment_event(uow, wrong)).outcome is EventOutcome.MISMATCH
    # Lost: an event for a payment this store never made.
    lost = terminal_event("evt_lost", "pay_nobody", amount_minor=4550)
    assert value(apply_payment_event(uow, lost)).outcome is EventOutcome.UNMATCHED
    # Resolved by hand.
    by_hand, _cart, _product = card_sale(uow, shelf, 1500)
    note = "Terminal kapandı, müşteri nakit ödeyecek"
    value(
        force_resolve(
            uow, by_hand.payment_id, PaymentStatus.CANCELLED, manager_id=manager.id, note=note
        )
    )
    clock.advance(**PAST_THE_WINDOW)
    # Within the window: a payment still waiting, but not for long yet.
    fresh, _cart, _product = card_sale(uow, shelf, 1292)

    seen = attention(uow, manager)

    assert [row.payment_id for row in seen.waiting.rows] == [stuck.payment_id]
    (waiting,) = seen.waiting.rows
    assert (waiting.status, waiting.terminal_payment_id) == (PaymentStatus.PENDING, "pay_stuck")
    assert (waiting.amount_minor, waiting.currency, waiting.till_code) == (1292, "TRY", "T01")
    assert fresh.payment_id not in [row.payment_id for row in seen.waiting.rows]

    (unmatched,) = seen.unmatched.rows
    assert (unmatched.event_id, unmatched.terminal_payment_id) == ("evt_lost", "pay_nobody")
    assert (unmatched.amount_minor, unmatched.type) == (4550, "payment.succeeded")

    (mismatch,) = seen.mismatches.rows
    assert mismatch.payment_id == flagged.payment_id
    assert mismatch.review_reason == "amount_mismatch"
    assert (mismatch.amount_minor, mismatch.event_amount_minor) == (1000, 1)
    assert (mismatch.currency, mismatch.event_currency) == ("TRY", "TRY")
    assert mismatch.event_id == "evt_wrong"

    (resolved,) = seen.resolved.rows
    assert resolved.payment_id == by_hand.payment_id
    assert (resolved.status, resolved.before) == (PaymentStatus.CANCELLED, "initiated")
    assert (resolved.note, resolved.resolved_by) == (note, manager.display_name)
    assert resolved.requested_by is None

    assert [s.total for s in (seen.waiting, seen.unmatched, seen.mismatches, seen.resolved)] == [
        1,
        1,
        1,
        1,
    ]
    assert seen.window == timedelta(minutes=5)
    assert_invariants(store.engine)


def test_each_list_is_bounded_newest_first_and_counts_them_all(
    uow: UnitOfWork, clock: FakeClock, manager: UserView
) -> None:
    for n in range(4):
        value(apply_payment_event(uow, terminal_event(f"evt_{n}", f"pay_{n}")))
        clock.advance(seconds=10)
    seen = attention(uow, manager, limit=2)
    assert [row.event_id for row in seen.unmatched.rows] == ["evt_3", "evt_2"]
    assert seen.unmatched.total == 4


def test_check_again_asks_the_terminal_and_settles_a_payment_whose_webhook_was_lost(
    store: Store, uow: UnitOfWork, clock: FakeClock, shelf: Shelf, manager: UserView
) -> None:
    with terminal_rig(store, clock, webhooks=False) as rig:
        sale, _cart, _product = card_sale(uow, shelf, 1000)
        assert value(start_card_payment(uow, rig.terminal, sale.payment_id)).status is (
            PaymentStatus.PENDING
        )
        time.sleep(0.3)  # the simulated card is approved; no webhook tells the store
        clock.advance(**PAST_THE_WINDOW)
        (listed,) = attention(uow, manager).waiting.rows
        assert listed.payment_id == sale.payment_id
        checked = check_again(uow, rig.terminal, sale.payment_id, manager_id=manager.id)
    view = value(checked)
    assert (view.status, view.settled_by) == (PaymentStatus.PAID, Settler.POLL)
    assert view.receipt == "T01-000001"
    (entry,) = audit_rows(store, "payment.check_again")
    assert entry.user_id == manager.id
    assert entry.entity_id == str(sale.payment_id)
    details = json.loads(entry.details)
    assert (details["before"], details["after"], details["answer"]) == ("pending", "paid", "ok")
    assert attention(uow, manager).waiting.rows == ()
    assert_invariants(store.engine)


def test_check_again_on_a_card_still_in_the_reader_says_so_and_is_audited(
    store: Store, uow: UnitOfWork, clock: FakeClock, shelf: Shelf, manager: UserView
) -> None:
    with terminal_rig(store, clock) as rig:
        sale, _cart, _product = card_sale(uow, shelf, 1292)  # ..92: waits for the card
        value(start_card_payment(uow, rig.terminal, sale.payment_id))
        clock.advance(**PAST_THE_WINDOW)
        checked = check_again(uow, rig.terminal, sale.payment_id, manager_id=manager.id)
    assert isinstance(checked, Warn)
    assert checked.code is Code.PAYMENT_PENDING
    assert checked.value.status is PaymentStatus.PENDING
    (entry,) = audit_rows(store, "payment.check_again")
    details = json.loads(entry.details)
    assert (details["before"], details["after"]) == ("pending", "pending")
    assert details["answer"] == "payment_pending"
    assert [row.payment_id for row in attention(uow, manager).waiting.rows] == [sale.payment_id]


def test_check_again_with_the_terminal_unreachable_is_refused_and_writes_nothing(
    store: Store, uow: UnitOfWork, clock: FakeClock, shelf: Shelf, manager: UserView
) -> None:
    sale, _cart, _product = card_sale(uow, shelf, 1292)
    value(mark_pending(uow, sale.payment_id, provider_payment_id="pay_far"))
    clock.advance(**PAST_THE_WINDOW)
    before = rows(store, Payment, Payment.id == sale.payment_id)
    refused = error(check_again(uow, dead_terminal(), sale.payment_id, manager_id=manager.id))
    assert refused.code is Code.TERMINAL_UNREACHABLE
    assert rows(store, Payment, Payment.id == sale.payment_id) == before
    assert audit_rows(store, "payment.check_again") == []
    assert rows(store, PaymentEvent.id) == []


def test_check_again_is_for_managers_and_for_open_card_payments_only(
    store: Store, uow: UnitOfWork, shelf: Shelf, manager: UserView, cashier: UserView
) -> None:
    sale, _cart, _product = card_sale(uow, shelf, 1292)
    refused = error(check_again(uow, dead_terminal(), sale.payment_id, manager_id=cashier.id))
    assert refused.code is Code.NOT_PERMITTED
    for nobody in (None, 0, -1, True, "1", 2**40, 999):
        refused = error(check_again(uow, dead_terminal(), sale.payment_id, manager_id=nobody))
        assert refused.code is Code.USER_NOT_FOUND
    for payment_id in (None, 0, -5, "1", 1.5, 2**40, 999):
        refused = error(check_again(uow, dead_terminal(), payment_id, manager_id=manager.id))
        assert refused.code is Code.PAYMENT_NOT_FOUND
    product = shelf.product(stock=1)
    cart = new_cart(uow)
    value(add_to_cart(uow, cart, product, 1))
    cash = value(pay_cash(uow, cart))
    refused = error(check_again(uow, dead_terminal(), cash.payment_id, manager_id=manager.id))
    assert refused.code is Code.PAYMENT_NOT_CARD
    value(
        force_resolve(
            uow, sale.payment_id, PaymentStatus.FAILED, manager_id=manager.id, note="kart yok"
        )
    )
    refused = error(check_again(uow, dead_terminal(), sale.payment_id, manager_id=manager.id))
    assert refused.code is Code.PAYMENT_NEEDS_NO_ATTENTION
    assert audit_rows(store, "payment.check_again") == []


def test_a_flagged_payment_is_resolved_by_hand_from_the_list_and_keeps_its_reason(
    store: Store, uow: UnitOfWork, clock: FakeClock, shelf: Shelf, manager: UserView
) -> None:
    flagged, _cart, _product = card_sale(uow, shelf, 1000)
    wrong = terminal_event(
        "evt_wrong", "pay_w", payment_id=flagged.payment_id, currency="EUR", amount_minor=1000
    )
    value(apply_payment_event(uow, wrong))
    stuck, _cart, _product = card_sale(uow, shelf, 2000)
    clock.advance(**PAST_THE_WINDOW)
    seen = attention(uow, manager)
    (mismatch,) = seen.mismatches.rows
    assert (mismatch.review_reason, mismatch.event_currency) == ("currency_mismatch", "EUR")
    (waiting,) = seen.waiting.rows  # a flagged payment is shown once, with its reason

    note = "Banka ekstresinde 10,00 TL görüldü"
    view = value(
        force_resolve(
            uow, mismatch.payment_id, PaymentStatus.PAID, manager_id=manager.id, note=note
        )
    )
    assert (view.status, view.settled_by) == (PaymentStatus.PAID, Settler.MANAGER)
    value(
        force_resolve(
            uow, waiting.payment_id, PaymentStatus.FAILED, manager_id=manager.id, note="iptal"
        )
    )

    after = attention(uow, manager)
    assert after.mismatches.rows == ()
    assert after.waiting.rows == ()
    assert [row.payment_id for row in after.resolved.rows] == [
        stuck.payment_id,
        flagged.payment_id,
    ]
    resolved = after.resolved.rows[1]
    assert (resolved.note, resolved.before) == (note, "initiated")
    assert resolved.review_reason == "currency_mismatch"
    assert resolved.receipt == "T01-000001"
    (order,) = rows(store, Order.status, Order.id == flagged.order_id)
    assert order.status == OrderStatus.PAID
    entries = audit_rows(store, "payment.force_resolve")
    assert [(e.user_id, e.entity_id) for e in entries] == [
        (manager.id, str(flagged.payment_id)),
        (manager.id, str(stuck.payment_id)),
    ]
    assert_invariants(store.engine)


@pytest.mark.parametrize(
    "bad",
    [
        {"window": timedelta(0)},
        {"window": timedelta(minutes=-5)},
        {"window": 300},
        {"window": timedelta(days=400)},
        {"limit": 0},
        {"limit": -1},
        {"limit": 10**9},
        {"limit": "10"},
        {"limit": True},
    ],
)
def test_bad_list_options_are_refused(
    uow: UnitOfWork, manager: UserView, bad: dict[str, object]
) -> None:
    refused = error(payments_needing_attention(uow, manager_id=manager.id, **bad))
    assert refused.code is Code.INVALID_FILTER


def test_a_cashier_is_refused_the_list(uow: UnitOfWork, cashier: UserView) -> None:
    assert error(payments_needing_attention(uow, manager_id=cashier.id)).code is (
        Code.NOT_PERMITTED
    )
    assert error(payments_needing_attention(uow, manager_id=None)).code is Code.USER_NOT_FOUND


def test_a_resolution_approved_at_the_till_names_the_manager_and_the_cashier(
    uow: UnitOfWork, shelf: Shelf, manager: UserView, cashier: UserView
) -> None:
    sale, _cart, _product = card_sale(uow, shelf, 1000)
    value(
        force_resolve(
            uow,
            sale.payment_id,
            PaymentStatus.FAILED,
            manager_id=manager.id,
            cashier_id=cashier.id,
            note="Kart okunmadı",
        )
    )
    (resolved,) = attention(uow, manager).resolved.rows
    assert (resolved.resolved_by, resolved.requested_by) == ("Ayşe Yılmaz", "Mehmet Demir")
    assert resolved.note == "Kart okunmadı"
