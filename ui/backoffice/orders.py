"""The day's orders: filters above, the list, and the chosen order in full below it.

Every filter change asks the store again for the first page; "More" asks for the
page after the last row shown. An answer that arrives after the filters changed
again is dropped, so the list never mixes two questions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID

from babel.dates import format_time
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from pos.domain.document import Document
from pos.domain.payments import EventOutcome, PaymentMethod, RefundStatus
from pos.domain.receipt import RECEIPT_WIDTH
from pos.domain.results import Changed, Code, Err
from pos.domain.sales import OrderStatus
from pos.domain.units import SaleUnit, format_quantity
from pos.services import UnitOfWork
from pos.services.orders import (
    MIXED,
    OrderChoices,
    OrderCursor,
    OrderDetail,
    OrderEvent,
    OrderLine,
    OrderPayment,
    OrderRefund,
    OrderRow,
    OrdersOfDay,
    order_choices,
    order_detail,
    orders_of_day,
    reprint_receipt,
)
from pos.services.receipts import printed_receipt
from pos.services.return_list import ReturnRow, order_returns, returns_of_day
from ui import printing as printing_ops
from ui.backoffice.common import Column, Context, Page, RowsModel, when
from ui.backoffice.payments import review_reason_text, settler_name, status_name
from ui.backoffice.returns import RETURN_COLUMNS
from ui.backoffice.widgets import money, percent, table
from ui.i18n import N_, _, language
from ui.printing import problem
from ui.receipt_pdf import write_pdf
from ui.shop_time import follow_today, local

PAGE_SIZE = 100
RETURNS_TAB = 4
"""The order detail's tab of the sale's returns."""

ORDER_STATUSES = {
    OrderStatus.PENDING: N_("Awaiting payment"),
    OrderStatus.PAID: N_("Paid"),
    OrderStatus.FAILED: N_("Failed"),
    OrderStatus.CANCELLED: N_("Cancelled"),
}
METHODS = {
    PaymentMethod.CASH: N_("Cash"),
    PaymentMethod.CARD: N_("Card"),
}
METHOD_FILTERS: dict[str, str] = {
    **METHODS,
    MIXED: N_("Mixed"),
}
"""The orders list's "Paid by" choices: a way tried, or a sale settled more than one way."""
REFUND_STATES = {
    RefundStatus.INITIATED: N_("Not started"),
    RefundStatus.PENDING: N_("At the terminal"),
    RefundStatus.SUCCEEDED: N_("Given back"),
    RefundStatus.FAILED: N_("Failed"),
}
OUTCOMES = {
    EventOutcome.APPLIED: N_("Applied"),
    EventOutcome.IGNORED: N_("Ignored"),
    EventOutcome.UNMATCHED: N_("Matched no payment"),
    EventOutcome.MISMATCH: N_("Disagreed: not applied"),
    EventOutcome.PENDING: N_("Not final yet"),
}


def order_status_name(status: OrderStatus) -> str:
    return _(ORDER_STATUSES[status])


def methods_text(methods: tuple[PaymentMethod, ...]) -> str:
    return ", ".join(_(METHODS[method]) for method in methods)


def clock_time(row: OrderRow) -> str:
    return str(format_time(local(row.created_at), "short", locale=language()))


ORDER_COLUMNS: tuple[Column[OrderRow], ...] = (
    Column(N_("Time"), clock_time),
    Column(N_("Till"), lambda row: row.till_code),
    Column(N_("Receipt"), lambda row: row.receipt or ""),
    Column(N_("Cashier"), lambda row: row.cashier or ""),
    Column(N_("Status"), lambda row: order_status_name(row.status)),
    Column(N_("Total"), lambda row: money(row.total_minor, row.currency), align_right=True),
    Column(N_("Paid by"), lambda row: methods_text(row.methods)),
)


@dataclass(frozen=True)
class PricedLine:
    """A line of the order shown, with the order's currency (a line has none of its own)."""

    line: OrderLine
    currency: str

    def money(self, minor: int) -> str:
        return money(minor, self.currency)

    def quantity(self) -> str:
        """``2`` pieces, ``1,250 kg``."""
        return format_quantity(self.line.quantity, SaleUnit(self.line.sale_unit), language())


