"""The webhook listener over real HTTP: a signed event settles its card sale exactly once,
and anything unsigned, forged, stale, oversized or malformed gets a 4xx and leaves the
store as it was."""

from __future__ import annotations

import io
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests
import stripe
from sqlalchemy import func, select

from pos.domain.payments import PaymentStatus, Settler
from pos.payments.events import EventFormatError, event_from_terminal, parse_webhook
from pos.payments.signatures import sign
from pos.payments.terminal import TerminalPayment, TerminalStatus
from pos.runtime.listener import HEALTH_PATH, WEBHOOK_PATH, WebhookApp, WebhookListener
from pos.services.cart import add_to_cart
from pos.services.payment_events import EventReceipt
from pos.services.payments import mark_pending
from pos.store.engine import READ_ONLY, make_engine
from pos.store.models import (
    EventOutcome,
    Inventory,
    Order,
    OrderStatus,
    Payment,
    PaymentEvent,
    Receipt,
)
from pos.store.uow import UnitOfWork
from tests.conftest import FakeClock, Shelf, Store, value
from tests.invariants import assert_invariants
from tests.sales import count, new_cart, pay_by_card, rows

SECRET = "whsec_kasa_test_current"
OLD_SECRET = "whsec_kasa_test_previous"


# -- what the tests share ---------------------------------------------------------------


@dataclass(frozen=True)
class CardSale:
    payment_id: int
    terminal_id: str
    product_id: int
    amount_minor: int
    currency: str


def card_sale(uow: UnitOfWork, shelf: Shelf, *, quantity: int = 2) -> CardSale:
    """A card sale the terminal has taken on: its payment pending, its goods held."""
    product = shelf.product(stock=10, price_minor=1250)
    cart = new_cart(uow)
    value(add_to_cart(uow, cart, product, quantity))
    sale = value(pay_by_card(uow, cart))
    terminal_id = f"pay_{sale.payment_id:08d}"
    value(mark_pending(uow, sale.payment_id, provider_payment_id=terminal_id))
    return CardSale(sale.payment_id, terminal_id, product, sale.total_minor, sale.currency)


def event_body(
    sale: CardSale | None,
    *,
    event_id: str = "evt_0001",
    kind: str = "payment.succeeded",
    amount_minor: int | None = None,
    payment_id: int | None = None,
    terminal_id: str | None = None,
) -> bytes:
    status = kind.removeprefix("payment.")
    document = {
        "id": event_id,
        "type": kind,
        "created": int(time.time()),
        "data": {
            "object": {
                "id": terminal_id or (sale.terminal_id if sale else "pay_unknown"),
                "object": "payment",
                "status": status,
                "amount": amount_minor
                if amount_minor is not None
                else (sale.amount_minor if sale else 100),
                "currency": sale.currency if sale else "TRY",
                "idempotency_key": "key-1",
                "metadata": {
                    "payment_id": str(payment_id or (sale.payment_id if sale else 999_999))
                },
                "decline_code": "card_declined" if status == "failed" else None,
                "created": int(time.time()),
            }
        },
    }
    return json.dumps(document).encode()


def signed(body: bytes, secret: str = SECRET, **kwargs: Any) -> dict[str, str]:
    return {"Pos-Signature": sign(body, secret, **kwargs), "Content-Type": "application/json"}


def payment_row(store: Store, payment_id: int) -> Any:
    return rows(store, Payment, Payment.id == payment_id)[0]


def inventory_of(store: Store, product_id: int) -> tuple[int, int]:
    row = rows(store, Inventory, Inventory.product_id == product_id)[0]
    return row.available, row.reserved


def snapshot(store: Store) -> tuple[object, ...]:
    """Everything a refused request must leave as it was."""
    with store.engine.execution_options(**{READ_ONLY: True}).connect() as connection:
        return (
            connection.execute(select(func.count()).select_from(PaymentEvent)).scalar_one(),
            sorted(connection.execute(select(Payment.id, Payment.status, Payment.review_reason))),
            sorted(connection.execute(select(Order.id, Order.status, Order.receipt_number))),
            sorted(
                connection.execute(
                    select(Inventory.product_id, Inventory.available, Inventory.reserved)
                )
            ),
            connection.execute(select(func.count()).select_from(Receipt)).scalar_one(),
        )


