"""Sync conflicts: offline sales the central store could not take, for a manager to
settle (DESIGN.md §5). A list newest first, the chosen sale in full under it, and the
three moves: retry after a fix, accept as is, write off, the last two with a note.

Every store call goes through ``Page.call`` (the store's worker); a retry may wait on
the central store like any call.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from pos.domain.results import Changed
from pos.domain.sync import ConflictStatus, conflict_reason_text
from pos.services import UnitOfWork
from pos.services.orders import OrderChoices, order_choices
from pos.services.sync_conflicts import (
    MAX_NOTE_LENGTH,
    ConflictDetail,
    ConflictPage,
    ConflictRow,
    SaleLine,
    SaleTender,
    accept_conflict,
    conflict_detail,
    list_conflicts,
    retry_conflict,
    write_off_conflict,
)
from ui.backoffice.common import Column, Context, Page, RowsModel, when
from ui.backoffice.orders import METHODS
from ui.backoffice.payments import status_name
from ui.backoffice.widgets import button, money, selected_row, table
from ui.i18n import N_, _, language

PAGE_SIZE = 100
STATUSES = {
    ConflictStatus.OPEN: N_("To settle"),
    ConflictStatus.RESOLVED: N_("Resolved by a retry"),
    ConflictStatus.ACCEPTED: N_("Accepted as it is"),
    ConflictStatus.WRITTEN_OFF: N_("Written off"),
}
FILTERS: tuple[tuple[ConflictStatus | None, str], ...] = (
    *STATUSES.items(),
    (None, N_("All")),
)


def status_text(status: ConflictStatus) -> str:
    return _(STATUSES[status])


def reason_text(reason: str) -> str:
    return conflict_reason_text(reason, language())


CONFLICT_COLUMNS: tuple[Column[ConflictRow], ...] = (
    Column(N_("Till"), lambda row: row.till_code),
    Column(N_("Receipt"), lambda row: row.receipt or "—"),
    Column(N_("Till's time"), lambda row: when(row.till_time)),
    Column(N_("Total"), lambda row: money(row.total_minor, row.currency), align_right=True),
    Column(N_("Status"), lambda row: status_text(row.status)),
    Column(N_("Attempts"), lambda row: str(row.attempts), align_right=True),
    Column(N_("Reason"), lambda row: reason_text(row.reason)),
)
REASON_COLUMN = len(CONFLICT_COLUMNS) - 1


def _ready(action: QPushButton, look: str, ready: bool) -> None:
    """Enable ``action`` and give it its colour (``primary``, ``danger``) only then: the
    stylesheet's colours for those would hide that it cannot be pressed."""
    action.setEnabled(ready)
    action.setProperty(look, ready)
    action.style().unpolish(action)
    action.style().polish(action)


