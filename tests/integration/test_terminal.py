"""The HTTP terminal adapter against the terminal simulator, over real HTTP on 127.0.0.1.

Every scenario of the simulator is driven through HttpTerminal, and its webhooks land on a
receiver that checks their signatures. Small WSGI servers of our own play a gateway that
fails in the ways a real one does (5xx, a stalled body, a malformed answer).
"""

from __future__ import annotations

import itertools
import json
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests

from pos.payments.http import HttpTerminal
from pos.payments.signatures import SignatureError, verify
from pos.payments.simulator import SIGNATURE_HEADER, BackgroundServer, TerminalSimulator
from pos.payments.terminal import (
    PaymentTerminal,
    TerminalConflict,
    TerminalPayment,
    TerminalRejected,
    TerminalStatus,
    TerminalUnavailable,
)

API_KEY = "sk_test_till"
SECRET = "whsec_test"
DECISION = 0.05
LATE = 0.3
App = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


@contextmanager
def serving(app: App) -> Iterator[str]:
    """Serve a WSGI app on a free port of 127.0.0.1; yields its base URL."""
    server = BackgroundServer(app, "127.0.0.1", 0, name="test-server", threads=4)
    try:
        yield server.url
    finally:
        server.stop()


def wait_until(condition: Callable[[], object], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.01)


def respond(start_response: Callable[..., Any], status: str, document: object) -> list[bytes]:
    body = json.dumps(document).encode()
    start_response(
        status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    )
    return [body]


def payment_document(key: str = "k", status: str = "pending", amount: int = 1000) -> dict:
    return {
        "id": "pay_fromthegateway",
        "object": "payment",
        "status": status,
        "amount": amount,
        "currency": "TRY",
        "idempotency_key": key,
        "metadata": {"payment_id": "1"},
        "decline_code": None,
        "created": 1,
    }


# -- a webhook receiver --------------------------------------------------------------------


@dataclass
class Delivery:
    event: dict[str, Any]
    body: bytes
    verified: bool
    at: float


@dataclass
class Receiver:
    """Records every webhook delivery; answers 500 to the first ``failures`` of them."""

    failures: int = 0
    deliveries: list[Delivery] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        header = environ.get("HTTP_" + SIGNATURE_HEADER.upper().replace("-", "_"))
        try:
            verify(body, header, [SECRET])
            verified = True
        except SignatureError:
            verified = False
        with self.lock:
            self.deliveries.append(Delivery(json.loads(body), body, verified, time.monotonic()))
            failing = len(self.deliveries) <= self.failures
        if failing:
            return respond(start_response, "500 Internal Server Error", {"error": "down"})
        return respond(start_response, "200 OK", {"received": True})

    def of(self, payment_id: str) -> list[Delivery]:
        with self.lock:
            return [d for d in self.deliveries if d.event["data"]["object"]["id"] == payment_id]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    with serving(receiver) as url:
        receiver.url = url + "/webhook/payment"
        yield receiver


@pytest.fixture
def simulator(receiver: Receiver) -> Iterator[TerminalSimulator]:
    with TerminalSimulator(
        api_key=API_KEY,
        webhook_url=receiver.url,
        webhook_secret=SECRET,
        decision_delay=DECISION,
        late_delay=LATE,
        webhook_retry_base=0.02,
        webhook_max_attempts=4,
    ) as simulator:
        yield simulator


@pytest.fixture
def terminal(simulator: TerminalSimulator) -> Iterator[HttpTerminal]:
    terminal = HttpTerminal(
        simulator.url, API_KEY, connect_timeout=1, read_timeout=2, retries=2, backoff=0.01
    )
    yield terminal
    terminal.close()


def start(terminal: PaymentTerminal, amount: int, key: str | None = None) -> TerminalPayment:
    return terminal.start_payment(
        amount_minor=amount,
        currency="TRY",
        idempotency_key=key or uuid.uuid4().hex,
        payment_id=42,
        order_id=uuid.UUID("6f1c2a34-0000-4000-8000-000000000001"),
    )


