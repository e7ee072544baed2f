"""Returns: goods a customer brings back, with the receipt (DESIGN.md §4, "Refunds").

A return is a document of its own (``returns``), numbered in its till's refund series
(``T01-I-000007``) in the transaction that makes it, so the series has no gaps; its
lines are linked to the sale's lines they return. Never more comes back than was sold:
each line's units are claimed with ``UPDATE order_items SET returned_quantity =
returned_quantity + :n WHERE ... AND returned_quantity + :n <= quantity``, so of two
tills returning the last units of a line at once one wins, and the rest of a line can be
returned later.

What a returned unit is worth is its share of what the customer paid for its line: the
line's total after its share of the coupon's discount, with its tax (in a store whose
prices leave the tax out, the line's share of its rate's tax is added:
``line_amounts_paid``), cut so that the parts of a line returned bit by bit add up to
what was paid for it exactly, and all of a sale's lines to the sale's total. The money
goes back to the sale's own tenders, the last taken first: cash from the drawer at once,
a card through the terminal's refund call (``start_refund``, confirmed like a payment).
Where the card cannot take it back, a manager may choose cash instead. Goods back on the
shelf get a stock move of their own; damaged ones are written off (kept on the return's
line, the shelf untouched).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, insert, select, update

from pos.domain.money import DEFAULT_CURRENCY, MAX_PRICE_MINOR
from pos.domain.payments import PaymentMethod, PaymentStatus, RefundStatus
from pos.domain.pricing import line_amount, line_amounts_paid
from pos.domain.receipt import receipt_label
from pos.domain.results import Changed, Code, Err, Ok, Refused, Result, Warn
from pos.domain.return_receipt import return_label
from pos.domain.stock import RETURN_REASON
from pos.domain.text import clean_text
from pos.domain.units import Measure, SaleUnit
from pos.services import journal
from pos.services._offline import refuse_offline
from pos.services._support import audit, is_id, use_case
from pos.services.cash_sessions import hold_session, session_of_till
from pos.services.catalogue import scanned_code
from pos.services.payments import lock_order
from pos.services.receipts import MAX_ID_LENGTH
from pos.services.refunds import RefundView, refund_view, refunded_minor, request_refund
from pos.services.users import acting_user
from pos.store.models import DEFAULT_TILL_ID, MoveKind, OrderStatus, Role
from pos.store.products import product_on_sale
from pos.store.tables import (
    inventory,
    order_items,
    orders,
    payments,
    refunds,
    return_lines,
    sale_returns,
    stock_moves,
    tills,
)
from pos.store.uow import UnitOfWork

MAX_REASON_LENGTH = 200
MAX_LINES = 500
RETURN_ACTION = "sale.returned"
REFUND_REASON = "return"
_SALE_LABEL = re.compile(r"([A-Za-z0-9]{1,8})-(\d{1,12})")
_RETURN_LABEL = re.compile(r"[A-Za-z0-9]{1,8}-I-\d{1,12}")


@dataclass(frozen=True)
class ReturnRequest:
    """One line of the sale to bring back: its number on the receipt, how many units,
    and whether they go back on the shelf (``restock``) or are written off as damaged."""

    line_no: int
    quantity: int
    restock: bool = True


@dataclass(frozen=True)
class ReturnableLine:
    line_no: int
    name: str
    quantity: int
    returned: int
    unit_price_minor: int
    total_minor: int
    """What the customer paid for the whole line: its tax in, its share of the discount out."""
    unit: SaleUnit = SaleUnit.PIECE
    """What its quantities count: pieces, or grams of a weighed product."""

    @property
    def left(self) -> int:
        return self.quantity - self.returned

    def too_many(self) -> Err:
        """The refusal of more than is left of this line, in its unit."""
        return too_many(self.name, self.left, self.unit)

    def worth(self, count: int) -> int:
        """What ``count`` more units of this line are worth back (the till shows it before
        the return is made; the return computes it the same way)."""
        return returned_worth(self.total_minor, self.quantity, self.returned, count)


def too_many(name: str, left: int, unit: SaleUnit) -> Err:
    """More than is left of a line comes back: so many pieces, or so many kilos."""
    if unit.measured:
        return Err(Code.RETURN_TOO_MUCH, {"name": name, "left": Measure(left, unit)})
    return Err(Code.RETURN_TOO_MANY, {"name": name, "left": left})


def returned_worth(total_minor: int, quantity: int, before: int, count: int) -> int:
    """What ``count`` units of a line of ``quantity`` that cost ``total_minor`` are worth
    back, ``before`` of them already returned: floors of the running share, so however
    the line comes back, its parts add up to it and never pass it."""
    after = before + count
    return total_minor * after // quantity - total_minor * before // quantity


@dataclass(frozen=True)
class ReturnableSale:
    """A paid sale as a return sees it: its lines, what is left of each to bring back."""

    order_id: UUID
    receipt: str
    currency: str
    lines: tuple[ReturnableLine, ...]


@dataclass(frozen=True)
class ReturnedLine:
    name: str
    quantity: int
    total_minor: int
    restock: bool


@dataclass(frozen=True)
class ReturnView:
    """A return as made: its refund receipt number, what came back and where the money went."""

    return_id: UUID
    number_label: str
    order_id: UUID | None
    """The sale it returns from; None for a return without a receipt."""
    sale_receipt: str | None
    currency: str
    total_minor: int
    lines: tuple[ReturnedLine, ...]
    cash_back_minor: int
    """What the drawer pays back now."""
    card_refunds: tuple[RefundView, ...]
    """Card refunds to send through the terminal (``start_refund`` each)."""
    created_at: datetime


@use_case
def returnable_sale(uow: UnitOfWork, sale: object) -> Result[ReturnableSale]:
    """The paid sale a receipt number (``T01-000042``) or the receipt's QR code (the
    order's id) names, with what is left of each line to return."""
    refuse_offline(uow)
    with uow.reading():
        order = _find_sale(uow.connection, sale)
        return Ok(_returnable(uow.connection, order))


