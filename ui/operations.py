"""Service calls off the GUI thread, results back on it (Anki's ``operations``/``taskman``).

``Operations.run(fn, on_success, on_failure)`` queues ``fn`` on the store's one worker
thread, so the till's use cases run one after another in the order the cashier asked
for them. ``fn`` never touches a widget; its return value (or the exception it raised)
comes back to ``on_success`` (or ``on_failure``) on the GUI thread through a queued
signal. Calls that may wait on the network (the terminal's status) go to a second
worker so they never hold up the store's queue.

Every result that comes back also says how the store is: ``store_heard`` carries
``STORE_BUSY`` or ``STORE_UNREACHABLE`` when a use case answered that the store could
not take it, and None when one was answered by the store, so the window can say so
whichever call noticed it first.

Every result that changed something, a refusal included, is broadcast (Anki's
``operation_did_execute``): ``operation_did_execute(changes, originator)`` carries the
result's ``Changed`` flags and whoever asked for it, on the GUI thread, after the caller's
own handling. Each open view refreshes what it shows when a flag it follows is set and it
is not the originator (the originator refreshes from the answer itself). Events that
arrive on the runtime's threads are broadcast the same way with ``broadcast``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

from pos.domain.results import STORE_FAILURES, Changed, Err, Ok, Warn

log = logging.getLogger(__name__)

Success = Callable[[Any], None]
Failure = Callable[[BaseException], None]


class _Delivery(QObject):
    """Lives on the GUI thread: signals emitted from a worker reach it queued."""

    delivered = Signal(object)

    def __init__(self) -> None:
        super().__init__()
        self.delivered.connect(self._deliver)

    @Slot(object)
    def _deliver(self, outcome: object) -> None:
        callback, value = outcome  # type: ignore[misc]
        callback(value)


class _Job(QRunnable):
    def __init__(
        self, fn: Callable[[], Any], on_success: Success, on_failure: Failure, delivery: _Delivery
    ) -> None:
        super().__init__()
        self.setAutoDelete(True)
        self._fn, self._ok, self._fail, self._delivery = fn, on_success, on_failure, delivery

    def run(self) -> None:
        try:
            value = self._fn()
        except Exception as error:  # handed to the GUI's failure callback
            log.exception("background operation failed")
            self._delivery.delivered.emit((self._fail, error))
        else:
            self._delivery.delivered.emit((self._ok, value))


_NOT_A_RESULT = object()


def store_verdict(value: object) -> object:
    """What a result says of the store: the code of a store that could not take the
    request, None for one that answered, ``_NOT_A_RESULT`` for a value that is no result
    (a result handed back inside another value, as ``result``, is read too)."""
    inner = getattr(value, "result", None)
    if not isinstance(value, Ok | Warn | Err) and isinstance(inner, Ok | Warn | Err):
        value = inner
    if isinstance(value, Err):
        return value.code if value.code in STORE_FAILURES else None
    if isinstance(value, Ok | Warn):
        return None
    return _NOT_A_RESULT


def changes_of(value: object) -> Changed:
    """What a result (or one handed back inside another value) changed: a refusal may
    have changed something too (checkout's price check takes the new prices onto the
    cart before it refuses)."""
    inner = getattr(value, "result", None)
    if not isinstance(value, Ok | Warn | Err) and isinstance(inner, Ok | Warn | Err):
        value = inner
    return value.changed if isinstance(value, Ok | Warn | Err) else Changed.NOTHING


def _log_failure(error: BaseException) -> None:
    log.error("operation failed: %s", error)


class Operations(QObject):
    """The till's background workers: one for the store, one for the network."""

    busy_changed = Signal(bool)
    store_heard = Signal(object)  # Code.STORE_BUSY, Code.STORE_UNREACHABLE, or None
    operation_did_execute = Signal(object, object)  # Changed, originator (or None)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._store = QThreadPool(self)
        self._store.setMaxThreadCount(1)  # the store's use cases run one at a time, in order
        self._network = QThreadPool(self)
        self._network.setMaxThreadCount(1)
        self._delivery = _Delivery()
        self._pending = 0
        self._closed = False
        self.gui_thread = threading.get_ident()
        self.pin: Callable[[Callable[[], Any]], Callable[[], Any]] | None = None
        """Wraps each call when it is asked for (the till's ``pinned``: it runs against
        the store the till sold on then, even if the till went offline meanwhile)."""

    def run(
        self,
        fn: Callable[[], Any],
        on_success: Success,
        on_failure: Failure | None = None,
        *,
        network: bool = False,
        originator: object | None = None,
    ) -> None:
        """Run ``fn`` on a worker; ``on_success(value)`` or ``on_failure(error)`` on the GUI.

        What the result changed is then broadcast with ``originator``."""
        if self._closed:
            return
        if self.pin is not None:
            fn = self.pin(fn)
        self._pending += 1
        if self._pending == 1:
            self.busy_changed.emit(True)

        def finished(callback: Callable[[Any], None], *, answered: bool) -> Callable[[Any], None]:
            def deliver(value: Any) -> None:
                self._pending -= 1
                if self._pending == 0:
                    self.busy_changed.emit(False)
                if self._closed:
                    return
                callback(value)
                # After the caller's own handling, so the store's state has the last word.
                verdict = store_verdict(value) if answered else _NOT_A_RESULT
                if verdict is not _NOT_A_RESULT:
                    self.store_heard.emit(verdict)
                if answered:
                    self.broadcast(changes_of(value), originator)

            return deliver

        job = _Job(
            fn,
            finished(on_success, answered=True),
            finished(on_failure or _log_failure, answered=False),
            self._delivery,
        )
        (self._network if network else self._store).start(job)

    def broadcast(self, changes: Changed, originator: object | None = None) -> None:
        """Tell every open view what changed (on the GUI thread); nothing for no change."""
        if changes and not self._closed:
            self.operation_did_execute.emit(changes, originator)

    @property
    def idle(self) -> bool:
        return self._pending == 0

    def close(self, timeout_ms: int = 5000) -> None:
        """Stop taking work and wait for what is running (the store must not be cut off)."""
        self._closed = True
        self._store.waitForDone(timeout_ms)
        self._network.waitForDone(timeout_ms)
