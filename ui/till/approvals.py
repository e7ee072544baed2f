"""What needs a manager's PIN at the till: voiding a sale, a new price for a line."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (
    QWidget,
)

from pos.domain.approvals import void_needs_approval
from pos.domain.messages import render
from pos.domain.money import format_money
from pos.domain.results import Code, Err, Result, Warn
from pos.domain.users import Role
from pos.services.cart import CartSummary
from pos.services.refunds import VoidOutcome
from ui import card as card_ops
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
        details: dict[str, object] = {"cart": cart_id, "total_minor": total}
        if self.tendered is not None:
            # Paid in part: the order's total stands, and its tenders go back first.
            total = self.tendered.total_minor
            details = {"order": str(self.tendered.order_id), "total_minor": total}
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
            details=details,
        )
        approval.approved.connect(lambda answer: self._confirm_void(answer.approval.manager.id))

    def _confirm_void(self, approved_by: int | None) -> None:
        question = N_("Void this sale? Every line is removed and its stock released.")
        if self.tendered is not None:
            question = N_(
                "Void this sale paid in part? What was paid goes back first: cash from the "
                "drawer, cards through the terminal."
            )
        self.confirm_dialog = ConfirmDialog(question, N_("Void sale"), self)
        self.confirm_dialog.accepted.connect(lambda: self._void_confirmed(approved_by))
        self.confirm_dialog.finished.connect(self._confirm_closed)
        self.confirm_dialog.open()

    def _confirm_closed(self) -> None:
        self.confirm_dialog = None
        QTimer.singleShot(0, self.focus_scan)  # after Qt gives the window its focus back

    def _void_confirmed(self, approved_by: int | None) -> None:
        if self.tendered is not None:
            self._void_part_paid(self.tendered.order_id, approved_by)
            return
        if self.cart is None:
            return
        cart_id, user_id = self.cart.cart_id, self.user.id if self.user else None

        def answered(result: Result[Any]) -> None:
            if isinstance(result, Err):
                self.show_result(result)
                return
            self.start_new_sale()
            # After the next sale's answer, which clears the banner.
            self.after_queued_work(
                lambda: self.show_banner("info", lambda: _("Sale voided; its stock is released"))
            )

        self.ops.run(
            lambda: sale_ops.void_sale(self.till, cart_id, user_id, approved_by),
            answered,
            self._store_failed,
            originator=self,
        )

    def _void_part_paid(self, order_id: UUID, approved_by: int | None) -> None:
        """Give the settled tenders back (cash at once, cards by the terminal), then void."""
        user_id = self.user.id if self.user else None
        self.ops.run(
            lambda: sale_ops.void_tendered_sale(self.till, order_id, user_id, approved_by),
            self._part_paid_voided,
            self._store_failed,
            originator=self,
        )

    def _part_paid_voided(self, result: Result[VoidOutcome]) -> None:
        if isinstance(result, Err):
            self.show_result(result)
            return
        outcome, currency = result.value, self.tendered.currency if self.tendered else ""
        cash, card = outcome.cash_back_minor, sum(r.amount_minor for r in outcome.card_refunds)

        def said() -> str:
            cash_text = format_money(cash, currency, language())
            card_text = format_money(card, currency, language())
            if outcome.voided:
                return _("Sale voided: give back {cash} in cash").format(cash=cash_text)
            return _(
                "Give back {cash} in cash. Card refunds of {card} are sent to the terminal; "
                "the sale is voided when they are done."
            ).format(cash=cash_text, card=card_text)

        kind = "warning" if cash else "info"
        self.show_tenders(None)
        self.start_new_sale()
        # Said once the next sale is open (its answer clears the banner): the cash to give
        # back stays on screen until the cashier scans again.
        self.after_queued_work(lambda: self.show_banner(kind, said))
        refund_ids = tuple(view.refund_id for view in outcome.card_refunds)
        if refund_ids:
            self._start_refunds(refund_ids, kind, said)

    def _start_refunds(
        self, refund_ids: tuple[int, ...], kind: str, said: Callable[[], str]
    ) -> None:
        """Card refunds go to the terminal on the network's worker; the poller confirms
        them. A refund the terminal refused or did not hear is said under the cash."""
        runtime = self.runtime
        if runtime is None:
            self.show_banner("error", lambda: _("No card terminal is set up at this till"))
            return

        def answered(results: tuple[Result[Any], ...]) -> None:
            problems = [
                result
                for result in results
                if isinstance(result, Err)
                or (isinstance(result, Warn) and result.code is not Code.REFUND_PENDING)
            ]
            if problems:
                problem = problems[0]
                self.show_banner(kind, lambda: f"{said()}\n{render(problem, language())}")

        self.ops.run(
            lambda: card_ops.start_refunds(self.till, runtime, refund_ids),
            answered,
            self._store_failed,
            originator=self,
            network=True,
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
        line = self.line_to_change()
        if line is None or self.cart is None or self.user is None:
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