@use_case
def return_items(
    uow: UnitOfWork,
    sale: object,
    lines: Sequence[ReturnRequest],
    *,
    reason: object,
    user_id: int,
    approved_by: int | None = None,
    cash_instead: bool = False,
) -> Result[ReturnView]:
    """Take goods back from a paid sale and pay their worth back to its tenders.

    Refused, with nothing changed: no lines, a quantity that is not a whole number above
    zero, a line of another sale, more than is left of a line, a sale not paid or not
    known, a refund receipt, a refund of this sale still waiting at the terminal, and no
    reason. ``cash_instead`` (the card cannot take the money back) needs a manager.
    Offline it is refused: the sale and its tenders are the central store's.
    """
    refuse_offline(uow)
    text = clean_text(reason, MAX_REASON_LENGTH, min_length=1)
    if text is None:
        raise Refused(Code.INVALID_RETURN_REASON)
    wanted = _checked_lines(lines)
    with uow:
        connection, now = uow.connection, uow.now()
        cashier = acting_user(uow.session, user_id)
        manager = None
        if approved_by is not None:
            manager = acting_user(uow.session, approved_by, role=Role.MANAGER)
        if cash_instead and manager is None and cashier.role is not Role.MANAGER:
            raise Refused(Code.APPROVAL_REQUIRED)
        order = _find_sale(connection, sale)
        lock_order(connection, order.id)  # one return of a sale at a time: the money adds up
        hold_session(connection, order.till_id, required=True)  # before the till's row
        if _refund_in_flight(connection, order.id):
            raise Refused(Code.REFUND_IN_FLIGHT)
        paid = _paid_per_line(connection, order)
        returned = [
            _claim(connection, order, request, paid, now, user_id=cashier.id) for request in wanted
        ]
        total = sum(line.total_minor for line in returned)
        manager_id = manager.id if manager else None
        return_id, label = _document(
            connection, now, order.till_id, order.location_id, order.id, cashier.id, manager_id,
            text, order.currency, total, returned,
        )  # fmt: skip
        cash_back, card_refunds = _pay_back(
            connection, now, order.id, total, return_id, cashier.id, cash_instead
        )
        connection.execute(
            update(sale_returns)
            .where(sale_returns.c.id == return_id)
            .values(cash_back_minor=cash_back)
        )
        _audit(uow, now, cashier.id, manager_id, order.id, label, text, total, returned,
               cash_instead)  # fmt: skip
        till_code = label.split("-I-")[0]
        view = ReturnView(
            return_id,
            label,
            order.id,
            receipt_label(till_code, order.receipt_number),
            order.currency,
            total,
            _shown(returned),
            cash_back,
            tuple(refund_view(connection, refund_id) for refund_id in card_refunds),
            now,
        )
        uow.commit()
    changed = Changed.ORDERS | Changed.STOCK
    if view.card_refunds:
        return Warn(view, Code.REFUND_PENDING, changed=changed)
    return Ok(view, changed)


