"""The till's first window: its sign-in screen, shown before the rest of Kasa loads.

``pos`` and ``pos --demo`` start here (``ui.launcher``). The sign-in screen needs Qt, the
language and the cashiers, which a local SQLite store gives with the standard library
(``pos.runtime.first_look``), so it is on screen and taking the PIN first. Once it has
painted, the command line's start (``pos.cli``: the settings, the store's schema brought
up to this Kasa's, the demo shop, card payments, the printer) runs on a thread of its
own, never on the window's; then the till window (``ui.till``, imported only then) takes
the sign-in screen over as the cashier left it: the name chosen, the PIN typed, and a
PIN already sent signed in with at once. A start that fails quits with its exit code
after saying why on the command line, as before.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QMainWindow, QWidget

from pos.runtime.first_look import first_look
from ui.app import EXIT_WHEN_SHOWN, application, fill_screen, report_ready, start_till
from ui.collector import GuiThreadCollector
from ui.i18n import _, other_language, set_language
from ui.login import LoginWidget

if TYPE_CHECKING:
    from PySide6.QtGui import QPaintEvent

    from pos.bootstrap import Till
    from pos.domain.users import UserView
    from ui.app import RunningTill


class FirstWindow(QMainWindow):
    """The sign-in screen on its own, until the till window takes it over."""

    painted = Signal()  # once, after the first paint
    users_listed = Signal(object)  # tuple[UserView, ...], from the listing's thread

    def __init__(self, *, demo: bool) -> None:
        super().__init__()
        self.setObjectName("FirstWindow")
        self.setWindowTitle("Kasa")
        self.login = LoginWidget(demo_hint=demo)
        self.setCentralWidget(self.login)
        self.pending: tuple[int, str] | None = None
        """A PIN sent before the till window was there: signed in with once it is."""
        self.login.sign_in_requested.connect(self._hold)
        self.login.language_requested.connect(self._switch_language)
        self.users_listed.connect(self._listed)
        self._painted = False

    def _hold(self, user_id: int, pin: str) -> None:
        self.pending = (user_id, pin)
        # The PIN field is empty again: say the PIN was taken, not lost.
        self.login.hint.setText(_("The till is starting: you are signed in as soon as it is ready"))

    def _switch_language(self) -> None:
        set_language(other_language())
        self.login.retranslate()

    def _listed(self, users: tuple[UserView, ...]) -> None:
        if self.centralWidget() is self.login and not self.login.users:
            self.login.show_users(users)

    def hand_over(self) -> LoginWidget:
        """The sign-in screen, as the cashier left it, for the till window to take."""
        self.login.sign_in_requested.disconnect(self._hold)
        self.login.language_requested.disconnect(self._switch_language)
        taken = self.takeCentralWidget()
        assert taken is self.login
        return self.login

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        if not self._painted:
            self._painted = True
            QTimer.singleShot(0, self.painted.emit)


class TillStart(QObject):
    """The command line's start on its own thread, and the till window it opens on the
    GUI thread once the till is ready."""

    till_ready = Signal(object)  # (till, demo, runtime, printer), from the start's thread
    start_ended = Signal(int)  # the start's exit code, from its thread
    failed = Signal(int)  # the start ended without a window (it said why): its exit code

    def __init__(self, first: FirstWindow, argv: Sequence[str]) -> None:
        super().__init__()
        self.first, self.argv = first, list(argv)
        self.running: RunningTill | None = None
        self.code: int | None = None
        """What the start returned (None: it has not ended)."""
        self.window_code = 0
        self.window_gone = threading.Event()
        """Set once the window has closed and everything beside it stopped."""
        self.thread = threading.Thread(target=self._start, name="kasa-start")
        self.till_ready.connect(self._show_till)
        self.start_ended.connect(self._ended)

    def begin(self) -> None:
        if not self.thread.is_alive() and self.code is None:
            self.thread.start()

    def finish(self, window_code: int) -> int:
        """After the window's event loop: everything beside the window stopped, the start's
        end waited for (it closes the till); the exit code."""
        if self.running is not None and not self.window_gone.is_set():
            self.running.stop()
        self.window_code = window_code
        self.window_gone.set()
        if self.thread.is_alive() or self.code is not None:
            self.thread.join()
        return self.code if self.code is not None else window_code

    def window_and_login(self) -> tuple[QWidget, LoginWidget]:
        """The window the sign-in screen is on now, and the screen."""
        if self.running is not None:
            return self.running.window, self.running.window.login
        return self.first, self.first.login

    # -- on the start's thread --------------------------------------------------------

    def _start(self) -> None:
        from pos.cli import main as cli_main

        code = 1
        try:
            code = cli_main(self.argv, open_window=self._open_window)
        finally:
            self.code = code
            self.start_ended.emit(code)

    def _open_window(self, till: Till, demo: bool) -> int:
        from ui.launcher import till_devices

        if self.window_gone.is_set():
            return self.window_code
        runtime, printer = till_devices(till, demo)
        if self.window_gone.is_set():  # closed meanwhile: nothing was started for it
            if printer is not None:
                printer.stop()
            return self.window_code
        self.till_ready.emit((till, demo, runtime, printer))
        self.window_gone.wait()
        if self.running is None and printer is not None:
            printer.stop()  # the window closed before it took the till: nobody else will
        return self.window_code

    # -- on the GUI thread ------------------------------------------------------------

    def _show_till(self, ready: tuple[Any, ...]) -> None:
        till, demo, runtime, printer = ready
        login = self.first.hand_over()
        login.retranslate()  # the usual hint again, in place of "starting"
        pending, self.first.pending = self.first.pending, None
        self.running = start_till(till, demo=demo, runtime=runtime, printer=printer, login=login)
        self.first.close()
        if pending is not None:
            login.sign_in_requested.emit(*pending)

    def _ended(self, code: int) -> None:
        if self.running is None and not self.window_gone.is_set():
            self.failed.emit(code)


def run_from_sign_in(argv: Sequence[str], *, demo: bool) -> int:
    """``pos`` or ``pos --demo`` (``argv``): the sign-in screen at once, the rest after it;
    returns when the till closes (the exit code)."""
    look = first_look(demo=demo)
    app = application()
    collector = GuiThreadCollector(app).start()  # before any worker thread runs
    set_language(look.locale)
    first = FirstWindow(demo=demo)
    fill_screen(first)
    first.login.pin.setFocus()
    threading.Thread(
        target=lambda: _list_users(first, look.users), name="kasa-first-users", daemon=True
    ).start()
    start = TillStart(first, argv)
    first.painted.connect(start.begin)
    start.failed.connect(app.exit)
    if os.environ.get(EXIT_WHEN_SHOWN) == "1":
        report_ready(app, lambda: start.window_and_login())
    code = 0
    try:
        code = app.exec()
    finally:
        code = start.finish(code)
        collector.stop()
    return code


def _list_users(first: FirstWindow, users: Callable[[], tuple[UserView, ...] | None]) -> None:
    listed = users()
    if listed:
        # The window gone before the list came (RuntimeError): nobody to show it to.
        with contextlib.suppress(RuntimeError):
            first.users_listed.emit(listed)