LINE_COLUMNS: tuple[Column[PricedLine], ...] = (
    Column(N_("SKU"), lambda row: row.line.sku),
    Column(N_("Product"), lambda row: row.line.name),
    Column(N_("Qty"), lambda row: row.quantity(), align_right=True),
    Column(N_("Unit price"), lambda row: row.money(row.line.unit_price_minor), align_right=True),
    Column(N_("Discount"), lambda row: row.money(row.line.discount_minor), align_right=True),
    Column(N_("Line total"), lambda row: row.money(row.line.total_minor), align_right=True),
    Column(N_("Tax rate"), lambda row: percent(row.line.tax_rate_bp), align_right=True),
)
PAYMENT_COLUMNS: tuple[Column[OrderPayment], ...] = (
    Column(N_("Payment"), lambda pay: str(pay.payment_id), align_right=True),
    Column(N_("Method"), lambda pay: _(METHODS[pay.method])),
    Column(N_("Status"), lambda pay: status_name(pay.status)),
    Column(N_("Amount"), lambda pay: money(pay.amount_minor, pay.currency), align_right=True),
    Column(N_("Settled by"), lambda pay: settler_name(pay.settled_by)),
    Column(N_("Terminal's id"), lambda pay: pay.provider_payment_id or ""),
    Column(N_("Review"), lambda pay: review_reason_text(pay.review_reason)),
    Column(N_("Given"), lambda pay: money(pay.tendered_minor, pay.currency), align_right=True),
    Column(N_("Change"), lambda pay: money(pay.change_minor, pay.currency), align_right=True),
    Column(
        N_("Given back"),
        lambda pay: money(pay.refunded_minor, pay.currency) if pay.refunded_minor else "",
        align_right=True,
    ),
)
REFUND_COLUMNS: tuple[Column[OrderRefund], ...] = (
    Column(N_("Time"), lambda back: when(back.created_at)),
    Column(N_("Payment"), lambda back: str(back.payment_id), align_right=True),
    Column(N_("Method"), lambda back: _(METHODS[back.method])),
    Column(N_("Status"), lambda back: _(REFUND_STATES[back.status])),
    Column(N_("Amount"), lambda back: money(back.amount_minor, back.currency), align_right=True),
    Column(N_("Settled by"), lambda back: settler_name(back.settled_by)),
    Column(N_("Why it failed"), lambda back: back.failure_code or ""),
)
EVENT_COLUMNS: tuple[Column[OrderEvent], ...] = (
    Column(N_("Received"), lambda event: when(event.received_at)),
    Column(N_("Event"), lambda event: event.type),
    Column(N_("Outcome"), lambda event: _(OUTCOMES[event.outcome])),
    Column(N_("Source"), lambda event: settler_name(event.source)),
    Column(N_("Amount"), lambda event: money(event.amount_minor, event.currency), align_right=True),
    Column(N_("Terminal's id"), lambda event: event.terminal_payment_id or ""),
    Column(N_("Event id"), lambda event: event.event_id),
)


class ReceiptCopyDialog(QDialog):
    """A reprinted receipt as the printer would lay it out, to read, copy or print."""

    print_requested = Signal()
    pdf_requested = Signal()

    def __init__(self, text: str, parent: QWidget | None = None, *, printer: bool = False) -> None:
        super().__init__(parent)
        self.setObjectName("ReceiptCopyDialog")
        self.setModal(True)
        self.text = QPlainTextEdit(objectName="ReceiptText")
        self.text.setReadOnly(True)
        self.text.setPlainText(text)
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.close_button = QPushButton(objectName="CloseReceipt")
        self.close_button.setDefault(True)
        self.close_button.clicked.connect(self.accept)
        self.print_button = QPushButton(objectName="PrintCopy")
        self.print_button.clicked.connect(self.print_requested)
        self.print_button.setVisible(printer)
        self.pdf_button = QPushButton(objectName="SavePdf")
        self.pdf_button.clicked.connect(self.pdf_requested)
        self.print_state = QLabel(objectName="PrintState")
        buttons = QHBoxLayout()
        buttons.addWidget(self.print_state, 1)
        buttons.addWidget(self.pdf_button)
        buttons.addWidget(self.print_button)
        buttons.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text, 1)
        layout.addLayout(buttons)
        self.resize(520, 680)
        self.retranslate()

    def retranslate(self) -> None:
        self.setWindowTitle(_("Receipt copy"))
        self.close_button.setText(_("Close"))
        self.print_button.setText(_("Print"))
        self.pdf_button.setText(_("Save as PDF…"))


