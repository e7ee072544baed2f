"""The receipt of a paid sale, as data and as printable text.

Read only. Everything printed comes from the order as it was sold: its snapshot
lines (name, price, tax rate, discount share) and its stored totals, so renaming or
repricing a product later never changes a receipt. The shop's header and time zone
are the store's current ones.
"""

from __future__ import annotations

import uuid
from uuid import UUID

from sqlalchemy import Connection, select

from pos.domain.document import Document
from pos.domain.payments import PaymentMethod, PaymentStatus
from pos.domain.receipt import (
    DEFAULT_LOCALE,
    RECEIPT_WIDTH,
    ReceiptData,
    ReceiptLine,
    ReceiptTender,
    receipt_document,
    render_receipt,
    tax_summary,
)
from pos.domain.results import Code, Err, Ok, Refused, Result
from pos.domain.units import SaleUnit
from pos.services._support import use_case
from pos.store.models import OrderStatus
from pos.store.tables import locations, order_items, orders, payments, receipts, tills, users
from pos.store.uow import UnitOfWork

MAX_ID_LENGTH = 64
"""Longer than any way of writing a UUID: anything longer is not one."""
_SETTLED = (PaymentStatus.PAID, PaymentStatus.REFUNDED)


@use_case
def receipt_data(uow: UnitOfWork, order_id: UUID | str) -> Result[ReceiptData]:
    """What the paid sale's receipt shows; ORDER_NOT_FOUND / ORDER_NOT_PAID otherwise."""
    key = order_key(order_id)
    with uow.reading():
        return Ok(_load(uow.connection, key))


@use_case
def receipt_text(
    uow: UnitOfWork,
    order_id: UUID | str,
    *,
    locale: str = DEFAULT_LOCALE,
    copy: bool = False,
) -> Result[str]:
    """The paid sale's receipt laid out for the till's printer, in ``locale`` and at the
    shop's time; marked as a copy when it is a reprint."""
    data = receipt_data(uow, order_id)
    if isinstance(data, Err):
        return data
    return Ok(render_receipt(data.value, locale, copy=copy))


@use_case
def printed_receipt(
    uow: UnitOfWork,
    order_id: UUID | str,
    *,
    locale: str = DEFAULT_LOCALE,
    width: int = RECEIPT_WIDTH,
    copy: bool = False,
) -> Result[Document]:
    """The paid sale's receipt laid out for a printer of ``width`` columns, "TL" for "₺"
    (no code page has the sign). Read only: a copy's reprint is audited where it is asked
    for (``reprint_receipt``)."""
    data = receipt_data(uow, order_id)
    if isinstance(data, Err):
        return data
    return Ok(receipt_document(data.value, locale, width, copy=copy, currency_sign=False))


def load_receipt(connection: Connection, order_id: UUID | str) -> ReceiptData:
    """``receipt_data`` inside the caller's transaction (a reprint audits in the same one)."""
    return _load(connection, order_key(order_id))


def order_key(order_id: object) -> UUID:
    """The order id a caller passed, as a UUID; ``ORDER_NOT_FOUND`` if it cannot be one."""
    if isinstance(order_id, UUID):
        return order_id
    if isinstance(order_id, str) and len(order_id) <= MAX_ID_LENGTH:
        try:
            return uuid.UUID(order_id)
        except ValueError:
            pass
    raise Refused(Code.ORDER_NOT_FOUND)


def _load(connection: Connection, order_id: UUID) -> ReceiptData:
    order = connection.execute(
        select(
            orders.c.status,
            orders.c.currency,
            orders.c.prices_include_tax,
            orders.c.subtotal_minor,
            orders.c.discount_minor,
            orders.c.line_discount_minor,
            orders.c.tax_minor,
            orders.c.total_minor,
            orders.c.coupon_code,
            orders.c.receipt_number,
            orders.c.paid_at,
            tills.c.code.label("till_code"),
            locations.c.receipt_header,
            locations.c.time_zone,
            users.c.display_name.label("cashier"),
            receipts.c.issued_at,
        )
        .join(tills, tills.c.id == orders.c.till_id)
        .join(locations, locations.c.id == orders.c.location_id)
        .outerjoin(users, users.c.id == orders.c.cashier_id)
        .outerjoin(receipts, receipts.c.order_id == orders.c.id)
        .where(orders.c.id == order_id)
    ).first()
    if order is None:
        raise Refused(Code.ORDER_NOT_FOUND)
    issued_at = order.issued_at or order.paid_at
    if OrderStatus(order.status) is not OrderStatus.PAID or order.receipt_number is None:
        raise Refused(Code.ORDER_NOT_PAID)
    tenders = tuple(
        ReceiptTender(
            PaymentMethod(row.method), row.amount_minor, row.tendered_minor, row.change_minor
        )
        for row in connection.execute(
            select(
                payments.c.method,
                payments.c.amount_minor,
                payments.c.tendered_minor,
                payments.c.change_minor,
            )
            .where(payments.c.order_id == order_id, payments.c.status.in_(_SETTLED))
            .order_by(payments.c.id)
        )
    )
    if not tenders or issued_at is None:
        raise Refused(Code.ORDER_NOT_PAID)
    lines = tuple(
        ReceiptLine(
            name=row.name,
            quantity=row.quantity,
            unit_price_minor=row.unit_price_minor,
            tax_rate_bp=row.tax_rate_bp,
            discount_minor=row.discount_minor,
            total_minor=row.total_minor,
            sale_unit=SaleUnit(row.sale_unit),
            line_discount_minor=row.line_discount_minor,
            discount_reason=row.line_discount_reason,
        )
        for row in connection.execute(
            select(
                order_items.c.name,
                order_items.c.sale_unit,
                order_items.c.quantity,
                order_items.c.unit_price_minor,
                order_items.c.tax_rate_bp,
                order_items.c.discount_minor,
                order_items.c.total_minor,
                order_items.c.line_discount_minor,
                order_items.c.line_discount_reason,
            )
            .where(order_items.c.order_id == order_id)
            .order_by(order_items.c.line_no)
        )
    )
    taxes = tax_summary(
        lines,
        prices_include_tax=order.prices_include_tax,
        subtotal_minor=order.subtotal_minor,
        discount_minor=order.discount_minor,
        tax_minor=order.tax_minor,
        total_minor=order.total_minor,
    )
    return ReceiptData(
        header=tuple(order.receipt_header.splitlines()) if order.receipt_header else (),
        till_code=order.till_code,
        receipt_number=order.receipt_number,
        issued_at=issued_at,
        cashier=order.cashier,
        currency=order.currency,
        prices_include_tax=order.prices_include_tax,
        lines=lines,
        subtotal_minor=order.subtotal_minor,
        discount_minor=order.discount_minor,
        line_discount_minor=order.line_discount_minor,
        coupon_code=order.coupon_code,
        taxes=taxes,
        tax_minor=order.tax_minor,
        total_minor=order.total_minor,
        tenders=tenders,
        time_zone=order.time_zone,
        order_id=str(order_id),
    )
