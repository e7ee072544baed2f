"""The sale as the cashier sees it: scanning, the cart's lines and its totals."""

from __future__ import annotations

from babel.numbers import format_percent
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QLabel,
)

from pos.domain.messages import render
from pos.domain.money import format_money
from pos.domain.quantities import MAX_QUANTITY, read_quantity, split_typed_prefix
from pos.domain.results import Changed, Code, Err, Result, Warn
from pos.domain.units import SaleUnit, read_measure
from pos.services.cart import CartLine, CartSummary
from ui import sale as sale_ops
from ui.i18n import _, language
from ui.till.weighing import WEIGHT_REFUSALS

TILL_FOLLOWS = Changed.CART | Changed.STOCK | Changed.CATALOGUE
"""What the till shows: the sale's lines, their holds and prices, and the products found."""


class SaleView:
    """A room of ``TillWindow`` (see the module)."""

    def start_new_sale(self) -> None:
        cashier = self.user.id if self.user else None
        self.attempt = None
        self.ops.run(
            lambda: sale_ops.open_cart(self.till, cashier),
            self._cart_answer,
            self._store_failed,
            originator=self,
        )

    def _scan_entered(self) -> None:
        if self.tendered is not None:
            # The sale is paid in parts: its lines are fixed, the field takes an amount.
            self.show_banner("info", lambda: _("Press F9 (cash) or F10 (card) to pay it"))
            return
        text = self.scan.text().strip()
        self.scan.clear()
        if not text or self.cart is None:
            return
        # As typed ("3", "1,250"): the product's unit says how it reads; none asks the
        # scale or the cashier for a weighed product's weight.
        prefix, code = split_typed_prefix(text)
        quantity = prefix if prefix is not None else self.pending_quantity
        self.pending_quantity = None
        self._show_pending_quantity()
        cart_id = self.cart.cart_id
        self.ring_up(lambda typed: sale_ops.add_scanned(self.till, cart_id, code, typed), quantity)

    def take_quantity(self) -> None:
        """F2: what the scan field holds becomes how many units (or kg) the next scan adds."""
        text = self.scan.text().strip().rstrip("*")
        quantity = read_quantity(text)
        if "," in text or "." in text:  # a weight: the product's unit judges it
            quantity = read_measure(text, SaleUnit.KG, MAX_QUANTITY)
        if not text:
            self.show_banner("info", lambda: _("Type the quantity, then press F2 and scan"))
        elif isinstance(quantity, Err):
            self.show_result(quantity)
        else:
            weight = "," in text or "." in text
            self.pending_quantity = text if weight else str(quantity)
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

    def line_to_change(self) -> CartLine | None:
        """The selected line, for a change a dialog asks about (a price, a discount); None,
        saying so when the sale has no line, while another dialog is open or no sale is."""
        if self.dialog_open() or self.cart is None or self.user is None:
            return None
        line = self.cart_model.line(self.selected_line_row())
        if line is None:
            self.show_result(Err(Code.CART_EMPTY))
        return line

    def step_quantity(self, step: int) -> None:
        line = self.cart_model.line(self.selected_line_row())
        if line is not None and line.sale_unit.measured:
            self.show_banner("info", lambda: _("Type the new weight in the line's quantity"))
        elif line is not None:
            self.set_line_quantity(line.product_id, max(0, line.quantity + step))

    def set_line_quantity(self, product_id: int, quantity: int) -> None:
        if self.cart is None:
            return
        cart_id = self.cart.cart_id
        self.ops.run(
            lambda: sale_ops.set_quantity(self.till, cart_id, product_id, quantity),
            self._cart_answer,
            self._store_failed,
            originator=self,
        )

    def remove_selected_line(self) -> None:
        line = self.cart_model.line(self.selected_line_row())
        if line is None or self.cart is None:
            return
        cart_id = self.cart.cart_id
        self.ops.run(
            lambda: sale_ops.remove_line(self.till, cart_id, line.product_id),
            self._cart_answer,
            self._store_failed,
            originator=self,
        )

    def _cart_answer(self, result: Result[CartSummary]) -> None:
        if isinstance(result, Err) and result.code is Code.WEIGHT_REQUIRED:
            self.weigh(result)  # a weighed product scanned without a weight
            return
        asked = self.weight_asked
        self.weight_asked = None
        if isinstance(result, Err) and result.code in WEIGHT_REFUSALS and asked is not None:
            self.weigh(asked, result)  # the weight given was wrong: ask again, saying why
            return
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
        if quote.line_discount_minor:
            rows.append((_("Line discounts"), -quote.line_discount_minor))
        if quote.coupon_discount_minor:
            rows.append((_("Discount"), -quote.coupon_discount_minor))
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

    def _reload_cart(self) -> None:
        if self.cart is None:
            return
        cart_id = self.cart.cart_id
        self.ops.run(
            lambda: sale_ops.cart_summary(self.till, cart_id),
            self._reloaded,
            self._store_failed,
            originator=self,
        )

    def store_changed(self, changes: Changed, originator: object) -> None:
        """Another view (the back office, a webhook, the poller) changed the store: show
        the sale and the products found as they stand now."""
        if originator is self:
            return
        if self.tendered is not None and changes & Changed.ORDERS and self.card_payment_id is None:
            # A tender settled elsewhere (a card the restart left, resolved): where it stands.
            self._follow_sale(self.tendered.order_id, "")
        if not changes & TILL_FOLLOWS or self.cart is None:
            return
        self._reload_cart()
        if self.results.isVisible():
            self._search_now()

    def _reloaded(self, result: Result[CartSummary]) -> None:
        # A reload asked for before the next sale began must not bring the last one back.
        current = self.cart.cart_id if self.cart is not None else None
        if not isinstance(result, Err) and result.value.cart_id == current:
            self.show_cart(result.value)