class SyncConflictsPage(Page):
    title = N_("Sync conflicts")
    follows = Changed.ORDERS

    def __init__(self, context: Context, parent: QWidget | None = None) -> None:
        super().__init__(context, parent)
        self.setObjectName("SyncConflictsPage")
        self.detail: ConflictDetail | None = None
        self.next_before: int | None = None
        self.heading = QLabel(objectName="PageHeading")
        self.status_filter = QComboBox(objectName="ConflictStatusFilter")
        for _status, _text in FILTERS:
            self.status_filter.addItem("")
        self.status_filter.currentIndexChanged.connect(lambda _i: self._load(None))
        self.till_filter = QComboBox(objectName="ConflictTillFilter")
        self.till_filter.addItem("", None)
        self.till_filter.currentIndexChanged.connect(lambda _i: self._load(None))
        self.count = QLabel(objectName="ConflictCount")
        self.more_button = button("MoreConflicts")
        self.more_button.clicked.connect(self.load_more)
        self.refresh_button = button("Refresh")
        self.refresh_button.clicked.connect(self.refresh)
        top = QHBoxLayout()
        top.addWidget(self.heading)
        top.addSpacing(16)
        top.addWidget(self.status_filter)
        top.addWidget(self.till_filter)
        top.addWidget(self.count)
        top.addStretch(1)
        top.addWidget(self.more_button)
        top.addWidget(self.refresh_button)

        self.model: RowsModel[ConflictRow] = RowsModel(CONFLICT_COLUMNS)
        self.view = table(self.model, "SyncConflicts", stretch=REASON_COLUMN)
        self.view.selectionModel().selectionChanged.connect(self._chosen)

        self.sale_box = QGroupBox(objectName="ConflictSale")
        self.summary = QLabel(objectName="ConflictSummary")
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.lines: RowsModel[tuple[SaleLine, str]] = RowsModel(
            [
                Column(N_("Product"), lambda item: item[0].name),
                Column(N_("SKU"), lambda item: item[0].sku),
                Column(
                    N_("Quantity"),
                    lambda item: "" if item[0].quantity is None else str(item[0].quantity),
                    align_right=True,
                ),
                Column(
                    N_("Unit price"),
                    lambda item: money(item[0].unit_price_minor, item[1]),
                    align_right=True,
                ),
                Column(
                    N_("Discount"),
                    lambda item: money(item[0].discount_minor, item[1]),
                    align_right=True,
                ),
                Column(
                    N_("Total"), lambda item: money(item[0].total_minor, item[1]), align_right=True
                ),
            ]
        )
        self.lines_view = table(self.lines, "ConflictLines", stretch=0)
        self.tenders = QLabel(objectName="ConflictTenders")
        self.tenders.setWordWrap(True)
        sale_layout = QVBoxLayout(self.sale_box)
        sale_layout.setContentsMargins(6, 6, 6, 6)
        sale_layout.addWidget(self.summary)
        sale_layout.addWidget(self.lines_view, 1)
        sale_layout.addWidget(self.tenders)

        splitter = QSplitter(Qt.Orientation.Vertical, objectName="ConflictSplitter")
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(self.view)
        splitter.addWidget(self.sale_box)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 1)

        self.note = QLineEdit(objectName="ConflictNote")
        self.note.setMaxLength(MAX_NOTE_LENGTH)
        self.note.textChanged.connect(self._update_actions)
        self.retry_button = button("RetryConflict")
        self.retry_button.clicked.connect(self.retry)
        self.accept_button = button("AcceptConflict")
        self.accept_button.clicked.connect(self.accept)
        self.write_off_button = button("WriteOffConflict")
        self.write_off_button.clicked.connect(self.write_off)
        actions = QHBoxLayout()
        actions.addWidget(self.note, 1)
        actions.addWidget(self.retry_button)
        actions.addWidget(self.accept_button)
        actions.addWidget(self.write_off_button)

        self.layout_.addLayout(top)
        self.layout_.addWidget(self.message)
        self.layout_.addWidget(splitter, 1)
        self.layout_.addLayout(actions)
        self.retranslate()
        self._show_detail(None)

    # -- the list ----------------------------------------------------------------------

    def chosen_status(self) -> ConflictStatus | None:
        index = self.status_filter.currentIndex()
        return FILTERS[index][0] if 0 <= index < len(FILTERS) else ConflictStatus.OPEN

    def chosen_till(self) -> int | None:
        till_id = self.till_filter.currentData()
        return till_id if isinstance(till_id, int) else None

    def refresh(self) -> None:
        """The tills to filter by, then the list."""
        manager = self.manager_id
        self.call(lambda uow: order_choices(uow, manager_id=manager), self._fill_tills)

    def _fill_tills(self, choices: OrderChoices) -> None:
        kept = self.till_filter.currentData()
        self.till_filter.blockSignals(True)
        while self.till_filter.count() > 1:
            self.till_filter.removeItem(1)
        for till in choices.tills:
            self.till_filter.addItem(till.code, till.id)
        found = self.till_filter.findData(kept) if kept is not None else 0
        self.till_filter.setCurrentIndex(max(found, 0))
        self.till_filter.blockSignals(False)
        self._load(None)

    def load_more(self) -> None:
        if self.next_before is not None:
            self._load(self.next_before)

    def _load(self, before: int | None) -> None:
        manager, status, till_id = self.manager_id, self.chosen_status(), self.chosen_till()
        chosen = self.selected_conflict()
        keep = chosen.id if chosen is not None else None

        def ask(uow: UnitOfWork) -> Any:
            return list_conflicts(
                uow,
                manager_id=manager,
                status=status,
                till_id=till_id,
                before=before,
                limit=PAGE_SIZE,
            )

        def shown(page: ConflictPage) -> None:
            self.model.show((*self.model.rows, *page.rows) if before else page.rows)
            self.next_before = page.next_before
            self._write_count()
            again = next((i for i, row in enumerate(self.model.rows) if row.id == keep), None)
            if again is not None:
                self.view.selectRow(again)
            else:
                self._show_detail(None)
            self._update_actions()

        self.call(ask, shown)

    def selected_conflict(self) -> ConflictRow | None:
        row = selected_row(self.view, self.model)
        return row if isinstance(row, ConflictRow) else None

    def _chosen(self, *_args: object) -> None:
        conflict = self.selected_conflict()
        self._update_actions()
        if conflict is None:
            self._show_detail(None)
            return
        manager, conflict_id = self.manager_id, conflict.id
        self.call(
            lambda uow: conflict_detail(uow, conflict_id, manager_id=manager), self._show_detail
        )

    # -- the moves ---------------------------------------------------------------------

    def retry(self) -> None:
        conflict = self.selected_conflict()
        if conflict is None:
            return
        manager, conflict_id = self.manager_id, conflict.id
        self.message.clear_message()
        self._busy()
        self.call(
            lambda uow: retry_conflict(uow, conflict_id, manager_id=manager),
            self._retried,
            on_refused=lambda _err: self.refresh(),
        )

    def accept(self) -> None:
        self._settle(accept_conflict, N_("Sale {receipt} accepted as it is"))

    def write_off(self) -> None:
        self._settle(write_off_conflict, N_("Sale {receipt} written off"))

    def _settle(self, move: Any, said: str) -> None:
        conflict = self.selected_conflict()
        if conflict is None:
            return
        manager, conflict_id, note = self.manager_id, conflict.id, self.note.text()
        self.message.clear_message()
        self._busy()

        def done(row: ConflictRow) -> None:
            self.note.clear()
            receipt = row.receipt or "—"
            self.message.say("info", lambda: _(said).format(receipt=receipt))
            self.refresh()

        self.call(
            lambda uow: move(uow, conflict_id, note, manager_id=manager),
            done,
            on_refused=lambda _err: self.refresh(),
        )

    def _retried(self, row: ConflictRow) -> None:
        receipt = row.receipt or "—"
        if row.status is ConflictStatus.RESOLVED:
            self.message.say(
                "info", lambda: _("Sale {receipt} went into the books").format(receipt=receipt)
            )
        else:
            reason = row.reason
            self.message.say(
                "warning",
                lambda: _("Sale {receipt} still cannot be taken: {reason}").format(
                    receipt=receipt, reason=reason_text(reason)
                ),
            )
        self.refresh()

    def _busy(self) -> None:
        self.accept_button.setEnabled(False)
        _ready(self.retry_button, "primary", False)
        _ready(self.write_off_button, "danger", False)

    def _update_actions(self, *_args: object) -> None:
        conflict = self.selected_conflict()
        open_ = conflict is not None and conflict.status is ConflictStatus.OPEN
        noted = bool(self.note.text().strip())
        self.accept_button.setEnabled(open_ and noted)
        self.note.setEnabled(open_)
        _ready(self.retry_button, "primary", open_)
        _ready(self.write_off_button, "danger", open_ and noted)

    # -- the sale ----------------------------------------------------------------------

    def _show_detail(self, detail: ConflictDetail | None) -> None:
        chosen = self.selected_conflict()
        if detail is not None and (chosen is None or chosen.id != detail.conflict.id):
            return  # an answer for a row no longer chosen
        self.detail = detail
        sale = detail.sale if detail is not None else None
        currency = sale.currency if sale is not None else None
        self.lines.show([(line, currency or "") for line in sale.lines] if sale else ())
        self._write_detail()

    def _write_detail(self) -> None:
        detail = self.detail
        if detail is None:
            self.sale_box.setTitle(_("The sale"))
            self.summary.setText(_("Choose a conflict to see its sale."))
            self.tenders.setText("")
            return
        row, sale = detail.conflict, detail.sale
        self.sale_box.setTitle(
            _("Sale {receipt} from till {till}").format(
                receipt=row.receipt or "—", till=row.till_code
            )
        )
        parts = [
            _("Reason: {reason}").format(reason=reason_text(row.reason)),
            _("What the store said: {detail}").format(detail=detail.detail),
            _("Received: {at}; last tried: {last}; attempts: {attempts}").format(
                at=when(row.received_at), last=when(row.last_attempt_at), attempts=row.attempts
            ),
        ]
        if row.status is not ConflictStatus.OPEN:
            parts.append(
                _("{status} by {who} at {at}: {note}").format(
                    status=status_text(row.status),
                    who=row.resolved_by or "—",
                    at=when(row.resolved_at),
                    note=row.note or "",
                )
            )
        if sale is None:
            parts.append(_("The sale the till sent cannot be read."))
            self.tenders.setText("")
        else:
            parts.insert(
                0,
                _("Cashier: {cashier}; paid at the till: {paid}; total {total}").format(
                    cashier=sale.cashier or (str(sale.cashier_id) if sale.cashier_id else "—"),
                    paid=when(sale.paid_at),
                    total=money(sale.total_minor, sale.currency) or "—",
                ),
            )
            if sale.coupon_code:
                parts.insert(1, _("Coupon: {code}").format(code=sale.coupon_code))
            self.tenders.setText(
                _("Paid: {tenders}").format(
                    tenders="; ".join(self._tender_text(t, sale.currency) for t in sale.tenders)
                    or "—"
                )
            )
        self.summary.setText("\n".join(parts))

    @staticmethod
    def _tender_text(tender: SaleTender, currency: str | None) -> str:
        method = next((_(text) for way, text in METHODS.items() if way == tender.method), None)
        text = f"{method or tender.method} {money(tender.amount_minor, currency)}"
        text += f" ({status_name(tender.status)})" if tender.status else ""
        if tender.tendered_minor is not None and tender.change_minor:
            text += " " + _("given {given}, change {change}").format(
                given=money(tender.tendered_minor, currency),
                change=money(tender.change_minor, currency),
            )
        return text

    # -- texts -------------------------------------------------------------------------

    def _write_count(self) -> None:
        shown = len(self.model.rows)
        if self.next_before is not None:
            self.count.setText(_("{count} shown; there are more").format(count=shown))
        else:
            self.count.setText(_("{count} conflicts").format(count=shown))
        self.more_button.setEnabled(self.next_before is not None)

    def retranslate(self) -> None:
        super().retranslate()
        self.heading.setText(_("Sales the central store could not take"))
        for index, (_status, text) in enumerate(FILTERS):
            self.status_filter.setItemText(index, _(text))
        self.till_filter.setItemText(0, _("All tills"))
        self.more_button.setText(_("More"))
        self.refresh_button.setText(_("Refresh"))
        self.note.setPlaceholderText(
            _("Note for accepting or writing off (required), e.g. the cash was counted")
        )
        self.retry_button.setText(_("Retry"))
        self.retry_button.setToolTip(
            _("Send the sale to the central store again, after the cause was fixed")
        )
        self.accept_button.setText(_("Accept as is"))
        self.accept_button.setToolTip(
            _("The money counts as taken; the stock gets no move for this sale")
        )
        self.write_off_button.setText(_("Write off"))
        self.write_off_button.setToolTip(
            _("Keep the sale only as a record: neither its money nor its goods are counted")
        )
        self.model.refresh_texts()
        self.lines.refresh_texts()
        self._write_count()
        self._write_detail()
