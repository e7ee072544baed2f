"""A terminal says money moved where the payment cannot follow: signed event sequences
through the real listener, on both databases. The move stays refused; the conflict is
kept on the payment, listed for a manager at once, and marked handled with a note."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from pos.domain.payments import PaymentStatus
from pos.domain.results import Code
from pos.runtime.listener import WebhookListener
from pos.services.attention import (
    PaymentConflictRow,
    mark_conflict_handled,
    open_conflicts,
    payments_needing_attention,
)
from pos.services.users import UserView
from pos.store.models import AuditEntry, Cart, CartStatus, Order, Receipt, Reservation
from pos.store.uow import UnitOfWork
from tests.conftest import FakeClock, Shelf, Store, error, value
from tests.integration.test_listener import (
    SECRET,
    CardSale,
    card_sale,
    event_body,
    inventory_of,
    payment_row,
    signed,
)
from tests.invariants import assert_invariants
from tests.sales import count, rows


@pytest.fixture
def listener(store: Store, clock: FakeClock) -> Iterator[WebhookListener]:
    with WebhookListener(lambda: UnitOfWork(store.engine, clock), lambda: [SECRET]) as serving:
        yield serving


@pytest.fixture
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session


def deliver(http: requests.Session, listener: WebhookListener, body: bytes) -> dict[str, object]:
    answer = http.post(listener.url, data=body, headers=signed(body))
    assert answer.status_code == 200, answer.text
    document: dict[str, object] = answer.json()
    return document


def conflicts(uow: UnitOfWork, manager: UserView) -> tuple[PaymentConflictRow, ...]:
    return value(payments_needing_attention(uow, manager_id=manager.id)).conflicts.rows


def cart_of(store: Store, sale: CardSale) -> Cart:
    order = rows(store, Order, Order.id == payment_row(store, sale.payment_id).order_id)[0]
    return rows(store, Cart, Cart.id == order.cart_id)[0]


@pytest.mark.parametrize("given_up", ["payment.failed", "payment.cancelled"])
def test_a_charge_after_the_sale_was_given_up_is_a_conflict_for_a_manager(
    uow: UnitOfWork,
    shelf: Shelf,
    store: Store,
    manager: UserView,
    listener: WebhookListener,
    http: requests.Session,
    given_up: str,
) -> None:
    sale = card_sale(uow, shelf)
    ended = event_body(sale, event_id="evt_ended", kind=given_up)
    assert deliver(http, listener, ended)["outcome"] == "applied"
    status = PaymentStatus(given_up.removeprefix("payment."))
    assert payment_row(store, sale.payment_id).status == status
    assert cart_of(store, sale).status == CartStatus.OPEN
    charged = event_body(sale, event_id="evt_charged_later")

    answer = deliver(http, listener, charged)

    # The state machine still refuses the move: the sale stays given up, its goods held.
    assert answer == {"received": True, "outcome": "ignored", "duplicate": False, "conflict": True}
    assert payment_row(store, sale.payment_id).status == status
    assert count(store, Receipt) == 0
    assert cart_of(store, sale).status == CartStatus.OPEN
    assert inventory_of(store, sale.product_id) == (8, 2)
    # ... and a manager sees it at once, with what the terminal said.
    (conflict,) = conflicts(uow, manager)
    assert conflict.payment_id == sale.payment_id
    assert conflict.kind == f"paid_after_{status.value}"
    assert conflict.status is status
    assert (conflict.event_amount_minor, conflict.event_currency) == (sale.amount_minor, "TRY")
    assert conflict.event_id == "evt_charged_later"
    assert value(open_conflicts(uow)) == 1
    # A re-delivery of the same event answers the same and adds nothing.
    again = http.post(listener.url, data=charged, headers=signed(charged)).json()
    assert again == {"received": True, "outcome": "ignored", "duplicate": True, "conflict": True}
    assert len(conflicts(uow, manager)) == 1
    assert_invariants(store.engine)


@pytest.mark.parametrize("field", ["amount", "currency"])
def test_a_success_for_another_amount_or_currency_is_a_conflict(
    uow: UnitOfWork,
    shelf: Shelf,
    store: Store,
    manager: UserView,
    listener: WebhookListener,
    http: requests.Session,
    field: str,
) -> None:
    sale = card_sale(uow, shelf)
    body = event_body(sale, event_id="evt_other", amount_minor=sale.amount_minor + 500)
    if field == "currency":
        body = event_body(sale, event_id="evt_other").replace(b'"TRY"', b'"EUR"')

    answer = deliver(http, listener, body)

    assert answer["outcome"] == "mismatch"
    assert answer["conflict"] is True
    assert payment_row(store, sale.payment_id).status == PaymentStatus.PENDING
    (conflict,) = conflicts(uow, manager)
    assert conflict.kind == f"{field}_mismatch"
    assert (conflict.amount_minor, conflict.currency) == (sale.amount_minor, "TRY")
    if field == "amount":
        assert conflict.event_amount_minor == sale.amount_minor + 500
    else:
        assert conflict.event_currency == "EUR"


def test_a_declined_card_for_another_amount_is_no_conflict(
    uow: UnitOfWork,
    shelf: Shelf,
    manager: UserView,
    listener: WebhookListener,
    http: requests.Session,
) -> None:
    sale = card_sale(uow, shelf)
    body = event_body(sale, kind="payment.failed", amount_minor=sale.amount_minor + 1)

    assert "conflict" not in deliver(http, listener, body)
    assert conflicts(uow, manager) == ()


def test_a_manager_marks_a_conflict_handled_with_a_note_and_it_is_audited(
    uow: UnitOfWork,
    shelf: Shelf,
    store: Store,
    manager: UserView,
    cashier: UserView,
    listener: WebhookListener,
    http: requests.Session,
) -> None:
    sale = card_sale(uow, shelf)
    deliver(http, listener, event_body(sale, event_id="evt_failed", kind="payment.failed"))
    deliver(http, listener, event_body(sale, event_id="evt_charged"))
    (conflict,) = conflicts(uow, manager)

    refused = error(
        mark_conflict_handled(uow, conflict.conflict_id, manager_id=cashier.id, note="tamam")
    )
    assert refused.code is Code.NOT_PERMITTED
    for note in ("", "   ", "x" * 501, "kapı\x1bp"):
        refused = error(
            mark_conflict_handled(uow, conflict.conflict_id, manager_id=manager.id, note=note)
        )
        assert refused.code is Code.INVALID_NOTE
    assert len(conflicts(uow, manager)) == 1
    assert rows(store, AuditEntry, AuditEntry.action == "payment.conflict_handled") == []

    note = "Müşteriye nakit iade edildi, terminal fişi kasada"
    handled = value(
        mark_conflict_handled(uow, conflict.conflict_id, manager_id=manager.id, note=note)
    )

    assert handled.handled_by == manager.display_name
    assert handled.note == note
    assert conflicts(uow, manager) == ()
    assert value(open_conflicts(uow)) == 0
    (entry,) = rows(store, AuditEntry, AuditEntry.action == "payment.conflict_handled")
    assert entry.user_id == manager.id
    assert entry.entity_id == str(sale.payment_id)
    assert note in entry.details
    again = error(
        mark_conflict_handled(uow, conflict.conflict_id, manager_id=manager.id, note=note)
    )
    assert again.code is Code.CONFLICT_ALREADY_HANDLED
    assert error(mark_conflict_handled(uow, 999_999, manager_id=manager.id, note=note)).code is (
        Code.CONFLICT_NOT_FOUND
    )
    # Handling it moves no money and no stock: the sale is as the terminal left it.
    assert payment_row(store, sale.payment_id).status == PaymentStatus.FAILED
    assert count(store, Reservation) == 1
    assert_invariants(store.engine)
