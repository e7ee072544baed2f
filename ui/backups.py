"""When the last good backup was made, as the till's status bar and the back office say it,
and the manager's warning at sign-in when it is too long ago.

The backups themselves run on their own thread (``pos.runtime.backups``); each one's
result reaches the window through ``BackupWatch.backup_done``, a queued signal, and the
status is read again on the window's store worker, never on the GUI thread.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from babel.dates import format_datetime, format_time
from babel.numbers import format_decimal
from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QLabel

from pos.bootstrap import Till
from pos.domain.backups import BackupPolicy, is_overdue
from pos.domain.messages import render
from pos.domain.users import Role
from pos.runtime.backups import backs_up_itself, backup_places
from pos.services.backups import BackupStatus, backup_status
from pos.services.users import UserView
from ui import shop_time
from ui.i18n import _, language, on_language_changed
from ui.till.widgets import repolish

if TYPE_CHECKING:
    from ui.till import TillWindow


def read_status(till: Till) -> BackupStatus | None:
    """The till's backup status (on a worker: it reads the backup folders); None for a
    till whose store is backed up on its server."""
    if not backs_up_itself(till):
        return None
    # The first place only: it is on this machine. A network folder that hangs must not
    # hold up the store's worker, and the sales queued behind it.
    return backup_status(backup_places(till)[:1])


def status_text(
    status: BackupStatus | None, policy: BackupPolicy, *, short: bool = False
) -> tuple[str, str]:
    """The line a manager reads and its kind ("", "warning", "error"); ``short``: the few
    words the till's status bar has room for (the long line is its tooltip)."""
    if status is None:
        return (_("Backup: on the server") if short else _("Backup: on the store's server")), ""
    if status.failure is not None and (
        status.last_good is None
        or (status.failed_at is not None and status.failed_at > status.last_good.made_at)
    ):
        if short:
            return _("Backup failed"), "error"
        reason = render(status.failure, language())
        return _("Last backup failed: {reason}").format(reason=reason), "error"
    if status.last_good is None:
        return (_("Backup: none") if short else _("Backup: none yet")), "warning"
    made = shop_time.local(status.last_good.made_at)
    if made.date() == shop_time.today():
        when = format_time(made, format="short", locale=language())
    else:
        when = format_datetime(made, format="short", locale=language())
    overdue = is_overdue(status.last_good.made_at, datetime.now(UTC), policy)
    template = _("Backup: {when}") if short else _("Last good backup: {when}")
    return template.format(when=when), "warning" if overdue else ""


def backup_details(status: BackupStatus | None) -> str:
    """What the last good backup holds and where it is, for the back office."""
    if status is None or status.last_good is None:
        return ""
    backup = status.last_good
    text = _("{sales} sales, {size} MiB, in {folder}").format(
        sales="?" if backup.sales is None else backup.sales,
        size=format_decimal(backup.size / 1_048_576, format="#,##0.0", locale=language()),
        folder=backup.path.parent,
    )
    if backup.last_receipt:
        text += " · " + _("last receipt {receipt}").format(receipt=backup.last_receipt)
    return text


def overdue_warning(status: BackupStatus | None, policy: BackupPolicy) -> str | None:
    """What a manager signing in is told, or None when the backups are in order."""
    if status is None:
        return None
    last = status.last_good.made_at if status.last_good is not None else None
    if not is_overdue(last, datetime.now(UTC), policy):
        return None
    if last is None:
        text = _("No backup of the shop's books has been made yet.")
    else:
        hours = int((datetime.now(UTC) - last).total_seconds() // 3600)
        text = _("The last good backup of the shop's books is {hours} hours old.").format(
            hours=hours
        )
    if status.failure is not None:
        text += " " + render(status.failure, language())
    return text + " " + _("Run pos backup, or see the Backups section of the README.")


class BackupWatch(QObject):
    """The till window's backup line in its status bar, and the warning at sign-in."""

    backup_done = Signal(object)  # Result[BackupReport], from the loop's thread (queued)

    def __init__(self, window: TillWindow) -> None:
        super().__init__(window)
        self.window = window
        self.till: Till = window.till
        self.status: BackupStatus | None = None
        self.label = QLabel(objectName="BackupStatus")
        window.statusBar().addPermanentWidget(self.label)
        self.backup_done.connect(lambda _result: self.refresh())
        window.signed_in.connect(self._signed_in)
        stop = on_language_changed(self._show)
        self.destroyed.connect(lambda: stop())
        self.refresh()

    def refresh(self) -> None:
        self.window.ops.run(lambda: read_status(self.till), self._heard, lambda _e: None)

    def _heard(self, status: BackupStatus | None) -> None:
        self.status = status
        self._show()

    def _show(self) -> None:
        policy = self.till.settings.backup
        text, kind = status_text(self.status, policy, short=True)
        self.label.setText(text)
        self.label.setToolTip(status_text(self.status, policy)[0])
        self.label.setProperty("kind", kind)
        repolish(self.label)

    def _signed_in(self, user: UserView) -> None:
        if user.role != Role.MANAGER:
            return
        policy = self.till.settings.backup

        def warn(status: BackupStatus | None) -> None:
            self._heard(status)
            if overdue_warning(status, policy) is not None:
                # Said again in the new language if the manager switches it.
                self.window.show_banner("warning", lambda: overdue_warning(status, policy) or "")

        self.window.ops.run(lambda: read_status(self.till), warn, lambda _e: None)
