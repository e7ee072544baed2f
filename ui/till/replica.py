"""The till's replica in its window: what is wrong with it (or with the central store's
schema), its first build with a progress bar, opening it at start (its check reads the
whole file: seconds for a million products, on a worker while the till sells online),
and the pulls that keep it fresh.

The work runs on ``pos.runtime.replica``'s threads; their news reach the window through
queued signals. On a first start (a central store, no replica yet) the cashier sells
online while the replica is built: the build reads the central store on a connection of
its own, and a till that waited for it would be a till that cannot sell for half a minute
for nothing; until it is done the strip over the pages says that offline selling is not
ready yet, with the build's progress.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QProgressBar

from pos.bootstrap import Till, attach_replica, open_pending_replica
from pos.domain.messages import render
from pos.domain.results import Changed, Err
from pos.runtime.replica import ReplicaBuilder, ReplicaRefresher
from pos.settings import replica_file
from ui.i18n import _, language
from ui.till.widgets import repolish

if TYPE_CHECKING:
    from ui.till import TillWindow

log = logging.getLogger(__name__)

PULL_AFTER = Changed.CATALOGUE | Changed.USERS | Changed.COUPONS | Changed.ORDERS
"""Changes of this till's own that the replica should have at once (a scan changes the
cart and its stock only: the sale's end pulls)."""


class ReplicaNotice(QFrame):
    """The strip over the till's pages: a fault and its way out, or the build's progress."""

    def __init__(self) -> None:
        super().__init__(objectName="ReplicaNotice")
        self.text = QLabel(objectName="ReplicaNoticeText")
        self.text.setWordWrap(True)
        self.bar = QProgressBar(objectName="ReplicaProgress")
        self.bar.setTextVisible(True)
        self.bar.setFixedWidth(220)
        self.bar.hide()
        row = QHBoxLayout(self)
        row.setContentsMargins(12, 6, 12, 6)
        row.addWidget(self.text, 1)
        row.addWidget(self.bar)
        self.hide()

    def say(self, kind: str, text: str) -> None:
        self.setProperty("kind", kind)
        self.text.setText(text)
        self.show()
        repolish(self)

    def progress(self, done: int, total: int) -> None:
        self.bar.setRange(0, max(total, 1))
        self.bar.setValue(min(done, max(total, 1)))
        self.bar.show()

    def clear(self) -> None:
        self.bar.hide()
        self.hide()


class ReplicaKeeper(QObject):
    """Builds the replica of a till that has none (on a central store), then keeps it fresh:
    a pull every ``every`` seconds while online and one at once after the till's sales and
    back-office changes. ``start`` after the window exists, ``stop`` when it closes."""

    progressed = Signal(int, int)  # rows copied, rows in all (from the builder's thread)
    built = Signal(object)  # the replica's Engine, or an Err (from the worker's thread)

    def __init__(self, window: TillWindow, till: Till, *, every: float | None = None) -> None:
        super().__init__(window)
        self.window, self.till = window, till
        self.every = till.settings.connectivity.pull_every if every is None else every
        self.refresher: ReplicaRefresher | None = None
        self.builder: ReplicaBuilder | None = None
        self._build_error: Err | None = None
        self.progressed.connect(self._progressed)
        self.built.connect(self._built)
        window.sale_paid.connect(lambda _order: self.nudge())
        window.ops.operation_did_execute.connect(self._store_changed)
        window.status_timer.timeout.connect(self.show_notes)

    @property
    def notice(self) -> ReplicaNotice:
        return self.window.replica_notice

    def start(self) -> ReplicaKeeper:
        till = self.till
        if till.engine.dialect.name != "postgresql":
            return self  # a single-till shop's store is already local
        if till.replica is not None:
            self._start_refresher()
        elif till.notes.replica_pending is not None:
            # Checked and opened on a thread of its own; then kept as one just built.
            threading.Thread(
                target=lambda: self.built.emit(open_pending_replica(till)),
                name="replica-open",
                daemon=True,
            ).start()
        elif till.notes.replica is None and not replica_file(till.settings).exists():
            self._start_build()
        self.show_notes()
        return self

    def stop(self) -> None:
        if self.refresher is not None:
            self.refresher.stop()
        # A build under way is not waited for: it finishes as ``<replica>.building`` and
        # the next build starts that file afresh.

    def nudge(self) -> None:
        if self.refresher is not None:
            self.refresher.nudge()

    def _store_changed(self, changes: Changed, _originator: object) -> None:
        if changes & PULL_AFTER:
            self.nudge()

    # -- the first build ---------------------------------------------------------------------

    def _start_build(self) -> None:
        settings = self.till.settings
        self.notice.progress(0, 0)
        self.builder = ReplicaBuilder(
            self.till.engine,
            replica_file(settings),
            progress=self.progressed.emit,
            done=self.built.emit,  # the engine or an Err, from the builder's thread
            timeouts=settings.store_timeouts,
        ).start()

    def _progressed(self, done: int, total: int) -> None:
        self.notice.progress(done, total)
        self.show_notes()

    def _built(self, built: Any) -> None:
        self.builder = None
        self.notice.bar.hide()
        if isinstance(built, Err):
            if self.till.notes.replica is None:  # else the replica's fault says it all
                log.warning("replica: the first build failed: %s", built.code)
                self._build_error = built
            self.show_notes()
            return
        if self.till.replica is not None:  # opened meanwhile by the till's start
            built.dispose()
            return
        attach_replica(self.till, built)
        self.window.follow_connectivity()
        monitor = self.till.monitor
        assert monitor is not None
        monitor.start()
        self._start_refresher()
        self.show_notes()

    # -- keeping it fresh --------------------------------------------------------------------

    def _start_refresher(self) -> None:
        till = self.till
        assert till.replica is not None

        def online() -> bool:
            return not till.offline and (till.monitor is None or till.monitor.state.online)

        def unreachable() -> None:
            if till.monitor is not None:
                till.monitor.call_failed()

        self.refresher = ReplicaRefresher(
            till.engine, till.replica, online, every=self.every, on_unreachable=unreachable
        ).start()

    # -- what the strip says -----------------------------------------------------------------

    def show_notes(self) -> None:
        notes, notice = self.till.notes, self.notice
        fault = notes.central or notes.replica
        if fault is not None:
            way = (
                _("Selling online only: offline selling needs the replica")
                if fault is notes.replica
                else _("Sales are kept at this till until then")
            )
            kind = "error" if fault is notes.central else "warning"
            notice.say(kind, f"{render(fault.error, language())}\n{way}")
        elif self._build_error is not None:
            notice.say(
                "warning",
                render(self._build_error, language())
                + "\n"
                + _("Offline selling is not ready: run `pos replica init` on this till"),
            )
        elif self.builder is not None:
            notice.say(
                "info",
                _("Preparing this till for offline selling; you can sell meanwhile"),
            )
        else:
            notice.clear()
