"""Goods brought back (F8): a room of ``TillWindow``.

The return dialog finds the sale and the cashier chooses what comes back; the return is
made on the store's worker. Cash goes back from the drawer at once (the refund receipt
opens the drawer as it prints); card refunds go to the terminal on the network's worker,
as a void's do, and the poller confirms them. Cash instead of the card needs a manager's
PIN through the till's approval dialog. The refund receipt is shown, then printed on the
printing worker: a printer fault is said and the receipt kept to print again, and never
undoes the return. The sale on the till, if one is being rung up, is left as it was.

Without a receipt (F7 in the dialog), a manager's PIN comes first; the dialog then gives
way to ``LooseReturnDialog``, each code is looked up on the store's worker, and the
return is paid from the drawer with the same refund receipt, which says "Fişsiz iade".
"""

from __future__ import annotations

from PySide6.QtCore import QTimer

from pos.domain.messages import render
from pos.domain.money import format_money
from pos.domain.results import Code, Err, Result
from pos.domain.users import Role
from pos.services.catalogue import ProductView
from pos.services.returns import ReturnableSale
from ui import returns as return_ops
from ui.dialogs import ReceiptDialog
from ui.i18n import N_, _, language
from ui.loose_return import LooseAsked, LooseReturnDialog
from ui.return_dialog import ReturnAsked, ReturnDialog

RETURN_KEY = "F8"
CASH_INSTEAD_ACTION = "sale.return_in_cash"
"""What the manager approves: the card's share of a return paid from the drawer."""
NO_RECEIPT_ACTION = "sale.return_without_receipt"
"""What the manager approves: goods taken back without their receipt (F7 in the dialog)."""


