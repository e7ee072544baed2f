"""The poller: asks the terminal about every card payment still unresolved at this till.

It is the other half of reconciliation: a webhook that never comes, or comes late,
or a till that crashed between checkout and the terminal call, all end with the
poller asking (or starting again with the same idempotency key) and handing the
answer to the same reconciler the listener uses. The two race freely; each
reconciliation applies its effects once.

It polls every ``fast`` seconds while a payment is in flight and every ``slow``
seconds otherwise; ``wake()`` makes it look at once (after Pay is pressed). Past
the shop's card answer window (``policy.card_answer_window``, carried by each unit of
work) a pending payment is asked about once more, then cancelled.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from pos.domain.clock import Clock, system_clock
from pos.domain.payments import PaymentStatus
from pos.domain.results import Err
from pos.payments.terminal import PaymentTerminal
from pos.services.card_payments import (
    CardPaymentView,
    cancel_card_payment,
    check_card_payment,
    claim_leftover_payments,
    unresolved_card_payments,
)
from pos.services.payment_events import match_unmatched_events
from pos.services.refunds import start_refund, unresolved_refunds
from pos.store.uow import UnitOfWork

log = logging.getLogger(__name__)

FAST_SECONDS = 2.0
SLOW_SECONDS = 30.0


class Poller:
    """A background loop over the till's unresolved card payments."""

    def __init__(
        self,
        uow_factory: Callable[[], UnitOfWork],
        terminal: PaymentTerminal,
        *,
        till_id: int | None = None,
        fast: float = FAST_SECONDS,
        slow: float = SLOW_SECONDS,
        on_change: Callable[[int], None] | None = None,
        on_leftovers: Callable[[tuple[CardPaymentView, ...]], None] | None = None,
        clock: Clock = system_clock,
    ) -> None:
        self._uow = uow_factory
        self._terminal = terminal
        self._till_id = till_id
        self.fast = fast
        self.slow = slow
        self.on_change = on_change
        self.on_leftovers = on_leftovers
        self._first_round = True
        self._clock = clock
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> Poller:
        if self._thread is not None:
            raise RuntimeError("the poller is already running")
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="payment-poller", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def wake(self) -> None:
        """Look now: a payment was just handed to the terminal."""
        self._wake.set()

    def run_once(self) -> int:
        """One round over the unresolved payments; how many are still unresolved.

        The first round is the start-up reconciliation: payments left pending by a
        till that stopped, including one whose terminal call never happened, which
        is started again with its own idempotency key.
        """
        if self._first_round and self._till_id is not None:
            # Before anything is asked: what this till left in flight when it stopped.
            found = claim_leftover_payments(self._uow(), self._till_id)
            if not isinstance(found, Err):
                self._first_round = False
                if self.on_leftovers is not None:
                    self.on_leftovers(found.value)
        else:
            found = unresolved_card_payments(self._uow(), self._till_id)
        if isinstance(found, Err):
            log.error("poller: cannot read the unresolved payments: %s", found.code)
            return 0
        still = 0
        for view in found.value:
            after = self._reconcile(view)
            if after is None or after.unresolved:
                still += 1
            if after is not None and after.status is not view.status and self.on_change:
                self.on_change(view.payment_id)
        still += self._refunds()
        match_unmatched_events(self._uow())
        return still

    def _refunds(self) -> int:
        """Send or ask after this till's card refunds; how many still wait for a word."""
        waiting = unresolved_refunds(self._uow(), self._till_id)
        if isinstance(waiting, Err):
            log.error("poller: cannot read the unresolved refunds: %s", waiting.code)
            return 0
        still = 0
        for view in waiting.value:
            after = start_refund(self._uow(), self._terminal, view.refund_id)
            if isinstance(after, Err) or after.value.unresolved:
                still += 1
            elif self.on_change is not None:
                self.on_change(view.payment_id)
        return still

    def _reconcile(self, view: CardPaymentView) -> CardPaymentView | None:
        uow = self._uow()
        checked = check_card_payment(uow, self._terminal, view.payment_id)
        if isinstance(checked, Err):
            log.warning("poller: payment %s: %s", view.payment_id, checked.code)
            return None
        now_view = checked.value
        if (
            now_view.status is PaymentStatus.PENDING
            and now_view.cancel_requested_at is None
            and self._clock() - now_view.created_at > uow.policy.card_answer_window
        ):
            # Asked once more just above; still waiting for a card, so give up on it.
            log.info("poller: payment %s ran past its window; cancelling", view.payment_id)
            cancelled = cancel_card_payment(
                self._uow(), self._terminal, view.payment_id, wait_seconds=0
            )
            if not isinstance(cancelled, Err):
                return cancelled.value
        return now_view

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                unresolved = self.run_once()
            except Exception:  # a poller that dies leaves payments unreconciled
                log.exception("poller: round failed")
                unresolved = 1
            self._wake.wait(self.fast if unresolved else self.slow)
            self._wake.clear()