@dataclass(frozen=True)
class LooseReturn:
    """An item brought back without its receipt: its barcode or SKU, how many, where it
    goes, and the price a manager typed (None: the shelf's price today)."""

    code: str
    quantity: int
    restock: bool = True
    price_minor: int | None = None


@use_case
def return_without_receipt(
    uow: UnitOfWork,
    items: Sequence[LooseReturn],
    *,
    reason: object,
    user_id: int,
    approved_by: int | None = None,
) -> Result[ReturnView]:
    """Take goods back that come without a receipt: a manager's approval and a reason,
    the shelf's price today unless the manager typed another, paid back in cash.

    No sale is named, so nothing limits the units but the manager: the return is its own
    document in the till's refund series, audited with who approved it. Offline it is
    refused: the refund series is numbered by the central store once the till is back.
    """
    refuse_offline(uow)
    text = clean_text(reason, MAX_REASON_LENGTH, min_length=1)
    if text is None:
        raise Refused(Code.INVALID_RETURN_REASON)
    if not isinstance(items, list | tuple) or not items or len(items) > MAX_LINES:
        raise Refused(Code.RETURN_NOTHING)
    with uow:
        connection, now = uow.connection, uow.now()
        cashier = acting_user(uow.session, user_id)
        manager = cashier if cashier.role is Role.MANAGER else None
        if approved_by is not None:
            manager = acting_user(uow.session, approved_by, role=Role.MANAGER)
        if manager is None:
            raise Refused(Code.APPROVAL_REQUIRED)
        till = connection.execute(
            select(tills.c.id, tills.c.location_id).where(tills.c.id == DEFAULT_TILL_ID)
        ).one()
        hold_session(connection, till.id, required=True)  # before the till's row
        returned, currency = [], DEFAULT_CURRENCY
        for item in items:
            product = _loose_product(connection, item)
            price = product.price_minor if item.price_minor is None else item.price_minor
            currency = product.currency
            returned.append(
                _Claimed(
                    None,
                    product.id,
                    product.name,
                    item.quantity,
                    price,
                    product.tax_rate_bp,
                    # A weighed product's quantity is grams, its price per kg.
                    line_amount(price, item.quantity, SaleUnit(product.sale_unit).per_unit),
                    item.restock,
                )
            )
            if item.restock:
                _restock(connection, till.location_id, returned[-1], now, cashier.id)
        total = sum(line.total_minor for line in returned)
        return_id, label = _document(
            connection, now, till.id, till.location_id, None, cashier.id, manager.id, text,
            currency, total, returned,
        )  # fmt: skip
        connection.execute(
            update(sale_returns).where(sale_returns.c.id == return_id).values(cash_back_minor=total)
        )
        journal.record_loose_return(connection, return_id, now)
        _audit(uow, now, cashier.id, manager.id, None, label, text, total, returned, False)
        view = ReturnView(
            return_id, label, None, None, currency, total, _shown(returned), total, (), now
        )
        uow.commit()
    return Ok(view, Changed.ORDERS | Changed.STOCK)


