"""The card-payment machinery a till runs beside its window: terminal, listener, poller.

Built from the settings at start-up. ``pos --demo`` also runs the terminal simulator
in-process, wired to the listener with a fresh secret, so card payments work with no
hardware. Nothing here knows about Qt: the window passes ``on_change`` and turns
the calls (made on the listener's and poller's threads) into queued signals.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from pos.bootstrap import Till
from pos.credentials import secrets_for
from pos.domain.results import Err
from pos.payments.http import HttpTerminal
from pos.payments.simulator import TerminalSimulator
from pos.payments.terminal import TerminalRejected, TerminalUnavailable
from pos.runtime.listener import WebhookListener
from pos.runtime.poller import Poller
from pos.services.attention import open_conflicts
from pos.services.card_payments import CardPaymentView, unresolved_card_payments
from pos.services.payment_events import EventReceipt
from pos.store.models import DEFAULT_TILL_ID

log = logging.getLogger(__name__)

DEMO_DECISION_SECONDS = 2.0


class EventRelay:
    """Hands the listener's events to whoever is set as ``target`` once it exists."""

    def __init__(self) -> None:
        self.target: Callable[[EventReceipt], None] | None = None

    def __call__(self, receipt: EventReceipt) -> None:
        if self.target is not None:
            self.target(receipt)


class PaymentsNotConfigured(RuntimeError):
    """The till has no terminal URL or no API key for it."""


@dataclass(frozen=True)
class PaymentsStatus:
    """What the status bar shows about card payments."""

    terminal_url: str
    terminal_answers: bool
    listener_url: str | None
    last_event_at: datetime | None
    unresolved: int
    conflicts: int = 0
    """Charges the sales cannot follow, waiting for a manager (the whole store's)."""


class PaymentRuntime:
    """Owns the terminal adapter, the webhook listener, the poller (and a simulator)."""

    def __init__(
        self,
        till: Till,
        terminal_url: str,
        api_key: str,
        *,
        listener: WebhookListener | None,
        heard: EventRelay | None = None,
        simulator: TerminalSimulator | None = None,
        till_id: int = DEFAULT_TILL_ID,
    ) -> None:
        provider = till.settings.terminal_provider
        self.till = till
        self.terminal = HttpTerminal(terminal_url, api_key, provider=provider)
        self.listener = listener
        self.simulator = simulator
        self.on_change: Callable[[int], None] | None = None
        self.on_leftovers: Callable[[tuple[int, ...]], None] | None = None
        self.leftovers: tuple[int, ...] | None = None
        """The card payments this till found in flight at start-up; None until looked."""
        if heard is not None:
            heard.target = self._heard
        self._listening = listener is not None and simulator is not None  # the demo's runs
        # The status bar's question must not wait through the retries of a payment call.
        self._probe = HttpTerminal(
            terminal_url,
            api_key,
            provider=provider,
            connect_timeout=1.0,
            read_timeout=2.0,
            retries=0,
        )
        self.poller = Poller(
            till.uow,
            self.terminal,
            till_id=till_id,
            on_change=self._changed,
            on_leftovers=self._left_over,
        )
        self._till_id = till_id

    def start(self) -> None:
        """Start listening and polling; the first poll reconciles what a stop left pending."""
        if self.listener is not None and not self._listening:
            self.listener.start()
            self._listening = True
        self.poller.start()

    def stop(self) -> None:
        self.poller.stop()
        if self.listener is not None:
            self.listener.stop()
        if self.simulator is not None:
            self.simulator.stop()
        self.terminal.close()
        self._probe.close()

    @property
    def till_id(self) -> int:
        return self._till_id

    def wake(self) -> None:
        self.poller.wake()

    def status(self) -> PaymentsStatus:
        """Asks the terminal whether it answers: call it off the GUI thread."""
        try:
            self._probe.get_payment("pay_status_probe")
            answers = True
        except TerminalRejected:
            answers = True  # "no such payment" is an answer
        except TerminalUnavailable:
            answers = False
        unresolved = unresolved_card_payments(self.till.uow(), self._till_id)
        conflicts = open_conflicts(self.till.uow())
        return PaymentsStatus(
            terminal_url=self.terminal.base_url,
            terminal_answers=answers,
            listener_url=self.listener.url if self.listener is not None else None,
            # The listener's own: a poller's answer is not an event it heard.
            last_event_at=self.listener.last_event_at if self.listener is not None else None,
            unresolved=0 if isinstance(unresolved, Err) else len(unresolved.value),
            conflicts=0 if isinstance(conflicts, Err) else conflicts.value,
        )

    def _changed(self, payment_id: int) -> None:
        if self.on_change is not None:
            self.on_change(payment_id)

    def _left_over(self, found: tuple[CardPaymentView, ...]) -> None:
        self.leftovers = tuple(view.payment_id for view in found)
        if self.on_leftovers is not None and self.leftovers:
            self.on_leftovers(self.leftovers)

    def _heard(self, receipt: EventReceipt) -> None:
        if receipt.payment_id is not None and not receipt.duplicate:
            self._changed(receipt.payment_id)


def payment_runtime(
    till: Till, *, demo: bool, decision_delay: float = DEMO_DECISION_SECONDS
) -> PaymentRuntime:
    """The till's card payments as the settings describe them, or the demo's. Not started
    (the demo's simulated terminal, deciding after ``decision_delay``, already serves)."""
    settings = till.settings
    if demo:
        return _demo_runtime(till, decision_delay)
    if settings.terminal_url is None:
        raise PaymentsNotConfigured("no card terminal: set [terminal] url in the settings")
    keys = secrets_for("terminal")
    if not keys:
        raise PaymentsNotConfigured("no API key for the terminal: run `pos secrets set terminal`")
    listener, heard = None, EventRelay()
    if settings.listener_port >= 0:
        listener = WebhookListener(
            till.uow,
            lambda: secrets_for("webhook"),
            provider=settings.terminal_provider,
            host=settings.listener_host,
            port=settings.listener_port,
            on_event=heard,
        )
    return PaymentRuntime(till, settings.terminal_url, keys[0], listener=listener, heard=heard)


def _demo_runtime(till: Till, decision_delay: float) -> PaymentRuntime:
    """A simulated terminal on loopback posting signed webhooks to an in-process listener."""
    webhook_secret = secrets.token_hex(32)
    api_key = secrets.token_hex(16)
    heard = EventRelay()
    listener = WebhookListener(
        till.uow,
        lambda: [webhook_secret],
        provider=till.settings.terminal_provider,
        host="127.0.0.1",
        port=0,
        on_event=heard,
    ).start()
    simulator = TerminalSimulator(
        api_key=api_key,
        webhook_url=listener.url,
        webhook_secret=webhook_secret,
        decision_delay=decision_delay,
    ).start()
    return PaymentRuntime(
        till, simulator.url, api_key, listener=listener, heard=heard, simulator=simulator
    )
