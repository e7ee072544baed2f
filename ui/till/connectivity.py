"""Selling offline: the banner that says the central store is gone, the sale carried over
to the till's replica, the count of sales not sent yet, and the clock's drift.

The till's connectivity monitor (``pos.runtime.connectivity``) decides the mode on its
own thread; its callbacks reach the window through the queued ``connectivity_changed``
signal. The window tells the monitor of every central call that found the store
unreachable (``_store_heard``), and keeps it offline while a sale begun offline is open.
"""

from __future__ import annotations

from typing import Any

from babel.dates import format_time
from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QLabel

from pos.domain.messages import render
from pos.domain.money import format_money
from pos.domain.results import Code, Err, Result, Warn
from pos.runtime.connectivity import Connectivity
from pos.services.cart import CartSummary
from ui import offline as offline_ops
from ui import shop_time
from ui.i18n import _, language
from ui.till.widgets import repolish

BACK_ONLINE_SHOWN_MS = 60_000
"""How long the status bar says the till is back online."""


class _SyncHeard(QObject):
    """Carries the push's ``(sent, total)`` from the monitor's thread to the window's."""

    heard = Signal(int, int)


class OfflineSelling:
    """A room of ``TillWindow`` (see the module)."""

    def _build_offline_banner(self) -> QLabel:
        self.connectivity: Connectivity | None = None
        self._offline_sale_open = False
        self._unsent: Any = None
        self._back_online = False
        self.offline_banner = QLabel(objectName="OfflineBanner")
        self.offline_banner.setWordWrap(True)
        self.offline_banner.hide()
        return self.offline_banner

    def _build_connectivity_status(self) -> None:
        self.connectivity_status = QLabel(objectName="ConnectivityStatus")
        self.clock_status = QLabel(objectName="ClockStatus")
        self.sync_status = QLabel(objectName="SyncStatus")
        self.statusBar().addWidget(self.connectivity_status)
        self.statusBar().addWidget(self.sync_status)
        self.statusBar().addWidget(self.clock_status)

    def follow_connectivity(self) -> None:
        """Hear the till's monitor (if it has one: a till on a central store)."""
        monitor = self.till.monitor
        if monitor is None or self.till.replica is None:
            return
        # The window applies each switch itself, with its sale, and pins each call it
        # makes to the store the till sold on when the cashier asked for it.
        self.till.routing.hold()
        self.ops.pin = self.till.pinned
        self.connectivity_changed.connect(self._connectivity_changed)
        # Called on the monitor's thread: the signal hops to this one.
        self._hear_monitor = self.connectivity_changed.emit
        monitor.listen(self._hear_monitor)
        monitor.add_online_check(self._may_go_online)
        # The push of the offline sales runs on the monitor's thread as the till rejoins.
        self._sync_heard = _SyncHeard()
        self._sync_heard.heard.connect(self._show_sync_progress)
        self.till.sync.listen(self._sync_heard.heard.emit)
        self.cart_changed.connect(self._note_offline_sale)
        self.sale_paid.connect(lambda _order: self.refresh_offline_status())
        state = monitor.state
        if not state.online and self.till.offline:
            # Started offline (the central store did not answer): said at once, and noted
            # on the replica as any switch is.
            self.connectivity = state
            self._show_clock()
            self._went_offline()
            self._show_status()
            return
        self._connectivity_changed(state)

    def stop_following_connectivity(self) -> None:
        monitor = self.till.monitor
        if monitor is None or self.till.replica is None:
            return
        monitor.unlisten(self._hear_monitor)
        monitor.remove_online_check(self._may_go_online)
        self.till.sync.unlisten(self._sync_heard.heard.emit)
        self.till.routing.release()

    def _may_go_online(self) -> bool:
        """Asked on the monitor's thread: a sale begun offline ends offline (its lines and
        tenders live on the replica), and so does one parked there."""
        return not self._offline_sale_open and not self.parked_offline

    def _note_offline_sale(self, summary: CartSummary) -> None:
        self._offline_sale_open = self.till.offline and (
            bool(summary.lines) or self.tendered is not None
        )

    # -- the switch ----------------------------------------------------------------------

    def _connectivity_changed(self, state: Connectivity) -> None:
        self.connectivity = state
        self._show_clock()
        self.settle_mode()

    def central_sale_in_flight(self) -> bool:
        """A card payment or a sale paid in part on the central store: it can end only
        there (its payments live there), so the till moves to its replica after it."""
        return (
            self.card_dialog is not None
            or self.card_payment_id is not None
            or (self.tendered is not None and not self.till.offline)
        )

    def settle_mode(self) -> None:
        """Bring the till to the monitor's mode, unless a central sale's payment must end
        first (then again once it has: the card dialog's end and the tenders' call this)."""
        state = self.connectivity
        if state is None:
            return
        if state.mode is self.till.routing.mode:
            if state.online:
                self.offline_banner.hide()  # a switch that waited and is not needed now
            return
        if not state.online and self.central_sale_in_flight():
            self._show_offline_banner()  # said at once; the sale moves once it is paid
            return
        self.till.routing.apply(state.mode)
        if state.online:
            self._went_online()
        else:
            self._went_offline()
        self._show_status()

    def _went_offline(self) -> None:
        self._back_online = False
        self._unsent = None
        self._show_offline_banner()
        if self._store_problem is not None:
            # "Try again" was right: the till now sells on its replica.
            self._store_heard(None)
        summary, cashier = self.cart, self.user.id if self.user else None
        if cashier is not None and summary is not None and summary.lines:
            self.cart = None  # no scan may reach the replica with the central store's cart
            # Noting first that the till went offline, then opening the sale there.
            self.ops.run(
                lambda: offline_ops.carry_over(self.till, summary, cashier),
                self._carried_over,
                self._carry_over_failed,
                originator=self,
            )
        else:
            self.ops.run(lambda: offline_ops.went_offline(self.till), lambda _r: None)
            if cashier is None:
                self.load_users()  # the cashiers sign in against the replica now
            elif summary is not None:
                self.cart = None
                self.start_new_sale()
        self.refresh_offline_status()

    def _carried_over(self, result: Result[CartSummary]) -> None:
        if isinstance(result, Err):
            self.show_result(result)
            self.start_new_sale()
            return
        if isinstance(result, Warn):
            self.show_result(result)
        self.show_cart(result.value)
        self.focus_scan()

    def _carry_over_failed(self, error: BaseException) -> None:
        self.show_banner("error", lambda: self._failure_text(error))
        self.start_new_sale()

    def _went_online(self) -> None:
        self._offline_sale_open = False
        self._back_online = True
        self.offline_banner.hide()
        self._show_clock()
        QTimer.singleShot(BACK_ONLINE_SHOWN_MS, self._forget_back_online)
        if self.user is None:
            self.load_users()
        elif self.tendered is None:
            # The replica's empty sale stays behind: the next one is the central store's.
            self.cart = None
            self.start_new_sale()

    def _forget_back_online(self) -> None:
        if self.connectivity is not None and self.connectivity.online:
            self._back_online = False
            self._show_clock()

    # -- the push of the offline sales ----------------------------------------------------

    def _show_sync_progress(self, sent: int, total: int) -> None:
        """ "12 / 340 satış gönderildi" while the offline sales go home; said for a while
        after the last one, then gone."""
        if total == 0:
            self.sync_status.setText("")
            return
        progress = Err(Code.SYNC_PROGRESS, {"sent": sent, "total": total})
        self.sync_status.setText(render(progress, language()))
        self._unsent = None  # the banner's count is old now
        self.refresh_offline_status()
        if sent >= total:
            QTimer.singleShot(BACK_ONLINE_SHOWN_MS, self._forget_sync_progress)

    def _forget_sync_progress(self) -> None:
        last = self.till.sync.last
        if last is None or last[0] >= last[1]:  # not while a later push goes on
            self.sync_status.setText("")

    # -- what the banner says ---------------------------------------------------------------

    def refresh_offline_status(self) -> None:
        if not self.till.offline:
            return
        self.ops.run(
            lambda: offline_ops.offline_status(self.till),
            self._offline_status_answer,
            lambda _error: None,
            originator=self,
        )

    def _offline_status_answer(self, result: Result[Any]) -> None:
        if not isinstance(result, Err):
            self._unsent = result.value
        if self.connectivity is not None and not self.connectivity.online:
            self._show_offline_banner()

    def _show_offline_banner(self) -> None:
        text = _("The central store cannot be reached: sales are kept at this till")
        unsent = self._unsent
        if unsent is not None:
            total = format_money(unsent.unsent_total_minor, self.till.settings.currency, language())
            text += "\n" + _("Sales not sent yet: {count} ({total})").format(
                count=unsent.unsent_count, total=total
            )
            if unsent.offline_since is not None:
                since = format_time(
                    shop_time.local(unsent.offline_since), format="short", locale=language()
                )
                text += " · " + _("offline since {time}").format(time=since)
        self.offline_banner.setText(text)
        self.offline_banner.setProperty("kind", "error")
        self.offline_banner.show()
        repolish(self.offline_banner)

    def _show_clock(self) -> None:
        """The connectivity part of the status bar: back online, and the clock's drift."""
        state = self.connectivity
        back = self._back_online and state is not None and state.online
        self.connectivity_status.setText(
            _("Back online: sales go to the central store again") if back else ""
        )
        self.connectivity_status.setProperty("kind", "")
        if state is None or not state.drift_warning or state.drift is None:
            self.clock_status.setText("")
            return
        minutes = max(1, round(abs(state.drift.total_seconds()) / 60))
        self.clock_status.setText(
            _("This till's clock is {minutes} min off the store's: set it right").format(
                minutes=minutes
            )
        )
        self.clock_status.setProperty("kind", "warning")
        repolish(self.clock_status)

    def retranslate_connectivity(self) -> None:
        if self.connectivity is not None and not self.connectivity.online:
            self._show_offline_banner()
        self._show_clock()