# -- the steps ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Claimed:
    """A line as it comes back: the sale's line (None without a receipt) and its worth."""

    item_id: int | None
    product_id: int
    name: str
    quantity: int
    unit_price_minor: int
    tax_rate_bp: int
    total_minor: int
    restock: bool


def _loose_product(connection: Connection, item: object) -> Any:
    """The product an item brought back without a receipt is; refused if it is none."""
    if not isinstance(item, LooseReturn) or not isinstance(item.code, str):
        raise Refused(Code.RETURN_NOTHING)
    if not is_id(item.quantity) or not isinstance(item.restock, bool):
        raise Refused(Code.INVALID_QUANTITY)
    if item.price_minor is not None and (
        not isinstance(item.price_minor, int)
        or isinstance(item.price_minor, bool)
        or not 0 <= item.price_minor <= MAX_PRICE_MINOR
    ):
        raise Refused(Code.INVALID_PRICE)
    code = scanned_code(item.code)
    product = product_on_sale(connection, code) if code is not None else None
    if product is None:
        refusal = Refused(Code.BARCODE_NOT_FOUND)  # its message names the code it was given
        refusal.error = Err(Code.BARCODE_NOT_FOUND, {"code": item.code[:64]})
        raise refusal
    return product


def _restock(
    connection: Connection, location_id: int, line: _Claimed, now: datetime, user_id: int
) -> None:
    """Put a returned line's units back on the shelf, with a stock move of their own."""
    connection.execute(
        update(inventory)
        .where(inventory.c.location_id == location_id, inventory.c.product_id == line.product_id)
        .values(available=inventory.c.available + line.quantity)
    )
    connection.execute(
        insert(stock_moves).values(
            location_id=location_id,
            product_id=line.product_id,
            kind=MoveKind.ADJUST,
            quantity=line.quantity,
            reason=f"İade / return: {line.name}"[:200],
            reason_code=RETURN_REASON,
            user_id=user_id,
            created_at=now,
        )
    )


def _document(
    connection: Connection,
    now: datetime,
    till_id: int,
    location_id: int,
    order_id: UUID | None,
    cashier_id: int,
    manager_id: int | None,
    reason: str,
    currency: str,
    total: int,
    lines: list[_Claimed],
) -> tuple[UUID, str]:
    """Write the return and its lines under the till's next refund number; its id and label."""
    number, till_code = _next_return_number(connection, till_id)
    return_id = uuid.uuid4()
    connection.execute(
        insert(sale_returns).values(
            id=return_id,
            order_id=order_id,
            till_id=till_id,
            location_id=location_id,
            number=number,
            cashier_id=cashier_id,
            approved_by=manager_id,
            reason=reason,
            currency=currency,
            total_minor=total,
            created_at=now,
            cash_session_id=session_of_till(till_id),
        )
    )
    connection.execute(
        insert(return_lines),
        [
            {
                "return_id": return_id,
                "order_item_id": line.item_id,
                "product_id": line.product_id,
                "name": line.name,
                "quantity": line.quantity,
                "unit_price_minor": line.unit_price_minor,
                "tax_rate_bp": line.tax_rate_bp,
                "total_minor": line.total_minor,
                "restock": line.restock,
            }
            for line in lines
        ],
    )
    return return_id, return_label(till_code, number)


def _audit(
    uow: UnitOfWork,
    now: datetime,
    cashier_id: int,
    manager_id: int | None,
    order_id: UUID | None,
    label: str,
    reason: str,
    total: int,
    lines: list[_Claimed],
    cash_instead: bool,
) -> None:
    audit(
        uow.session,
        at=now,
        user_id=cashier_id,
        approved_by=manager_id,
        action=RETURN_ACTION,
        entity="order" if order_id is not None else "return",
        entity_id=order_id,
        return_receipt=label,
        reason=reason,
        total_minor=total,
        lines=[{"name": x.name, "quantity": x.quantity, "restock": x.restock} for x in lines],
        cash_instead=cash_instead,
        without_receipt=order_id is None,
    )


def _shown(lines: list[_Claimed]) -> tuple[ReturnedLine, ...]:
    return tuple(ReturnedLine(x.name, x.quantity, x.total_minor, x.restock) for x in lines)