def settled(terminal: PaymentTerminal, payment: TerminalPayment) -> TerminalPayment:
    wait_until(lambda: terminal.get_payment(payment.id).status is not TerminalStatus.PENDING)
    return terminal.get_payment(payment.id)


# -- the protocol through the adapter ------------------------------------------------------


def test_a_payment_starts_pending_with_our_metadata_and_is_approved(terminal, receiver):
    payment = start(terminal, 1000, key="key-1")
    assert payment.id.startswith("pay_")
    assert payment.status is TerminalStatus.PENDING
    assert (payment.amount_minor, payment.currency, payment.idempotency_key) == (
        1000,
        "TRY",
        "key-1",
    )
    assert payment.metadata == {
        "payment_id": "42",
        "order_id": "6f1c2a34-0000-4000-8000-000000000001",
    }
    assert settled(terminal, payment).status is TerminalStatus.SUCCEEDED
    wait_until(lambda: receiver.of(payment.id))
    [delivery] = receiver.of(payment.id)
    assert delivery.verified
    assert delivery.event["type"] == "payment.succeeded"
    assert delivery.event["id"].startswith("evt_")
    assert delivery.event["data"]["object"]["status"] == "succeeded"
    assert delivery.event["data"]["object"]["metadata"]["payment_id"] == "42"


def test_cancelling_a_pending_payment_cancels_it(terminal, receiver):
    payment = start(terminal, 1092)
    cancelled = terminal.cancel_payment(payment.id)
    assert cancelled.status is TerminalStatus.CANCELLED
    assert terminal.get_payment(payment.id).status is TerminalStatus.CANCELLED
    wait_until(lambda: receiver.of(payment.id))
    assert [d.event["type"] for d in receiver.of(payment.id)] == ["payment.cancelled"]


def test_cancelling_before_the_decision_wins_over_the_decision(terminal, receiver):
    payment = start(terminal, 1000)
    terminal.cancel_payment(payment.id)
    time.sleep(DECISION * 4)
    assert terminal.get_payment(payment.id).status is TerminalStatus.CANCELLED
    assert [d.event["type"] for d in receiver.of(payment.id)] == ["payment.cancelled"]


def test_cancelling_a_final_payment_answers_it_unchanged(terminal):
    payment = settled(terminal, start(terminal, 1000))
    assert terminal.cancel_payment(payment.id).status is TerminalStatus.SUCCEEDED
    assert terminal.get_payment(payment.id).status is TerminalStatus.SUCCEEDED


def test_the_same_key_and_body_replays_the_same_payment(terminal, simulator):
    first = start(terminal, 1000, key="replayed")
    again = start(terminal, 1000, key="replayed")
    assert again.id == first.id
    other = start(terminal, 1000, key="another")
    assert other.id != first.id


def test_the_same_key_with_another_body_is_a_conflict_and_not_retried(terminal, simulator):
    start(terminal, 1000, key="shared")
    seen = simulator.requests_seen
    with pytest.raises(TerminalConflict) as raised:
        start(terminal, 2000, key="shared")
    assert raised.value.status_code == 409
    assert "different request" in raised.value.reason
    assert simulator.requests_seen == seen + 1


def test_a_wrong_api_key_is_rejected_once_and_never_retried(simulator):
    stranger = HttpTerminal(simulator.url, "sk_wrong", retries=3, backoff=0.01)
    seen = simulator.requests_seen
    with pytest.raises(TerminalRejected) as raised:
        start(stranger, 1000)
    assert raised.value.status_code == 401
    assert not isinstance(raised.value, TerminalConflict)
    assert simulator.requests_seen == seen + 1


