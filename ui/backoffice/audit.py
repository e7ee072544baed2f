"""The audit log: who did what and when, newest first, with filters by user, action
and days. "More" reads the next, older page.

An action family ("coupon.*") picks every action of an area; the days are whole
days in the shop's time, the last one included.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QWidget,
)

from pos.domain.audit_wording import describe
from pos.services import UnitOfWork
from pos.services.audit_log import AuditPage as EntriesPage
from pos.services.audit_log import AuditRow, audit_actions, audit_entries
from pos.services.users import UserRecord, list_all_users
from ui.backoffice.common import Column, Context, Index, Page, RowsModel, when
from ui.backoffice.widgets import DATE_FORMATS, OptionalDate, day_start, table
from ui.i18n import N_, _, language

PAGE_SIZE = 100


AUDIT_COLUMNS: tuple[Column[AuditRow], ...] = (
    Column(N_("When"), lambda row: when(row.at)),
    Column(N_("What happened"), lambda row: describe(row.facts, language())),
)


class EntriesModel(RowsModel[AuditRow]):
    """The log's rows, each said as a sentence in the manager's language; the row's whole
    details, as stored, show as its tooltip."""

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.ToolTipRole and index.isValid():
            row = self.row_at(index.row())
            if row is not None and row.details:
                return json.dumps(row.details, ensure_ascii=False, indent=1)
            return None
        return super().data(index, role)


class AuditPage(Page):
    title = N_("Audit log")

    def __init__(self, context: Context, parent: QWidget | None = None) -> None:
        super().__init__(context, parent)
        self.setObjectName("AuditPage")
        self.next_before_id: int | None = None
        self.page_size = PAGE_SIZE
        self._asked = 0  # which question the list shows the answer to

        self.user_caption, self.user = QLabel(), QComboBox(objectName="AuditUser")
        self.user.setMinimumContentsLength(14)
        self.action_caption, self.action = QLabel(), QComboBox(objectName="AuditAction")
        self.action.setMinimumContentsLength(16)
        self.from_caption, self.since = QLabel(), OptionalDate("AuditFrom")
        self.to_caption, self.until = QLabel(), OptionalDate("AuditTo")
        self.refresh_button = QPushButton(objectName="Refresh")
        self.refresh_button.clicked.connect(self.refresh)
        self.user.addItem("", None)
        self.action.addItem("", None)
        filters = QHBoxLayout()
        for caption, field in (
            (self.user_caption, self.user),
            (self.action_caption, self.action),
            (self.from_caption, self.since),
            (self.to_caption, self.until),
        ):
            caption.setBuddy(field)
            filters.addWidget(caption)
            filters.addWidget(field)
        filters.addStretch(1)
        filters.addWidget(self.refresh_button)

        self.entries = EntriesModel(AUDIT_COLUMNS)
        self.entries_view = table(self.entries, "AuditTable")
        self.count = QLabel(objectName="AuditCount")
        self.more_button = QPushButton(objectName="MoreEntries")
        self.more_button.clicked.connect(self.load_more)
        under = QHBoxLayout()
        under.addWidget(self.count)
        under.addStretch(1)
        under.addWidget(self.more_button)

        self.layout_.addLayout(filters)
        self.layout_.addWidget(self.message)
        self.layout_.addWidget(self.entries_view, 1)
        self.layout_.addLayout(under)

        for combo in (self.user, self.action):
            combo.currentIndexChanged.connect(self.load)
        for bound in (self.since, self.until):
            bound.enabled.toggled.connect(self.load)
            bound.date.dateChanged.connect(self.load)
        self.retranslate()

    # -- filters ---------------------------------------------------------------------

    def _fill_users(self, found: tuple[UserRecord, ...]) -> None:
        choices = [(user.id, f"{user.display_name} ({user.username})") for user in found]
        self._fill(self.user, choices)

    def _fill_actions(self, found: tuple[str, ...]) -> None:
        choices: list[tuple[str, str]] = []
        families = sorted({action.split(".")[0] + "." for action in found if "." in action})
        for family in families:
            choices.append((family, family + "*"))
            choices += [(action, "  " + action) for action in found if action.startswith(family)]
        choices += [(action, action) for action in found if "." not in action]
        self._fill(self.action, choices)

    def _fill(self, combo: QComboBox, choices: list[tuple[Any, str]]) -> None:
        """New choices after the first ("all"), keeping the one chosen if it is still there."""
        kept = combo.currentData()
        combo.blockSignals(True)
        while combo.count() > 1:
            combo.removeItem(1)
        for data, text in choices:
            combo.addItem(text, data)
        combo.setCurrentIndex(max(combo.findData(kept), 0) if kept is not None else 0)
        combo.blockSignals(False)

    def filters(self) -> dict[str, Any]:
        start, last = self.since.day(), self.until.day()
        return {
            "user_id": self.user.currentData(),
            "action": self.action.currentData(),
            "since": day_start(start) if start is not None else None,
            "until": day_start(last + timedelta(days=1)) if last is not None else None,
        }

    # -- the store -------------------------------------------------------------------

    def refresh(self) -> None:
        manager_id = self.manager_id
        self.call(lambda uow: list_all_users(uow, manager_id=manager_id), self._fill_users)
        self.call(lambda uow: audit_actions(uow, manager_id=manager_id), self._actions_then_load)

    def _actions_then_load(self, found: tuple[str, ...]) -> None:
        self._fill_actions(found)
        self.load()

    def load(self, *_args: object) -> None:
        self._ask(before_id=None)

    def load_more(self) -> None:
        if self.next_before_id is not None:
            self._ask(before_id=self.next_before_id)

    def _ask(self, *, before_id: int | None) -> None:
        filters, manager_id, size = self.filters(), self.manager_id, self.page_size
        if before_id is None:
            self._asked += 1
        asked = self._asked
        self.message.clear_message()

        def ask(uow: UnitOfWork) -> Any:
            return audit_entries(
                uow, manager_id=manager_id, before_id=before_id, limit=size, **filters
            )

        def refused(_error: object) -> None:
            if asked == self._asked and before_id is None:
                self._show(EntriesPage((), None), asked, more=False)

        self.call(
            ask,
            lambda page: self._show(page, asked, more=before_id is not None),
            on_refused=refused,
        )

    def _show(self, page: EntriesPage, asked: int, *, more: bool) -> None:
        if asked != self._asked:
            return  # the filters changed since: a newer answer is on its way
        self.entries.show((*self.entries.rows, *page.rows) if more else page.rows)
        self.next_before_id = page.next_before_id
        self._write_count()

    # -- texts -----------------------------------------------------------------------

    def _write_count(self) -> None:
        shown = len(self.entries.rows)
        if self.next_before_id is None:
            self.count.setText(_("{count} entries").format(count=shown))
        else:
            self.count.setText(_("{count} entries shown, more are older").format(count=shown))
        self.more_button.setEnabled(self.next_before_id is not None)

    def retranslate(self) -> None:
        super().retranslate()
        self.user_caption.setText(_("User"))
        self.action_caption.setText(_("Action"))
        self.from_caption.setText(_("From"))
        self.to_caption.setText(_("To"))
        self.user.setItemText(0, _("All users"))
        self.action.setItemText(0, _("All actions"))
        for bound in (self.since, self.until):
            bound.date.setDisplayFormat(DATE_FORMATS.get(language(), "yyyy-MM-dd"))
        self.refresh_button.setText(_("Refresh"))
        self.more_button.setText(_("More"))
        self._write_count()
        self.entries.refresh_texts()