class SaleReturns:
    """A room of ``TillWindow`` (see the module)."""

    return_dialog: ReturnDialog | None = None

    def start_return(self) -> None:
        self.after_queued_work(self._open_return)

    def _open_return(self) -> None:
        if self.dialog_open() or self.user is None:
            return
        dialog = ReturnDialog(self)
        dialog.sale_requested.connect(self._find_sale)
        dialog.return_requested.connect(self._return_asked)
        dialog.no_receipt_requested.connect(self._ask_no_receipt)
        dialog.finished.connect(lambda: self._return_closed(dialog))
        self.return_dialog = dialog
        dialog.open()

    def _return_closed(self, dialog: ReturnDialog) -> None:
        if self.return_dialog is dialog:
            self.return_dialog = None
        QTimer.singleShot(0, self.focus_scan)  # after Qt gives the window its focus back

    # -- without a receipt --------------------------------------------------------------

    def _ask_no_receipt(self) -> None:
        """F7 in the return dialog: a manager's PIN first (a manager at the till needs
        none), then the dialog for goods without their receipt."""
        user = self.user
        if user is None or self.return_dialog is None:
            return
        if user.role is Role.MANAGER:
            self._open_loose(None, user.display_name)
            return
        approval = self._ask_manager(
            NO_RECEIPT_ACTION,
            lambda: _("Taking goods back without a receipt needs a manager's approval."),
            details={},
            parent=self.return_dialog,
        )
        approval.approved.connect(
            lambda answer: self._open_loose(
                answer.approval.manager.id, answer.approval.manager.display_name
            )
        )
        approval.rejected.connect(self._no_receipt_refused)

    def _no_receipt_refused(self) -> None:
        if self.return_dialog is not None:
            refused = Err(Code.APPROVAL_REQUIRED)
            self.return_dialog.show_problem(lambda: render(refused, language()))

    def _open_loose(self, approved_by: int | None, manager: str) -> None:
        """The receipt's dialog gives way to the one for goods without a receipt."""
        before = self.return_dialog
        if before is not None:
            before.done(0)
        dialog = LooseReturnDialog(approved_by, manager, self)
        dialog.item_requested.connect(self._find_item)
        dialog.loose_return_requested.connect(self._return_loose)
        dialog.finished.connect(lambda: self._return_closed(dialog))
        self.return_dialog = dialog
        dialog.open()

    def _find_item(self, code: str) -> None:
        till = self.till

        def found(result: Result[ProductView]) -> None:
            dialog = self.return_dialog
            if not isinstance(dialog, LooseReturnDialog):
                return
            if isinstance(result, Err):
                dialog.show_problem(lambda: render(result, language()), dialog.receipt)
                dialog.receipt.selectAll()
                return
            dialog.add_product(result.value)

        self.ops.run(
            lambda: return_ops.find_item(till, code), found, self._return_failed, originator=self
        )

    def _return_loose(self, asked: LooseAsked) -> None:
        assert self.user is not None
        till, user_id, locale = self.till, self.user.id, language()
        self.ops.run(
            lambda: return_ops.return_loose(
                till,
                asked.items,
                reason=asked.reason,
                user_id=user_id,
                approved_by=asked.approved_by,
                locale=locale,
            ),
            self._returned,
            self._return_failed,
            originator=self,
        )

    # -- with the receipt ---------------------------------------------------------------

    def _find_sale(self, text: str) -> None:
        till = self.till

        def found(result: Result[ReturnableSale]) -> None:
            dialog = self.return_dialog
            if dialog is None:
                return
            if isinstance(result, Err):
                dialog.lookup_refused(result)
                return
            dialog.show_sale(result.value)

        self.ops.run(
            lambda: return_ops.returnable_sale(till, text),
            found,
            self._return_failed,
            originator=self,
        )

    def _return_asked(self, asked: ReturnAsked) -> None:
        by_manager = self.user is not None and self.user.role is Role.MANAGER
        if not asked.cash_instead or by_manager:
            self._make_return(asked, None)
            return
        currency = asked.sale.currency
        approval = self._ask_manager(
            CASH_INSTEAD_ACTION,
            lambda: _(
                "Giving {total} back in cash instead of to the card needs a manager's approval."
            ).format(total=format_money(asked.total_minor, currency, language())),
            details={"sale": asked.sale.receipt, "reason": asked.reason},
            parent=self.return_dialog,
        )
        approval.approved.connect(
            lambda answer: self._make_return(asked, answer.approval.manager.id)
        )
        # Cancelled: the return dialog is there again, as it was, to change or close.
        approval.rejected.connect(self._approval_refused)

    def _approval_refused(self) -> None:
        if self.return_dialog is not None:
            self.return_dialog.show_problem(None, self.return_dialog.reason)

    def _make_return(self, asked: ReturnAsked, approved_by: int | None) -> None:
        assert self.user is not None
        till, user_id, locale = self.till, self.user.id, language()
        self.ops.run(
            lambda: return_ops.return_items(
                till,
                str(asked.sale.order_id),
                asked.lines,
                reason=asked.reason,
                user_id=user_id,
                approved_by=approved_by,
                cash_instead=asked.cash_instead,
                locale=locale,
            ),
            self._returned,
            self._return_failed,
            originator=self,
        )

    def _return_failed(self, error: BaseException) -> None:
        if self.return_dialog is not None:
            self.return_dialog.show_problem(lambda: self._failure_text(error))

    def _returned(self, made: return_ops.ReturnMade) -> None:
        result = made.result
        dialog = self.return_dialog
        if isinstance(result, Err):
            if dialog is not None:
                dialog.show_result(result)
            return
        view = result.value
        if dialog is not None:
            dialog.accept()
        card_minor = sum(refund.amount_minor for refund in view.card_refunds)

        def said() -> str:
            parts = []
            if view.cash_back_minor:
                cash = format_money(view.cash_back_minor, view.currency, language())
                parts.append(_("Give back {cash} in cash from the drawer").format(cash=cash))
            if card_minor:
                card = format_money(card_minor, view.currency, language())
                parts.append(
                    _("{card} goes back to the card through the terminal").format(card=card)
                )
            return "\n".join(parts)

        locale = language()
        self.paid_order = view.return_id  # the receipt screen's Ctrl+P prints this one
        self.receipt_dialog = ReceiptDialog(
            made.receipt or _("Receipt not available"),
            self,
            scale=self.text_scale,
            done=N_("Done"),
        )
        self.receipt_dialog.show_change(said())
        self.receipt_dialog.finished.connect(self._receipt_closed)
        self.receipt_dialog.open()
        refund_ids = tuple(refund.refund_id for refund in view.card_refunds)
        if refund_ids:
            self._start_refunds(refund_ids, "warning", said)
        if self.till_printer is not None:
            till, printer = self.till, self.till_printer.printer
            self.ops.run(
                lambda: return_ops.return_receipt_job(till, printer, view, locale),
                self._send,
                self._store_failed,
                originator=self,
            )