def test_a_bad_request_is_rejected_once(terminal, simulator):
    seen = simulator.requests_seen
    with pytest.raises(TerminalRejected) as raised:
        terminal.start_payment(
            amount_minor=1000,
            currency="try",
            idempotency_key="k",
            payment_id=1,
            order_id=uuid.uuid4(),
        )
    assert raised.value.status_code == 400
    assert "currency" in raised.value.reason
    assert simulator.requests_seen == seen + 1


def test_an_unknown_payment_is_a_404(terminal):
    with pytest.raises(TerminalRejected) as raised:
        terminal.get_payment("pay_" + "0" * 24)
    assert raised.value.status_code == 404
    with pytest.raises(TerminalRejected) as raised:
        terminal.get_payment("../v1/payments")  # stays one path segment: no escape
    assert raised.value.status_code == 404


# -- what the simulator says on the wire ---------------------------------------------------


def test_the_wire_protocol(simulator):
    url = simulator.url + "/v1/payments"
    auth = {"Authorization": f"Bearer {API_KEY}"}
    body = {"amount": 1000, "currency": "TRY", "metadata": {"payment_id": "7"}}

    created = requests.post(url, json=body, headers={**auth, "Idempotency-Key": "w"}, timeout=5)
    replayed = requests.post(url, json=body, headers={**auth, "Idempotency-Key": "w"}, timeout=5)
    assert (created.status_code, replayed.status_code) == (201, 200)
    assert created.json()["id"] == replayed.json()["id"]
    assert set(created.json()) == {
        "id",
        "object",
        "status",
        "amount",
        "currency",
        "idempotency_key",
        "metadata",
        "decline_code",
        "created",
    }

    def error(response: requests.Response) -> tuple[int, str]:
        return response.status_code, response.json()["error"]["type"]

    assert error(requests.post(url, json=body, timeout=5)) == (401, "authentication_error")
    assert error(requests.post(url, json=body, headers=auth, timeout=5)) == (
        400,
        "invalid_request_error",
    )
    key = {**auth, "Idempotency-Key": "x" * 256}
    assert error(requests.post(url, json=body, headers=key, timeout=5))[0] == 400
    key = {**auth, "Idempotency-Key": "fresh"}
    for bad in [
        {"amount": True, "currency": "TRY"},
        {"amount": -1, "currency": "TRY"},
        {"amount": 1, "currency": "TRY", "metadata": {"a": 1}},
        {"amount": 1, "currency": "TRY", "tip": 5},
        [1000],
    ]:
        assert error(requests.post(url, json=bad, headers=key, timeout=5))[0] == 400
    assert error(requests.post(url, data=b"{not json", headers=key, timeout=5))[0] == 400
    assert error(requests.get(url, headers=auth, timeout=5))[0] == 405
    assert error(requests.get(simulator.url + "/elsewhere", headers=auth, timeout=5))[0] == 404


# -- scenarios by the amount's last two digits ---------------------------------------------


def test_91_is_declined(terminal, receiver):
    payment = settled(terminal, start(terminal, 1291))
    assert payment.status is TerminalStatus.FAILED
    assert payment.decline_code == "card_declined"
    wait_until(lambda: receiver.of(payment.id))
    [delivery] = receiver.of(payment.id)
    assert delivery.event["type"] == "payment.failed"
    assert delivery.event["data"]["object"]["decline_code"] == "card_declined"


def test_92_stays_pending_until_cancelled(terminal, receiver):
    payment = start(terminal, 1292)
    approved = start(terminal, 1200)
    wait_until(lambda: receiver.of(approved.id))
    time.sleep(DECISION * 2)
    assert terminal.get_payment(payment.id).status is TerminalStatus.PENDING
    assert receiver.of(payment.id) == []
    assert terminal.cancel_payment(payment.id).status is TerminalStatus.CANCELLED


def test_93_delivers_the_same_event_twice(terminal, receiver):
    payment = settled(terminal, start(terminal, 1293))
    assert payment.status is TerminalStatus.SUCCEEDED
    wait_until(lambda: len(receiver.of(payment.id)) == 2)
    first, second = receiver.of(payment.id)
    assert first.event["id"] == second.event["id"]
    assert first.body == second.body
    assert first.verified
    assert second.verified


