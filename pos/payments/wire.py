"""Requests of the wire protocol (README.md) as the simulator reads them: no I/O, no state.

Whatever a request's body holds, reading it ends in a well-typed request or in a
``BadRequest`` that the simulator answers as the protocol's error object.
"""

from __future__ import annotations

import json
import re
from http import HTTPStatus
from typing import Any, NamedTuple

MAX_BODY = 64 * 1024
MAX_METADATA_ITEMS = 50
MAX_METADATA_TEXT = 500
MAX_PAYMENT_REFERENCE = 255

_KEY = re.compile(r"[\x20-\x7e]{1,255}")
_CURRENCY = re.compile(r"[A-Z]{3}")


class BadRequest(Exception):
    def __init__(self, status: HTTPStatus, kind: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.kind = kind
        self.message = message


class PaymentRequest(NamedTuple):
    amount: int
    currency: str
    metadata: dict[str, str]


class RefundRequest(NamedTuple):
    payment: str
    amount: int
    currency: str
    metadata: dict[str, str]


def invalid(message: str) -> BadRequest:
    return BadRequest(HTTPStatus.BAD_REQUEST, "invalid_request_error", message)


def not_found(message: str) -> BadRequest:
    return BadRequest(HTTPStatus.NOT_FOUND, "not_found", message)


def conflict(key: str) -> BadRequest:
    return BadRequest(
        HTTPStatus.CONFLICT,
        "idempotency_error",
        f"Idempotency-Key {key!r} was already used with a different request",
    )


def allow(method: str, allowed: str, headers: list[tuple[str, str]]) -> None:
    if method != allowed:
        headers.append(("Allow", allowed))
        raise BadRequest(
            HTTPStatus.METHOD_NOT_ALLOWED, "invalid_request_error", f"use {allowed} here"
        )


def idempotency_key(environ: dict[str, Any]) -> str:
    key = environ.get("HTTP_IDEMPOTENCY_KEY", "")
    if not isinstance(key, str) or not _KEY.fullmatch(key):
        raise invalid("an Idempotency-Key header of 1-255 printable characters is required")
    return key


def read_json(environ: dict[str, Any]) -> object:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise invalid("bad Content-Length") from None
    if not 0 < length <= MAX_BODY:
        raise invalid("a JSON body is required")
    try:
        return json.loads(environ["wsgi.input"].read(length))
    except (ValueError, RecursionError):
        raise invalid("the body is not valid JSON") from None


def payment_request(body: object) -> PaymentRequest:
    """``{"amount", "currency", "metadata"?}``; anything else is a 400."""
    fields = _fields(body, {"amount", "currency", "metadata"})
    return PaymentRequest(_amount(fields), _currency(fields), _metadata(fields))


def refund_request(body: object) -> RefundRequest:
    """``{"payment", "amount", "currency", "metadata"?}``; anything else is a 400."""
    fields = _fields(body, {"payment", "amount", "currency", "metadata"})
    payment = fields.get("payment")
    if not isinstance(payment, str) or not 0 < len(payment) <= MAX_PAYMENT_REFERENCE:
        raise invalid("payment must name the terminal payment to refund (pay_...)")
    return RefundRequest(payment, _amount(fields), _currency(fields), _metadata(fields))


def _fields(body: object, known: set[str]) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise invalid("the body must be a JSON object")
    unknown = set(body) - known
    if unknown:
        raise invalid(f"unknown field(s): {', '.join(sorted(unknown))}")
    return body


def _amount(fields: dict[str, Any]) -> int:
    amount = fields.get("amount")
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        raise invalid("amount must be a positive integer in minor units")
    return amount


def _currency(fields: dict[str, Any]) -> str:
    currency = fields.get("currency")
    if not isinstance(currency, str) or not _CURRENCY.fullmatch(currency):
        raise invalid("currency must be an ISO 4217 code such as TRY")
    return currency


def _metadata(fields: dict[str, Any]) -> dict[str, str]:
    metadata = fields.get("metadata", {})
    if (
        not isinstance(metadata, dict)
        or len(metadata) > MAX_METADATA_ITEMS
        or not all(
            isinstance(k, str)
            and isinstance(v, str)
            and len(k) <= MAX_METADATA_TEXT
            and len(v) <= MAX_METADATA_TEXT
            for k, v in metadata.items()
        )
    ):
        raise invalid("metadata must be a small object of strings")
    return metadata
