"""A card terminal simulator: a real HTTP server speaking the wire protocol of README.md.

The last two digits of the amount (in minor units) choose what the "card" does, so a
cashier or a test can provoke every awkward case a real terminal produces: a decline, no
answer, a webhook delivered twice, late, contradicted, or never. A refund's amount does
the same for the refund.
"""

from __future__ import annotations

import enum
import heapq
import hmac
import itertools
import json
import logging
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from http import HTTPStatus
from types import TracebackType
from typing import Any, Self

import requests

from pos.payments.server import BackgroundServer
from pos.payments.signatures import sign
from pos.payments.terminal import TerminalRefundStatus, TerminalStatus
from pos.payments.wire import (
    MAX_BODY,
    BadRequest,
    PaymentRequest,
    RefundRequest,
    allow,
    conflict,
    idempotency_key,
    invalid,
    not_found,
    payment_request,
    read_json,
    refund_request,
)

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "Pos-Signature"
DECLINE_CODE = "card_declined"
REFUND_FAILURE_CODE = "refund_declined"

_PAYMENT_PATH = re.compile(r"/v1/payments/(pay_[0-9a-f]{24})(/cancel)?")
_REFUND_PATH = re.compile(r"/v1/refunds/(re_[0-9a-f]{24})")

StartResponse = Callable[[str, list[tuple[str, str]]], object]
Job = Callable[[], None]


class Scenario(enum.Enum):
    """What the terminal does with a payment or a refund, chosen by the amount's last two
    digits (a refund knows all but ``FAILED_AFTER_SUCCEEDED``)."""

    APPROVE = "approve"
    DECLINE = "decline"  # ..91
    NO_ANSWER = "no_answer"  # ..92: pending until cancelled
    WEBHOOK_TWICE = "webhook_twice"  # ..93: the same event delivered twice
    WEBHOOK_LATE = "webhook_late"  # ..94: the webhook comes late_delay after the decision
    FAILED_AFTER_SUCCEEDED = "failed_after_succeeded"  # ..95: a contradicting payment.failed
    NO_WEBHOOK = "no_webhook"  # ..96: only polling finds the result


_SCENARIOS = {
    91: Scenario.DECLINE,
    92: Scenario.NO_ANSWER,
    93: Scenario.WEBHOOK_TWICE,
    94: Scenario.WEBHOOK_LATE,
    95: Scenario.FAILED_AFTER_SUCCEEDED,
    96: Scenario.NO_WEBHOOK,
}


# A refund cannot be cancelled, so one ending in 92 stays pending for good; none is
# contradicted (95 is an ordinary approval).
_REFUND_SCENARIOS = {
    91: Scenario.DECLINE,
    92: Scenario.NO_ANSWER,
    93: Scenario.WEBHOOK_TWICE,
    94: Scenario.WEBHOOK_LATE,
    96: Scenario.NO_WEBHOOK,
}


def scenario_for(amount_minor: int) -> Scenario:
    return _SCENARIOS.get(amount_minor % 100, Scenario.APPROVE)


def refund_scenario_for(amount_minor: int) -> Scenario:
    return _REFUND_SCENARIOS.get(amount_minor % 100, Scenario.APPROVE)


@dataclass
class _Payment:
    id: str
    status: TerminalStatus
    amount: int
    currency: str
    idempotency_key: str
    metadata: dict[str, str]
    created: int
    decline_code: str | None = None
    scenario: Scenario = field(init=False)

    def __post_init__(self) -> None:
        self.scenario = scenario_for(self.amount)

    def same_request(self, request: PaymentRequest) -> bool:
        return request == (self.amount, self.currency, self.metadata)

    def wire(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": "payment",
            "status": str(self.status),
            "amount": self.amount,
            "currency": self.currency,
            "idempotency_key": self.idempotency_key,
            "metadata": dict(self.metadata),
            "decline_code": self.decline_code,
            "created": self.created,
        }