def _checked_lines(lines: object) -> list[ReturnRequest]:
    """The requested lines, one per sale line; refused if any is not a return of units."""
    if not isinstance(lines, list | tuple) or not lines or len(lines) > MAX_LINES:
        raise Refused(Code.RETURN_NOTHING)
    merged: dict[int, ReturnRequest] = {}
    for line in lines:
        if not isinstance(line, ReturnRequest) or not is_id(line.line_no):
            raise Refused(Code.RETURN_LINE_NOT_IN_SALE, line=getattr(line, "line_no", "?"))
        if not is_id(line.quantity) or not isinstance(line.restock, bool):
            raise Refused(Code.INVALID_QUANTITY)
        if line.line_no in merged:
            raise Refused(Code.RETURN_LINE_NOT_IN_SALE, line=line.line_no)  # asked twice
        merged[line.line_no] = line
    return [merged[number] for number in sorted(merged)]  # in line order: no deadlocks


def _find_sale(connection: Connection, sale: object) -> Any:
    """The paid order a receipt number or an order id names; refused otherwise."""
    if not isinstance(sale, str | UUID) or (isinstance(sale, str) and len(sale) > MAX_ID_LENGTH):
        raise Refused(Code.ORDER_NOT_FOUND)
    text = sale.strip() if isinstance(sale, str) else ""
    if _RETURN_LABEL.fullmatch(text):
        raise Refused(Code.RETURN_OF_RETURN)
    columns = (
        orders.c.id,
        orders.c.status,
        orders.c.till_id,
        orders.c.location_id,
        orders.c.currency,
        orders.c.receipt_number,
        orders.c.prices_include_tax,
    )
    query = select(*columns)
    label = _SALE_LABEL.fullmatch(text)
    if isinstance(sale, UUID):
        query = query.where(orders.c.id == sale)
    elif label is not None:
        code, number = label.group(1).upper(), int(label.group(2))
        query = query.join(tills, tills.c.id == orders.c.till_id).where(
            tills.c.code == code, orders.c.receipt_number == number
        )
    else:
        try:
            query = query.where(orders.c.id == uuid.UUID(text))
        except ValueError:
            raise Refused(Code.ORDER_NOT_FOUND) from None
    order = connection.execute(query).first()
    if order is None:
        raise Refused(Code.ORDER_NOT_FOUND)
    if OrderStatus(order.status) is not OrderStatus.PAID:
        raise Refused(Code.ORDER_NOT_PAID)
    return order


def _returnable(connection: Connection, order: Any) -> ReturnableSale:
    code = connection.execute(select(tills.c.code).where(tills.c.id == order.till_id)).scalar_one()
    paid = _paid_per_line(connection, order)
    rows = connection.execute(
        select(
            order_items.c.line_no,
            order_items.c.name,
            order_items.c.quantity,
            order_items.c.returned_quantity,
            order_items.c.unit_price_minor,
            order_items.c.sale_unit,
        )
        .where(order_items.c.order_id == order.id)
        .order_by(order_items.c.line_no)
    ).all()
    return ReturnableSale(
        order.id,
        receipt_label(code, order.receipt_number),
        order.currency,
        tuple(ReturnableLine(*row[:5], paid[row.line_no], SaleUnit(row.sale_unit)) for row in rows),
    )


def _paid_per_line(connection: Connection, order: Any) -> dict[int, int]:
    """What the customer paid for each line of the sale, by line number; they add up to
    the sale's total (the tax a tax-exclusive store added on top is in them)."""
    rows = connection.execute(
        select(order_items.c.line_no, order_items.c.total_minor, order_items.c.tax_rate_bp)
        .where(order_items.c.order_id == order.id)
        .order_by(order_items.c.line_no)
    ).all()
    paid = line_amounts_paid(
        [(row.total_minor, row.tax_rate_bp) for row in rows],
        prices_include_tax=bool(order.prices_include_tax),
    )
    return {row.line_no: amount for row, amount in zip(rows, paid, strict=True)}


