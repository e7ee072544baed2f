"""A terminal's report about a payment or a refund, as the reconciler takes it.

Two roads lead here: a webhook body the listener received (``parse_webhook``) and a
payment or refund the poller fetched (``event_from_terminal``, ``event_from_refund``).
All end in the same ``TerminalEvent``. Parsing is strict: a body that is signed but
malformed is still refused whole, never half-read, so nothing a terminal did not clearly
say reaches the store.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, NoReturn

from pos.domain.payments import (
    EVENT_OUTCOMES,
    MAX_EVENT_AMOUNT_MINOR,
    MAX_EVENT_ID_LENGTH,
    MAX_TERMINAL_ID_LENGTH,
    REFUND_EVENT_OUTCOMES,
    Settler,
    TerminalEvent,
    is_identifier,
)
from pos.payments.terminal import (
    TerminalPayment,
    TerminalRefund,
    TerminalRefundStatus,
    TerminalStatus,
)

MAX_TIMESTAMP = 2**53 - 1
MAX_PAYMENT_ID = 2**31 - 1
"""Our payment ids, and our refund ids, are 32-bit."""

_CURRENCY = re.compile(r"[A-Z]{3}")
_DECIMAL_ID = re.compile(r"[1-9][0-9]{0,9}")


class EventFormatError(ValueError):
    """The event is not one the till understands: missing, mistyped or out-of-range fields."""


def _refuse(what: str) -> NoReturn:
    raise EventFormatError(what)


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # Two "amount"s in one signed body: which one the sender meant is anyone's guess.
    document: dict[str, Any] = {}
    for key, item in pairs:
        if key in document:
            _refuse(f"the key {key!r} appears twice")
        document[key] = item
    return document


def _no_constants(name: str) -> NoReturn:
    _refuse(f"{name} is not a JSON number")


def _load(body: bytes) -> tuple[object, str]:
    """The JSON document in ``body`` and the body as text."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        _refuse("the body is not UTF-8")
    try:
        document = json.loads(
            text, object_pairs_hook=_no_duplicate_keys, parse_constant=_no_constants
        )
    except EventFormatError:
        raise
    except (ValueError, RecursionError):
        # ValueError also covers integers too long to convert; RecursionError, nesting.
        _refuse("the body is not JSON")
    return document, text


def _object(value: object, where: str) -> Mapping[str, object]:
    if not isinstance(value, dict):
        _refuse(f"{where} is not a JSON object")
    return value


def _identifier(value: object, where: str, longest: int) -> str:
    if not is_identifier(value, longest):
        _refuse(f"{where} must be 1 to {longest} printable ASCII characters without spaces")
    return value


def _whole(value: object, where: str, *, largest: int) -> int:
    # bool is an int in Python, and true is not a number of kuruş.
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= largest:
        _refuse(f"{where} must be a whole number from 0 to {largest}")
    return value


def _currency(value: object) -> str:
    if not isinstance(value, str) or not _CURRENCY.fullmatch(value):
        _refuse("the currency must be three capital letters")
    return value


def _our_id(metadata: Mapping[str, object], name: str, what: str) -> int | None:
    # A value that is there but is not a positive id is an error, not None: the event
    # would otherwise be kept as unmatched and its payment or refund never settled.
    if name not in metadata:
        return None
    raw = metadata[name]
    if isinstance(raw, str) and _DECIMAL_ID.fullmatch(raw):
        raw = int(raw)
    if isinstance(raw, int) and not isinstance(raw, bool) and 0 < raw <= MAX_PAYMENT_ID:
        return raw
    _refuse(f"metadata.{name} is not {what}")


def payment_id_of(metadata: Mapping[str, object]) -> int | None:
    """Our payment id from a terminal payment's or refund's metadata; None when it carries
    none, EventFormatError when it carries something that is not one."""
    return _our_id(metadata, "payment_id", "a payment id")


def refund_id_of(metadata: Mapping[str, object]) -> int | None:
    """Our refund id from a terminal refund's metadata, as strictly as ``payment_id_of``."""
    return _our_id(metadata, "refund_id", "a refund id")


