"""Start the till: one QApplication, the stylesheet, the language, the window.

Light to import (Qt and the language only): the sign-in screen (``ui.first_window``)
shows from here before the till window's modules and the store's load."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QWidget

from pos.domain.locales import LOCALES
from ui.collector import GuiThreadCollector
from ui.i18n import set_language
from ui.screen import stylesheet

if TYPE_CHECKING:
    from pos.bootstrap import Till
    from pos.runtime.backups import BackupLoop
    from pos.runtime.payments import PaymentRuntime
    from pos.runtime.printing import TillPrinter
    from pos.runtime.sweeper import Sweeper
    from ui.login import LoginWidget
    from ui.till import TillWindow
    from ui.till.replica import ReplicaKeeper

EXIT_WHEN_SHOWN = "POS_EXIT_WHEN_SHOWN"
"""Set to 1, the till quits as soon as a cashier can sign in on it (start-up benchmark):
its window on screen (exposed), the cashiers listed and the PIN field taking keys."""
READY_POLL_MS = 2
"""How often the start-up benchmark looks whether the sign-in screen is ready."""


def application() -> QApplication:
    """The running QApplication, made (with the till's stylesheet) if there is none."""
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        app = QApplication(sys.argv[:1])
        app.setApplicationName("Kasa")
        app.setOrganizationName("Kasa")
        # The name of the installed .desktop file: Wayland shows its icon for the window.
        app.setDesktopFileName("kasa")
        app.setWindowIcon(app_icon())
    app.setStyleSheet(stylesheet())
    return app


def app_icon() -> QIcon:
    """Kasa's icon at every size drawn (packaging/icons.py draws them)."""
    icon = QIcon()
    for entry in resources.files("resources").joinpath("icons").iterdir():
        if entry.name.startswith("kasa-") and entry.name.endswith(".png"):
            with resources.as_file(entry) as path:
                icon.addFile(str(path))
    return icon


def fill_screen(window: QWidget) -> None:
    """A till owns its screen: all of it, whatever its size (the text grows to match)."""
    window.setGeometry(window.screen().availableGeometry())
    window.showMaximized()


def show_till(
    till: Till,
    *,
    demo: bool,
    runtime: PaymentRuntime | None,
    printer: TillPrinter | None = None,
    on_shown: Callable[[], None] | None = None,
    login: LoginWidget | None = None,
) -> TillWindow:
    """The till's window, in the till's language, filling its screen; ``on_shown`` is
    called once it is on screen. ``login``: the sign-in screen already shown (as the
    cashier left it), which the till window takes over."""
    from ui.till import TillWindow  # after the QApplication exists

    application()
    language = till.settings.locale
    set_language(language if language in LOCALES else LOCALES[0])
    window = TillWindow(till, runtime=runtime, printer=printer, demo=demo, login=login)
    if on_shown is not None:
        window.shown.connect(on_shown)
    fill_screen(window)
    return window


@dataclass
class RunningTill:
    """The till window and what runs beside it, until ``stop``."""

    window: TillWindow
    sweeper: Sweeper
    keeper: ReplicaKeeper
    backups: BackupLoop | None
    runtime: PaymentRuntime | None
    printer: TillPrinter | None

    def stop(self) -> None:
        """After the window closed: every thread beside it stopped (the till is closed
        by whoever opened it)."""
        self.keeper.stop()
        self.sweeper.stop()
        monitor = self.window.till.monitor
        if monitor is not None:
            monitor.stop()
        if self.backups is not None:
            self.backups.stop()
        if self.runtime is not None:
            self.runtime.stop()
        if self.printer is not None:
            self.printer.stop()


def start_till(
    till: Till,
    *,
    demo: bool,
    runtime: PaymentRuntime | None,
    printer: TillPrinter | None = None,
    login: LoginWidget | None = None,
) -> RunningTill:
    """The till window shown, and the sweeper, the backups, card payments, the monitor
    and the replica's keeper started for it (on the GUI thread, the application made)."""
    from pos.runtime.backups import BackupLoop, backs_up_itself
    from pos.runtime.sweeper import Sweeper
    from ui.backups import BackupWatch
    from ui.till.replica import ReplicaKeeper  # after the QApplication exists, as the window

    window = show_till(till, demo=demo, runtime=runtime, printer=printer, login=login)
    # The sweeper's thread tells the window through the queued signal.
    sweeper = Sweeper(till.uow, on_swept=window.stock_swept.emit).start()
    # The demo shop is made afresh from the demo catalogue: nothing of it to keep, and no
    # backup line to worry a cashier trying the till.
    backups = None
    if backs_up_itself(till) and not demo:
        # The backups' thread tells the status bar through the watch's queued signal.
        watch = BackupWatch(window)
        backups = BackupLoop.for_till(till, watch.backup_done.emit)
        backups.start()
    if runtime is not None:
        runtime.start()
    if till.monitor is not None:
        # The window listens already: the first switch, if any, reaches it.
        till.monitor.start()
    # Builds the replica on a first start (then starts the monitor), and keeps it fresh.
    keeper = ReplicaKeeper(window, till).start()
    return RunningTill(window, sweeper, keeper, backups, runtime, printer)


def run_till(
    till: Till,
    *,
    demo: bool,
    runtime: PaymentRuntime | None,
    printer: TillPrinter | None = None,
) -> int:
    """Show the login, then the till; returns when the window closes (the exit code).

    ``runtime`` (card payments) is started here, after the window exists to hear from it,
    and stopped when the till closes; so is the demo's simulated ``printer``.
    """
    app = application()
    collector = GuiThreadCollector(app).start()  # before any worker thread runs
    running = start_till(till, demo=demo, runtime=runtime, printer=printer)
    if os.environ.get(EXIT_WHEN_SHOWN) == "1":
        report_ready(app, lambda: (running.window, running.window.login))
    try:
        code = app.exec()
    finally:
        running.stop()
        collector.stop()
    return int(code)


def report_ready(app: QApplication, current: Callable[[], tuple[QWidget, LoginWidget]]) -> None:
    """For the start-up benchmark: print the time and quit once a cashier can sign in.

    Ready when the window system shows the window (exposed) and the sign-in screen lists
    the cashiers with the PIN field the window's focus (its keys go there once the window
    is active: the desktop's window manager activates it, Xvfb without one never does).
    The parent measures wall time. ``current``: the window the sign-in screen is on, and
    the screen."""

    def look() -> None:
        window, login = current()
        handle = window.windowHandle()
        exposed = handle is not None and handle.isExposed()
        if not (exposed and login.users and window.focusWidget() is login.pin):
            QTimer.singleShot(READY_POLL_MS, look)
            return
        window.repaint()  # what the cashier sees, painted before the clock stops
        print(f"shown_at={time.time():.6f}", flush=True)
        app.quit()

    QTimer.singleShot(0, look)
