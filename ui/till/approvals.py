"""What needs a manager's PIN at the till: voiding a sale, a new price for a line."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (
    QWidget,
)

from pos.domain.approvals import void_needs_approval
from pos.domain.money import format_money
from pos.domain.results import Code, Err, Result
from pos.domain.users import Role
from pos.services.cart import CartSummary
from ui import sale as sale_ops
from ui.approval import Approved, ManagerApprovalDialog, PriceAsked
from ui.dialogs import ConfirmDialog
from ui.i18n import N_, _, language


class Approvals:
    """A room of ``TillWindow`` (see the module)."""

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
            lambda: sale_ops.void_sale(self.till, cart_id, user_id, approved_by),
            answered,
            self._store_failed,
            originator=self,
        )

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
                lambda: sale_ops.override_price(
                    self.till, cart_id, product_id, price, user_id, manager_id, answer.reason
                ),
                lambda result: self._price_answer(name, result),
                self._store_failed,
                originator=self,
            )

        approval.approved.connect(approved)

    def _price_answer(self, name: str, result: Result[CartSummary]) -> None:
        self._cart_answer(result)
        if not isinstance(result, Err):
            self.show_banner("info", lambda: _("Manager's price set for {name}").format(name=name))