class OrdersPage(Page):
    title = N_("Orders")
    follows = Changed.ORDERS

    def __init__(self, context: Context, parent: QWidget | None = None) -> None:
        super().__init__(context, parent)
        self.setObjectName("OrdersPage")
        self.choices: OrderChoices | None = None
        self.detail: OrderDetail | None = None
        self.next_after: OrderCursor | None = None
        self.reprint_dialog: ReceiptCopyDialog | None = None
        self._asked = 0  # which question the list shows the answer to

        self.day_caption, self.day = QLabel(), QDateEdit(objectName="Day")
        self.day.setCalendarPopup(True)
        follow_today(self.day)
        self.status_caption, self.status = QLabel(), QComboBox(objectName="StatusFilter")
        self.till_caption, self.till = QLabel(), QComboBox(objectName="TillFilter")
        self.cashier_caption, self.cashier = QLabel(), QComboBox(objectName="CashierFilter")
        self.method_caption = QLabel()
        self.method = QComboBox(objectName="MethodFilter")
        self.receipt_number = QLineEdit(objectName="ReceiptFilter")
        self.receipt_number.setMaximumWidth(170)
        self.refresh_button = QPushButton(objectName="Refresh")
        self.refresh_button.clicked.connect(self.refresh)
        for combo, letters in (
            (self.status, 8),
            (self.cashier, 10),
            (self.till, 3),
            (self.method, 6),
        ):
            combo.setSizeAdjustPolicy(
                QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
            )
            combo.setMinimumContentsLength(letters)
        filters = QHBoxLayout()
        for caption, field in (
            (self.day_caption, self.day),
            (self.status_caption, self.status),
            (self.till_caption, self.till),
            (self.cashier_caption, self.cashier),
            (self.method_caption, self.method),
        ):
            caption.setBuddy(field)
            filters.addWidget(caption)
            filters.addWidget(field)
        filters.addWidget(self.receipt_number)
        filters.addStretch(1)

        self.orders = RowsModel(ORDER_COLUMNS)
        self.orders_view = table(self.orders, "OrdersTable")
        self.orders_view.selectionModel().selectionChanged.connect(self._order_chosen)
        self.count = QLabel(objectName="OrdersCount")
        self.more_button = QPushButton(objectName="MoreOrders")
        self.more_button.clicked.connect(self.load_more)
        under_list = QHBoxLayout()
        under_list.addWidget(self.count)
        under_list.addStretch(1)
        under_list.addWidget(self.refresh_button)
        under_list.addWidget(self.more_button)
        sales = QWidget()
        upper_layout = QVBoxLayout(sales)
        upper_layout.setContentsMargins(0, 0, 0, 0)
        upper_layout.addWidget(self.orders_view, 1)
        upper_layout.addLayout(under_list)
        # The day's refund receipts beside its sales: choosing one shows its sale below.
        self.day_returns = RowsModel(RETURN_COLUMNS)
        self.day_returns_view = table(self.day_returns, "DayReturnsTable", stretch=6)
        self.day_returns_view.selectionModel().selectionChanged.connect(self._return_chosen)
        upper = QTabWidget(objectName="OrdersListTabs")
        upper.addTab(sales, "")
        upper.addTab(self.day_returns_view, "")
        self.list_tabs = upper

        self.summary = QLabel(objectName="OrderSummary")
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.reprint_button = QPushButton(objectName="Reprint")
        self.reprint_button.clicked.connect(self.reprint)
        self.lines = RowsModel(LINE_COLUMNS)
        self.payments = RowsModel(PAYMENT_COLUMNS)
        self.events = RowsModel(EVENT_COLUMNS)
        self.refunds = RowsModel(REFUND_COLUMNS)
        self.returns = RowsModel(RETURN_COLUMNS)
        self.detail_tabs = QTabWidget(objectName="OrderDetailTabs")
        self.detail_tabs.addTab(table(self.lines, "LinesTable", stretch=1), "")
        self.detail_tabs.addTab(table(self.payments, "PaymentsTable"), "")
        self.detail_tabs.addTab(table(self.events, "EventsTable"), "")
        self.detail_tabs.addTab(table(self.refunds, "RefundsTable"), "")
        self.detail_tabs.addTab(table(self.returns, "ReturnsTable", stretch=6), "")
        heading = QHBoxLayout()
        heading.addWidget(self.summary, 1)
        heading.addWidget(self.reprint_button, 0, Qt.AlignmentFlag.AlignTop)
        lower = QWidget(objectName="OrderDetail")
        lower_layout = QVBoxLayout(lower)
        lower_layout.setContentsMargins(0, 0, 0, 0)
        lower_layout.addLayout(heading)
        lower_layout.addWidget(self.detail_tabs, 1)

        splitter = QSplitter(Qt.Orientation.Vertical, objectName="OrdersSplitter")
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(upper)
        splitter.addWidget(lower)
        splitter.setSizes([330, 290])
        self.layout_.addLayout(filters)
        self.layout_.addWidget(self.message)
        self.layout_.addWidget(splitter, 1)

        self._fill_fixed_filters()
        self.day.dateChanged.connect(self.load_orders)
        for combo in (self.status, self.till, self.cashier, self.method):
            combo.currentIndexChanged.connect(self.load_orders)
        self.receipt_number.returnPressed.connect(self.load_orders)
        self.retranslate()
        self._show_detail(None)

    # -- filters ---------------------------------------------------------------------

    def _fill_fixed_filters(self) -> None:
        self.status.addItem("", None)
        for status in ORDER_STATUSES:
            self.status.addItem("", status)
        self.method.addItem("", None)
        for method in METHOD_FILTERS:
            self.method.addItem("", method)
        self.till.addItem("", None)
        self.cashier.addItem("", None)

    def _fill_choices(self, choices: OrderChoices) -> None:
        self.choices = choices
        for combo, items in (
            (self.till, [(till.id, till.code) for till in choices.tills]),
            (self.cashier, [(person.id, person.display_name) for person in choices.people]),
        ):
            kept = combo.currentData()
            combo.blockSignals(True)
            while combo.count() > 1:
                combo.removeItem(1)
            for item_id, text in items:
                combo.addItem(text, item_id)
            found = combo.findData(kept) if kept is not None else 0
            combo.setCurrentIndex(max(found, 0))
            combo.blockSignals(False)

    def _filters(self) -> dict[str, Any] | None:
        """What the filters ask for, or None when the receipt number is not one."""
        chosen = self.day.date()
        # A combo hands its data back as plain text: the enums are made again here.
        status, method = self.status.currentData(), self.method.currentData()
        filters: dict[str, Any] = {
            "day": date(chosen.year(), chosen.month(), chosen.day()),
            "status": OrderStatus(status) if status is not None else None,
            "till_id": self.till.currentData(),
            "cashier_id": self.cashier.currentData(),
            "method": method if method in (None, MIXED) else PaymentMethod(method),
        }
        typed = self.receipt_number.text().strip()
        if typed:
            # "42" or the printed "T01-000042": the till's code, if given, filters too.
            code, _dash, number = typed.rpartition("-")
            if not number.isdigit() or not 0 < int(number) < 2**63:
                return None
            filters["receipt_number"] = int(number)
            if code:
                tills = self.choices.tills if self.choices is not None else ()
                till = next((t for t in tills if t.code.casefold() == code.casefold()), None)
                if till is None:
                    return None
                filters["till_id"] = till.id
        return filters

    # -- the store -------------------------------------------------------------------

    def refresh(self) -> None:
        manager_id = self.manager_id
        self.call(lambda uow: order_choices(uow, manager_id=manager_id), self._chosen_then_load)

    def _chosen_then_load(self, choices: OrderChoices) -> None:
        self._fill_choices(choices)
        self.load_orders()

    def load_orders(self, *_args: object) -> None:
        self._ask(after=None)
        self._ask_returns()

    def _ask_returns(self) -> None:
        """The day's returns (the day is the one filter they follow)."""
        chosen, manager_id = self.day.date(), self.manager_id
        day = date(chosen.year(), chosen.month(), chosen.day())

        def shown(rows: tuple[ReturnRow, ...]) -> None:
            if day == self.day.date().toPython():  # the day changed since: a newer answer comes
                self.day_returns.show(rows)
                self._write_count()

        self.call(lambda uow: returns_of_day(uow, manager_id=manager_id, day=day), shown)

    def _return_chosen(self, *_args: object) -> None:
        rows = self.day_returns_view.selectionModel().selectedRows()
        chosen = self.day_returns.row_at(rows[0].row()) if rows else None
        if chosen is not None and chosen.order_id is not None:
            self.open_order(chosen.order_id)
            self.detail_tabs.setCurrentIndex(RETURNS_TAB)

    def load_more(self) -> None:
        if self.next_after is not None:
            self._ask(after=self.next_after)

    def _ask(self, *, after: OrderCursor | None) -> None:
        filters = self._filters()
        self.message.clear_message()
        if filters is None:
            self.message.show_result(Err(Code.INVALID_FILTER))
            return
        if after is None:
            self._asked += 1
        asked, manager_id = self._asked, self.manager_id

        def ask(uow: UnitOfWork) -> Any:
            return orders_of_day(
                uow, manager_id=manager_id, after=after, limit=PAGE_SIZE, **filters
            )

        self.call(ask, lambda page: self._show_orders(page, asked, more=after is not None))

    def _show_orders(self, page: OrdersOfDay, asked: int, *, more: bool) -> None:
        if asked != self._asked:
            return  # the filters changed since: a newer answer is on its way
        chosen = self.detail.order_id if self.detail is not None else None
        self.orders.show((*self.orders.rows, *page.rows) if more else page.rows)
        self.next_after = page.next_after
        self._write_count()
        if not more:
            row = next((n for n, r in enumerate(self.orders.rows) if r.order_id == chosen), None)
            if row is None:
                self._show_detail(None)
            else:
                self.orders_view.selectRow(row)

    def _order_chosen(self, *_args: object) -> None:
        rows = self.orders_view.selectionModel().selectedRows()
        order = self.orders.row_at(rows[0].row()) if rows else None
        if order is None:
            return
        self.open_order(order.order_id)

    def open_order(self, order_id: UUID) -> None:
        manager_id = self.manager_id
        self.call(lambda uow: order_detail(uow, order_id, manager_id=manager_id), self._show_detail)

        def shown(rows: tuple[ReturnRow, ...]) -> None:
            if self.detail is not None and self.detail.order_id == order_id:
                self.returns.show(rows)
                self._write_detail_texts()

        self.call(lambda uow: order_returns(uow, order_id, manager_id=manager_id), shown)

    def _show_detail(self, detail: OrderDetail | None) -> None:
        self.detail = detail
        self.lines.show(
            [PricedLine(line, detail.currency) for line in detail.lines] if detail else ()
        )
        self.payments.show(detail.payments if detail is not None else ())
        self.events.show(detail.events if detail is not None else ())
        self.refunds.show(detail.refunds if detail is not None else ())
        self.returns.show(())  # the sale's own are asked after its detail, and come after it
        self.reprint_button.setEnabled(detail is not None and detail.status is OrderStatus.PAID)
        self._write_detail_texts()

    def reprint(self) -> None:
        if self.detail is None:
            return
        order_id, manager_id, locale = self.detail.order_id, self.manager_id, language()

        def ask(uow: UnitOfWork) -> Any:
            return reprint_receipt(uow, order_id, manager_id=manager_id, locale=locale)

        self.call(ask, self._show_copy)

    def _show_copy(self, text: str) -> None:
        dialog = ReceiptCopyDialog(text, self, printer=self.context.printer is not None)
        dialog.finished.connect(self._copy_closed)
        if self.detail is not None:
            order_id = self.detail.order_id
            dialog.print_requested.connect(lambda: self.print_copy(order_id))
            dialog.pdf_requested.connect(lambda: self.save_pdf(order_id))
        self.reprint_dialog = dialog
        dialog.open()

    def print_copy(self, order_id: UUID) -> None:
        """Send the copy ("KOPYA") to the till's printer; the reprint is already audited."""
        printer, ops, till = self.context.printer, self.context.print_ops, self.context.till
        if printer is None or ops is None:
            return
        locale = language()

        def send(job: printing_ops.ReceiptJob) -> None:
            self._say_printed(_("Printing…"), "")
            ops.run(lambda: printing_ops.print_job(printer, job), printed)

        def printed(answer: printing_ops.Printed) -> None:
            if answer.fault is None:
                self._say_printed(_("Copy printed"), "")
            else:
                state = answer.fault.state
                self._say_printed(
                    _("Not printed: the printer is {problem}").format(problem=problem(state)),
                    "error",
                )

        self.call(lambda _uow: printing_ops.copy_job(till, printer, order_id, locale), send)

    def save_pdf(self, order_id: UUID) -> None:
        """The copy as a PDF page the size of the till's paper, where the manager says."""
        if self.detail is None:
            return
        name = f"{self.detail.receipt or order_id}.pdf"
        chosen, _filter = QFileDialog.getSaveFileName(self, _("Save as PDF…"), name, "PDF (*.pdf)")
        if not chosen:
            return
        locale = language()
        width = self.context.printer.profile.width if self.context.printer else RECEIPT_WIDTH

        def write(document: Document) -> None:
            write_pdf(document, Path(chosen))
            self._say_printed(_("Saved: {path}").format(path=chosen), "")

        self.call(
            lambda uow: printed_receipt(uow, order_id, locale=locale, width=width, copy=True),
            write,
        )

    def _say_printed(self, text: str, kind: str) -> None:
        if self.reprint_dialog is not None:
            self.reprint_dialog.print_state.setText(text)
            self.reprint_dialog.print_state.setProperty("kind", kind)
        self.message.say(kind, lambda: text)

    def _copy_closed(self) -> None:
        if self.reprint_dialog is not None:
            self.reprint_dialog.deleteLater()
            self.reprint_dialog = None

    # -- texts -----------------------------------------------------------------------

    def _write_count(self) -> None:
        shown = len(self.orders.rows)
        if self.next_after is not None:
            self.count.setText(_("{count} orders shown; there are more").format(count=shown))
        else:
            self.count.setText(_("{count} orders").format(count=shown))
        self.more_button.setEnabled(self.next_after is not None)
        self.list_tabs.setTabText(0, _("Sales"))
        self.list_tabs.setTabText(
            1, _("Returns ({count})").format(count=len(self.day_returns.rows))
        )

    def _write_detail_texts(self) -> None:
        detail = self.detail
        counts = (
            (
                len(detail.lines),
                len(detail.payments),
                len(detail.events),
                len(detail.refunds),
                len(self.returns.rows),
            )
            if detail
            else (0, 0, 0, 0, 0)
        )
        names = (N_("Lines"), N_("Payments"), N_("Events"), N_("Refunds"), N_("Returns"))
        for index, (name, count) in enumerate(zip(names, counts, strict=True)):
            self.detail_tabs.setTabText(index, f"{_(name)} ({count})")
        if detail is None:
            self.summary.setText(_("Choose an order to see its lines, payments and events."))
            return
        parts = [
            detail.receipt or _("No receipt"),
            order_status_name(detail.status),
            _("Till {till}").format(till=detail.till_code),
            _("begun {time}").format(time=when(detail.created_at)),
        ]
        if detail.cashier:
            parts.append(_("cashier {name}").format(name=detail.cashier))
        totals = [
            _("Subtotal {amount}").format(amount=money(detail.subtotal_minor, detail.currency)),
        ]
        if detail.line_discount_minor:
            given = money(-detail.line_discount_minor, detail.currency)
            totals.append(_("Line discounts {amount}").format(amount=given))
        if detail.discount_minor - detail.line_discount_minor:
            discount = money(-(detail.discount_minor - detail.line_discount_minor), detail.currency)
            if detail.coupon_code:
                totals.append(
                    _("Coupon {code}: {amount}").format(code=detail.coupon_code, amount=discount)
                )
            else:
                totals.append(_("Discount {amount}").format(amount=discount))
        totals.append(_("Tax {amount}").format(amount=money(detail.tax_minor, detail.currency)))
        totals.append(_("Total {amount}").format(amount=money(detail.total_minor, detail.currency)))
        self.summary.setText(" · ".join(parts) + "\n" + " · ".join(totals))

    def retranslate(self) -> None:
        super().retranslate()
        self.day_caption.setText(_("Day"))
        self.status_caption.setText(_("Status"))
        self.till_caption.setText(_("Till"))
        self.cashier_caption.setText(_("Cashier"))
        self.method_caption.setText(_("Paid by"))
        self.receipt_number.setPlaceholderText(_("Receipt no."))
        self.receipt_number.setToolTip(_("A receipt number: 42, or as printed, T01-000042"))
        self.refresh_button.setText(_("Refresh"))
        self.more_button.setText(_("More"))
        self.reprint_button.setText(_("Reprint receipt"))
        self.reprint_button.setToolTip(_("Only a paid sale has a receipt"))
        self.day.setDisplayFormat("dd.MM.yyyy" if language() == "tr" else "yyyy-MM-dd")
        for combo, names in (
            (self.status, ORDER_STATUSES),
            (self.method, METHOD_FILTERS),
        ):
            for index in range(1, combo.count()):
                combo.setItemText(index, _(names[combo.itemData(index)]))
        for combo in (self.status, self.till, self.cashier, self.method):
            combo.setItemText(0, _("All"))
        self.orders.refresh_texts()
        self.lines.refresh_texts()
        self.payments.refresh_texts()
        self.events.refresh_texts()
        self.refunds.refresh_texts()
        self.returns.refresh_texts()
        self.day_returns.refresh_texts()
        self._write_count()
        self._write_detail_texts()
        if self.reprint_dialog is not None:
            self.reprint_dialog.retranslate()
