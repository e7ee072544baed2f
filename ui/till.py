"""The till's main window: sign in, ring up, take payment, print the receipt.

Every service call goes through ``Operations`` (off the GUI thread); the answers come
back here and the window tells its views. The scan field has the keyboard unless the
cashier is searching, typing a coupon or in a dialog.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from babel.dates import format_time
from babel.numbers import format_percent
from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QMainWindow,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from pos.bootstrap import Till
from pos.domain.approvals import void_needs_approval
from pos.domain.messages import render
from pos.domain.money import format_money
from pos.domain.payments import PaymentStatus
from pos.domain.quantities import read_quantity, split_quantity_prefix
from pos.domain.results import Code, Err, Ok, Result, Warn
from pos.services.backoffice import enter_back_office
from pos.services.cart import CartSummary
from pos.services.users import UserView, list_users, sign_in
from pos.store.models import CartStatus, Role
from ui import card as card_ops
from ui import sale as sale_ops
from ui import shop_time
from ui.approval import Approved, ManagerApprovalDialog, PriceAsked
from ui.cart_table import CartTable
from ui.dialogs import CardDialog, CashDialog, ConfirmDialog, ReceiptDialog, shortcut_text
from ui.i18n import N_, _, language, other_language, set_language
from ui.leftover import LeftoverPayments
from ui.login import LoginWidget
from ui.models import CartModel, SearchModel
from ui.operations import Operations

if TYPE_CHECKING:
    from pos.payments.runtime import PaymentRuntime


@dataclass(frozen=True)
class Action:
    name: str
    label: str  # English, translated when shown
    key: str


ACTIONS = (
    Action("quantity", N_("Quantity"), "F2"),
    Action("search", N_("Search"), "F3"),
    Action("coupon", N_("Coupon"), "F4"),
    Action("plus", N_("One more"), "+"),
    Action("minus", N_("One less"), "-"),
    Action("remove", N_("Remove line"), "Del"),
    Action("price", N_("Price"), "F6"),
    Action("cash", N_("Cash"), "F9"),
    Action("card", N_("Card"), "F10"),
    Action("void", N_("Void sale"), "F12"),
    Action("language", N_("Language"), "F7"),
    Action("back_office", N_("Back office"), "F11"),
    Action("sign_out", N_("Switch cashier"), "Ctrl+L"),
)
SIDE_PANEL_WIDTH = 372
"""Room for the keys' labels in both languages; the rest of a 1024-px screen is the sale's."""
REMOVE_COUPON_KEY = "Shift+F4"
"""Takes the coupon off the sale (its own button beside the coupon field, not the grid's)."""
KEYS_TYPED_IN_SCAN_FIELD = {"plus", "minus", "remove"}
"""Keys that would also be typed into a text field: acted on from the (empty) scan field."""


@dataclass
class Attempt:
    """One press of Pay for one sale: its idempotency key is reused only to retry it."""

    cart_id: int
    shown_total_minor: int
    tender: str
    given_minor: int | None
    key: str

    def same(self, cart_id: int, total: int, tender: str, given: int | None) -> bool:
        return (self.cart_id, self.shown_total_minor, self.tender, self.given_minor) == (
            cart_id,
            total,
            tender,
            given,
        )


class TillWindow(QMainWindow):
    """Login and the sale, in one window that fits 1024x768."""

    signed_in = Signal(object)  # UserView
    cart_changed = Signal(object)  # CartSummary
    sale_paid = Signal(object)  # order id
    payment_settled = Signal(int)  # payment id, from the runtime's threads (queued)
    stock_swept = Signal(object)  # SweepReport, from the sweeper's thread (queued)
    shown = Signal()

    def __init__(
        self,
        till: Till,
        *,
        runtime: PaymentRuntime | None = None,
        operations: Operations | None = None,
        demo: bool = False,
        search_delay_ms: int = 150,
        card_poll_ms: int = 250,
        status_interval_ms: int = 3000,
    ) -> None:
        super().__init__()
        self.setObjectName("TillWindow")
        self.till, self.runtime, self.demo = till, runtime, demo
        self.ops = operations or Operations(self)
        self.user: UserView | None = None
        self.cart: CartSummary | None = None
        self.pending_quantity: int | None = None
        self.attempt: Attempt | None = None
        self.card_payment_id: int | None = None
        self._card_polling = False
        self._search_generation = 0
        self._add_when_found = False
        self._banner_message: tuple[str, Callable[[], str]] | None = None
        self._coupon_message: Callable[[], str] | None = None
        self._status: dict[str, Any] = {}
        self.cash_dialog: CashDialog | None = None
        self.card_dialog: CardDialog | None = None
        self.receipt_dialog: ReceiptDialog | None = None
        self.confirm_dialog: ConfirmDialog | None = None
        self.approval_dialog: ManagerApprovalDialog | None = None
        self.back_office: QMainWindow | None = None

        self.stack = QStackedWidget()
        self.login = LoginWidget(demo_hint=demo)
        self.login.sign_in_requested.connect(self._sign_in)
        self.login.language_requested.connect(self.switch_language)
        self.sale_page = self._build_sale_page()
        self.stack.addWidget(self.login)
        self.stack.addWidget(self.sale_page)
        self.setCentralWidget(self.stack)
        self._build_status_bar()
        self._build_shortcuts()

        self.search_timer = QTimer(self, singleShot=True, interval=search_delay_ms)
        self.search_timer.timeout.connect(self._search_now)
        self.card_timer = QTimer(self, interval=card_poll_ms)
        self.card_timer.timeout.connect(self._poll_card)
        self.status_timer = QTimer(self, interval=status_interval_ms)
        self.status_timer.timeout.connect(self.refresh_status)
        self.payment_settled.connect(self._payment_settled)
        self.stock_swept.connect(lambda _report: self._reload_cart())
        if runtime is not None:
            # Called on the listener's and poller's threads: the signal hops to this one.
            runtime.on_change = self.payment_settled.emit
        self.leftover = LeftoverPayments(self)  # card payments a restart left in flight

        self.resize(1024, 768)
        self.setMinimumSize(1024, 700)
        self.retranslate()
        self.load_users()
        shop_time.follow_shop(self.till, self.ops)
        self.status_timer.start()
        QTimer.singleShot(0, self.refresh_status)

    # -- building ------------------------------------------------------------------

    def _build_sale_page(self) -> QWidget:
        page = QWidget(objectName="SalePage")
        self.scan = QLineEdit(objectName="ScanField")
        self.scan.setMinimumHeight(56)
        self.scan.returnPressed.connect(self._scan_entered)
        self.scan.installEventFilter(self)
        self.quantity_label = QLabel(objectName="PendingQuantity")
        self.quantity_label.hide()
        self.search = QLineEdit(objectName="SearchField")
        self.search.setMinimumHeight(48)
        self.search.textEdited.connect(self._search_typed)
        self.search.returnPressed.connect(self._search_entered)
        self.search.installEventFilter(self)
        self.search_model = SearchModel()
        self.results = QListView(objectName="SearchResults")
        self.results.setModel(self.search_model)
        self.results.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.results.setMaximumHeight(260)
        self.results.clicked.connect(lambda index: self._add_search_hit(index.row()))
        self.results.hide()
        self.banner = QLabel(objectName="Banner")
        self.banner.setWordWrap(True)
        self.banner.hide()

        self.cart_model = CartModel(self.till.settings.currency)
        self.cart_model.quantity_requested.connect(self.set_line_quantity)
        self.cart_model.quantity_refused.connect(self.show_result)
        self.table = CartTable(self.cart_model)

        scan_row = QHBoxLayout()
        scan_row.addWidget(self.scan, 1)
        scan_row.addWidget(self.quantity_label)
        left = QVBoxLayout()
        left.addLayout(scan_row)
        left.addWidget(self.search)
        left.addWidget(self.results)
        left.addWidget(self.banner)
        left.addWidget(self.table, 1)

        self.cashier_label = QLabel(objectName="CashierLabel")
        self.coupon = QLineEdit(objectName="CouponField")
        self.coupon.setMinimumHeight(48)
        self.coupon.returnPressed.connect(self._coupon_entered)
        self.coupon.installEventFilter(self)
        self.coupon_remove = QPushButton(objectName="RemoveCoupon")
        self.coupon_remove.setMinimumHeight(48)
        self.coupon_remove.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.coupon_remove.clicked.connect(self.remove_coupon)
        self.coupon_note = QLabel(objectName="CouponNote")
        self.coupon_note.setWordWrap(True)
        coupon_row = QHBoxLayout()
        coupon_row.addWidget(self.coupon, 1)
        coupon_row.addWidget(self.coupon_remove)

        totals = QFrame(objectName="Totals")
        self.totals_grid = QGridLayout(totals)
        self.totals_grid.setColumnStretch(0, 1)
        self.total_caption = QLabel(objectName="TotalCaption")
        self.total_value = QLabel(objectName="TotalValue")
        self.total_value.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self._total_rows: list[QLabel] = []

        self.buttons: dict[str, QPushButton] = {}
        grid = QGridLayout()
        layout_of = {  # row, column, columns spanned
            "quantity": (0, 0, 1),
            "search": (0, 1, 1),
            "coupon": (0, 2, 1),
            "plus": (1, 0, 1),
            "minus": (1, 1, 1),
            "remove": (1, 2, 1),
            "price": (2, 0, 1),
            "void": (2, 1, 1),
            "language": (2, 2, 1),
            "back_office": (3, 0, 2),
            "sign_out": (3, 2, 1),
        }
        for action in ACTIONS:
            button = QPushButton(objectName=f"Action_{action.name}")
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            button.setMinimumHeight(60)
            button.clicked.connect(lambda _checked=False, a=action.name: self.act(a))
            self.buttons[action.name] = button
            if action.name in layout_of:
                button.setProperty("grid", True)
                row, column, span = layout_of[action.name]
                grid.addWidget(button, row, column, 1, span)
        self.buttons["cash"].setProperty("primary", True)
        self.buttons["card"].setProperty("primary", True)
        self.buttons["void"].setProperty("danger", True)
        for name in ("cash", "card"):
            self.buttons[name].setMinimumHeight(72)
        pay_row = QHBoxLayout()
        pay_row.addWidget(self.buttons["cash"])
        pay_row.addWidget(self.buttons["card"])

        right_panel = QFrame(objectName="SidePanel")
        right_panel.setFixedWidth(SIDE_PANEL_WIDTH)
        right = QVBoxLayout(right_panel)
        right.addWidget(self.cashier_label)
        right.addLayout(coupon_row)
        right.addWidget(self.coupon_note)
        right.addWidget(totals)
        right.addStretch(1)
        right.addLayout(grid)
        right.addLayout(pay_row)

        layout = QHBoxLayout(page)
        layout.setContentsMargins(12, 12, 12, 12)
        layout.addLayout(left, 1)
        layout.addWidget(right_panel)
        return page

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

    def _build_shortcuts(self) -> None:
        self.shortcuts: dict[str, QShortcut] = {}
        for action in ACTIONS:
            if action.name in KEYS_TYPED_IN_SCAN_FIELD:
                continue
            key = "Delete" if action.key == "Del" else action.key
            shortcut = QShortcut(QKeySequence(key), self)
            shortcut.activated.connect(lambda a=action.name: self.act(a))
            self.shortcuts[action.name] = shortcut
        remove = QShortcut(QKeySequence(REMOVE_COUPON_KEY), self)
        remove.activated.connect(lambda: self.act("remove_coupon"))
        self.shortcuts["remove_coupon"] = remove

    # -- texts ---------------------------------------------------------------------

    def retranslate(self) -> None:
        """Write every visible text again in the current language."""
        name = self.user.display_name if self.user else ""
        self.setWindowTitle(_("Kasa — till") + (f" — {name}" if name else ""))
        self.login.retranslate()
        self.scan.setPlaceholderText(_("Barcode or SKU, then Enter (3*code: 3 units)"))
        self.search.setPlaceholderText(_("Search by name or SKU (F3)"))
        self.coupon.setPlaceholderText(_("Coupon code (F4)"))
        self.coupon_remove.setText(
            shortcut_text(_("Remove coupon"), REMOVE_COUPON_KEY).replace(" (", "\n(")
        )
        self.cashier_label.setText(_("Cashier: {name}").format(name=name) if name else "")
        for action in ACTIONS:
            text = shortcut_text(_(action.label), action.key)
            if action.name not in ("cash", "card"):
                text = text.replace(" (", "\n(")  # two lines keep the grid's buttons narrow
            self.buttons[action.name].setText(text)
        self.total_caption.setText(_("Total"))
        self._show_pending_quantity()
        self.cart_model.refresh_texts()
        self.search_model.layoutChanged.emit()
        if self.cart is not None:
            self._show_totals(self.cart)
        if self._banner_message is not None:
            _kind, text = self._banner_message
            self.banner.setText(text())
        if self._coupon_message is not None:
            self.coupon_note.setText(self._coupon_message())
        self._show_status()
        for dialog in (
            self.cash_dialog,
            self.card_dialog,
            self.receipt_dialog,
            self.confirm_dialog,
            self.approval_dialog,
        ):
            if dialog is not None:
                dialog.retranslate()

    def switch_language(self) -> None:
        set_language(other_language())
        self.retranslate()

    # -- signing in ----------------------------------------------------------------

    def load_users(self) -> None:
        self.ops.run(
            lambda: list_users(self.till.uow()),
            self._users_loaded,
            self._store_failed,
        )

    def _users_loaded(self, result: Result[tuple[UserView, ...]]) -> None:
        if isinstance(result, Err):
            self.login.show_problem(render(result, language()))
            return
        self.login.show_users(result.value)

    def _sign_in(self, user_id: int, pin: str) -> None:
        self.ops.run(
            lambda: sign_in(self.till.uow(), user_id, pin),
            self._signed_in,
            lambda error: self.login.show_problem(self._failure_text(error)),
        )

    def _signed_in(self, result: Result[UserView]) -> None:
        if isinstance(result, Err):
            self.login.show_problem(render(result, language()))
            return
        self.user = result.value
        self.login.reset()
        self.stack.setCurrentWidget(self.sale_page)
        self.retranslate()
        if self.cart is None or not self.cart.lines:
            # An empty sale starts afresh under the new cashier; one with lines is taken over.
            self.start_new_sale()
        self.focus_scan()
        self.signed_in.emit(self.user)
        self.leftover.signed_in()

    def sign_out(self) -> None:
        if self.card_dialog is not None:
            return  # never walk away from a card payment in flight
        if self.back_office is not None:
            self.back_office.close()  # the next cashier must not find it open
        self.user = None
        self.clear_banner()
        self.stack.setCurrentWidget(self.login)
        self.retranslate()
        self.login.reset()
        self.load_users()

    # -- the sale ------------------------------------------------------------------

    def start_new_sale(self) -> None:
        cashier = self.user.id if self.user else None
        self.attempt = None
        self.ops.run(
            lambda: sale_ops.new_sale(self.till, cashier), self._cart_answer, self._store_failed
        )

    def act(self, name: str) -> None:
        """Do what the button or key ``name`` does."""
        if self.stack.currentWidget() is not self.sale_page and name != "language":
            return
        handlers: dict[str, Callable[[], None]] = {
            "quantity": self.take_quantity,
            "search": self.focus_search,
            "coupon": self.focus_coupon,
            "plus": lambda: self.step_quantity(+1),
            "minus": lambda: self.step_quantity(-1),
            "remove": self.remove_selected_line,
            "price": self.change_line_price,
            "cash": self.pay_cash,
            "card": self.pay_card,
            "void": self.void_sale,
            "language": self.switch_language,
            "back_office": self.open_back_office,
            "sign_out": self.sign_out,
            "remove_coupon": self.remove_coupon,
        }
        handlers[name]()

    def _scan_entered(self) -> None:
        text = self.scan.text().strip()
        self.scan.clear()
        if not text or self.cart is None:
            return
        prefix, code = split_quantity_prefix(text)
        if isinstance(prefix, Err):
            self.show_result(prefix)  # "2,5*code": the quantity is wrong, not the code
            return
        quantity = prefix or self.pending_quantity or 1
        self.pending_quantity = None
        self._show_pending_quantity()
        cart_id = self.cart.cart_id
        self.ops.run(
            lambda: sale_ops.ring_up(self.till, cart_id, code, quantity),
            self._cart_answer,
            self._store_failed,
        )

    def take_quantity(self) -> None:
        """F2: the digits in the scan field become how many units the next scan adds."""
        text = self.scan.text().strip().rstrip("*")
        quantity = read_quantity(text)
        if not text:
            self.show_banner("info", lambda: _("Type the quantity, then press F2 and scan"))
        elif isinstance(quantity, Err):
            self.show_result(quantity)
        else:
            self.pending_quantity = quantity
            self.scan.clear()
            self._show_pending_quantity()
        self.focus_scan()

    def _show_pending_quantity(self) -> None:
        if self.pending_quantity is None:
            self.quantity_label.hide()
            return
        self.quantity_label.setText(_("x {count}").format(count=self.pending_quantity))
        self.quantity_label.show()

    def selected_line_row(self) -> int:
        rows = self.table.selectionModel().selectedRows()
        if rows:
            return rows[0].row()
        return self.cart_model.rowCount() - 1

    def step_quantity(self, step: int) -> None:
        line = self.cart_model.line(self.selected_line_row())
        if line is not None:
            self.set_line_quantity(line.product_id, max(0, line.quantity + step))

    def set_line_quantity(self, product_id: int, quantity: int) -> None:
        if self.cart is None:
            return
        cart_id = self.cart.cart_id
        self.ops.run(
            lambda: sale_ops.change_quantity(self.till, cart_id, product_id, quantity),
            self._cart_answer,
            self._store_failed,
        )

    def remove_selected_line(self) -> None:
        line = self.cart_model.line(self.selected_line_row())
        if line is None or self.cart is None:
            return
        cart_id = self.cart.cart_id
        self.ops.run(
            lambda: sale_ops.remove(self.till, cart_id, line.product_id),
            self._cart_answer,
            self._store_failed,
        )

    def _cart_answer(self, result: Result[CartSummary]) -> None:
        if isinstance(result, Err):
            self.show_result(result)
            if self.cart is not None:
                self.cart_model.show(self.cart)  # undo an edit the store refused
        else:
            if isinstance(result, Warn):
                self.show_result(result)
            else:
                self.clear_banner()
            self.show_cart(result.value)
        self.focus_scan()

    def show_cart(self, summary: CartSummary) -> None:
        previous = self.cart
        self.cart = summary
        before = {line.product_id: line.quantity for line in previous.lines} if previous else {}
        self.cart_model.show(summary)
        # The line the cashier just changed gets the selection (every line's hold moves on).
        changed = [
            row
            for row, line in enumerate(summary.lines)
            if before.get(line.product_id) != line.quantity
        ]
        if changed:
            self.table.selectRow(changed[-1])
            self.table.scrollTo(self.cart_model.index(changed[-1], 0))
        self._show_totals(summary)
        self.cart_changed.emit(summary)

    def _show_totals(self, summary: CartSummary) -> None:
        quote, currency = summary.quote, summary.currency
        rows: list[tuple[str, int]] = [(_("Subtotal"), quote.subtotal_minor)]
        if quote.discount_minor:
            rows.append((_("Discount"), -quote.discount_minor))
        for tax in quote.taxes:
            rate = format_percent(tax.rate_bp / 10_000, locale=language())
            rows.append((_("VAT {rate}").format(rate=rate), tax.tax_minor))
        while len(self._total_rows) < 2 * len(rows):
            number = len(self._total_rows) // 2
            name = QLabel(objectName="TotalsCaption")
            amount = QLabel(objectName="TotalsValue")
            amount.setAlignment(Qt.AlignmentFlag.AlignRight)
            self.totals_grid.addWidget(name, number, 0)
            self.totals_grid.addWidget(amount, number, 1)
            self._total_rows += [name, amount]
        for number, label in enumerate(self._total_rows):
            label.setVisible(number < 2 * len(rows))
        for number, (caption, minor) in enumerate(rows):
            self._total_rows[2 * number].setText(caption)
            self._total_rows[2 * number + 1].setText(format_money(minor, currency, language()))
        self.totals_grid.addWidget(self.total_caption, 100, 0)
        self.totals_grid.addWidget(self.total_value, 100, 1)
        self.total_value.setText(format_money(quote.total_minor, currency, language()))
        if summary.coupon_code and summary.coupon_problem is not None:
            problem = summary.coupon_problem
            self.coupon_note.setProperty("kind", "warning")
            self._set_coupon_message(
                lambda: f"{summary.coupon_code}: {render(Err(problem), language())}"
            )
        elif summary.coupon_code:
            code = summary.coupon_code
            self.coupon_note.setProperty("kind", "info")
            self._set_coupon_message(lambda: _("Coupon {code} applied").format(code=code))
        elif self.coupon_note.property("kind") != "error":
            self._set_coupon_message(None)
        self.coupon_remove.setVisible(bool(summary.coupon_code))

    # -- search --------------------------------------------------------------------

    def focus_search(self) -> None:
        self.search.setFocus()
        self.search.selectAll()

    def _search_typed(self, _text: str) -> None:
        self.search_timer.start()

    def _search_now(self) -> None:
        text = self.search.text().strip()
        self._search_generation += 1
        generation = self._search_generation
        if not text:
            self._show_hits(generation, Ok(()))
            return

        def query() -> Any:
            if generation != self._search_generation:
                return None  # the cashier typed on: this answer would be dropped anyway
            return sale_ops.search(self.till, text)

        self.ops.run(query, lambda result: self._show_hits(generation, result), self._store_failed)

    def _show_hits(self, generation: int, result: Result[Any] | None) -> None:
        if generation != self._search_generation or result is None:
            return
        if isinstance(result, Err):
            self.show_result(result)
            return
        self.search_model.show(result.value)
        self.results.setVisible(bool(result.value))
        if result.value:
            self.results.setCurrentIndex(self.search_model.index(0, 0))
        if self._add_when_found:
            self._add_when_found = False
            self._add_search_hit(0)

    def _search_entered(self) -> None:
        if self.search_timer.isActive():
            self.search_timer.stop()
            self._search_now()
            # Enter before the answer came: add what the search finds first.
            self._add_when_found = True
            return
        self._add_search_hit(self.results.currentIndex().row())

    def _add_search_hit(self, row: int) -> None:
        product = self.search_model.product(row)
        if product is None or self.cart is None:
            return
        cart_id = self.cart.cart_id
        quantity = self.pending_quantity or 1
        self.pending_quantity = None
        self._show_pending_quantity()
        self.close_search()
        self.ops.run(
            lambda: sale_ops.add_product(self.till, cart_id, product.id, quantity),
            self._cart_answer,
            self._store_failed,
        )

    def close_search(self) -> None:
        self.search.clear()
        self.search_model.show(())
        self.results.hide()
        self._search_generation += 1
        self.focus_scan()

    # -- coupons -------------------------------------------------------------------

    def focus_coupon(self) -> None:
        self.coupon.setFocus()
        self.coupon.selectAll()

    def _coupon_entered(self) -> None:
        code = self.coupon.text().strip()
        if self.cart is None:
            return
        if not code:
            self.focus_scan()
            return
        cart_id = self.cart.cart_id
        self.ops.run(
            lambda: sale_ops.use_coupon(self.till, cart_id, code),
            self._coupon_answer,
            self._store_failed,
        )

    def _coupon_answer(self, result: Result[Any]) -> None:
        if isinstance(result, Err):
            self.coupon_note.setProperty("kind", "error")
            self._set_coupon_message(lambda: render(result, language()))
            self.coupon.setFocus()
            self.coupon.selectAll()
            return
        self.coupon.clear()
        self.coupon_note.setProperty("kind", "info")
        replaced = self.cart.coupon_code if self.cart is not None else None
        self.show_cart(result.value.cart)
        new = result.value.code
        if replaced and replaced != new:  # a sale has one coupon: say which one went
            self._set_coupon_message(
                lambda: _("Coupon {code} applied in place of {old}").format(code=new, old=replaced)
            )
        self.focus_scan()

    def remove_coupon(self) -> None:
        if self.cart is None or not self.cart.coupon_code or self.dialog_open():
            return
        cart_id = self.cart.cart_id
        self.coupon_note.setProperty("kind", "")
        self.ops.run(
            lambda: sale_ops.drop_coupon(self.till, cart_id), self._cart_answer, self._store_failed
        )

    def _set_coupon_message(self, text: Callable[[], str] | None) -> None:
        self._coupon_message = text
        self.coupon_note.setText(text() if text else "")
        self.coupon_note.setVisible(text is not None)
        _repolish(self.coupon_note)

    # -- paying --------------------------------------------------------------------

    def after_queued_work(self, then: Callable[[], None]) -> None:
        """Run ``then`` once every operation asked for before it has answered (the worker
        runs them in order), so a dialog shows the sale with its last scan in it."""
        self.ops.run(lambda: None, lambda _nothing: then(), self._store_failed)

    def _payable(self) -> CartSummary | None:
        if self.cart is None or self.cart.status is not CartStatus.OPEN:
            return None
        if self.dialog_open():
            return None
        if not self.cart.lines:
            self.show_result(Err(Code.CART_EMPTY))
            return None
        return self.cart

    def _key_for(self, tender: str, given: int | None) -> str:
        """The idempotency key of this press of Pay: the same only when retrying it."""
        assert self.cart is not None
        cart, total = self.cart.cart_id, self.cart.total_minor
        if self.attempt is None or not self.attempt.same(cart, total, tender, given):
            self.attempt = Attempt(cart, total, tender, given, str(uuid.uuid4()))
        return self.attempt.key

    def pay_cash(self) -> None:
        self.after_queued_work(self._open_cash_dialog)

    def _open_cash_dialog(self) -> None:
        cart = self._payable()
        if cart is None:
            return
        self.cash_dialog = CashDialog(cart.total_minor, cart.currency, self)
        self.cash_dialog.confirmed.connect(self._cash_confirmed)
        self.cash_dialog.finished.connect(self._cash_dialog_closed)
        self.cash_dialog.open()
        self.cash_dialog.given.setFocus()

    def _cash_dialog_closed(self) -> None:
        self.cash_dialog = None
        QTimer.singleShot(0, self.focus_scan)  # after Qt gives the window its focus back

    def _cash_confirmed(self, given_minor: int) -> None:
        assert self.cart is not None
        cart_id, total = self.cart.cart_id, self.cart.total_minor
        key, locale = self._key_for("cash", given_minor), language()
        cashier = self.user.id if self.user else None  # the sale is whoever takes the cash
        self.ops.run(
            lambda: sale_ops.pay_cash(
                self.till,
                cart_id,
                shown_total_minor=total,
                given_minor=given_minor,
                key=key,
                locale=locale,
                cashier_id=cashier,
            ),
            self._cash_answer,
            self._cash_failed,
        )

    def _cash_answer(self, payment: sale_ops.Payment) -> None:
        dialog, result = self.cash_dialog, payment.result
        if isinstance(result, Err):
            self.attempt = None  # refused: nothing was made, the next press is a new attempt
            if result.code is Code.PRICE_CHANGED and dialog is not None:
                dialog.close()
                self.show_result(result)
                self._reload_cart()
            elif dialog is not None:
                dialog.show_problem(render(result, language()))
            return
        sale = result.value
        if dialog is not None:
            dialog.accept()
        change = ""
        if sale.change_minor:
            money = format_money(sale.change_minor, sale.currency, language())
            change = _("Change: {amount}").format(amount=money)
        self._paid(sale.order_id, payment.receipt, change)

    def _cash_failed(self, error: BaseException) -> None:
        if self.cash_dialog is not None:
            self.cash_dialog.show_problem(self._failure_text(error))
        else:
            self._store_failed(error)

    def _paid(self, order_id: Any, receipt: str | None, note: str) -> None:
        """The sale is paid: show its receipt and start the next one."""
        self.attempt = None
        self.sale_paid.emit(order_id)
        self.clear_banner()
        self.receipt_dialog = ReceiptDialog(receipt or _("Receipt not available"), self)
        self.receipt_dialog.show_change(note)
        self.receipt_dialog.finished.connect(self._receipt_closed)
        self.receipt_dialog.open()
        self.coupon.clear()
        self.coupon_note.setProperty("kind", "")
        self.start_new_sale()

    def _receipt_closed(self) -> None:
        self.receipt_dialog = None
        QTimer.singleShot(0, self.focus_scan)  # after Qt gives the window its focus back

    def pay_card(self) -> None:
        self.after_queued_work(self._open_card_dialog)

    def _open_card_dialog(self) -> None:
        cart = self._payable()
        if cart is None:
            return
        if self.runtime is None:
            self.show_banner("error", lambda: _("No card terminal is set up at this till"))
            return
        runtime = self.runtime
        self.card_dialog = CardDialog(cart.total_minor, cart.currency, self)
        self.card_dialog.cancel_requested.connect(self._cancel_card)
        self.card_dialog.manager_requested.connect(self._ask_to_resolve)
        self.card_dialog.finished.connect(self._card_dialog_closed)
        self.card_dialog.open()
        key = self._key_for("card", None)
        cart_id, total = cart.cart_id, cart.total_minor
        cashier = self.user.id if self.user else None  # the sale is whoever takes the card
        self.ops.run(
            lambda: card_ops.start_card(
                self.till, runtime, cart_id, shown_total_minor=total, key=key, cashier_id=cashier
            ),
            self._card_started,
            self._card_failed,
        )

    def _card_started(self, start: card_ops.CardStart) -> None:
        dialog, result = self.card_dialog, start.result
        self.card_payment_id = start.payment_id
        if start.payment_id is None:
            # Checkout refused: nothing was started.
            self.attempt = None
            if dialog is not None:
                dialog.show_state(PaymentStatus.FAILED, None)
                dialog.show_note(render(result, language()))
            if isinstance(result, Err) and result.code is Code.PRICE_CHANGED:
                self._reload_cart()
            return
        waiting = isinstance(result, Warn) and result.code is Code.PAYMENT_PENDING
        if isinstance(result, Err) and result.code is Code.TERMINAL_BUSY:
            self.leftover.show()  # the ways out of the payment the terminal waits on
        if isinstance(result, Err | Warn) and dialog is not None and not waiting:
            dialog.show_note(render(result, language()))
            dialog.offer_manager()  # the terminal cannot say how it went: a manager may
        if not isinstance(result, Err):
            self._card_view(result)
        self.card_timer.start()

    def _card_failed(self, error: BaseException) -> None:
        if self.card_dialog is not None:
            self.card_dialog.show_note(self._failure_text(error))
            self.card_dialog.offer_manager()
        if self.card_payment_id is not None:
            self.card_timer.start()

    def _poll_card(self) -> None:
        if self.card_payment_id is None or self._card_polling:
            return
        self._card_polling = True
        payment_id = self.card_payment_id

        def answered(result: Result[Any]) -> None:
            self._card_polling = False
            if payment_id == self.card_payment_id and not isinstance(result, Err):
                self._card_view(result)

        def failed(error: BaseException) -> None:
            self._card_polling = False

        self.ops.run(lambda: card_ops.card_state(self.till, payment_id), answered, failed)

    def _payment_settled(self, payment_id: int) -> None:
        if payment_id == self.card_payment_id:
            self._poll_card()
        self.refresh_status()

    def _card_view(self, result: Ok[Any] | Warn[Any]) -> None:
        view = result.value
        dialog = self.card_dialog
        if dialog is not None:
            dialog.show_state(view.status, view.settled_by)
        if view.status is PaymentStatus.PAID:
            self._card_done()
            if dialog is not None:
                dialog.close_now()
            sources = {
                "webhook": _("Card approved by the terminal"),
                "poll": _("Card approved by the terminal"),
                "manager": _("Card approved (resolved by a manager)"),
            }
            note = sources.get(view.settled_by or "", _("Card approved"))
            order_id, locale = view.order_id, language()
            self.ops.run(
                lambda: sale_ops.receipt_or_none(self.till, order_id, locale),
                lambda text: self._paid(order_id, text, note),
                self._store_failed,
            )
        elif view.status in (PaymentStatus.FAILED, PaymentStatus.CANCELLED):
            # The goods are still at the till: the cart is open again for another tender.
            self._card_done()
            self.attempt = None
            self._reload_cart()

    def _card_done(self) -> None:
        self.card_timer.stop()
        self.card_payment_id = None

    def _cancel_card(self) -> None:
        payment_id, runtime = self.card_payment_id, self.runtime
        if payment_id is None or runtime is None:
            if self.card_dialog is not None and self.card_payment_id is None:
                self.card_dialog.show_state(PaymentStatus.CANCELLED, None)
            return

        def answered(result: Result[Any]) -> None:
            if isinstance(result, Err):
                if self.card_dialog is not None:
                    self.card_dialog.show_note(render(result, language()))
                    self.card_dialog.offer_manager()
                return
            self._card_view(result)

        self.ops.run(
            lambda: card_ops.cancel_card(self.till, runtime, payment_id),
            answered,
            self._card_failed,
        )

    def _ask_to_resolve(self) -> None:
        """A manager settles the stuck payment by hand, with the cashier still signed in."""
        payment_id, dialog = self.card_payment_id, self.card_dialog
        if payment_id is None or dialog is None or self.approval_dialog is not None:
            return
        approval = self._ask_manager(
            "payment.force_resolve",
            lambda: _(
                "Resolving this card payment by hand needs a manager: say how it ended and why."
            ),
            details={"payment": payment_id},
            resolve=True,
            parent=dialog,
        )
        approval.approved.connect(lambda answer: self._resolve_approved(payment_id, answer))

    def _resolve_approved(self, payment_id: int, answer: Approved) -> None:
        assert answer.outcome is not None
        assert answer.note is not None
        outcome, note = answer.outcome, answer.note
        manager_id, cashier_id = answer.approval.manager.id, answer.approval.cashier_id

        def answered(result: Result[Any]) -> None:
            if isinstance(result, Err):
                if self.card_dialog is not None:
                    self.card_dialog.show_note(render(result, language()))
                return
            if payment_id == self.card_payment_id:
                self._card_view(result)

        self.ops.run(
            lambda: card_ops.resolve_by_hand(
                self.till,
                payment_id,
                outcome,
                manager_id=manager_id,
                cashier_id=cashier_id,
                note=note,
            ),
            answered,
            self._card_failed,
        )

    def _card_dialog_closed(self) -> None:
        self.card_dialog = None
        QTimer.singleShot(0, self.focus_scan)  # after Qt gives the window its focus back

    def _reload_cart(self) -> None:
        if self.cart is None:
            return
        cart_id = self.cart.cart_id
        self.ops.run(
            lambda: sale_ops.summary(self.till, cart_id),
            lambda result: self.show_cart(result.value) if not isinstance(result, Err) else None,
            self._store_failed,
        )

    # -- voiding -------------------------------------------------------------------

    def void_sale(self) -> None:
        self.after_queued_work(self._ask_to_void)

    def _ask_to_void(self) -> None:
        if self.dialog_open():
            return
        if self.cart is None or not self.cart.lines:
            self.show_result(Err(Code.CART_EMPTY))
            return
        cart_id, total, currency = self.cart.cart_id, self.cart.total_minor, self.cart.currency
        by_manager = self.user is not None and self.user.role is Role.MANAGER
        limit = self.till.policy.void_approval_minor
        if not void_needs_approval(total, limit, by_manager=by_manager):
            self._confirm_void(None)
            return
        approval = self._ask_manager(
            "sale.void",
            lambda: _("Voiding this sale of {total} needs a manager's approval.").format(
                total=format_money(total, currency, language())
            ),
            details={"cart": cart_id, "total_minor": total},
        )
        approval.approved.connect(lambda answer: self._confirm_void(answer.approval.manager.id))

    def _confirm_void(self, approved_by: int | None) -> None:
        self.confirm_dialog = ConfirmDialog(
            N_("Void this sale? Every line is removed and its stock released."),
            N_("Void sale"),
            self,
        )
        self.confirm_dialog.accepted.connect(lambda: self._void_confirmed(approved_by))
        self.confirm_dialog.finished.connect(self._confirm_closed)
        self.confirm_dialog.open()

    def _confirm_closed(self) -> None:
        self.confirm_dialog = None
        QTimer.singleShot(0, self.focus_scan)  # after Qt gives the window its focus back

    def _void_confirmed(self, approved_by: int | None) -> None:
        if self.cart is None:
            return
        cart_id, user_id = self.cart.cart_id, self.user.id if self.user else None

        def answered(result: Result[Any]) -> None:
            if isinstance(result, Err):
                self.show_result(result)
                return
            self.show_banner("info", lambda: _("Sale voided; its stock is released"))
            self.start_new_sale()

        self.ops.run(
            lambda: sale_ops.void(self.till, cart_id, user_id, approved_by),
            answered,
            self._store_failed,
        )

    # -- a manager's approval ----------------------------------------------------------

    def _ask_manager(
        self,
        action: str,
        question: Callable[[], str],
        *,
        details: dict[str, object],
        price: PriceAsked | None = None,
        resolve: bool = False,
        parent: QWidget | None = None,
    ) -> ManagerApprovalDialog:
        """Open the PIN dialog for ``action``; the caller connects what follows approval."""
        assert self.user is not None  # the sale page is only shown to a signed-in user
        dialog = ManagerApprovalDialog(
            self.till,
            self.ops,
            cashier_id=self.user.id,
            action=action,
            question=question,
            details=details,
            price=price,
            resolve=resolve,
            parent=parent or self,
        )
        dialog.finished.connect(self._approval_closed)
        self.approval_dialog = dialog
        dialog.open()
        return dialog

    def _approval_closed(self) -> None:
        self.approval_dialog = None
        QTimer.singleShot(0, self.focus_scan)  # after Qt gives the window its focus back

    def change_line_price(self) -> None:
        self.after_queued_work(self._ask_for_price)

    def _ask_for_price(self) -> None:
        """F6: a new unit price for the selected line, approved by a manager."""
        if self.dialog_open() or self.cart is None or self.user is None:
            return
        line = self.cart_model.line(self.selected_line_row())
        if line is None:
            self.show_result(Err(Code.CART_EMPTY))
            return
        cart_id, product_id, name = self.cart.cart_id, line.product_id, line.name
        user_id = self.user.id
        approval = self._ask_manager(
            "cart.price_override",
            lambda: _("A new price for {name} needs a manager's approval.").format(name=name),
            details={"cart": cart_id, "product_id": product_id},
            price=PriceAsked(name, line.unit_price_minor, self.cart.currency),
        )

        def approved(answer: Approved) -> None:
            assert answer.price_minor is not None
            price, manager_id = answer.price_minor, answer.approval.manager.id
            self.ops.run(
                lambda: sale_ops.set_price(
                    self.till, cart_id, product_id, price, user_id, manager_id
                ),
                lambda result: self._price_answer(name, result),
                self._store_failed,
            )

        approval.approved.connect(approved)

    def _price_answer(self, name: str, result: Result[CartSummary]) -> None:
        self._cart_answer(result)
        if not isinstance(result, Err):
            self.show_banner("info", lambda: _("Manager's price set for {name}").format(name=name))

    # -- the back office -----------------------------------------------------------------

    def open_back_office(self) -> None:
        """F11: the back office for a manager; a cashier is told it is not theirs."""
        if self.user is None:
            return
        if self.back_office is not None:
            self.back_office.raise_()
            self.back_office.activateWindow()
            return
        user_id = self.user.id
        self.ops.run(
            lambda: enter_back_office(self.till.uow(), user_id),
            self._back_office_answer,
            self._store_failed,
        )

    def _back_office_answer(self, result: Result[UserView]) -> None:
        if isinstance(result, Err):
            self.show_result(result)
            return
        if self.user is None or self.user.id != result.value.id or self.back_office is not None:
            return  # signed out (or opened) while the store answered
        # Loaded on first use: a cashier's till never needs the back office's pages.
        from ui.backoffice.common import Context
        from ui.backoffice.window import BackOfficeWindow

        window = BackOfficeWindow(Context(self.till, self.ops, result.value, self.runtime))
        window.closed.connect(self._back_office_closed)
        self.back_office = window
        window.show()

    def _back_office_closed(self) -> None:
        window, self.back_office = self.back_office, None
        if window is not None:
            # Its pages may still wait for the store's answers: it goes once they came.
            self.after_queued_work(window.deleteLater)

    # -- messages ------------------------------------------------------------------

    def show_result(self, result: Err | Warn[Any]) -> None:
        """A refusal (error) or a warning in the banner, in the seed's words."""
        kind = "error" if isinstance(result, Err) else "warning"
        self.show_banner(kind, lambda: render(result, language()))

    def show_banner(self, kind: str, text: Callable[[], str]) -> None:
        self._banner_message = (kind, text)
        self.banner.setProperty("kind", kind)
        self.banner.setText(text())
        self.banner.show()
        _repolish(self.banner)

    def clear_banner(self) -> None:
        self._banner_message = None
        self.banner.hide()

    def _failure_text(self, error: BaseException) -> str:
        return _("The store did not answer ({error}); try again").format(error=type(error).__name__)

    def _store_failed(self, error: BaseException) -> None:
        self._status["store"] = False
        self._show_status()
        self.show_banner("error", lambda: self._failure_text(error))

    def dialog_open(self) -> bool:
        return any(
            dialog is not None
            for dialog in (
                self.cash_dialog,
                self.card_dialog,
                self.receipt_dialog,
                self.confirm_dialog,
                self.approval_dialog,
            )
        )

    def focus_scan(self) -> None:
        if self.stack.currentWidget() is not self.sale_page:
            self.login.pin.setFocus()
            return
        if self.dialog_open():
            return
        focused = self.focusWidget()
        if focused is self.search and self.search.text():
            return
        if focused is self.coupon and self.coupon.text():
            return
        self.scan.setFocus()
        if not self.isActiveWindow():
            self.activateWindow()

    # -- the status bar --------------------------------------------------------------

    def refresh_status(self) -> None:
        """Ask the store and the payments runtime how they are, on the workers."""

        def store(ok: bool) -> None:
            self._status["store"] = ok
            self._show_status()

        self.ops.run(lambda: sale_ops.store_answers(self.till), store, lambda _e: store(False))
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
            )

    def _show_status(self) -> None:
        url = self.till.engine.url
        if url.get_backend_name() == "sqlite":
            where = (url.database or ":memory:").replace("\\", "/").rsplit("/", 1)[-1]
        else:
            where = f"{url.host or 'localhost'}:{url.port or 5432}"
        reachable = self._status.get("store")
        state = {True: _("reachable"), False: _("unreachable"), None: _("checking…")}[reachable]
        self.store_status.setText(_("Store: {where} ({state})").format(where=where, state=state))
        self.store_status.setProperty("kind", "" if reachable is not False else "error")
        _repolish(self.store_status)
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
        _repolish(self.terminal_status)
        if status.listener_url:
            port = status.listener_url.rsplit(":", 1)[-1].split("/")[0]
            if status.last_event_at:
                last = format_time(_local(status.last_event_at), format="medium", locale=language())
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
        _repolish(self.unresolved_status)

    # -- Qt ------------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() != QEvent.Type.KeyPress:
            return super().eventFilter(watched, event)
        assert isinstance(event, QKeyEvent)
        key = event.key()
        if watched is self.scan and not self.scan.text():
            actions = {
                Qt.Key.Key_Plus: "plus",
                Qt.Key.Key_Minus: "minus",
                Qt.Key.Key_Delete: "remove",
            }
            if key in actions:
                self.act(actions[key])
                return True
            if key in (Qt.Key.Key_Up, Qt.Key.Key_Down):
                rows = self.cart_model.rowCount()
                if rows:
                    step = -1 if key == Qt.Key.Key_Up else 1
                    self.table.selectRow(max(0, min(rows - 1, self.selected_line_row() + step)))
                return True
        if watched is self.search:
            if key in (Qt.Key.Key_Up, Qt.Key.Key_Down):
                rows = self.search_model.rowCount()
                if rows:
                    step = -1 if key == Qt.Key.Key_Up else 1
                    row = max(0, min(rows - 1, self.results.currentIndex().row() + step))
                    self.results.setCurrentIndex(self.search_model.index(row, 0))
                return True
            if key == Qt.Key.Key_Escape:
                self.close_search()
                return True
        if watched is self.coupon and key == Qt.Key.Key_Escape:
            self.coupon.clear()
            self.focus_scan()
            return True
        return super().eventFilter(watched, event)

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        self.shown.emit()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.card_dialog is not None:
            event.ignore()  # a card payment in flight must end first
            return
        if self.back_office is not None:
            self.back_office.close()
        for timer in (self.status_timer, self.card_timer, self.search_timer):
            timer.stop()
        if self.runtime is not None:
            self.runtime.on_change = None
        self.ops.close()
        super().closeEvent(event)


def _repolish(widget: QWidget) -> None:
    widget.style().unpolish(widget)
    widget.style().polish(widget)


def _local(at: datetime) -> datetime:
    return shop_time.local(at)
