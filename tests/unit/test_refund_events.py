"""A terminal's refund events, as webhook bodies and as polled refunds, read into TerminalEvent.

Parsing is as strict for refunds as for payments: a body that is signed but says something
the till cannot be sure of is refused whole with EventFormatError.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from pos.domain.payments import RefundStatus, Settler
from pos.payments.events import EventFormatError, event_from_refund, parse_webhook
from pos.payments.terminal import TerminalRefund, TerminalRefundStatus

_GONE = object()


def refund_event(kind: str = "refund.succeeded", **changes: object) -> dict[str, Any]:
    """A refund event as the simulator sends it; ``changes`` set (or drop) dotted fields."""
    document: dict[str, Any] = {
        "id": "evt_r1",
        "type": kind,
        "created": 1764250000,
        "data": {
            "object": {
                "id": "re_0123456789abcdef01234567",
                "object": "refund",
                "payment": "pay_abf3df9a88f32c93a2dc1703",
                "status": kind.removeprefix("refund."),
                "amount": 500,
                "currency": "TRY",
                "idempotency_key": "refund-7",
                "metadata": {"refund_id": "7", "payment_id": "42"},
                "failure_code": None,
                "created": 1764250000,
            }
        },
    }
    for path, replacement in changes.items():
        *parents, last = path.split("__")
        target = document
        for key in parents:
            target = target[key]
        if replacement is _GONE:
            del target[last]
        else:
            target[last] = replacement
    return document


def body_of(document: dict[str, Any]) -> bytes:
    return json.dumps(document).encode()


@pytest.mark.parametrize(
    ("kind", "status"),
    [
        ("refund.succeeded", RefundStatus.SUCCEEDED),
        ("refund.failed", RefundStatus.FAILED),
        ("refund.pending", RefundStatus.PENDING),
    ],
)
def test_a_refund_webhook_names_the_refund_and_the_payment_it_returns(
    kind: str, status: RefundStatus
) -> None:
    body = body_of(refund_event(kind))

    event = parse_webhook(body, provider="terminal")

    assert event.is_refund
    assert event.refund_target is status
    assert (event.event_id, event.type, event.source) == ("evt_r1", kind, Settler.WEBHOOK)
    assert event.terminal_refund_id == "re_0123456789abcdef01234567"
    assert event.terminal_payment_id == "pay_abf3df9a88f32c93a2dc1703"
    assert (event.refund_id, event.payment_id) == (7, 42)
    assert (event.amount_minor, event.currency) == (500, "TRY")
    assert event.payload == body.decode()


def test_a_refund_webhook_without_our_ids_is_read_but_matches_nothing_of_ours() -> None:
    event = parse_webhook(body_of(refund_event(data__object__metadata={})), provider="t")

    assert (event.refund_id, event.payment_id) == (None, None)
    assert event.terminal_refund_id == "re_0123456789abcdef01234567"


def test_a_payment_webhook_carries_no_refund() -> None:
    document = refund_event("payment.succeeded", data__object__object="payment")
    document["data"]["object"]["id"] = "pay_1"

    event = parse_webhook(body_of(document), provider="terminal")

    assert not event.is_refund
    assert (event.terminal_payment_id, event.terminal_refund_id, event.refund_id) == (
        "pay_1",
        None,
        None,
    )


@pytest.mark.parametrize(
    "changes",
    [
        {"type": "refund.cancelled"},
        {"type": "refund.SUCCEEDED"},
        {"data__object__payment": _GONE},
        {"data__object__payment": ""},
        {"data__object__payment": 42},
        {"data__object__payment": "pay with spaces"},
        {"data__object__payment": "p" * 129},
        {"data__object__id": _GONE},
        {"data__object__id": "re_\u0130"},
        {"data__object__object": _GONE},
        {"data__object__object": "payment"},
        {"data__object__amount": _GONE},
        {"data__object__amount": -500},
        {"data__object__amount": 5.0},
        {"data__object__amount": "500"},
        {"data__object__currency": "try"},
        {"data__object__metadata": ["refund_id"]},
        {"data__object__metadata": {"refund_id": "0", "payment_id": "42"}},
        {"data__object__metadata": {"refund_id": "07", "payment_id": "42"}},
        {"data__object__metadata": {"refund_id": "seven", "payment_id": "42"}},
        {"data__object__metadata": {"refund_id": "-7", "payment_id": "42"}},
        {"data__object__metadata": {"refund_id": True, "payment_id": "42"}},
        {"data__object__metadata": {"refund_id": None, "payment_id": "42"}},
        {"data__object__metadata": {"refund_id": str(2**31), "payment_id": "42"}},
        {"data__object__metadata": {"refund_id": "7", "payment_id": "0"}},
        {"data__object__metadata": {"refund_id": "7", "payment_id": "x"}},
    ],
    ids=repr,
)
def test_a_malformed_refund_webhook_is_refused(changes: dict[str, object]) -> None:
    with pytest.raises(EventFormatError):
        parse_webhook(body_of(refund_event(**changes)), provider="terminal")


def test_a_refund_dressed_as_a_payment_event_is_refused() -> None:
    # Read as a payment event it would settle "re_..." as if it were a payment.
    with pytest.raises(EventFormatError, match="not a payment"):
        parse_webhook(body_of(refund_event("payment.succeeded")), provider="terminal")


@pytest.mark.parametrize("status", list(TerminalRefundStatus))
def test_a_polled_refund_becomes_an_event_named_by_its_status(
    status: TerminalRefundStatus,
) -> None:
    refund = TerminalRefund(
        id="re_7",
        payment="pay_42",
        status=status,
        amount_minor=500,
        currency="TRY",
        idempotency_key="refund-7",
        metadata={"refund_id": "7", "payment_id": "42"},
        failure_code="refund_declined" if status is TerminalRefundStatus.FAILED else None,
    )

    event = event_from_refund(refund, provider="terminal")

    assert event.event_id == f"poll:re_7:{status.value}"
    assert event.type == f"refund.{status.value}"
    assert event.is_refund
    assert event.refund_target is RefundStatus(status.value)
    assert (event.terminal_refund_id, event.terminal_payment_id) == ("re_7", "pay_42")
    assert (event.refund_id, event.payment_id) == (7, 42)
    assert (event.amount_minor, event.currency, event.source) == (500, "TRY", Settler.POLL)
    payload = json.loads(event.payload)
    assert (payload["object"], payload["status"], payload["payment"]) == (
        "refund",
        status.value,
        "pay_42",
    )
    assert payload["failure_code"] == refund.failure_code


@pytest.mark.parametrize(
    "metadata", [{"refund_id": "0"}, {"refund_id": "x", "payment_id": "42"}, {"payment_id": ""}]
)
def test_a_polled_refund_with_a_bad_id_of_ours_is_refused(metadata: dict[str, str]) -> None:
    refund = TerminalRefund(
        id="re_7",
        payment="pay_42",
        status=TerminalRefundStatus.SUCCEEDED,
        amount_minor=500,
        currency="TRY",
        idempotency_key="k",
        metadata=metadata,
    )
    with pytest.raises(EventFormatError):
        event_from_refund(refund, provider="terminal")