def test_94_delivers_the_webhook_late(terminal, receiver):
    began = time.monotonic()
    payment = settled(terminal, start(terminal, 1294))
    assert payment.status is TerminalStatus.SUCCEEDED
    assert receiver.of(payment.id) == []  # polling knows before the webhook says
    wait_until(lambda: receiver.of(payment.id))
    [delivery] = receiver.of(payment.id)
    assert delivery.at - began >= DECISION + LATE
    assert delivery.event["type"] == "payment.succeeded"


def test_95_sends_failed_after_succeeded_but_stays_succeeded(terminal, receiver):
    payment = start(terminal, 1295)
    wait_until(lambda: len(receiver.of(payment.id)) == 2)
    succeeded, failed = receiver.of(payment.id)
    assert (succeeded.event["type"], failed.event["type"]) == (
        "payment.succeeded",
        "payment.failed",
    )
    assert succeeded.event["id"] != failed.event["id"]
    assert failed.event["data"]["object"]["status"] == "failed"
    assert succeeded.verified
    assert failed.verified
    assert terminal.get_payment(payment.id).status is TerminalStatus.SUCCEEDED


def test_96_never_sends_a_webhook_so_only_polling_finds_it(terminal, receiver):
    silent = start(terminal, 1296)
    loud = start(terminal, 1297)
    assert settled(terminal, silent).status is TerminalStatus.SUCCEEDED
    wait_until(lambda: receiver.of(loud.id))
    time.sleep(DECISION * 2)
    assert receiver.of(silent.id) == []
    terminal.cancel_payment(silent.id)
    time.sleep(DECISION)
    assert receiver.of(silent.id) == []


def test_a_webhook_is_retried_until_it_is_answered_2xx(terminal, receiver, simulator):
    receiver.failures = 2
    payment = start(terminal, 1000)
    wait_until(lambda: len(receiver.of(payment.id)) == 3)
    time.sleep(0.1)  # a delivered webhook is not sent again
    deliveries = receiver.of(payment.id)
    assert len(deliveries) == 3
    assert len({d.body for d in deliveries}) == 1
    assert all(d.verified for d in deliveries)
    gaps = [b.at - a.at for a, b in itertools.pairwise(deliveries)]
    assert gaps[0] >= 0.02
    assert gaps[1] >= 0.04
    assert simulator.webhook_attempts == 3


def test_a_webhook_is_given_up_after_the_last_attempt(terminal, receiver, simulator):
    receiver.failures = 1000
    payment = start(terminal, 1000)
    wait_until(lambda: len(receiver.of(payment.id)) == simulator.webhook_max_attempts)
    time.sleep(0.25)  # a fifth attempt would have come 0.16 s after the fourth
    assert len(receiver.of(payment.id)) == simulator.webhook_max_attempts == 4


def test_without_a_webhook_url_the_simulator_only_answers_polls(receiver):
    with TerminalSimulator(
        api_key=API_KEY, webhook_url=None, webhook_secret=None, decision_delay=DECISION
    ) as simulator:
        terminal = HttpTerminal(simulator.url, API_KEY)
        payment = settled(terminal, start(terminal, 1000))
        assert payment.status is TerminalStatus.SUCCEEDED
        assert simulator.webhook_attempts == 0


# -- a gateway that fails: retries keep the Idempotency-Key --------------------------------


@dataclass
class FlakyGateway:
    """Answers 503 ``failures`` times, then 201; records the Idempotency-Key of each call."""

    failures: int
    keys: list[str | None] = field(default_factory=list)
    bodies: list[bytes] = field(default_factory=list)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        self.keys.append(environ.get("HTTP_IDEMPOTENCY_KEY"))
        self.bodies.append(environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0)))
        if len(self.keys) <= self.failures:
            return respond(start_response, "503 Service Unavailable", {"error": {}})
        return respond(start_response, "201 Created", payment_document(self.keys[-1] or ""))


