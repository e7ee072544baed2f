"""Shift+F6: a discount off the selected line, with a reason; over the cashier's limit, a
manager's PIN on top of the discount's dialog, and the same discount given again as
approved."""

from __future__ import annotations

from typing import Any

from pos.domain.messages import render
from pos.domain.results import Code, Err, Result
from pos.services.cart import CartSummary
from ui import sale as sale_ops
from ui.approval import Approved
from ui.discount import DiscountAsked, LineDiscountDialog
from ui.i18n import _, language

DISCOUNT_KEY = "Shift+F6"


class SaleDiscounts:
    """A room of ``TillWindow`` (see the module)."""

    def give_discount(self) -> None:
        self.after_queued_work(self._load_reasons)

    def _load_reasons(self) -> None:
        line = self.line_to_change()
        if line is None or self.cart is None or self.user is None:
            return
        self.ops.run(
            lambda: sale_ops.shop_settings(self.till),
            lambda result: self._open_discount(line, result),
            self._store_failed,
            originator=self,
        )

    def _open_discount(self, line: Any, settings: Result[Any]) -> None:
        if self.dialog_open() or self.cart is None:
            return
        reasons = () if isinstance(settings, Err) else settings.value.discount_reasons
        dialog = LineDiscountDialog(
            line.name,
            line.line_total_minor,
            self.cart.currency,
            reasons,
            line.discount,
            parent=self,
        )
        cart_id, product_id = self.cart.cart_id, line.product_id
        dialog.asked.connect(lambda asked: self._discount_asked(cart_id, product_id, asked, None))
        dialog.removal_asked.connect(lambda: self._discount_removed(cart_id, product_id))
        dialog.finished.connect(self._discount_closed)
        self.discount_dialog = dialog
        dialog.open()

    def _discount_asked(
        self, cart_id: int, product_id: int, asked: DiscountAsked, approved_by: int | None
    ) -> None:
        dialog = self.discount_dialog
        if dialog is None or self.user is None:
            return
        user_id = self.user.id
        dialog.busy = True
        self.ops.run(
            lambda: sale_ops.discount_line(
                self.till, cart_id, product_id, asked, user_id, approved_by
            ),
            lambda result: self._discount_answer(cart_id, product_id, asked, result),
            self._discount_failed,
            originator=self,
        )

    def _discount_answer(
        self, cart_id: int, product_id: int, asked: DiscountAsked, result: Result[CartSummary]
    ) -> None:
        dialog = self.discount_dialog
        if dialog is not None:
            dialog.busy = False
        if isinstance(result, Err):
            if dialog is None:
                self.show_result(result)
            elif result.code is Code.DISCOUNT_OVER_LIMIT:
                self._ask_manager_for(cart_id, product_id, asked, result)
            else:
                dialog.show_problem(lambda: render(result, language()))
            return
        if dialog is not None:
            dialog.accept()
        self._cart_answer(result)
        name = next((line.name for line in result.value.lines if line.product_id == product_id), "")
        self.show_banner("info", lambda: _("Discount given on {name}").format(name=name))

    def _ask_manager_for(
        self, cart_id: int, product_id: int, asked: DiscountAsked, refused: Err
    ) -> None:
        approval = self._ask_manager(
            "cart.line_discount",
            lambda: render(refused, language()),
            details={"cart": cart_id, "product_id": product_id, "reason": asked.reason},
            parent=self.discount_dialog,
        )

        def approved(answer: Approved) -> None:
            self._discount_asked(cart_id, product_id, asked, answer.approval.manager.id)

        approval.approved.connect(approved)

    def _discount_removed(self, cart_id: int, product_id: int) -> None:
        if self.user is None:
            return
        user_id = self.user.id
        if self.discount_dialog is not None:
            self.discount_dialog.accept()
        self.ops.run(
            lambda: sale_ops.remove_discount(self.till, cart_id, product_id, user_id),
            self._cart_answer,
            self._store_failed,
            originator=self,
        )

    def _discount_failed(self, error: BaseException) -> None:
        if self.discount_dialog is not None:
            self.discount_dialog.busy = False
        self._store_failed(error)

    def _discount_closed(self) -> None:
        self.discount_dialog = None
        if self.approval_dialog is None:
            self.focus_scan()