def _claim(
    connection: Connection,
    order: Any,
    request: ReturnRequest,
    paid: dict[int, int],
    now: datetime,
    *,
    user_id: int,
) -> _Claimed:
    """Claim the units of one line, and put them back on the shelf if they go there."""
    item = connection.execute(
        select(
            order_items.c.id,
            order_items.c.product_id,
            order_items.c.name,
            order_items.c.quantity,
            order_items.c.unit_price_minor,
            order_items.c.tax_rate_bp,
            order_items.c.sale_unit,
        ).where(order_items.c.order_id == order.id, order_items.c.line_no == request.line_no)
    ).first()
    if item is None:
        raise Refused(Code.RETURN_LINE_NOT_IN_SALE, line=request.line_no)
    # The whole guarantee: of all tills returning this line, only claims that fit hit.
    after = connection.execute(
        update(order_items)
        .where(
            order_items.c.id == item.id,
            order_items.c.returned_quantity + request.quantity <= order_items.c.quantity,
        )
        .values(returned_quantity=order_items.c.returned_quantity + request.quantity)
        .returning(order_items.c.returned_quantity)
    ).scalar()
    if after is None:
        returned = connection.execute(
            select(order_items.c.returned_quantity).where(order_items.c.id == item.id)
        ).scalar_one()
        left = item.quantity - returned
        raise Refused.because(too_many(item.name, left, SaleUnit(item.sale_unit)))
    worth = returned_worth(
        paid[request.line_no], item.quantity, after - request.quantity, request.quantity
    )
    claimed = _Claimed(
        item.id,
        item.product_id,
        item.name,
        request.quantity,
        item.unit_price_minor,
        item.tax_rate_bp,
        worth,
        request.restock,
    )
    if request.restock:
        _restock(connection, order.location_id, claimed, now, user_id)
    return claimed


def _next_return_number(connection: Connection, till_id: int) -> tuple[int, str]:
    row = connection.execute(
        update(tills)
        .where(tills.c.id == till_id)
        .values(last_return_number=tills.c.last_return_number + 1)
        .returning(tills.c.last_return_number, tills.c.code)
    ).one()
    return int(row.last_return_number), str(row.code)


def _pay_back(
    connection: Connection,
    now: datetime,
    order_id: UUID,
    total: int,
    return_id: UUID,
    user_id: int,
    cash_instead: bool,
) -> tuple[int, list[int]]:
    """Spread ``total`` over the sale's settled tenders, the last taken first; what the
    drawer pays now, and the card refunds to send."""
    left_to_pay, cash_back, cards = total, 0, []
    tenders = connection.execute(
        select(payments.c.id, payments.c.method, payments.c.amount_minor)
        .where(payments.c.order_id == order_id, payments.c.status == PaymentStatus.PAID)
        .order_by(payments.c.id.desc())
    ).all()
    for tender in tenders:
        if left_to_pay <= 0:
            break
        share = min(left_to_pay, tender.amount_minor - refunded_minor(connection, tender.id))
        if share <= 0:
            continue
        refund_id = request_refund(
            connection,
            now,
            payment_id=tender.id,
            amount_minor=share,
            reason=REFUND_REASON,
            user_id=user_id,
            return_id=return_id,
            in_cash=cash_instead,
        )
        left_to_pay -= share
        if cash_instead or PaymentMethod(tender.method) is PaymentMethod.CASH:
            cash_back += share
            journal.record_refund(connection, refund_id, now)  # the till's row is locked already
        else:
            cards.append(refund_id)
    # The lines' worth never exceeds what the tenders settled: a sale is paid in full.
    assert left_to_pay == 0, (order_id, total, left_to_pay)
    return cash_back, cards


def _refund_in_flight(connection: Connection, order_id: UUID) -> bool:
    return (
        connection.execute(
            select(refunds.c.id)
            .where(
                refunds.c.order_id == order_id,
                refunds.c.status.in_([RefundStatus.INITIATED.value, RefundStatus.PENDING.value]),
            )
            .limit(1)
        ).first()
        is not None
    )
