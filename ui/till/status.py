"""The status bar: how the store, the terminal and the listener are."""

from __future__ import annotations

from typing import Any

from babel.dates import format_time
from PySide6.QtWidgets import (
    QLabel,
)

from pos.domain.messages import render
from pos.domain.results import Code, Err
from ui import card as card_ops
from ui import sale as sale_ops
from ui import shop_time
from ui.i18n import _, language
from ui.till.widgets import repolish


class StatusBar:
    """A room of ``TillWindow`` (see the module)."""

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        bar.setSizeGripEnabled(False)
        self.store_status = QLabel(objectName="StoreStatus")
        self.terminal_status = QLabel(objectName="TerminalStatus")
        self.listener_status = QLabel(objectName="ListenerStatus")
        self.unresolved_status = QLabel(objectName="UnresolvedStatus")
        for label in (
            self.store_status,
            self.terminal_status,
            self.listener_status,
            self.unresolved_status,
        ):
            bar.addWidget(label)

    def refresh_status(self) -> None:
        """Ask the store and the payments runtime how they are, on the workers."""

        def unreachable(_error: BaseException) -> None:
            self._status["store"] = False
            self._show_status()

        # Its answer, either way, reaches the bar through ``store_heard``.
        self.ops.run(
            lambda: sale_ops.check_store(self.till),
            lambda _result: None,
            unreachable,
            originator=self,
        )
        if self.runtime is not None:
            runtime = self.runtime

            def payments(status: Any) -> None:
                self._status["payments"] = status
                self._show_status()

            self.ops.run(
                lambda: card_ops.payments_status(runtime),
                payments,
                lambda _e: payments(None),
                network=True,
                originator=self,
            )

    def _show_store_status(self) -> None:
        if self.till.offline:
            # The bar speaks of the store the till sells on, as the banner does.
            where, state, kind = _("this till"), _("offline"), "warning"
        else:
            url = self.till.engine.url
            if url.get_backend_name() == "sqlite":
                where = (url.database or ":memory:").replace("\\", "/").rsplit("/", 1)[-1]
            else:
                where = f"{url.host or 'localhost'}:{url.port or 5432}"
            heard = self._status.get("store")
            state = {True: _("reachable"), None: _("checking…"), Code.STORE_BUSY: _("busy")}.get(
                heard, _("unreachable")
            )
            kind = {True: "", None: "", Code.STORE_BUSY: "warning"}.get(heard, "error")
        self.store_status.setText(_("Store: {where} ({state})").format(where=where, state=state))
        self.store_status.setProperty("kind", kind)
        repolish(self.store_status)

    def _show_status(self) -> None:
        self._show_store_status()
        status = self._status.get("payments")
        if self.runtime is None:
            self.terminal_status.setText(_("Terminal: none"))
            self.listener_status.setText("")
            self.unresolved_status.setText("")
            return
        if status is None:
            self.terminal_status.setText(_("Terminal: checking…"))
            return
        answers = _("answers") if status.terminal_answers else _("does not answer")
        self.terminal_status.setText(_("Terminal: {answers}").format(answers=answers))
        self.terminal_status.setProperty("kind", "" if status.terminal_answers else "error")
        repolish(self.terminal_status)
        if status.listener_url:
            port = status.listener_url.rsplit(":", 1)[-1].split("/")[0]
            if status.last_event_at:
                last = format_time(
                    shop_time.local(status.last_event_at), format="medium", locale=language()
                )
                text = _("Listener: port {port}, last event {last}").format(port=port, last=last)
            else:
                text = _("Listener: port {port}, no event yet").format(port=port)
            self.listener_status.setText(text)
        else:
            self.listener_status.setText(_("Listener: off (polling)"))
        text = _("Unresolved payments: {count}").format(count=status.unresolved)
        if status.conflicts:
            text += " · " + _("Charges for a manager: {count}").format(count=status.conflicts)
        kind = "error" if status.conflicts else "warning" if status.unresolved else ""
        self.unresolved_status.setText(text)
        self.unresolved_status.setProperty("kind", kind)
        repolish(self.unresolved_status)

    def _store_failed(self, error: BaseException) -> None:
        self._status["store"] = False
        self._show_status()
        self.show_banner("error", lambda: self._failure_text(error))

    def _store_heard(self, failure: Code | None) -> None:
        """Any call's answer: the store could not take it (busy, unreachable), or it
        answered again, which takes its own warning off the banner. The till's
        connectivity monitor hears it too: an unreachable central store may mean offline."""
        if self.till.monitor is not None:
            self.till.monitor.heard(failure)
        self._status["store"] = failure or True
        self._show_status()
        if failure is not None:
            self._store_problem = lambda: render(Err(failure), language())
            self.show_banner("error", self._store_problem)
        elif self._store_problem is not None:
            if self._banner_message is not None and self._banner_message[1] is self._store_problem:
                self.clear_banner()
            self._store_problem = None
