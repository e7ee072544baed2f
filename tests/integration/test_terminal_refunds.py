"""Refunds through the HTTP terminal adapter against the terminal simulator, over real HTTP.

Money goes back to a card at most once, whatever happens on the way: a replayed key, a
5xx, an answer that stalls or a connection cut while the answer arrives. Each refund's
webhook lands on a receiver that checks its signature, and is read as the till reads it.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests

from pos.domain.payments import RefundStatus, Settler
from pos.payments.events import event_from_refund, parse_webhook
from pos.payments.http import HttpTerminal
from pos.payments.terminal import (
    TerminalConflict,
    TerminalPayment,
    TerminalRefund,
    TerminalRefundStatus,
    TerminalRejected,
    TerminalStatus,
    TerminalUnavailable,
)
from tests.integration import test_terminal as terminal_tests
from tests.integration.test_terminal import (
    API_KEY,
    DECISION,
    LATE,
    respond,
    serving,
    settled,
    start,
    wait_until,
)

# The simulator, its webhook receiver and the adapter, as the payments' tests have them.
receiver = terminal_tests.receiver
simulator = terminal_tests.simulator
terminal = terminal_tests.terminal


def paid(terminal: HttpTerminal, amount: int = 1000) -> TerminalPayment:
    """A card payment the terminal has taken."""
    payment = settled(terminal, start(terminal, amount))
    assert payment.status is TerminalStatus.SUCCEEDED
    return payment


def refund(
    terminal: HttpTerminal,
    payment: TerminalPayment,
    amount: int,
    key: str | None = None,
    *,
    currency: str = "TRY",
    refund_id: int = 7,
) -> TerminalRefund:
    return terminal.refund_payment(
        payment.id,
        amount_minor=amount,
        currency=currency,
        idempotency_key=key or uuid.uuid4().hex,
        refund_id=refund_id,
        payment_id=42,
    )


def decided(terminal: HttpTerminal, answer: TerminalRefund) -> TerminalRefund:
    wait_until(lambda: terminal.get_refund(answer.id).status is not TerminalRefundStatus.PENDING)
    return terminal.get_refund(answer.id)


# -- a refund, its webhook and its poll ----------------------------------------------------


def test_a_refund_succeeds_and_its_signed_webhook_reads_as_a_refund_event(terminal, receiver):
    payment = paid(terminal)

    answer = refund(terminal, payment, 400, key="refund-7", refund_id=7)

    assert answer.id.startswith("re_")
    assert len(answer.id) == 3 + 24
    assert answer.status is TerminalRefundStatus.PENDING
    assert (answer.payment, answer.amount_minor, answer.currency) == (payment.id, 400, "TRY")
    assert answer.idempotency_key == "refund-7"
    assert answer.metadata == {"refund_id": "7", "payment_id": "42"}
    assert answer.failure_code is None
    assert decided(terminal, answer).status is TerminalRefundStatus.SUCCEEDED
    wait_until(lambda: receiver.of(answer.id))
    [delivery] = receiver.of(answer.id)
    assert delivery.verified
    assert delivery.event["data"]["object"]["object"] == "refund"
    event = parse_webhook(delivery.body, provider="terminal")
    assert event.is_refund
    assert (event.type, event.refund_target) == ("refund.succeeded", RefundStatus.SUCCEEDED)
    assert (event.terminal_refund_id, event.terminal_payment_id) == (answer.id, payment.id)
    assert (event.refund_id, event.payment_id, event.amount_minor) == (7, 42, 400)
    assert event.source is Settler.WEBHOOK
    # The payment itself stays succeeded: the store, not the terminal, says "refunded".
    assert terminal.get_payment(payment.id).status is TerminalStatus.SUCCEEDED


def test_a_refund_ending_in_91_is_declined(terminal, receiver):
    answer = refund(terminal, paid(terminal, 5000), 1291)

    found = decided(terminal, answer)

    assert found.status is TerminalRefundStatus.FAILED
    assert found.failure_code == "refund_declined"
    wait_until(lambda: receiver.of(answer.id))
    [delivery] = receiver.of(answer.id)
    assert delivery.verified
    event = parse_webhook(delivery.body, provider="terminal")
    assert (event.type, event.refund_target) == ("refund.failed", RefundStatus.FAILED)
    assert delivery.event["data"]["object"]["failure_code"] == "refund_declined"


def test_a_refund_ending_in_92_stays_pending(terminal, receiver):
    payment = paid(terminal, 5000)
    silent = refund(terminal, payment, 1292)
    loud = refund(terminal, payment, 1200)
    wait_until(lambda: receiver.of(loud.id))
    time.sleep(DECISION * 2)
    assert terminal.get_refund(silent.id).status is TerminalRefundStatus.PENDING
    assert receiver.of(silent.id) == []


def test_a_refund_ending_in_93_delivers_its_webhook_twice(terminal, receiver):
    answer = refund(terminal, paid(terminal, 5000), 1293)
    wait_until(lambda: len(receiver.of(answer.id)) == 2)
    first, second = receiver.of(answer.id)
    assert first.body == second.body
    assert first.verified
    assert second.verified
    assert parse_webhook(first.body, provider="t") == parse_webhook(second.body, provider="t")


def test_a_refund_ending_in_94_is_announced_late(terminal, receiver):
    payment = paid(terminal, 5000)
    began = time.monotonic()

    found = decided(terminal, refund(terminal, payment, 1294))

    assert found.status is TerminalRefundStatus.SUCCEEDED
    assert receiver.of(found.id) == []  # polling knows before the webhook says
    wait_until(lambda: receiver.of(found.id))
    assert receiver.of(found.id)[0].at - began >= DECISION + LATE


def test_a_refund_ending_in_96_is_found_only_by_polling(terminal, receiver):
    payment = paid(terminal, 5000)
    silent = refund(terminal, payment, 1296, refund_id=8)
    loud = refund(terminal, payment, 1297)

    found = decided(terminal, silent)

    wait_until(lambda: receiver.of(loud.id))
    time.sleep(DECISION * 2)
    assert receiver.of(silent.id) == []
    assert found.status is TerminalRefundStatus.SUCCEEDED
    event = event_from_refund(found, provider="terminal")
    assert (event.event_id, event.type) == (f"poll:{silent.id}:succeeded", "refund.succeeded")
    assert (event.refund_id, event.payment_id, event.terminal_payment_id) == (8, 42, payment.id)
    assert event.source is Settler.POLL


# -- idempotency and what is left to refund ------------------------------------------------


def test_the_same_key_twice_gives_one_refund(terminal, simulator):
    payment = paid(terminal)

    first = refund(terminal, payment, 1000, key="whole")
    # The first used up all there was to refund: the replay must be known by its key.
    again = refund(terminal, payment, 1000, key="whole")

    assert again.id == first.id
    assert simulator.refund_count == 1
    with pytest.raises(TerminalRejected):
        refund(terminal, payment, 1, key="another")


def test_the_same_key_with_another_body_is_a_conflict_and_not_retried(terminal, simulator):
    payment = paid(terminal)
    refund(terminal, payment, 300, key="shared")
    seen = simulator.requests_seen

    with pytest.raises(TerminalConflict) as raised:
        refund(terminal, payment, 400, key="shared")

    assert raised.value.status_code == 409
    assert simulator.requests_seen == seen + 1
    assert simulator.refund_count == 1


def test_a_refund_above_what_is_left_is_rejected(terminal, simulator):
    payment = paid(terminal)
    refund(terminal, payment, 600)

    with pytest.raises(TerminalRejected) as raised:
        refund(terminal, payment, 401)

    assert raised.value.status_code == 400
    assert not isinstance(raised.value, TerminalConflict)
    assert "400 left" in raised.value.reason
    assert refund(terminal, payment, 400).amount_minor == 400
    assert simulator.refund_count == 2


def test_a_declined_refund_leaves_its_amount_to_refund(terminal):
    payment = paid(terminal, 2000)
    decided(terminal, refund(terminal, payment, 1091))

    assert refund(terminal, payment, 2000).status is TerminalRefundStatus.PENDING


def test_only_a_succeeded_payment_in_its_own_currency_can_be_refunded(terminal, simulator):
    waiting = start(terminal, 1292)  # pending until cancelled
    declined = settled(terminal, start(terminal, 1291))
    payment = paid(terminal)
    for target in (waiting, declined):
        with pytest.raises(TerminalRejected) as raised:
            refund(terminal, target, 100)
        assert raised.value.status_code == 400
        assert "nothing to refund" in raised.value.reason
    with pytest.raises(TerminalRejected) as raised:
        refund(terminal, payment, 100, currency="EUR")
    assert (raised.value.status_code, "TRY" in raised.value.reason) == (400, True)
    assert simulator.refund_count == 0


def test_unknown_payments_and_refunds_are_404(terminal):
    ghost = TerminalPayment("pay_" + "0" * 24, TerminalStatus.SUCCEEDED, 1000, "TRY", "k", {})
    with pytest.raises(TerminalRejected) as raised:
        refund(terminal, ghost, 100)
    assert raised.value.status_code == 404
    for unknown in ("re_" + "0" * 24, "../v1/payments"):
        with pytest.raises(TerminalRejected) as raised:
            terminal.get_refund(unknown)
        assert raised.value.status_code == 404


# -- what the simulator says on the wire ---------------------------------------------------


def test_the_refund_wire_protocol(terminal, simulator):
    payment = paid(terminal)
    url = simulator.url + "/v1/refunds"
    auth = {"Authorization": f"Bearer {API_KEY}"}
    body = {"payment": payment.id, "amount": 500, "currency": "TRY", "metadata": {"a": "b"}}

    created = requests.post(url, json=body, headers={**auth, "Idempotency-Key": "w"}, timeout=5)
    replayed = requests.post(url, json=body, headers={**auth, "Idempotency-Key": "w"}, timeout=5)
    assert (created.status_code, replayed.status_code) == (201, 200)
    assert created.json() == replayed.json()
    assert set(created.json()) == {
        "id",
        "object",
        "payment",
        "status",
        "amount",
        "currency",
        "idempotency_key",
        "metadata",
        "failure_code",
        "created",
    }
    fetched = requests.get(f"{url}/{created.json()['id']}", headers=auth, timeout=5)
    assert (fetched.status_code, fetched.json()["object"]) == (200, "refund")

    def error(response: requests.Response) -> tuple[int, str]:
        return response.status_code, response.json()["error"]["type"]

    other = {**body, "amount": 501}
    assert error(requests.post(url, json=other, headers={**auth, "Idempotency-Key": "w"})) == (
        409,
        "idempotency_error",
    )
    assert error(requests.post(url, json=body, timeout=5)) == (401, "authentication_error")
    assert error(requests.post(url, json=body, headers=auth, timeout=5)) == (
        400,
        "invalid_request_error",
    )
    key = {**auth, "Idempotency-Key": "fresh"}
    for bad in [
        {"amount": 100, "currency": "TRY"},
        {"payment": 7, "amount": 100, "currency": "TRY"},
        {"payment": payment.id, "amount": 0, "currency": "TRY"},
        {"payment": payment.id, "amount": True, "currency": "TRY"},
        {"payment": payment.id, "amount": 100, "currency": "try"},
        {"payment": payment.id, "amount": 100, "currency": "TRY", "metadata": {"a": 1}},
        {"payment": payment.id, "amount": 100, "currency": "TRY", "reason": "x"},
        [payment.id],
    ]:
        assert error(requests.post(url, json=bad, headers=key, timeout=5)) == (
            400,
            "invalid_request_error",
        ), bad
    too_much = {**body, "amount": 501}
    assert error(requests.post(url, json=too_much, headers=key, timeout=5)) == (
        400,
        "invalid_request_error",
    )
    unknown = {**body, "payment": "pay_nobody"}
    assert error(requests.post(url, json=unknown, headers=key, timeout=5)) == (404, "not_found")
    assert error(requests.get(url, headers=auth, timeout=5))[0] == 405
    assert error(requests.post(f"{url}/{created.json()['id']}", headers=auth, timeout=5))[0] == 405
    assert simulator.refund_count == 1


# -- a gateway between the till and the terminal that loses answers ------------------------


@dataclass
class LossyGateway:
    """Passes every request on to the simulator, and loses the first ``losses`` answers
    after the simulator has acted: as a 503, a stall past the read timeout, or a connection
    cut while the answer arrives."""

    upstream: str
    how: str
    losses: int = 1
    keys: list[str | None] = field(default_factory=list)
    bodies: list[bytes] = field(default_factory=list)

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        key = environ.get("HTTP_IDEMPOTENCY_KEY")
        self.keys.append(key)
        self.bodies.append(body)
        headers = {"Authorization": environ.get("HTTP_AUTHORIZATION", "")}
        if key is not None:
            headers["Idempotency-Key"] = key
        answer = requests.request(
            environ["REQUEST_METHOD"],
            self.upstream + environ["PATH_INFO"],
            data=body or None,
            headers={**headers, "Content-Type": "application/json"},
            timeout=5,
        )
        if len(self.keys) > self.losses:
            return respond(start_response, f"{answer.status_code} X", answer.json())
        if self.how == "503":
            return respond(start_response, "503 Service Unavailable", {"error": {}})
        if self.how == "stall":
            time.sleep(0.4)  # past the adapter's read timeout
            return respond(start_response, f"{answer.status_code} X", answer.json())
        # "cut": promise more than is sent; the server closes the connection mid-answer.
        start_response(
            f"{answer.status_code} X", [("Content-Length", str(len(answer.content) + 100))]
        )
        return [answer.content[:10]]


@pytest.mark.parametrize("how", ["503", "stall", "cut"])
def test_a_retried_refund_after_a_lost_answer_gives_back_once(terminal, simulator, how):
    payment = paid(terminal)
    gateway = LossyGateway(simulator.url, how)
    with serving(gateway) as url:
        through = HttpTerminal(url, API_KEY, read_timeout=0.2, retries=2, backoff=0.01)
        answer = refund(through, payment, 1000, key="once")
        through.close()

    assert gateway.keys == ["once", "once"]
    assert len(set(gateway.bodies)) == 1
    assert simulator.refund_count == 1
    assert answer == terminal.get_refund(answer.id)


def test_a_refund_gateway_that_never_answers_is_unavailable(simulator):
    gateway = LossyGateway(simulator.url, "503", losses=100)
    with serving(gateway) as url:
        through = HttpTerminal(url, API_KEY, retries=2, backoff=0.01)
        with pytest.raises(TerminalUnavailable, match="HTTP 503"):
            through.get_refund("re_" + "0" * 24)
    assert len(gateway.keys) == 3


def refund_document(**changes: object) -> dict[str, Any]:
    return {
        "id": "re_fromthegateway",
        "object": "refund",
        "payment": "pay_fromthegateway",
        "status": "pending",
        "amount": 500,
        "currency": "TRY",
        "idempotency_key": "k",
        "metadata": {"refund_id": "7", "payment_id": "42"},
        "failure_code": None,
        "created": 1,
        **changes,
    }


@pytest.mark.parametrize(
    ("answer", "complaint"),
    [
        (b"<html>gateway</html>", "not JSON"),
        (b"[]", "refund is not a JSON object"),
        (b"{}", "no refund id"),
        (json.dumps(refund_document(payment=None)).encode(), "no payment"),
        (json.dumps(refund_document(status="cancelled")).encode(), "unknown status"),
        (json.dumps(refund_document(amount="5.00")).encode(), "amount"),
        (json.dumps(refund_document(amount=False)).encode(), "amount"),
        (json.dumps(refund_document(currency="")).encode(), "currency"),
        (json.dumps(refund_document(idempotency_key=None)).encode(), "idempotency key"),
        (json.dumps(refund_document(metadata={"refund_id": 7})).encode(), "metadata"),
        (json.dumps(refund_document(failure_code=3)).encode(), "failure_code"),
    ],
)
def test_a_malformed_refund_answer_is_unavailable_not_a_crash(answer, complaint):
    def gateway(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        start_response("200 OK", [("Content-Length", str(len(answer)))])
        return [answer]

    with serving(gateway) as url:
        terminal = HttpTerminal(url, API_KEY, retries=0)
        with pytest.raises(TerminalUnavailable, match=complaint):
            terminal.get_refund("re_x")
