"""A card terminal reached over HTTP (the wire protocol in README.md), on requests."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote
from uuid import UUID

import requests

from pos.payments.terminal import (
    TerminalConflict,
    TerminalPayment,
    TerminalRejected,
    TerminalStatus,
    TerminalUnavailable,
)

log = logging.getLogger(__name__)

# Failures after which the request may or may not have reached the terminal: retried.
_NETWORK_ERRORS = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
)

__all__ = ["HttpTerminal", "parse_payment"]


class HttpTerminal:
    """PaymentTerminal over HTTP.

    Network errors and 5xx answers are retried ``retries`` times after the first attempt,
    with exponential backoff, always with the same Idempotency-Key, so a retried start can
    never charge twice. A 4xx answer is final and raised at once.
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
            "POST", "/v1/payments", body=body, headers={"Idempotency-Key": idempotency_key}
        )

    def get_payment(self, terminal_payment_id: str) -> TerminalPayment:
        return self._call("GET", f"/v1/payments/{_segment(terminal_payment_id)}")

    def cancel_payment(self, terminal_payment_id: str) -> TerminalPayment:
        return self._call("POST", f"/v1/payments/{_segment(terminal_payment_id)}/cancel")

    # -- transport ---------------------------------------------------------------

    def _call(
        self,
        method: str,
        path: str,
        *,
        body: Mapping[str, object] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> TerminalPayment:
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
            return parse_payment(_json(content, f"{method} {path}"))
        raise TerminalUnavailable(
            f"{method} {path}: no answer from the terminal after {self.retries + 1} "
            f"attempt(s); last problem: {last_problem}"
        )


def _segment(terminal_payment_id: str) -> str:
    # A payment id is not ours to trust as a path: "../" or "?" must stay inside one segment.
    return quote(terminal_payment_id, safe="")


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
    if not isinstance(document, dict):
        raise _malformed("the payment is not a JSON object")
    id_ = document.get("id")
    amount = document.get("amount")
    currency = document.get("currency")
    key = document.get("idempotency_key")
    metadata = document.get("metadata")
    decline_code = document.get("decline_code")
    if not isinstance(id_, str) or not id_:
        raise _malformed("no payment id")
    status = document.get("status")
    if not isinstance(status, str) or status not in set(TerminalStatus):
        raise _malformed(f"unknown status {status!r}")
    # bool is an int in Python, and true is not an amount.
    if not isinstance(amount, int) or isinstance(amount, bool):
        raise _malformed(f"amount {amount!r} is not an integer")
    if not isinstance(currency, str) or not currency:
        raise _malformed("no currency")
    if not isinstance(key, str):
        raise _malformed("no idempotency key")
    if metadata is None:
        metadata = {}
    if not isinstance(metadata, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()
    ):
        raise _malformed("metadata is not a map of strings")
    if decline_code is not None and not isinstance(decline_code, str):
        raise _malformed("decline_code is not a string")
    return TerminalPayment(
        id=id_,
        status=TerminalStatus(status),
        amount_minor=amount,
        currency=currency,
        idempotency_key=key,
        metadata=dict(metadata),
        decline_code=decline_code,
    )


def _malformed(what: str) -> TerminalUnavailable:
    return TerminalUnavailable(f"the terminal answered a malformed payment: {what}")