@dataclass
class Counting:
    """A unit-of-work factory that counts how often the listener opened the store."""

    store: Store
    clock: FakeClock
    opened: int = 0
    broken: bool = False
    broken_store: Any = None
    received: list[EventReceipt] = field(default_factory=list)

    def __call__(self) -> UnitOfWork:
        self.opened += 1
        if self.broken:
            return UnitOfWork(self.broken_store, self.clock)
        return UnitOfWork(self.store.engine, self.clock)


@pytest.fixture
def opened(store: Store, clock: FakeClock) -> Counting:
    return Counting(store, clock)


@pytest.fixture
def secrets() -> list[str]:
    """The secrets the till holds now; a test may rotate them while the listener runs."""
    return [SECRET]


@pytest.fixture
def listener(opened: Counting, secrets: list[str]) -> Iterator[WebhookListener]:
    with WebhookListener(
        opened, lambda: tuple(secrets), on_event=opened.received.append
    ) as serving:
        yield serving


@pytest.fixture
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session


def raw_request(port: int, request: bytes) -> int:
    """Send bytes as they are (a lying Content-Length) and return the status code."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as connection:
        connection.sendall(request)
        answer = b""
        while b"\r\n" not in answer:
            chunk = connection.recv(4096)
            if not chunk:
                break
            answer += chunk
    return int(answer.split(b" ", 2)[1])


# -- accepted events ---------------------------------------------------------------------


def test_a_signed_event_settles_the_card_sale(
    uow: UnitOfWork,
    shelf: Shelf,
    store: Store,
    listener: WebhookListener,
    opened: Counting,
    http: requests.Session,
) -> None:
    sale = card_sale(uow, shelf)
    assert inventory_of(store, sale.product_id) == (8, 2)
    assert listener.last_event_at is None
    body = event_body(sale)

    answer = http.post(listener.url, data=body, headers=signed(body))

    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == "application/json"
    assert answer.json() == {"received": True, "outcome": "applied", "duplicate": False}
    payment = payment_row(store, sale.payment_id)
    assert payment.status == PaymentStatus.PAID
    assert payment.settled_by == Settler.WEBHOOK
    order = rows(store, Order, Order.id == payment.order_id)[0]
    assert order.status == OrderStatus.PAID
    assert order.receipt_number is not None
    assert count(store, Receipt) == 1
    assert inventory_of(store, sale.product_id) == (8, 0)  # the held units were sold
    event = rows(store, PaymentEvent)[0]
    assert (event.event_id, event.outcome, event.payment_id) == (
        "evt_0001",
        EventOutcome.APPLIED,
        sale.payment_id,
    )
    assert event.payload == body.decode()
    assert listener.last_event_at is not None
    assert [r.outcome for r in opened.received] == [EventOutcome.APPLIED]
    assert opened.received[0].status == PaymentStatus.PAID
    assert_invariants(store.engine)


@pytest.mark.parametrize("header", ["Pos-Signature", "Stripe-Signature"])
def test_an_event_signed_by_stripes_own_library_is_accepted(
    uow: UnitOfWork,
    shelf: Shelf,
    store: Store,
    listener: WebhookListener,
    http: requests.Session,
    header: str,
) -> None:
    sale = card_sale(uow, shelf)
    body = event_body(sale)
    signature = stripe.WebhookSignature.generate_signature_header(body.decode(), SECRET)

    answer = http.post(listener.url, data=body, headers={header: signature})

    assert answer.status_code == 200, answer.text
    assert payment_row(store, sale.payment_id).status == PaymentStatus.PAID


def test_the_stripe_signature_header_carries_our_own_signature(
    uow: UnitOfWork, shelf: Shelf, store: Store, listener: WebhookListener, http: requests.Session
) -> None:
    sale = card_sale(uow, shelf)
    body = event_body(sale)

    answer = http.post(listener.url, data=body, headers={"Stripe-Signature": sign(body, SECRET)})

    assert answer.status_code == 200, answer.text
    assert payment_row(store, sale.payment_id).status == PaymentStatus.PAID


def test_both_secrets_verify_while_one_is_rotated_out(
    uow: UnitOfWork,
    shelf: Shelf,
    store: Store,
    listener: WebhookListener,
    secrets: list[str],
    http: requests.Session,
) -> None:
    secrets[:] = [OLD_SECRET, SECRET]
    first, second, third = (card_sale(uow, shelf) for _ in range(3))
    by_old = event_body(first, event_id="evt_old")
    by_new = event_body(second, event_id="evt_new")

    assert http.post(listener.url, data=by_old, headers=signed(by_old, OLD_SECRET)).ok
    assert http.post(listener.url, data=by_new, headers=signed(by_new, SECRET)).ok
    secrets[:] = [SECRET]  # the old secret is retired while the listener runs
    late = event_body(third, event_id="evt_late")
    refused = http.post(listener.url, data=late, headers=signed(late, OLD_SECRET))

    assert refused.status_code == 400
    assert payment_row(store, first.payment_id).status == PaymentStatus.PAID
    assert payment_row(store, second.payment_id).status == PaymentStatus.PAID
    assert payment_row(store, third.payment_id).status == PaymentStatus.PENDING


def test_a_header_with_two_signatures_verifies_by_either(
    uow: UnitOfWork, shelf: Shelf, store: Store, listener: WebhookListener, http: requests.Session
) -> None:
    sale = card_sale(uow, shelf)
    body = event_body(sale)
    t = int(time.time())
    by_retired = sign(body, "whsec_no_longer_held", timestamp=t)
    by_current = sign(body, SECRET, timestamp=t).split(",")[1]

    answer = http.post(
        listener.url, data=body, headers={"Pos-Signature": f"{by_retired},{by_current}"}
    )

    assert answer.status_code == 200, answer.text
    assert payment_row(store, sale.payment_id).status == PaymentStatus.PAID


def test_a_redelivered_event_is_answered_and_ignored(
    uow: UnitOfWork, shelf: Shelf, store: Store, listener: WebhookListener, http: requests.Session
) -> None:
    sale = card_sale(uow, shelf)
    body = event_body(sale)
    assert http.post(listener.url, data=body, headers=signed(body)).ok
    after_first = snapshot(store)

    again = http.post(listener.url, data=body, headers=signed(body))

    assert again.status_code == 200
    assert again.json() == {"received": True, "outcome": "applied", "duplicate": True}
    assert snapshot(store) == after_first
    assert count(store, PaymentEvent) == 1
    assert count(store, Receipt) == 1
    assert inventory_of(store, sale.product_id) == (8, 0)


def test_an_event_for_an_unknown_payment_is_kept_unmatched(
    store: Store, listener: WebhookListener, http: requests.Session
) -> None:
    body = event_body(None, event_id="evt_stranger")

    answer = http.post(listener.url, data=body, headers=signed(body))

    assert answer.status_code == 200
    assert answer.json()["outcome"] == "unmatched"
    event = rows(store, PaymentEvent)[0]
    assert (event.event_id, event.outcome, event.payment_id) == (
        "evt_stranger",
        EventOutcome.UNMATCHED,
        None,
    )


def test_an_event_for_another_amount_is_not_applied_but_flagged(
    uow: UnitOfWork, shelf: Shelf, store: Store, listener: WebhookListener, http: requests.Session
) -> None:
    sale = card_sale(uow, shelf)
    body = event_body(sale, amount_minor=sale.amount_minor - 100)

    answer = http.post(listener.url, data=body, headers=signed(body))

    assert answer.status_code == 200
    assert answer.json()["outcome"] == "mismatch"
    payment = payment_row(store, sale.payment_id)
    assert payment.status == PaymentStatus.PENDING
    assert payment.review_reason is not None
    assert count(store, Receipt) == 0
    assert inventory_of(store, sale.product_id) == (8, 2)  # still held, not sold


def test_a_failed_event_after_paid_leaves_the_sale_paid(
    uow: UnitOfWork, shelf: Shelf, store: Store, listener: WebhookListener, http: requests.Session
) -> None:
    sale = card_sale(uow, shelf)
    paid = event_body(sale, event_id="evt_paid")
    failed = event_body(sale, event_id="evt_failed", kind="payment.failed")
    assert http.post(listener.url, data=paid, headers=signed(paid)).ok

    answer = http.post(listener.url, data=failed, headers=signed(failed))

    assert answer.status_code == 200
    assert answer.json() == {"received": True, "outcome": "ignored", "duplicate": False}
    assert payment_row(store, sale.payment_id).status == PaymentStatus.PAID
    assert count(store, Receipt) == 1
    assert inventory_of(store, sale.product_id) == (8, 0)
    assert_invariants(store.engine)


def test_ten_deliveries_at_once_settle_the_sale_once(
    uow: UnitOfWork, shelf: Shelf, store: Store, listener: WebhookListener
) -> None:
    sale = card_sale(uow, shelf, quantity=3)
    body = event_body(sale)
    headers = signed(body)
    start = threading.Barrier(10)
    answers: list[Any] = []

    def deliver() -> None:
        with requests.Session() as session:
            start.wait(timeout=10)
            answer = session.post(listener.url, data=body, headers=headers, timeout=30)
            answers.append((answer.status_code, answer.json()))

    senders = [threading.Thread(target=deliver) for _ in range(10)]
    for sender in senders:
        sender.start()
    for sender in senders:
        sender.join(timeout=60)

    assert [status for status, _ in answers] == [200] * 10, answers
    assert sorted(document["duplicate"] for _, document in answers) == [False] + [True] * 9
    assert count(store, PaymentEvent) == 1
    assert count(store, Receipt) == 1
    assert inventory_of(store, sale.product_id) == (7, 0)  # three units sold, once
    assert payment_row(store, sale.payment_id).status == PaymentStatus.PAID
    assert_invariants(store.engine)


# -- refused requests: a 4xx, and the store untouched ------------------------------------

Refusal = Callable[[WebhookListener, requests.Session, CardSale], requests.Response | int]


def _forged(listener: WebhookListener, http: requests.Session, sale: CardSale) -> Any:
    body = event_body(sale)
    return http.post(listener.url, data=body, headers=signed(body, "whsec_guessed"))


def _unsigned(listener: WebhookListener, http: requests.Session, sale: CardSale) -> Any:
    return http.post(listener.url, data=event_body(sale))


def _stale(listener: WebhookListener, http: requests.Session, sale: CardSale) -> Any:
    body = event_body(sale)
    return http.post(
        listener.url, data=body, headers=signed(body, timestamp=int(time.time()) - 301)
    )


def _from_the_future(listener: WebhookListener, http: requests.Session, sale: CardSale) -> Any:
    body = event_body(sale)
    return http.post(
        listener.url, data=body, headers=signed(body, timestamp=int(time.time()) + 301)
    )


def _body_changed_after_signing(
    listener: WebhookListener, http: requests.Session, sale: CardSale
) -> Any:
    headers = signed(event_body(sale, amount_minor=1))
    return http.post(listener.url, data=event_body(sale), headers=headers)


def _signed_but_broken_json(
    listener: WebhookListener, http: requests.Session, sale: CardSale
) -> Any:
    body = event_body(sale)[:-1]
    return http.post(listener.url, data=body, headers=signed(body))


def _signed_but_amount_is_text(
    listener: WebhookListener, http: requests.Session, sale: CardSale
) -> Any:
    body = event_body(sale).replace(
        f'"amount": {sale.amount_minor}'.encode(), f'"amount": "{sale.amount_minor}"'.encode()
    )
    assert body != event_body(sale)
    return http.post(listener.url, data=body, headers=signed(body))


def _signed_but_no_payment_id(
    listener: WebhookListener, http: requests.Session, sale: CardSale
) -> Any:
    document = json.loads(event_body(sale))
    del document["data"]["object"]["id"]
    body = json.dumps(document).encode()
    return http.post(listener.url, data=body, headers=signed(body))


def _declared_too_large(listener: WebhookListener, http: requests.Session, sale: CardSale) -> int:
    body = event_body(sale)
    head = (
        f"POST {WEBHOOK_PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Pos-Signature: {sign(body, SECRET)}\r\nContent-Length: {64 * 1024 + 1}\r\n\r\n"
    )
    return raw_request(listener.port, head.encode() + body)


def _too_large(listener: WebhookListener, http: requests.Session, sale: CardSale) -> Any:
    # Valid JSON, validly signed, and one byte over the limit.
    body = event_body(sale)
    body = body[:-1] + b" " * (64 * 1024 + 1 - len(body)) + b"}"
    return http.post(listener.url, data=body, headers=signed(body))


def _too_large_in_chunks(listener: WebhookListener, http: requests.Session, sale: CardSale) -> Any:
    # No Content-Length at all: the body itself has to be counted.
    return http.post(listener.url, data=iter([b"{" + b" " * 1023] * 65), headers=signed(b"{"))


def _get_on_the_webhook(listener: WebhookListener, http: requests.Session, sale: CardSale) -> Any:
    return http.get(listener.url)


def _put_on_the_webhook(listener: WebhookListener, http: requests.Session, sale: CardSale) -> Any:
    body = event_body(sale)
    return http.put(listener.url, data=body, headers=signed(body))


def _post_on_healthz(listener: WebhookListener, http: requests.Session, sale: CardSale) -> Any:
    body = event_body(sale)
    return http.post(
        listener.url.replace(WEBHOOK_PATH, HEALTH_PATH), data=body, headers=signed(body)
    )


def _elsewhere(listener: WebhookListener, http: requests.Session, sale: CardSale) -> Any:
    body = event_body(sale)
    return http.post(listener.url + "/", data=body, headers=signed(body))


REFUSALS: dict[str, tuple[Refusal, int]] = {
    "forged": (_forged, 400),
    "unsigned": (_unsigned, 400),
    "stale": (_stale, 400),
    "from the future": (_from_the_future, 400),
    "body changed after signing": (_body_changed_after_signing, 400),
    "signed, broken JSON": (_signed_but_broken_json, 400),
    "signed, amount as text": (_signed_but_amount_is_text, 400),
    "signed, no terminal payment id": (_signed_but_no_payment_id, 400),
    "Content-Length over the limit": (_declared_too_large, 413),
    "body over the limit": (_too_large, 413),
    "chunked body over the limit": (_too_large_in_chunks, 413),
    "GET on the webhook": (_get_on_the_webhook, 405),
    "PUT on the webhook": (_put_on_the_webhook, 405),
    "POST on healthz": (_post_on_healthz, 405),
    "another path": (_elsewhere, 404),
}


@pytest.mark.parametrize("refusal", REFUSALS.values(), ids=REFUSALS.keys())
def test_a_refused_request_changes_nothing(
    uow: UnitOfWork,
    shelf: Shelf,
    store: Store,
    listener: WebhookListener,
    opened: Counting,
    http: requests.Session,
    refusal: tuple[Refusal, int],
) -> None:
    send, expected = refusal
    sale = card_sale(uow, shelf)
    before = snapshot(store)

    answer = send(listener, http, sale)

    status = answer if isinstance(answer, int) else answer.status_code
    assert status == expected
    if not isinstance(answer, int) and status != 413:  # waitress words its own 413
        assert "error" in answer.json()
        assert SECRET not in answer.text
    if status == 405:
        assert answer.headers["Allow"] in {"POST", "GET"}
    assert opened.opened == 0, "a refused request opened the store"
    assert snapshot(store) == before
    assert listener.last_event_at is None


def test_without_a_secret_the_listener_asks_for_the_event_again(
    uow: UnitOfWork,
    shelf: Shelf,
    store: Store,
    listener: WebhookListener,
    secrets: list[str],
    opened: Counting,
    http: requests.Session,
) -> None:
    sale = card_sale(uow, shelf)
    body = event_body(sale)
    secrets.clear()
    before = snapshot(store)

    answer = http.post(listener.url, data=body, headers=signed(body))

    # Not the sender's fault: a 5xx keeps it retrying until the till has its secret.
    assert answer.status_code == 503
    assert snapshot(store) == before
    assert opened.opened == 0
    secrets.append(SECRET)
    assert http.post(listener.url, data=body, headers=signed(body)).status_code == 200
    assert payment_row(store, sale.payment_id).status == PaymentStatus.PAID


def test_a_store_failure_answers_500_and_the_retry_settles_the_sale(
    uow: UnitOfWork,
    shelf: Shelf,
    store: Store,
    listener: WebhookListener,
    opened: Counting,
    http: requests.Session,
    tmp_path: Any,
) -> None:
    sale = card_sale(uow, shelf)
    body = event_body(sale)
    opened.broken_store = make_engine(f"sqlite:///{tmp_path}/no/such/dir/store.sqlite3")
    opened.broken = True

    failed = http.post(listener.url, data=body, headers=signed(body))

    assert failed.status_code == 500
    assert failed.json()["error"]["type"] == "store_unavailable"
    assert payment_row(store, sale.payment_id).status == PaymentStatus.PENDING
    opened.broken = False
    retried = http.post(listener.url, data=body, headers=signed(body))
    assert retried.json() == {"received": True, "outcome": "applied", "duplicate": False}
    assert payment_row(store, sale.payment_id).status == PaymentStatus.PAID
    opened.broken_store.dispose()


def test_an_event_the_store_refuses_answers_400(
    store: Store, opened: Counting, http: requests.Session
) -> None:
    # A provider name longer than the store keeps: the reconciler refuses the event.
    with WebhookListener(opened, lambda: [SECRET], provider="p" * 40) as listener:
        body = event_body(None)
        answer = http.post(listener.url, data=body, headers=signed(body))

    assert answer.status_code == 400
    assert answer.json()["error"]["type"] == "invalid_details"
    assert count(store, PaymentEvent) == 0


def test_healthz_answers_ok(listener: WebhookListener, http: requests.Session) -> None:
    answer = http.get(listener.url.replace(WEBHOOK_PATH, HEALTH_PATH))

    assert answer.status_code == 200
    assert answer.json() == {"status": "ok"}


def test_head_gets_no_body_so_the_connection_stays_usable(
    listener: WebhookListener, http: requests.Session
) -> None:
    refused = http.head(listener.url)
    after = http.get(listener.url.replace(WEBHOOK_PATH, HEALTH_PATH))

    assert (refused.status_code, refused.headers["Allow"], refused.content) == (405, "POST", b"")
    assert after.json() == {"status": "ok"}


def test_the_listener_stops_and_frees_its_port(opened: Counting) -> None:
    listener = WebhookListener(opened, lambda: [SECRET]).start()
    port = listener.port
    assert requests.get(f"http://127.0.0.1:{port}{HEALTH_PATH}", timeout=5).ok

    listener.stop()

    with pytest.raises(requests.ConnectionError):
        requests.get(f"http://127.0.0.1:{port}{HEALTH_PATH}", timeout=5)


# -- the application and the parser on their own ------------------------------------------


def call(
    app: WebhookApp, method: str, path: str, body: bytes = b"", **headers: str
) -> tuple[str, dict[str, str], Any]:
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "wsgi.input": io.BytesIO(body),
        **{f"HTTP_{name.upper()}": text for name, text in headers.items()},
    }
    answered: list[Any] = []
    chunks = app(
        environ, lambda status, response_headers: answered.append((status, response_headers))
    )
    status, response_headers = answered[0]
    return status, dict(response_headers), json.loads(b"".join(chunks))


def test_the_app_counts_a_body_that_comes_without_a_length() -> None:
    def no_store() -> UnitOfWork:
        raise AssertionError("the store was opened")

    app = WebhookApp(no_store, lambda: [SECRET], max_body=1024)
    body = b"{" + b" " * 1024 + b"}"

    status, _, document = call(app, "POST", WEBHOOK_PATH, body, POS_SIGNATURE=sign(body, SECRET))

    assert status.startswith("413")
    assert document["error"]["type"] == "too_large"


def test_the_app_refuses_a_signature_outside_its_clock() -> None:
    def no_store() -> UnitOfWork:
        raise AssertionError("the store was opened")

    body = event_body(None)
    header = sign(body, SECRET, timestamp=1_000_000)
    app = WebhookApp(no_store, lambda: [SECRET], clock=lambda: 1_000_000 + 301)

    status, _, document = call(app, "POST", WEBHOOK_PATH, body, POS_SIGNATURE=header)

    assert status.startswith("400")
    assert document["error"]["type"] == "invalid_signature"


MALFORMED: dict[str, bytes] = {
    "not UTF-8": b'{"id": "\xff"}',
    "not an object": b"[]",
    "NaN": b'{"id": NaN}',
    "duplicate key": b'{"id": "evt_1", "id": "evt_2"}',
    "deep nesting": b"[" * 100_000,
}


def valid_document() -> dict[str, Any]:
    return json.loads(event_body(None))


def mutated(path: str, replacement: object) -> bytes:
    document = valid_document()
    *parents, last = path.split(".")
    target = document
    for key in parents:
        target = target[key]
    if replacement is KeyError:
        del target[last]
    else:
        target[last] = replacement
    return json.dumps(document).encode()


MUTATIONS: list[tuple[str, object]] = [
    ("id", KeyError),
    ("id", ""),
    ("id", "evt 1"),
    ("id", "e" * 256),
    ("id", 7),
    ("type", "payment.refunded"),
    ("type", None),
    ("created", KeyError),
    ("created", "1764250000"),
    ("created", True),
    ("data", []),
    ("data.object", "pay_1"),
    ("data.object.id", "p" * 129),
    ("data.object.id", "pay_\u0130"),
    ("data.object.amount", True),
    ("data.object.amount", 12.5),
    ("data.object.amount", -1),
    ("data.object.amount", 10**15 + 1),
    ("data.object.amount", KeyError),
    ("data.object.currency", "try"),
    ("data.object.currency", "TRYX"),
    ("data.object.metadata", ["payment_id"]),
    ("data.object.metadata.payment_id", "0"),
    ("data.object.metadata.payment_id", "042"),
    ("data.object.metadata.payment_id", "4 2"),
    ("data.object.metadata.payment_id", -42),
    ("data.object.metadata.payment_id", True),
    ("data.object.metadata.payment_id", None),
    ("data.object.metadata.payment_id", 2**31),
]


@pytest.mark.parametrize("body", [*MALFORMED.values(), *(mutated(*m) for m in MUTATIONS)])
def test_the_parser_refuses_what_is_not_a_payment_event(body: bytes) -> None:
    with pytest.raises(EventFormatError):
        parse_webhook(body, provider="terminal")


@pytest.mark.parametrize(("payment_id", "expected"), [("42", 42), (42, 42), (KeyError, None)])
def test_the_parser_reads_our_payment_id(payment_id: object, expected: int | None) -> None:
    body = mutated("data.object.metadata.payment_id", payment_id)

    event = parse_webhook(body, provider="terminal")

    assert event.payment_id == expected
    assert (event.event_id, event.type, event.source) == (
        "evt_0001",
        "payment.succeeded",
        Settler.WEBHOOK,
    )
    assert (event.terminal_payment_id, event.amount_minor, event.currency) == (
        "pay_unknown",
        100,
        "TRY",
    )
    assert event.payload == body.decode()


@pytest.mark.parametrize("status", list(TerminalStatus))
def test_a_polled_payment_becomes_an_event_named_by_its_status(status: TerminalStatus) -> None:
    payment = TerminalPayment(
        id="pay_7",
        status=status,
        amount_minor=5500,
        currency="TRY",
        idempotency_key="k",
        metadata={"payment_id": "7", "order_id": "x"},
    )

    event = event_from_terminal(payment, provider="terminal")

    assert event.event_id == f"poll:pay_7:{status.value}"
    assert event.type == f"payment.{status.value}"
    assert (event.payment_id, event.source, event.amount_minor) == (7, Settler.POLL, 5500)
    assert json.loads(event.payload)["status"] == status.value