def parse_webhook(body: bytes, *, provider: str) -> TerminalEvent:
    """The event in a webhook body; EventFormatError, and nothing else, when it is malformed.

    A ``payment.*`` event carries a payment object; a ``refund.*`` event a refund object,
    which names the payment it gives money back from.
    """
    document, text = _load(body)
    event = _object(document, "the event")
    event_id = _identifier(event.get("id"), "id", MAX_EVENT_ID_LENGTH)
    kind = event.get("type")
    if not isinstance(kind, str) or (
        kind not in EVENT_OUTCOMES and kind not in REFUND_EVENT_OUTCOMES
    ):
        _refuse("type is not a payment or refund event")
    _whole(event.get("created"), "created", largest=MAX_TIMESTAMP)
    subject = _object(_object(event.get("data"), "data").get("object"), "data.object")
    subject_id = _identifier(subject.get("id"), "data.object.id", MAX_TERMINAL_ID_LENGTH)
    raw_metadata = subject.get("metadata")
    metadata = {} if raw_metadata is None else _object(raw_metadata, "data.object.metadata")
    refund_id: int | None = None
    terminal_refund_id: str | None = None
    if kind in EVENT_OUTCOMES:
        # Payment events have always been taken without "object"; one that names another
        # kind of object is not a payment event, whatever its type says.
        if subject.get("object", "payment") != "payment":
            _refuse("data.object of a payment event is not a payment")
    else:
        if subject.get("object") != "refund":
            _refuse("data.object of a refund event is not a refund")
        terminal_refund_id = subject_id
        subject_id = _identifier(
            subject.get("payment"), "data.object.payment", MAX_TERMINAL_ID_LENGTH
        )
        refund_id = refund_id_of(metadata)
    return TerminalEvent(
        provider=provider,
        event_id=event_id,
        type=kind,
        terminal_payment_id=subject_id,
        payment_id=payment_id_of(metadata),
        amount_minor=_whole(
            subject.get("amount"), "data.object.amount", largest=MAX_EVENT_AMOUNT_MINOR
        ),
        currency=_currency(subject.get("currency")),
        source=Settler.WEBHOOK,
        payload=text,
        refund_id=refund_id,
        terminal_refund_id=terminal_refund_id,
    )


def event_from_terminal(payment: TerminalPayment, *, provider: str) -> TerminalEvent:
    """What the poller learnt by asking the terminal, as an event.

    The id names the payment and the status it was found in, so finding the same
    status twice is one event, stored once.
    """
    if payment.status not in set(TerminalStatus):
        _refuse(f"unknown status {payment.status!r}")
    status = TerminalStatus(payment.status)
    payload = {
        "id": payment.id,
        "object": "payment",
        "status": status.value,
        "amount": payment.amount_minor,
        "currency": payment.currency,
        "idempotency_key": payment.idempotency_key,
        "metadata": dict(payment.metadata),
        "decline_code": payment.decline_code,
    }
    return TerminalEvent(
        provider=provider,
        event_id=f"poll:{payment.id}:{status.value}",
        type=f"payment.{status.value}",
        terminal_payment_id=_identifier(payment.id, "the payment id", MAX_TERMINAL_ID_LENGTH),
        payment_id=payment_id_of(payment.metadata),
        amount_minor=_whole(payment.amount_minor, "the amount", largest=MAX_EVENT_AMOUNT_MINOR),
        currency=_currency(payment.currency),
        source=Settler.POLL,
        payload=json.dumps(payload, ensure_ascii=False, sort_keys=True),
    )


def event_from_refund(refund: TerminalRefund, *, provider: str) -> TerminalEvent:
    """What the poller learnt by asking the terminal about a refund, as an event.

    Named like ``event_from_terminal``'s, by the refund and the status it was found in.
    """
    if refund.status not in set(TerminalRefundStatus):
        _refuse(f"unknown status {refund.status!r}")
    status = TerminalRefundStatus(refund.status)
    payload = {
        "id": refund.id,
        "object": "refund",
        "payment": refund.payment,
        "status": status.value,
        "amount": refund.amount_minor,
        "currency": refund.currency,
        "idempotency_key": refund.idempotency_key,
        "metadata": dict(refund.metadata),
        "failure_code": refund.failure_code,
    }
    return TerminalEvent(
        provider=provider,
        event_id=f"poll:{refund.id}:{status.value}",
        type=f"refund.{status.value}",
        terminal_payment_id=_identifier(refund.payment, "the payment id", MAX_TERMINAL_ID_LENGTH),
        payment_id=payment_id_of(refund.metadata),
        amount_minor=_whole(refund.amount_minor, "the amount", largest=MAX_EVENT_AMOUNT_MINOR),
        currency=_currency(refund.currency),
        source=Settler.POLL,
        payload=json.dumps(payload, ensure_ascii=False, sort_keys=True),
        refund_id=refund_id_of(refund.metadata),
        terminal_refund_id=_identifier(refund.id, "the refund id", MAX_TERMINAL_ID_LENGTH),
    )
