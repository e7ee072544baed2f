"""Operation factories for a return at the till (run on the store's worker, never on
the GUI thread). None of them touches a widget; the card refunds a return leaves are
sent with ``ui.card.start_refunds`` on the network's worker, as a void's are.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pos.bootstrap import Till
from pos.domain.results import Code, Err, Ok, Result
from pos.domain.return_receipt import render_return_receipt
from pos.domain.text import printable
from pos.printing.printers import ReceiptPrinter
from pos.services import catalogue, return_receipts, returns
from pos.services.catalogue import ProductView
from pos.services.returns import LooseReturn, ReturnableSale, ReturnRequest, ReturnView
from ui.printing import ReceiptJob


@dataclass(frozen=True)
class ReturnMade:
    """What confirming a return answered: the return (or its refusal), and its refund
    receipt as the screen shows it (None if it could not be read)."""

    result: Result[ReturnView]
    receipt: str | None = None


def returnable_sale(till: Till, sale: str) -> Result[ReturnableSale]:
    return returns.returnable_sale(till.uow(), sale)


def return_items(
    till: Till,
    sale: str,
    lines: Sequence[ReturnRequest],
    *,
    reason: str,
    user_id: int,
    approved_by: int | None,
    cash_instead: bool,
    locale: str,
) -> ReturnMade:
    """Make the return, then read its refund receipt for the screen in ``locale``."""
    made = returns.return_items(
        till.uow(),
        sale,
        list(lines),
        reason=reason,
        user_id=user_id,
        approved_by=approved_by,
        cash_instead=cash_instead,
    )
    return _with_receipt(till, made, locale)


def find_item(till: Till, code: str) -> Result[ProductView]:
    """The product a barcode or SKU brought back without a receipt names; an unknown
    code is refused naming it, as the sale page does."""
    found = catalogue.find_product(till.uow(), code)
    if isinstance(found, Err) and found.code is Code.PRODUCT_UNAVAILABLE:
        return Err(Code.BARCODE_NOT_FOUND, {"code": printable(code.strip())[:64]})
    return found


def return_loose(
    till: Till,
    items: Sequence[LooseReturn],
    *,
    reason: str,
    user_id: int,
    approved_by: int | None,
    locale: str,
) -> ReturnMade:
    """Take goods back without a receipt, then read the refund receipt for the screen."""
    made = returns.return_without_receipt(
        till.uow(), list(items), reason=reason, user_id=user_id, approved_by=approved_by
    )
    return _with_receipt(till, made, locale)


def _with_receipt(till: Till, made: Result[ReturnView], locale: str) -> ReturnMade:
    if isinstance(made, Err):
        return ReturnMade(made)
    data = return_receipts.return_receipt_data(till.uow(), made.value.return_id)
    if isinstance(data, Err):
        return ReturnMade(made)  # the return stands; only its receipt is not shown
    return ReturnMade(made, render_return_receipt(data.value, locale))


def return_receipt_job(
    till: Till, printer: ReceiptPrinter, view: ReturnView, locale: str
) -> Result[ReceiptJob]:
    """The refund receipt laid out for ``printer``; the drawer opens when cash goes back."""
    document = return_receipts.printed_return_receipt(
        till.uow(), view.return_id, locale=locale, width=printer.profile.width
    )
    if isinstance(document, Err):
        return document
    return Ok(ReceiptJob(view.return_id, document.value, open_drawer=view.cash_back_minor > 0))
