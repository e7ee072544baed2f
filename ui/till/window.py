"""The till's main window: sign in, ring up, take payment, print the receipt.

Every service call goes through ``Operations`` (off the GUI thread); the answers come
back here and the window tells its views. The scan field has the keyboard unless the
cashier is searching, typing a coupon or in a dialog.

This module composes the window: its pages, keys, signing in, banner and the door to
the back office. Each concern of the sale is a room of its own in this package (the sale
view, search, coupons, paying by cash and by card, returns, approvals, the status bar).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QKeyEvent, QKeySequence, QResizeEvent, QShortcut
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
from pos.domain.messages import render
from pos.domain.results import Err, Result, Warn
from pos.services.backoffice import enter_back_office
from pos.services.cart import CartSummary
from pos.services.users import UserView, list_users, sign_in
from ui import shop_time
from ui.approval import ManagerApprovalDialog
from ui.cart_table import CartTable
from ui.dialogs import CardDialog, CashDialog, ConfirmDialog, ReceiptDialog, shortcut_text
from ui.discount import LineDiscountDialog
from ui.i18n import N_, _, language, other_language, set_language
from ui.leftover import LeftoverPayments
from ui.login import LoginWidget
from ui.models import CartModel, SearchModel
from ui.operations import Operations
from ui.return_dialog import ReturnDialog
from ui.screen import scaled_sizes, stylesheet, text_scale
from ui.till.approvals import Approvals
from ui.till.card_paying import CardPaying
from ui.till.cash import CashPaying
from ui.till.connectivity import OfflineSelling
from ui.till.coupons import SaleCoupons
from ui.till.day import CashDay
from ui.till.discounts import DISCOUNT_KEY, SaleDiscounts
from ui.till.offline_sales import OFFLINE_SALES_KEY, OfflineSalesDialog
from ui.till.parked import PARK_KEY, PARKED_KEY, SaleParking
from ui.till.paying import Attempt
from ui.till.printing import ReceiptPrinting
from ui.till.replica import ReplicaNotice
from ui.till.returns import SaleReturns
from ui.till.sale_view import SaleView
from ui.till.search import SaleSearch
from ui.till.status import StatusBar
from ui.till.tender_panel import TenderPanel
from ui.till.weighing import SaleWeighing, WeightDialog
from ui.till.widgets import repolish

if TYPE_CHECKING:
    from pos.runtime.payments import PaymentRuntime
    from pos.runtime.printing import TillPrinter
    from pos.services.tenders import SaleTenders


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
    Action("park", N_("Park sale"), PARK_KEY),
    Action("parked", N_("Parked sales"), PARKED_KEY),
    Action("price", N_("Price"), "F6"),
    Action("discount", N_("Discount"), DISCOUNT_KEY),
    Action("return", N_("Return"), "F8"),
    Action("cash", N_("Cash"), "F9"),
    Action("card", N_("Card"), "F10"),
    Action("void", N_("Void sale"), "F12"),
    Action("language", N_("Language"), "F7"),
    Action("back_office", N_("Back office"), "F11"),
    Action("sign_out", N_("Switch cashier"), "Ctrl+L"),
)
SIDE_PANEL_WIDTH = 372
RESTYLE_DELAY_MS = 150
"""A window dragged larger restyles once it stops, not at every step."""
"""Room for the keys' labels in both languages; the rest of a 1024-px screen is the sale's."""
REMOVE_COUPON_KEY = "Shift+F4"
"""Takes the coupon off the sale (its own button beside the coupon field, not the grid's)."""
KEYS_TYPED_IN_SCAN_FIELD = {"plus", "minus", "remove"}
"""Keys that would also be typed into a text field: acted on from the (empty) scan field."""


class TillWindow(
    SaleView,
    SaleWeighing,
    SaleSearch,
    SaleCoupons,
    SaleDiscounts,
    CashPaying,
    CardPaying,
    ReceiptPrinting,
    SaleReturns,
    Approvals,
    OfflineSelling,
    CashDay,
    SaleParking,
    StatusBar,
    QMainWindow,
):
    """Login and the sale, in one window that fits 1024x768."""

    signed_in = Signal(object)  # UserView
    cart_changed = Signal(object)  # CartSummary
    sale_paid = Signal(object)  # order id
    payment_settled = Signal(int)  # payment id, from the runtime's threads (queued)
    stock_swept = Signal(object)  # SweepReport, from the sweeper's thread (queued)
    connectivity_changed = Signal(object)  # Connectivity, from the monitor's thread (queued)
    shown = Signal()

    def __init__(
        self,
        till: Till,
        *,
        runtime: PaymentRuntime | None = None,
        printer: TillPrinter | None = None,
        operations: Operations | None = None,
        demo: bool = False,
        search_delay_ms: int = 150,
        card_poll_ms: int = 250,
        status_interval_ms: int = 3000,
        login: LoginWidget | None = None,
    ) -> None:
        super().__init__()
        self.setObjectName("TillWindow")
        self.till, self.runtime, self.demo = till, runtime, demo
        self.ops = operations or Operations(self)
        self.ops.store_heard.connect(self._store_heard)
        self.ops.operation_did_execute.connect(self.store_changed)
        self._store_problem: Callable[[], str] | None = None
        self.user: UserView | None = None
        self.cart: CartSummary | None = None
        self.pending_quantity: str | None = None
        self.weight_asked: Err | None = None
        self.weight_dialog: WeightDialog | None = None
        self.attempt: Attempt | None = None
        self.tendered: SaleTenders | None = None
        self.last_paid_order: Any = None
        """The sale paid in part: its order, tenders and what is due (None before)."""
        self.card_payment_id: int | None = None
        self._card_polling = False
        self._search_generation = 0
        self._add_when_found = False
        self._banner_message: tuple[str, Callable[[], str]] | None = None
        self._coupon_message: Callable[[], str] | None = None
        self._status: dict[str, Any] = {}
        self.cash_dialog: CashDialog | None = None
        self.cash_part: int | None = None
        self.card_dialog: CardDialog | None = None
        self.receipt_dialog: ReceiptDialog | None = None
        self.confirm_dialog: ConfirmDialog | None = None
        self.approval_dialog: ManagerApprovalDialog | None = None
        self.discount_dialog: LineDiscountDialog | None = None
        self.return_dialog: ReturnDialog | None = None
        self.back_office: QMainWindow | None = None

        self.stack = QStackedWidget()
        # The sign-in screen shown before this window was built, if any, as it was left.
        self.login = login or LoginWidget(demo_hint=demo)
        self.login.sign_in_requested.connect(self._sign_in)
        self.login.language_requested.connect(self.switch_language)
        self.sale_page = self._build_sale_page()
        self.stack.addWidget(self.login)
        self.stack.addWidget(self.sale_page)
        central = QWidget(objectName="TillPages")
        pages = QVBoxLayout(central)
        pages.setContentsMargins(0, 0, 0, 0)
        pages.setSpacing(0)
        pages.addWidget(self._build_offline_banner())  # over every page, signing in too
        self.replica_notice = ReplicaNotice()
        pages.addWidget(self.replica_notice)
        pages.addWidget(self.stack, 1)
        self.setCentralWidget(central)
        self._build_status_bar()
        self._build_connectivity_status()
        self.setup_printing(printer)
        self.setup_day()
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
        self.text_scale = 1.0
        self._restyle = QTimer(self, singleShot=True, interval=RESTYLE_DELAY_MS)
        self._restyle.timeout.connect(self._follow_size)
        self.retranslate()
        self.load_users()
        shop_time.follow_shop(self.till, self.ops)
        self.follow_connectivity()
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
        self.tender_panel = TenderPanel()
        left.addWidget(self.tender_panel)
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
            "discount": (2, 1, 1),
            "void": (2, 2, 1),
            "return": (3, 0, 1),
            "back_office": (3, 1, 1),
            "sign_out": (3, 2, 1),
            "park": (4, 0, 1),
            "parked": (4, 1, 1),
            "language": (4, 2, 1),
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
        self.side_panel = right_panel
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
        offline_sales = QShortcut(QKeySequence(OFFLINE_SALES_KEY), self)
        offline_sales.activated.connect(lambda: self.act("offline_sales"))
        self.shortcuts["offline_sales"] = offline_sales

    # -- texts ---------------------------------------------------------------------

    def retranslate(self) -> None:
        """Write every visible text again in the current language."""
        name = self.user.display_name if self.user else ""
        self.setWindowTitle(_("Kasa — till") + (f" — {name}" if name else ""))
        self.login.retranslate()
        self.retranslate_scan()
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
        self.tender_panel.retranslate()
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
        self.retranslate_connectivity()
        for dialog in (
            self.cash_dialog,
            self.card_dialog,
            self.receipt_dialog,
            self.confirm_dialog,
            self.approval_dialog,
            self.return_dialog,
            self.day_dialog,
            self.discount_dialog,
            self.parked_dialog,
        ):
            if dialog is not None:
                dialog.retranslate()

    def retranslate_scan(self) -> None:
        """The scan field says what it takes: a barcode, or while the sale is paid in
        parts, the amount the next F9 or F10 pays."""
        if self.tendered is not None:
            self.scan.setPlaceholderText(_("A part's amount, then F9 or F10"))
        else:
            self.scan.setPlaceholderText(_("Barcode or SKU, then Enter (3*code: 3 units)"))

    def switch_language(self) -> None:
        set_language(other_language())
        self.retranslate()

    # -- signing in ----------------------------------------------------------------

    def load_users(self) -> None:
        self.ops.run(
            lambda: list_users(self.till.uow()),
            self._users_loaded,
            self._store_failed,
            originator=self,
        )

    def _users_loaded(self, result: Result[tuple[UserView, ...]]) -> None:
        if isinstance(result, Err):
            self.login.show_problem(render(result, language()))
            return
        self.login.show_problem("")  # the store answered (again: a problem shown is past)
        self.login.show_users(result.value)

    def _sign_in(self, user_id: int, pin: str) -> None:
        self.ops.run(
            lambda: sign_in(self.till.uow(), user_id, pin),
            self._signed_in,
            lambda error: self.login.show_problem(self._failure_text(error)),
            originator=self,
        )

    def _signed_in(self, result: Result[UserView]) -> None:
        if isinstance(result, Err):
            self.login.show_problem(render(result, language()))
            return
        self.user = result.value
        self.login.reset()
        self.stack.setCurrentWidget(self.sale_page)
        self.retranslate()
        if self.cart is None:
            self.take_up_or_start()  # the till just started: a sale left paid in part?
        elif not self.cart.lines:
            # An empty sale starts afresh under the new cashier; one with lines is taken over.
            self.start_new_sale()
        self.focus_scan()
        self.signed_in.emit(self.user)
        self.leftover.signed_in()

    def sign_out(self) -> None:
        if self.card_dialog is not None:
            return  # never walk away from a card payment in flight
        if self.back_office is not None and not self.back_office.close():
            return  # the manager kept unsaved work; the next cashier must not find it open
        self.user = None
        self.clear_banner()
        self.stack.setCurrentWidget(self.login)
        self.retranslate()
        self.login.reset()
        self.load_users()

    # -- the sale's keys ------------------------------------------------------------

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
            "discount": self.give_discount,
            "return": self.start_return,
            "cash": self.pay_cash,
            "card": self.pay_card,
            "void": self.void_sale,
            "language": self.switch_language,
            "back_office": self.open_back_office,
            "sign_out": self.sign_out,
            "remove_coupon": self.remove_coupon,
            "offline_sales": self.show_offline_sales,
            "park": self.park_sale,
            "parked": self.show_parked_sales,
        }
        handlers[name]()

    def show_offline_sales(self) -> None:
        """Shift+F11: the sales this till made offline, and whether each went home."""
        dialog = self.findChild(OfflineSalesDialog)  # one, read again each time it opens
        if dialog is None:
            dialog = OfflineSalesDialog(self.till, self.ops, self)
        else:
            dialog.refresh()
        dialog.open()

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
            originator=self,
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

        printer = self.till_printer.printer if self.till_printer else None
        window = BackOfficeWindow(
            Context(
                self.till,
                self.ops,
                result.value,
                self.runtime,
                printer=printer,
                print_ops=self.print_ops,
            )
        )
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
        repolish(self.banner)

    def clear_banner(self) -> None:
        self._banner_message = None
        self.banner.hide()

    def _failure_text(self, error: BaseException) -> str:
        return _("The store did not answer ({error}); try again").format(error=type(error).__name__)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._restyle.start()

    def _follow_size(self) -> None:
        """Larger text and keys on a large screen; the till's own sizes on 1024x768."""
        scale = text_scale(self.size())
        if scale == self.text_scale:
            return
        self.text_scale = scale
        self.setStyleSheet("" if scale == 1.0 else scaled_sizes(stylesheet(), scale))
        self.side_panel.setFixedWidth(round(SIDE_PANEL_WIDTH * scale))
        self.table.scale_to(scale)

    def dialog_open(self) -> bool:
        return any(
            dialog is not None
            for dialog in (
                self.cash_dialog,
                self.card_dialog,
                self.receipt_dialog,
                self.confirm_dialog,
                self.approval_dialog,
                self.return_dialog,
                self.day_dialog,
                self.discount_dialog,
                self.parked_dialog,
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
        if self.back_office is not None and not self.back_office.close():
            event.ignore()  # the manager kept the back office's unsaved work
            return
        for timer in (self.status_timer, self.card_timer, self.search_timer):
            timer.stop()
        if self.runtime is not None:
            self.runtime.on_change = None
        self.stop_following_connectivity()
        self.ops.close()
        self.close_printing()
        super().closeEvent(event)
