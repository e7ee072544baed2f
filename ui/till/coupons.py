"""F4: a coupon on the sale, and taking it off again."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pos.domain.messages import render
from pos.domain.results import Err, Result
from ui import sale as sale_ops
from ui.i18n import _, language
from ui.till.widgets import repolish


class SaleCoupons:
    """A room of ``TillWindow`` (see the module)."""

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
            lambda: sale_ops.apply_coupon(self.till, cart_id, code),
            self._coupon_answer,
            self._store_failed,
            originator=self,
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
            lambda: sale_ops.remove_coupon(self.till, cart_id),
            self._cart_answer,
            self._store_failed,
            originator=self,
        )

    def _set_coupon_message(self, text: Callable[[], str] | None) -> None:
        self._coupon_message = text
        self.coupon_note.setText(text() if text else "")
        self.coupon_note.setVisible(text is not None)
        repolish(self.coupon_note)
