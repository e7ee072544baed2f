"""F9: cash, its dialog, the change and the receipt."""

from __future__ import annotations

from PySide6.QtCore import QTimer

from pos.domain.messages import render
from pos.domain.money import format_money
from pos.domain.results import Code, Err
from ui import sale as sale_ops
from ui.dialogs import CashDialog
from ui.i18n import _, language
from ui.till.paying import Paying


class CashPaying(Paying):
    """A room of ``TillWindow`` (see the module)."""

    def pay_cash(self) -> None:
        self.after_queued_work(self._open_cash_dialog)

    def _open_cash_dialog(self) -> None:
        cart = self._payable()
        if cart is None:
            return
        part = self._typed_part()
        if isinstance(part, Err):
            return
        due = self.due_minor()
        self.cash_part = part
        self.cash_dialog = CashDialog(
            due if part is None else part,
            cart.currency,
            self,
            due_minor=due if self.tendered is not None or part is not None else None,
        )
        self.cash_dialog.confirmed.connect(self._cash_confirmed)
        self.cash_dialog.finished.connect(self._cash_dialog_closed)
        self.cash_dialog.open()
        self.cash_dialog.given.setFocus()

    def _cash_dialog_closed(self) -> None:
        self.cash_dialog = None
        QTimer.singleShot(0, self.focus_scan)  # after Qt gives the window its focus back

    def _cash_confirmed(self, given_minor: int) -> None:
        assert self.cart is not None
        cart_id, total, part = self.cart.cart_id, self.cart.total_minor, self.cash_part
        key, locale = self._key_for("cash", given_minor, part), language()
        cashier = self.user.id if self.user else None  # the sale is whoever takes the cash
        if self.tendered is not None:
            order_id = self.tendered.order_id
            self.ops.run(
                lambda: sale_ops.add_cash(
                    self.till,
                    order_id,
                    given_minor=given_minor,
                    amount_minor=part,
                    key=key,
                    locale=locale,
                ),
                self._cash_answer,
                self._cash_failed,
                originator=self,
            )
            return
        self.ops.run(
            lambda: sale_ops.checkout_cash(
                self.till,
                cart_id,
                shown_total_minor=total,
                given_minor=given_minor,
                key=key,
                locale=locale,
                cashier_id=cashier,
                amount_minor=part,
            ),
            self._cash_answer,
            self._cash_failed,
            originator=self,
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
        if not sale.paid:
            self.show_tenders(payment.tenders)
            taken, currency = sale.amount_minor or 0, sale.currency
            self.show_banner(
                "info",
                lambda: _("Cash taken: {amount}").format(
                    amount=format_money(taken, currency, language())
                ),
            )
            return
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