@dataclass
class _Refund:
    id: str
    payment: str
    status: TerminalRefundStatus
    amount: int
    currency: str
    idempotency_key: str
    metadata: dict[str, str]
    created: int
    failure_code: str | None = None
    scenario: Scenario = field(init=False)

    def __post_init__(self) -> None:
        self.scenario = refund_scenario_for(self.amount)

    def same_request(self, request: RefundRequest) -> bool:
        return request == (self.payment, self.amount, self.currency, self.metadata)

    def wire(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": "refund",
            "payment": self.payment,
            "status": str(self.status),
            "amount": self.amount,
            "currency": self.currency,
            "idempotency_key": self.idempotency_key,
            "metadata": dict(self.metadata),
            "failure_code": self.failure_code,
            "created": self.created,
        }


@dataclass(frozen=True)
class _Event:
    id: str
    type: str
    body: bytes  # serialised once: a re-delivery sends exactly the same bytes


class TerminalSimulator:
    """A terminal on ``http://host:port`` (port 0 picks a free one; see ``url``).

    ``start()`` serves on daemon threads and returns self; ``stop()`` shuts down;
    ``wait()`` blocks until stopped. Payments and refunds live in memory only.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        api_key: str,
        webhook_url: str | None,
        webhook_secret: str | None,
        decision_delay: float = 1.5,
        late_delay: float = 10.0,
        webhook_retry_base: float = 0.2,
        webhook_retry_cap: float = 5.0,
        webhook_max_attempts: int = 8,
        webhook_timeout: tuple[float, float] = (3.05, 10.0),
    ) -> None:
        if not api_key:
            raise ValueError("the simulator needs an API key")
        if webhook_max_attempts < 1:
            raise ValueError("webhook_max_attempts must be at least 1")
        self.host = host
        self.port = port
        self.webhook_url = webhook_url
        self.decision_delay = decision_delay
        self.late_delay = late_delay
        self.webhook_retry_base = webhook_retry_base
        self.webhook_retry_cap = webhook_retry_cap
        self.webhook_max_attempts = webhook_max_attempts
        self.webhook_timeout = webhook_timeout
        self._expected_auth = f"Bearer {api_key}".encode()
        self._webhook_secret = webhook_secret
        # One lock guards everything below; the scheduler waits on it as a condition.
        self._lock = threading.Condition()
        self._payments: dict[str, _Payment] = {}
        self._by_key: dict[str, _Payment] = {}
        # Refund keys are a namespace of their own, as each endpoint's are at Stripe's.
        self._refunds: dict[str, _Refund] = {}
        self._refunds_by_key: dict[str, _Refund] = {}
        self._jobs: list[tuple[float, int, Job]] = []
        self._sequence = itertools.count()
        self._requests_seen = 0
        self._webhook_attempts = 0
        self._stopping = False
        self._stopped = threading.Event()
        self._http: BackgroundServer | None = None
        self._scheduler: threading.Thread | None = None

    # -- life cycle --------------------------------------------------------------

    def start(self) -> Self:
        if self._http is not None:
            raise RuntimeError("the simulator is already started")
        self._http = BackgroundServer(
            self._app,
            self.host,
            self.port,
            name="terminal-sim",
            threads=4,
            max_request_body_size=MAX_BODY,
            ident="kasa-terminal-sim",
        )
        self.host, self.port = self._http.host, self._http.port
        self._scheduler = threading.Thread(
            target=self._run_jobs, name="terminal-sim-jobs", daemon=True
        )
        self._scheduler.start()
        log.info(
            "terminal simulator listening on %s (webhooks to %s)",
            self.url,
            self.webhook_url or "nowhere",
        )
        return self

    def stop(self) -> None:
        with self._lock:
            if self._stopping or self._http is None:
                return
            self._stopping = True
            self._lock.notify_all()
        self._http.stop()
        if self._scheduler is not None:
            self._scheduler.join(timeout=5)
        self._stopped.set()
        log.info("terminal simulator on %s stopped", self.url)

    def wait(self, timeout: float | None = None) -> bool:
        """Block until ``stop()``; True when stopped, False on timeout."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self._stopped.is_set():
            remaining = 0.5 if deadline is None else min(0.5, deadline - time.monotonic())
            if remaining <= 0:
                return False
            # Short waits keep Ctrl-C responsive in the main thread.
            self._stopped.wait(remaining)
        return True

    def run_forever(self) -> None:
        """Serve until stopped or interrupted (Ctrl-C); for ``pos terminal-sim``."""
        if self._http is None:
            self.start()
        try:
            self.wait()
        except KeyboardInterrupt:
            log.info("interrupted")
        finally:
            self.stop()

    def __enter__(self) -> Self:
        return self if self._http is not None else self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def requests_seen(self) -> int:
        """HTTP requests received, whatever their answer."""
        with self._lock:
            return self._requests_seen

    @property
    def payment_count(self) -> int:
        """Payments the terminal holds: what it would have charged, at most once each."""
        with self._lock:
            return len(self._payments)

    @property
    def refund_count(self) -> int:
        """Refunds the terminal holds: what it would have given back, at most once each."""
        with self._lock:
            return len(self._refunds)

    @property
    def webhook_attempts(self) -> int:
        """Webhook POSTs made, re-deliveries and retries included."""
        with self._lock:
            return self._webhook_attempts

    # -- HTTP --------------------------------------------------------------------

    def _app(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "")
        path = environ.get("PATH_INFO", "")
        with self._lock:
            self._requests_seen += 1
        headers: list[tuple[str, str]] = []
        try:
            status, document = self._route(environ, method, path, headers)
        except BadRequest as refused:
            status = refused.status
            document = {"error": {"type": refused.kind, "message": refused.message}}
        log.info(
            "%s %s -> %d%s",
            method,
            path,
            status,
            f" {document['id']} {document['status']}" if "id" in document else "",
        )
        body = json.dumps(document).encode()
        headers += [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
        start_response(f"{status.value} {status.phrase}", headers)
        return [body]

    def _route(
        self, environ: dict[str, Any], method: str, path: str, headers: list[tuple[str, str]]
    ) -> tuple[HTTPStatus, dict[str, Any]]:
        given = environ.get("HTTP_AUTHORIZATION", "").encode("utf-8", "replace")
        if not hmac.compare_digest(given, self._expected_auth):
            headers.append(("WWW-Authenticate", 'Bearer realm="terminal"'))
            raise BadRequest(
                HTTPStatus.UNAUTHORIZED, "authentication_error", "missing or wrong API key"
            )
        if path == "/v1/payments":
            allow(method, "POST", headers)
            return self._create(environ)
        if path == "/v1/refunds":
            allow(method, "POST", headers)
            return self._create_refund(environ)
        refund = _REFUND_PATH.fullmatch(path)
        if refund is not None:
            allow(method, "GET", headers)
            with self._lock:
                return HTTPStatus.OK, self._find_refund(refund.group(1)).wire()
        match = _PAYMENT_PATH.fullmatch(path)
        if match is None:
            raise not_found(f"no such resource: {path}")
        payment_id, cancel = match.groups()
        if cancel:
            allow(method, "POST", headers)
            return HTTPStatus.OK, self._cancel(payment_id)
        allow(method, "GET", headers)
        with self._lock:
            return HTTPStatus.OK, self._find(payment_id).wire()

    def _find(self, payment_id: str) -> _Payment:
        payment = self._payments.get(payment_id)
        if payment is None:
            raise not_found(f"no payment {payment_id}")
        return payment

    def _find_refund(self, refund_id: str) -> _Refund:
        refund = self._refunds.get(refund_id)
        if refund is None:
            raise not_found(f"no refund {refund_id}")
        return refund

    def _create(self, environ: dict[str, Any]) -> tuple[HTTPStatus, dict[str, Any]]:
        key = idempotency_key(environ)
        request = payment_request(read_json(environ))
        with self._lock:
            known = self._by_key.get(key)
            if known is not None:
                if not known.same_request(request):
                    raise conflict(key)
                return HTTPStatus.OK, known.wire()
            payment = _Payment(
                id=f"pay_{secrets.token_hex(12)}",
                status=TerminalStatus.PENDING,
                amount=request.amount,
                currency=request.currency,
                idempotency_key=key,
                metadata=request.metadata,
                created=int(time.time()),
            )
            self._payments[payment.id] = payment
            self._by_key[key] = payment
            if payment.scenario is not Scenario.NO_ANSWER:
                self._schedule(self.decision_delay, lambda: self._decide(payment.id))
            log.info("payment %s created: %s", payment.id, payment.scenario.value)
            return HTTPStatus.CREATED, payment.wire()

    def _create_refund(self, environ: dict[str, Any]) -> tuple[HTTPStatus, dict[str, Any]]:
        key = idempotency_key(environ)
        request = refund_request(read_json(environ))
        with self._lock:
            # The key first: a replayed refund has used up the amount it is checked against.
            known = self._refunds_by_key.get(key)
            if known is not None:
                if not known.same_request(request):
                    raise conflict(key)
                return HTTPStatus.OK, known.wire()
            payment = self._payments.get(request.payment)
            if payment is None:
                raise not_found(f"no payment {request.payment}")
            if payment.status is not TerminalStatus.SUCCEEDED:
                raise invalid(f"payment {payment.id} is {payment.status}: nothing to refund")
            if request.currency != payment.currency:
                raise invalid(f"payment {payment.id} was taken in {payment.currency}")
            left = payment.amount - sum(
                refund.amount
                for refund in self._refunds.values()
                if refund.payment == payment.id and refund.status is not TerminalRefundStatus.FAILED
            )
            if request.amount > left:
                raise invalid(
                    f"amount {request.amount} is more than the {left} left to refund "
                    f"on payment {payment.id}"
                )
            refund = _Refund(
                id=f"re_{secrets.token_hex(12)}",
                payment=payment.id,
                status=TerminalRefundStatus.PENDING,
                amount=request.amount,
                currency=request.currency,
                idempotency_key=key,
                metadata=request.metadata,
                created=int(time.time()),
            )
            self._refunds[refund.id] = refund
            self._refunds_by_key[key] = refund
            if refund.scenario is not Scenario.NO_ANSWER:
                self._schedule(self.decision_delay, lambda: self._decide_refund(refund.id))
            log.info("refund %s of %s created: %s", refund.id, payment.id, refund.scenario.value)
            return HTTPStatus.CREATED, refund.wire()

    def _cancel(self, payment_id: str) -> dict[str, Any]:
        with self._lock:
            payment = self._find(payment_id)
            if payment.status is TerminalStatus.PENDING:
                payment.status = TerminalStatus.CANCELLED
                log.info("payment %s cancelled", payment.id)
                if payment.scenario is not Scenario.NO_WEBHOOK:
                    self._send(self._event(payment, "payment.cancelled"))
            return payment.wire()

    # -- decisions and webhooks --------------------------------------------------

    def _decide(self, payment_id: str) -> None:
        with self._lock:
            payment = self._payments[payment_id]
            if payment.status is not TerminalStatus.PENDING:
                return  # cancelled while the card was being read
            scenario = payment.scenario
            if scenario is Scenario.DECLINE:
                payment.status = TerminalStatus.FAILED
                payment.decline_code = DECLINE_CODE
            else:
                payment.status = TerminalStatus.SUCCEEDED
            log.info("payment %s %s", payment.id, payment.status)
            event = self._event(payment, f"payment.{payment.status}")
            if scenario is Scenario.FAILED_AFTER_SUCCEEDED:
                # The payment stays succeeded; only the event says otherwise, and only
                # once the first one has been delivered, so the order is the hostile one.
                contradiction = replace(
                    payment, status=TerminalStatus.FAILED, decline_code=DECLINE_CODE
                )
                failed = self._event(contradiction, "payment.failed")
                self._send(event, then=lambda: self._send(failed))
            else:
                self._announce(event, scenario)

    def _decide_refund(self, refund_id: str) -> None:
        with self._lock:
            refund = self._refunds[refund_id]
            if refund.scenario is Scenario.DECLINE:
                refund.status = TerminalRefundStatus.FAILED
                refund.failure_code = REFUND_FAILURE_CODE
            else:
                refund.status = TerminalRefundStatus.SUCCEEDED
            log.info("refund %s %s", refund.id, refund.status)
            self._announce(self._event(refund, f"refund.{refund.status}"), refund.scenario)

    def _announce(self, event: _Event, scenario: Scenario) -> None:
        """Deliver a decision's webhook as the scenario has it; call with the lock held."""
        if scenario is Scenario.NO_WEBHOOK:
            return
        if scenario is Scenario.WEBHOOK_LATE:
            self._schedule(self.late_delay, lambda: self._send(event))
        elif scenario is Scenario.WEBHOOK_TWICE:
            self._send(event, then=lambda: self._send(event))
        else:
            self._send(event)

    def _event(self, subject: _Payment | _Refund, kind: str) -> _Event:
        event_id = f"evt_{secrets.token_hex(12)}"
        document = {
            "id": event_id,
            "type": kind,
            "created": int(time.time()),
            "data": {"object": subject.wire()},
        }
        return _Event(event_id, kind, json.dumps(document).encode())

    def _send(self, event: _Event, attempt: int = 1, then: Job | None = None) -> None:
        if self.webhook_url is None or self._stopping:
            return
        # Each POST on a thread of its own: a slow receiver never holds up the decisions.
        threading.Thread(
            target=self._deliver,
            args=(self.webhook_url, event, attempt, then),
            name=f"webhook-{event.id}",
            daemon=True,
        ).start()

    def _deliver(self, url: str, event: _Event, attempt: int, then: Job | None) -> None:
        headers = {"Content-Type": "application/json", "User-Agent": "kasa-terminal-sim"}
        if self._webhook_secret:
            # Signed afresh on each attempt, so a long retry never goes stale.
            headers[SIGNATURE_HEADER] = sign(event.body, self._webhook_secret)
        try:
            answer = requests.post(
                url, data=event.body, headers=headers, timeout=self.webhook_timeout
            )
            outcome, delivered = f"HTTP {answer.status_code}", 200 <= answer.status_code < 300
        except requests.RequestException as exc:
            outcome, delivered = type(exc).__name__, False
        with self._lock:
            self._webhook_attempts += 1
        log.info("webhook %s %s attempt %d -> %s", event.id, event.type, attempt, outcome)
        if not delivered:
            if attempt < self.webhook_max_attempts:
                delay = min(self.webhook_retry_cap, self.webhook_retry_base * 2 ** (attempt - 1))
                with self._lock:
                    self._schedule(delay, lambda: self._send(event, attempt + 1, then))
                return
            log.warning("webhook %s given up after %d attempts", event.id, attempt)
        if then is not None and not self._stopping:
            then()

    # -- scheduler ---------------------------------------------------------------

    def _schedule(self, delay: float, job: Job) -> None:
        """Run ``job`` on the scheduler thread after ``delay`` s; call with the lock held."""
        heapq.heappush(self._jobs, (time.monotonic() + delay, next(self._sequence), job))
        self._lock.notify_all()

    def _run_jobs(self) -> None:
        while True:
            with self._lock:
                while not self._stopping:
                    now = time.monotonic()
                    if self._jobs and self._jobs[0][0] <= now:
                        job = heapq.heappop(self._jobs)[2]
                        break
                    self._lock.wait(self._jobs[0][0] - now if self._jobs else None)
                else:
                    return
            try:
                job()
            except Exception:
                log.exception("terminal simulator job failed")
