"""The till's embedded webhook listener: where a terminal pushes the outcome of a payment.

Each request goes through three gates in a fixed order: the signature (over the raw
body, against every current secret), then the event's shape, and only then the store.
So a request that is unsigned, forged, stale, oversized or malformed gets a 4xx and
never opens a transaction. A failure of the store itself answers 500, which makes the
terminal send the event again; the reconciler stores each event id once, so a
re-delivery is answered 200 and does nothing.

``WebhookApp`` is a plain WSGI application; ``WebhookListener`` serves it with waitress
on a daemon thread.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

from pos.domain.results import STORE_FAILURES, Err
from pos.payments.events import EventFormatError, parse_webhook
from pos.payments.server import BackgroundServer
from pos.payments.signatures import DEFAULT_TOLERANCE, SignatureError, verify
from pos.services.payment_events import EventReceipt, apply_payment_event
from pos.store.uow import UnitOfWork

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/webhook/payment"
HEALTH_PATH = "/healthz"
MAX_BODY = 64 * 1024
"""A payment event is under 2 KiB; anything near this is not one."""
SERVER_THREADS = 8
# Pos-Signature is ours; Stripe-Signature lets a Stripe-style gateway post unchanged.
SIGNATURE_HEADERS = ("HTTP_POS_SIGNATURE", "HTTP_STRIPE_SIGNATURE")
_ALLOWED = {WEBHOOK_PATH: "POST", HEALTH_PATH: "GET"}
_REASONS = {
    200: "OK",
    400: "Bad Request",
    404: "Not Found",
    405: "Method Not Allowed",
    413: "Payload Too Large",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


@dataclass(eq=False)
class _Answer(Exception):
    """A response; raised to leave the request early."""

    status: int
    document: dict[str, Any]
    note: str = ""
    """What the request log says beside the status (never the body, never a secret)."""
    headers: list[tuple[str, str]] = field(default_factory=list)


def _refusal(status: int, kind: str, message: str, note: str = "") -> _Answer:
    return _Answer(status, {"error": {"type": kind, "message": message}}, note or kind)


class WebhookApp:
    """The WSGI application: ``POST /webhook/payment`` and ``GET /healthz``."""

    def __init__(
        self,
        uow_factory: Callable[[], UnitOfWork],
        secrets: Callable[[], Sequence[str]],
        *,
        provider: str = "terminal",
        tolerance: int = DEFAULT_TOLERANCE,
        max_body: int = MAX_BODY,
        on_event: Callable[[EventReceipt], None] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._uow_factory = uow_factory
        self._secrets = secrets
        self._provider = provider
        self._tolerance = tolerance
        self._max_body = max_body
        self._on_event = on_event
        self._clock = clock
        self._sqlite_writer = threading.Lock()
        self.last_event_at: datetime | None = None
        """When this listener last took an event (duplicates included): webhooks arrive."""

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        started = time.perf_counter()
        method = environ.get("REQUEST_METHOD", "")
        path = environ.get("PATH_INFO", "")
        try:
            answer = self._route(environ, method, path)
        except _Answer as early:
            answer = early
        except Exception:
            log.exception("webhook listener: %s %r failed", method, path[:200])
            answer = _refusal(500, "internal_error", "the request could not be handled")
        body = json.dumps(answer.document).encode()
        start_response(
            f"{answer.status} {_REASONS.get(answer.status, 'Error')}",
            [
                ("Content-Type", "application/json"),
                ("Content-Length", str(len(body))),
                ("Cache-Control", "no-store"),
                *answer.headers,
            ],
        )
        log.info(
            "webhook listener: %s %r from %s -> %d %s (%.1f ms)",
            method[:16],
            path[:200],
            environ.get("REMOTE_ADDR", "?"),
            answer.status,
            answer.note,
            (time.perf_counter() - started) * 1000,
        )
        # waitress sends whatever the app returns, even to HEAD, where a body would be read
        # as the start of the next response on a kept-alive connection.
        return [] if method == "HEAD" else [body]

    def _route(self, environ: WSGIEnvironment, method: str, path: str) -> _Answer:
        allowed = _ALLOWED.get(path)
        if allowed is None:
            raise _refusal(404, "not_found", "no such path")
        if method != allowed:
            refusal = _refusal(405, "method_not_allowed", f"use {allowed}")
            refusal.headers.append(("Allow", allowed))
            raise refusal
        if path == HEALTH_PATH:
            return _Answer(200, {"status": "ok"})
        return self._receive(environ)

    def _receive(self, environ: WSGIEnvironment) -> _Answer:
        body = self._body(environ)
        secrets = self._current_secrets()
        header = next((environ[name] for name in SIGNATURE_HEADERS if environ.get(name)), None)
        try:
            verify(body, header, secrets, now=self._clock(), tolerance=self._tolerance)
        except SignatureError as exc:
            # The reason goes to the log only: a prober learns nothing from the answer.
            raise _refusal(
                400, "invalid_signature", "the signature does not verify", f"signature: {exc}"
            ) from None
        try:
            event = parse_webhook(body, provider=self._provider)
        except EventFormatError as exc:
            raise _refusal(400, "invalid_event", str(exc), f"event: {exc}") from None
        try:
            uow = self._uow_factory()
            # SQLite takes one writer at a time and makes the others sleep in its busy
            # handler, in growing naps: queueing here instead took p99 from ~350 ms to ~70 ms
            # (tests/benchmarks/webhooks.py).
            gate = self._sqlite_writer if uow.engine.dialect.name == "sqlite" else nullcontext()
            with gate:
                result = apply_payment_event(uow, event)
        except Exception:
            log.exception("webhook listener: storing event %r failed", event.event_id)
            raise _refusal(
                500, "store_unavailable", "the event was not stored; send it again"
            ) from None
        if isinstance(result, Err) and result.code in STORE_FAILURES:
            # Busy or unreachable, not a bad event: a 5xx makes the sender try again.
            raise _refusal(
                503,
                "store_unavailable",
                "the event was not stored; send it again",
                f"{event.event_id!r} {result.code}",
            )
        if isinstance(result, Err):
            raise _refusal(
                400, result.code.value, "the event was refused", f"{event.event_id!r} {result.code}"
            )
        receipt = result.value
        self.last_event_at = datetime.fromtimestamp(self._clock(), UTC)
        self._tell(receipt)
        answer: dict[str, object] = {
            "received": True,
            "outcome": receipt.outcome.value,
            "duplicate": receipt.duplicate,
        }
        if receipt.conflict:
            # The terminal says money moved where the sale cannot follow: kept for a manager.
            answer["conflict"] = True
        return _Answer(
            200,
            answer,
            f"{event.event_id!r} {receipt.outcome.value}"
            + (" duplicate" if receipt.duplicate else "")
            + (" conflict" if receipt.conflict else ""),
        )

    def _body(self, environ: WSGIEnvironment) -> bytes:
        declared = environ.get("CONTENT_LENGTH") or ""
        if declared and not (declared.isascii() and declared.isdigit()):
            raise _refusal(400, "bad_request", "Content-Length is not a number")
        if declared and int(declared) > self._max_body:
            raise _refusal(413, "too_large", f"the body is over {self._max_body} bytes")
        # Without a length (a server that passes chunked bodies on) read one byte past the
        # limit, which is enough to know the body is over it.
        wanted = int(declared) if declared else self._max_body + 1
        body: bytes = environ["wsgi.input"].read(wanted) if wanted else b""
        if len(body) > self._max_body:
            raise _refusal(413, "too_large", f"the body is over {self._max_body} bytes")
        if declared and len(body) != wanted:
            raise _refusal(400, "bad_request", "the body is shorter than its Content-Length")
        return body

    def _current_secrets(self) -> list[str]:
        # Read per request, so a rotated secret takes effect without a restart.
        try:
            secrets = [secret for secret in self._secrets() if secret]
        except Exception:
            log.exception("webhook listener: the webhook secret could not be read")
            secrets = []
        if not secrets:
            # The sender did nothing wrong: 503 keeps it retrying until the till is set up.
            raise _refusal(
                503, "not_configured", "webhooks are not set up on this till", "no secret"
            )
        return secrets

    def _tell(self, receipt: EventReceipt) -> None:
        if self._on_event is None:
            return
        try:
            self._on_event(receipt)
        except Exception:
            # The event is stored; a failing listener of ours must not make the terminal resend.
            log.exception("webhook listener: on_event failed for %r", receipt.event_id)


class WebhookListener:
    """Serves ``WebhookApp`` on ``host:port`` (0: any free port) from a daemon thread."""

    def __init__(
        self,
        uow_factory: Callable[[], UnitOfWork],
        secrets: Callable[[], Sequence[str]],
        *,
        provider: str = "terminal",
        host: str = "127.0.0.1",
        port: int = 0,
        tolerance: int = DEFAULT_TOLERANCE,
        max_body: int = MAX_BODY,
        on_event: Callable[[EventReceipt], None] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.app = WebhookApp(
            uow_factory,
            secrets,
            provider=provider,
            tolerance=tolerance,
            max_body=max_body,
            on_event=on_event,
            clock=clock,
        )
        self.host = host
        self._requested_port = port
        self._max_body = max_body
        self._server: BackgroundServer | None = None
        self._lock = threading.Lock()

    def start(self) -> Self:
        with self._lock:
            if self._server is not None:
                raise RuntimeError("the webhook listener is already started")
            self._server = BackgroundServer(
                self.app,
                self.host,
                self._requested_port,
                name="webhook-listener",
                threads=SERVER_THREADS,
                # waitress answers 413 itself before buffering a body it will refuse.
                max_request_body_size=self._max_body,
                max_request_header_size=16 * 1024,
                channel_timeout=30,
                connection_limit=100,
                clear_untrusted_proxy_headers=True,
                asyncore_use_poll=True,
                ident="kasa",
            )
        log.info("webhook listener on %s", self.url)
        return self

    def stop(self) -> None:
        with self._lock:
            server, self._server = self._server, None
        if server is None:
            return
        server.stop()
        log.info("webhook listener on %s:%s stopped", self.host, server.port)

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the webhook listener is not started")
        return int(self._server.port)

    @property
    def url(self) -> str:
        """The address a terminal posts its webhooks to."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}{WEBHOOK_PATH}"

    @property
    def last_event_at(self) -> datetime | None:
        return self.app.last_event_at

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
