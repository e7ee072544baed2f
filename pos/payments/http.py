"""A card terminal reached over HTTP (the wire protocol in README.md), on requests."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any, TypeVar
from urllib.parse import quote
from uuid import UUID

import requests

from pos.payments.terminal import (
    TerminalConflict,
    TerminalPayment,
    TerminalRefund,
    TerminalRefundStatus,
    TerminalRejected,
    TerminalStatus,
    TerminalUnavailable,
)

Answer = TypeVar("Answer", TerminalPayment, TerminalRefund)

log = logging.getLogger(__name__)

# Failures after which the request may or may not have reached the terminal: retried.
_NETWORK_ERRORS = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
)

__all__ = ["HttpTerminal", "parse_payment", "parse_refund"]


class HttpTerminal:
    """PaymentTerminal over HTTP.

    Network errors and 5xx answers are retried ``retries`` times after the first attempt,
    with exponential backoff, always with the same Idempotency-Key, so a retried start can
    never charge twice, nor a retried refund give back twice. A 4xx answer is final and
    raised at once.
    """

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        provider: str = "terminal",
        connect_timeout: float = 3.05,
        read_timeout: float = 10.0,
        retries: int = 3,
        backoff: float = 0.5,
        session: requests.Session | None = None,
    ) -> None:
        if retries < 0:
            raise ValueError("retries cannot be negative")
        self.provider = provider
        self.base_url = base_url.rstrip("/")
        self.timeout = (connect_timeout, read_timeout)
        self.retries = retries
        self.backoff = backoff
        self._api_key = api_key
        self._session = session if session is not None else requests.Session()

    def __repr__(self) -> str:
        # Never the API key.
        return f"HttpTerminal({self.base_url!r}, provider={self.provider!r})"

    def close(self) -> None:
        self._session.close()

    # -- PaymentTerminal ---------------------------------------------------------

    def start_payment(
        self,
        *,
        amount_minor: int,
        currency: str,
        idempotency_key: str,
        payment_id: int,
        order_id: UUID,
    ) -> TerminalPayment:
        body = {
            "amount": amount_minor,
            "currency": currency,
            "metadata": {"payment_id": str(payment_id), "order_id": str(order_id)},
        }
        return self._call(
            "POST",
            "/v1/payments",
            parse_payment,
            body=body,
            headers={"Idempotency-Key": idempotency_key},
        )

    def get_payment(self, terminal_payment_id: str) -> TerminalPayment:
        return self._call("GET", f"/v1/payments/{_segment(terminal_payment_id)}", parse_payment)

    def cancel_payment(self, terminal_payment_id: str) -> TerminalPayment:
        return self._call(
            "POST", f"/v1/payments/{_segment(terminal_payment_id)}/cancel", parse_payment
        )

    def refund_payment(
        self,
        terminal_payment_id: str,
        *,
        amount_minor: int,
        currency: str,
        idempotency_key: str,
        refund_id: int,
        payment_id: int,
    ) -> TerminalRefund:
        body = {
            "payment": terminal_payment_id,
            "amount": amount_minor,
            "currency": currency,
            "metadata": {"refund_id": str(refund_id), "payment_id": str(payment_id)},
        }
        return self._call(
            "POST",
            "/v1/refunds",
            parse_refund,
            body=body,
            headers={"Idempotency-Key": idempotency_key},
        )

    def get_refund(self, terminal_refund_id: str) -> TerminalRefund:
        return self._call("GET", f"/v1/refunds/{_segment(terminal_refund_id)}", parse_refund)

    # -- transport ---------------------------------------------------------------

    def _call(
        self,
        method: str,
        path: str,
        parse: Callable[[object], Answer],
        *,
        body: Mapping[str, object] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Answer:
        # Built once and sent as is on every attempt: the body bytes and the
        # Idempotency-Key cannot drift between a first try and its retries.
        try:
            request = self._session.prepare_request(
                requests.Request(
                    method,
                    self.base_url + path,
                    data=None if body is None else json.dumps(body).encode(),
                    headers={
                        "Authorization": f"Bearer {self._api_key}",
                        "Accept": "application/json",
                        **({} if body is None else {"Content-Type": "application/json"}),
                        **(headers or {}),
                    },
                )
            )
        except requests.RequestException as exc:
            raise TerminalUnavailable(f"{method} {path} could not be sent: {exc}") from exc
        # A small explicit loop rather than urllib3's Retry on an HTTPAdapter: requests asks
        # urllib3 for the headers only (preload_content=False) and reads the body after
        # urlopen has returned, so a timeout or reset while the body arrives escapes Retry
        # and would not be retried; Retry also makes its first retry with no pause at all.
        last_problem = ""
        for attempt in range(self.retries + 1):
            if attempt:
                pause = self.backoff * 2 ** (attempt - 1)
                log.info("retrying %s %s in %.2f s: %s", method, path, pause, last_problem)
                time.sleep(pause)
            try:
                response = self._session.send(request, timeout=self.timeout, allow_redirects=False)
                content = response.content  # inside the try: reading the body can fail too
            except _NETWORK_ERRORS as exc:
                last_problem = f"{type(exc).__name__}: {exc}"
                continue
            except requests.RequestException as exc:
                # A bad URL or header: it was never sent, and sending it again cannot help.
                raise TerminalUnavailable(f"{method} {path} could not be sent: {exc}") from exc
            status = response.status_code
            if 500 <= status <= 599:
                last_problem = f"HTTP {status} {_reason(content, response.reason)}"
                continue
            if 400 <= status <= 499:
                reason = _reason(content, response.reason)
                # The caller gets TerminalRejected and decides; a status probe expects a 404.
                log.info("%s %s refused: %s %s", method, path, status, reason)
                if status == 409:
                    raise TerminalConflict(status, reason)
                raise TerminalRejected(status, reason)
            if not 200 <= status <= 299:
                raise TerminalUnavailable(
                    f"{method} {path}: unexpected HTTP {status} from the terminal"
                )
            return parse(_json(content, f"{method} {path}"))
        raise TerminalUnavailable(
            f"{method} {path}: no answer from the terminal after {self.retries + 1} "
            f"attempt(s); last problem: {last_problem}"
        )


def _segment(terminal_id: str) -> str:
    # A terminal's id is not ours to trust as a path: "../" or "?" must stay inside one segment.
    return quote(terminal_id, safe="")


def _json(content: bytes, what: str) -> Any:
    try:
        return json.loads(content)
    except (ValueError, RecursionError) as exc:
        raise TerminalUnavailable(f"{what}: the terminal's answer is not JSON ({exc})") from None


def _reason(content: bytes, fallback: str) -> str:
    try:
        message = json.loads(content)["error"]["message"]
    except (ValueError, TypeError, KeyError, RecursionError):
        return fallback or "no reason given"
    return message if isinstance(message, str) else fallback


def parse_payment(document: object) -> TerminalPayment:
    """A payment object of the wire protocol; TerminalUnavailable when it is malformed."""
    fields = _Fields(document, "payment")
    return TerminalPayment(
        id=fields.text("id"),
        status=fields.choice("status", TerminalStatus),
        amount_minor=fields.amount(),
        currency=fields.text("currency"),
        idempotency_key=fields.key(),
        metadata=fields.metadata(),
        decline_code=fields.optional_text("decline_code"),
    )


def parse_refund(document: object) -> TerminalRefund:
    """A refund object of the wire protocol; TerminalUnavailable when it is malformed."""
    fields = _Fields(document, "refund")
    return TerminalRefund(
        id=fields.text("id"),
        payment=fields.text("payment"),
        status=fields.choice("status", TerminalRefundStatus),
        amount_minor=fields.amount(),
        currency=fields.text("currency"),
        idempotency_key=fields.key(),
        metadata=fields.metadata(),
        failure_code=fields.optional_text("failure_code"),
    )


Status = TypeVar("Status", TerminalStatus, TerminalRefundStatus)


class _Fields:
    """Typed reads of one object in a terminal's answer; a wrong one is TerminalUnavailable."""

    def __init__(self, document: object, kind: str) -> None:
        self.kind = kind
        if not isinstance(document, dict):
            raise self.malformed(f"the {kind} is not a JSON object")
        self.document: dict[str, object] = document

    def malformed(self, what: str) -> TerminalUnavailable:
        return TerminalUnavailable(f"the terminal answered a malformed {self.kind}: {what}")

    def text(self, name: str) -> str:
        value = self.document.get(name)
        if not isinstance(value, str) or not value:
            raise self.malformed(f"no {self.kind} {name}" if name == "id" else f"no {name}")
        return value

    def optional_text(self, name: str) -> str | None:
        value = self.document.get(name)
        if value is not None and not isinstance(value, str):
            raise self.malformed(f"{name} is not a string")
        return value

    def choice(self, name: str, allowed: type[Status]) -> Status:
        value = self.document.get(name)
        if not isinstance(value, str) or value not in set(allowed):
            raise self.malformed(f"unknown {name} {value!r}")
        return allowed(value)

    def amount(self) -> int:
        amount = self.document.get("amount")
        # bool is an int in Python, and true is not an amount.
        if not isinstance(amount, int) or isinstance(amount, bool):
            raise self.malformed(f"amount {amount!r} is not an integer")
        return amount

    def key(self) -> str:
        key = self.document.get("idempotency_key")
        if not isinstance(key, str):
            raise self.malformed("no idempotency key")
        return key

    def metadata(self) -> dict[str, str]:
        metadata = self.document.get("metadata")
        if metadata is None:
            return {}
        if not isinstance(metadata, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()
        ):
            raise self.malformed("metadata is not a map of strings")
        return dict(metadata)
