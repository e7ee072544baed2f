"""The refund receipt of a return, as data and laid out for a printer.

Read only. Everything printed comes from the return as it was made: its lines (name,
quantity, worth, restocked or not, tax rate: the tax per rate is worked out from them),
its reason, its refunds (a card refund a manager paid in cash instead is written as
cash, so it prints as cash). The shop's header and time zone are the store's current
ones, as on the sale's receipt.
"""

from __future__ import annotations

import uuid
from uuid import UUID

from sqlalchemy import Connection, func, select
from sqlalchemy.orm import aliased

from pos.domain.document import Document
from pos.domain.payments import PaymentMethod, RefundStatus
from pos.domain.receipt import DEFAULT_LOCALE, RECEIPT_WIDTH, receipt_label
from pos.domain.results import Code, Ok, Refused, Result
from pos.domain.return_receipt import (
    ReturnReceiptData,
    ReturnReceiptLine,
    ReturnReceiptRefund,
    return_receipt_document,
)
from pos.domain.units import SaleUnit
from pos.services._support import use_case
from pos.services.receipts import MAX_ID_LENGTH
from pos.store.tables import (
    locations,
    order_items,
    orders,
    products,
    refunds,
    return_lines,
    sale_returns,
    tills,
    users,
)
from pos.store.uow import UnitOfWork

_GIVEN_BACK = tuple(
    state.value
    for state in (
        RefundStatus.INITIATED,
        RefundStatus.PENDING,
        RefundStatus.SUCCEEDED,
    )
)
"""Refunds that were sent (or paid) for the return: a failed one gave nothing back."""


@use_case
def return_receipt_data(uow: UnitOfWork, return_id: UUID | str) -> Result[ReturnReceiptData]:
    """What the return's refund receipt shows; RETURN_NOT_FOUND for no such return."""
    key = return_key(return_id)
    with uow.reading():
        return Ok(load_return_receipt(uow.connection, key))


@use_case
def printed_return_receipt(
    uow: UnitOfWork,
    return_id: UUID | str,
    *,
    locale: str = DEFAULT_LOCALE,
    width: int = RECEIPT_WIDTH,
    copy: bool = False,
) -> Result[Document]:
    """The refund receipt laid out for a printer of ``width`` columns, "TL" for "₺"."""
    key = return_key(return_id)
    with uow.reading():
        data = load_return_receipt(uow.connection, key)
    return Ok(return_receipt_document(data, locale, width, copy=copy, currency_sign=False))


def return_key(return_id: object) -> UUID:
    """The return id a caller passed, as a UUID; ``RETURN_NOT_FOUND`` if it cannot be one."""
    if isinstance(return_id, UUID):
        return return_id
    if isinstance(return_id, str) and len(return_id) <= MAX_ID_LENGTH:
        try:
            return uuid.UUID(return_id)
        except ValueError:
            pass
    raise Refused(Code.RETURN_NOT_FOUND)


def load_return_receipt(connection: Connection, return_id: UUID) -> ReturnReceiptData:
    """``return_receipt_data`` inside the caller's transaction."""
    manager = aliased(users)
    row = connection.execute(
        select(
            sale_returns.c.number,
            sale_returns.c.reason,
            sale_returns.c.currency,
            sale_returns.c.total_minor,
            sale_returns.c.cash_back_minor,
            sale_returns.c.created_at,
            tills.c.code.label("till_code"),
            orders.c.receipt_number,
            locations.c.receipt_header,
            locations.c.time_zone,
            users.c.display_name.label("cashier"),
            manager.c.display_name.label("manager"),
        )
        .join(tills, tills.c.id == sale_returns.c.till_id)
        .join(locations, locations.c.id == sale_returns.c.location_id)
        .outerjoin(orders, orders.c.id == sale_returns.c.order_id)
        .outerjoin(users, users.c.id == sale_returns.c.cashier_id)
        .outerjoin(manager, manager.c.id == sale_returns.c.approved_by)
        .where(sale_returns.c.id == return_id)
    ).first()
    if row is None:
        raise Refused(Code.RETURN_NOT_FOUND)
    lines = tuple(
        ReturnReceiptLine(
            line.name,
            line.quantity,
            line.total_minor,
            line.restock,
            line.tax_rate_bp,
            SaleUnit(line.sale_unit),
        )
        for line in connection.execute(
            select(
                return_lines.c.name,
                return_lines.c.quantity,
                return_lines.c.total_minor,
                return_lines.c.restock,
                return_lines.c.tax_rate_bp,
                # The unit it was sold in; a return without a receipt: the product's.
                func.coalesce(order_items.c.sale_unit, products.c.sale_unit).label("sale_unit"),
            )
            .join(products, products.c.id == return_lines.c.product_id)
            .outerjoin(order_items, order_items.c.id == return_lines.c.order_item_id)
            .where(return_lines.c.return_id == return_id)
            .order_by(return_lines.c.id)
        )
    )
    given_back = tuple(
        ReturnReceiptRefund(PaymentMethod(refund.method), refund.amount_minor)
        for refund in connection.execute(
            select(refunds.c.method, refunds.c.amount_minor)
            .where(refunds.c.return_id == return_id, refunds.c.status.in_(_GIVEN_BACK))
            .order_by(refunds.c.id)
        )
    )
    sale = None
    if row.receipt_number is not None:
        sale = receipt_label(row.till_code, row.receipt_number)
    elif row.cash_back_minor:
        # Without a receipt there is no tender to refund: the drawer paid it all.
        given_back = (ReturnReceiptRefund(PaymentMethod.CASH, row.cash_back_minor),)
    return ReturnReceiptData(
        header=tuple(row.receipt_header.splitlines()) if row.receipt_header else (),
        till_code=row.till_code,
        number=row.number,
        sale_receipt=sale,
        issued_at=row.created_at,
        cashier=row.cashier,
        approved_by=row.manager,
        currency=row.currency,
        lines=lines,
        total_minor=row.total_minor,
        refunds=given_back,
        reason=row.reason,
        time_zone=row.time_zone,
    )