def test_5xx_is_retried_with_the_same_idempotency_key():
    gateway = FlakyGateway(failures=2)
    with serving(gateway) as url:
        payment = start(HttpTerminal(url, API_KEY, retries=3, backoff=0.01), 1000, key="same")
    assert payment.status is TerminalStatus.PENDING
    assert gateway.keys == ["same", "same", "same"]
    assert len(set(gateway.bodies)) == 1


def test_5xx_after_the_last_retry_is_unavailable():
    gateway = FlakyGateway(failures=100)
    with serving(gateway) as url, pytest.raises(TerminalUnavailable, match="HTTP 503"):
        start(HttpTerminal(url, API_KEY, retries=2, backoff=0.01), 1000, key="k")
    assert gateway.keys == ["k", "k", "k"]


@pytest.mark.parametrize("url", ["nonsense://till", "till-without-a-scheme"])
def test_a_request_that_cannot_be_sent_is_not_retried(url):
    terminal = HttpTerminal(url, API_KEY, retries=3, backoff=10)
    with pytest.raises(TerminalUnavailable, match="could not be sent"):
        terminal.get_payment("pay_x")


def test_a_key_that_cannot_be_a_header_is_not_retried(terminal):
    with pytest.raises(TerminalUnavailable, match="could not be sent"):
        start(terminal, 1000, key="two\nlines")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_dead_port_is_unavailable_after_the_retries():
    terminal = HttpTerminal(f"http://127.0.0.1:{free_port()}", API_KEY, retries=2, backoff=0.05)
    began = time.monotonic()
    with pytest.raises(TerminalUnavailable, match="after 3 attempt") as raised:
        start(terminal, 1000)
    assert "ConnectionError" in str(raised.value)
    assert time.monotonic() - began >= 0.05 + 0.1  # both backoff pauses were taken


def test_a_body_that_stalls_after_its_headers_is_retried():
    keys: list[str | None] = []

    def stalling(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        keys.append(environ.get("HTTP_IDEMPOTENCY_KEY"))
        body = json.dumps(payment_document(keys[-1] or "")).encode()
        start_response("201 Created", [("Content-Length", str(len(body)))])
        if len(keys) == 1:
            yield body[:10]
            time.sleep(0.3)  # past the read timeout, after the headers were sent
        yield body[10:] if len(keys) == 1 else body

    with serving(stalling) as url:
        terminal = HttpTerminal(url, API_KEY, read_timeout=0.1, retries=1, backoff=0.01)
        assert start(terminal, 1000, key="stall").id == "pay_fromthegateway"
    assert keys == ["stall", "stall"]


@pytest.mark.parametrize(
    ("answer", "complaint"),
    [
        (b"<html>gateway</html>", "not JSON"),
        (b"[]", "not a JSON object"),
        (b"{}", "no payment id"),
        (json.dumps({**payment_document(), "status": "maybe"}).encode(), "unknown status"),
        (json.dumps({**payment_document(), "status": ["x"]}).encode(), "unknown status"),
        (json.dumps({**payment_document(), "amount": "10.00"}).encode(), "amount"),
        (json.dumps({**payment_document(), "amount": True}).encode(), "amount"),
        (json.dumps({**payment_document(), "metadata": {"a": 1}}).encode(), "metadata"),
        (json.dumps({**payment_document(), "currency": None}).encode(), "currency"),
    ],
)
def test_a_malformed_success_is_unavailable_not_a_crash(answer, complaint):
    def gateway(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        start_response("200 OK", [("Content-Length", str(len(answer)))])
        return [answer]

    with serving(gateway) as url:
        terminal = HttpTerminal(url, API_KEY, retries=0)
        with pytest.raises(TerminalUnavailable, match=complaint):
            terminal.get_payment("pay_x")
