"""Checkout: the seed's Checkout, corrected (DESIGN.md §3, §4, §6).

The store prices the sale again and compares it with what the cashier's screen
showed. Then, in one transaction: the cart is locked (``checking_out``), its
reservations are stretched over the payment window and any that lapsed are taken
again, all lines or none, in product order; the coupon's use is claimed; the order,
its snapshot lines and the payment (``initiated``, with the idempotency key) are
written. A cash sale is then paid in that same transaction, by the finalisation a
card's success goes through (``finalise_paid``), so a crash leaves either an open
cart or a paid sale, never a cash sale halfway.

The idempotency key, made when Pay is pressed, is unique on the order: pressing
again, a retry after a lost answer, or eight threads at once give one order.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import (
    Column,
    Connection,
    Integer,
    Table,
    bindparam,
    insert,
    literal_column,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.schema import ScalarElementColumnDefault

from pos.domain.discounts import stored_discount
from pos.domain.journal import SaleLine
from pos.domain.pricing import PriceLine, line_amount
from pos.domain.results import Changed, Code, Err, Ok, Refused, Result
from pos.domain.text import clean_text
from pos.domain.units import SaleUnit
from pos.services._offline import check_offline_sale, open_offline_sale
from pos.services._pricing import load_coupon, price_sale
from pos.services._support import audit, is_id, use_case
from pos.services.cart import CART_COLUMNS, CartState, cart_state, lock_cart
from pos.services.cash_sessions import hold_session
from pos.services.journal import SaleFacts
from pos.services.payments import SaleToPay
from pos.services.reservations import hold_cart_reservations, reserve_line
from pos.services.tenders import Card as Card
from pos.services.tenders import (
    Cash,
    Sale,
    Tender,
    amount,
    check_tender,
    clean_key,
    refuse_offline_card,
    sale_of,
    take_tender,
    tender_amounts,
    tender_answer,
)
from pos.services.users import acting_user
from pos.store.models import CartStatus, OrderStatus, RedemptionState
from pos.store.prepared import Prepared
from pos.store.tables import (
    cart_items,
    carts,
    coupons,
    order_items,
    orders,
    payments,
    products,
    redemptions,
)
from pos.store.uow import UnitOfWork

MAX_DETAIL_LENGTH = 1000


@dataclass(frozen=True)
class SaleDetails:
    """Optional details of the customer, for an invoice or a delivery."""

    customer: str | None = None
    billing_address: str | None = None
    shipping_address: str | None = None
    shipping_method: str | None = None


_LINES = Prepared(
    select(
        cart_items.c.id,
        cart_items.c.product_id,
        cart_items.c.quantity,
        cart_items.c.unit_price_minor,
        cart_items.c.tax_rate_bp,
        cart_items.c.price_overridden_by,
        cart_items.c.discount_kind,
        cart_items.c.discount_value,
        cart_items.c.discount_reason,
        products.c.price_minor,
        products.c.tax_rate_bp.label("current_tax_rate_bp"),
        products.c.active,
        products.c.sku,
        products.c.name,
        products.c.sale_unit,
    )
    .join(products, products.c.id == cart_items.c.product_id)
    .where(cart_items.c.cart_id == bindparam("b_cart"))
    .order_by(cart_items.c.id)  # the cart's order, which the receipt keeps
)
# Locks the cart and starts its checkout in one statement; no row if it is not open.
_BEGIN_CHECKOUT = Prepared(
    update(carts)
    .where(
        carts.c.id == bindparam("b_cart"),
        carts.c.status == literal_column("'open'"),
        carts.c.parked_at.is_(None),  # a parked sale is paid once it is recalled
    )
    .values(status=CartStatus.CHECKING_OUT, updated_at=bindparam("b_now"))
    .returning(*CART_COLUMNS)
)
_REOPEN = Prepared(
    update(carts).where(carts.c.id == bindparam("b_cart")).values(status=CartStatus.OPEN)
)
_CLAIM_COUPON = Prepared(
    update(coupons)
    .where(
        coupons.c.id == bindparam("b_coupon"),
        or_(coupons.c.usage_limit.is_(None), coupons.c.times_used < coupons.c.usage_limit),
    )
    .values(times_used=coupons.c.times_used + 1, updated_at=bindparam("b_now"))
    .returning(coupons.c.id)
)


def _inserting(table: Table, *, returning: Column[Any] | None = None) -> Prepared:
    """An INSERT of every column of ``table`` but a generated integer id, each bound as
    ``b_<name>``; a column left out of the parameters is its scalar default, else NULL."""
    statement = insert(table).values(
        {
            column.name: bindparam(
                f"b_{column.name}",
                value=column.default.arg
                if isinstance(column.default, ScalarElementColumnDefault)
                else None,
                type_=column.type,
                required=False,
            )
            for column in table.columns
            if not (column.primary_key and isinstance(column.type, Integer))
        }
    )
    return Prepared(statement.returning(returning) if returning is not None else statement)


def _bound(**values: object) -> dict[str, object]:
    return {f"b_{name}": value for name, value in values.items()}


_INSERT_ORDER = _inserting(orders)
_INSERT_ITEM = _inserting(order_items)
_INSERT_REDEMPTION = _inserting(redemptions)
_BY_KEY = Prepared(
    select(
        orders.c.id,
        orders.c.request_digest,
        orders.c.total_minor,
        orders.c.currency,
        payments.c.id.label("payment_id"),
        payments.c.method,
        payments.c.status,
        payments.c.change_minor,
    )
    .join(payments, payments.c.order_id == orders.c.id)
    # The first tender carries the checkout's key; later ones have their own.
    .where(
        orders.c.idempotency_key == bindparam("b_key"),
        payments.c.idempotency_key == bindparam("b_key"),
    )
)


@use_case
def checkout(
    uow: UnitOfWork,
    cart_id: int,
    *,
    shown_total_minor: int,
    tender: Tender,
    idempotency_key: str,
    cashier_id: int | None = None,
    details: SaleDetails | None = None,
    approved_by: int | None = None,
) -> Result[Sale]:
    """Put an open sale through checkout; a cash sale comes back paid, with its change.

    The sale belongs to the cashier who takes the payment (``cashier_id``, the one signed
    in at the till), not to whoever opened the cart: a sale handed over at a change of
    cashier carries the new one on its order and receipt, and the audit log keeps who
    rang it up. Without ``cashier_id`` the cart's cashier stands.

    Offline (on the till's replica) nothing is reserved; a card needs the offline
    policy's leave; a sale past one of its limits is refused with a code of
    ``OFFLINE_APPROVALS`` unless ``approved_by`` names an active manager (see
    ``pos.services.approvals.approve``); the paid sale is written with its outbox record.
    """
    key = clean_key(idempotency_key)
    shown = amount(shown_total_minor)
    tender = check_tender(tender)
    refuse_offline_card(uow, tender)
    extra = _clean_details(details or SaleDetails())
    digest = _digest(cart_id, shown, tender, extra)
    try:
        sale = _checkout_once(
            uow, cart_id, shown, tender, key, digest, extra, cashier_id, approved_by
        )
    except IntegrityError:
        # Another request with this key (for another cart) won the insert: answer as a
        # retry would, which refuses a key reused for a different request.
        with uow.reading():
            replayed = _replay(uow.connection, key, digest)
        if replayed is None:
            raise
        sale = replayed
    if isinstance(sale, Err):
        return sale
    return Ok(sale, Changed.CART | Changed.STOCK | Changed.ORDERS | Changed.COUPONS)


def _checkout_once(
    uow: UnitOfWork,
    cart_id: int,
    shown: int,
    tender: Tender,
    key: str,
    digest: str,
    extra: dict[str, str | None],
    cashier_id: int | None,
    approved_by: int | None,
) -> Sale | Err:
    with uow:
        connection, now = uow.connection, uow.now()
        cart = _begin_checkout(connection, cart_id, now)
        if cart is None:
            # A cart already past checkout: this very request again (a retry, a second
            # press, another thread that waited for the lock), or a refusal.
            replayed = _replay(connection, key, digest)
            if replayed is not None:
                return replayed
            lock_cart(connection, cart_id, now)  # refuses an unknown cart
            raise Refused(Code.CART_NOT_OPEN)
        if cart.till_id is None:
            raise Refused(Code.TILL_NOT_FOUND)
        # Refused NO_CASH_SESSION outside the day; the session before the till's row.
        hold_session(connection, cart.till_id, required=True)
        cashier = cart.cashier_id
        if cashier_id is not None:
            cashier = acting_user(uow.session, cashier_id).id
        lines = _LINES.execute(connection, {"b_cart": cart.id})
        if not lines:
            raise Refused(Code.CART_EMPTY)
        for line in lines:
            if not line.active:
                raise Refused(Code.PRODUCT_UNAVAILABLE)
        coupon = load_coupon(connection, cart.coupon_id) if cart.coupon_id is not None else None
        priced = price_sale(
            [
                PriceLine(
                    _unit_price(line),
                    line.quantity,
                    line.current_tax_rate_bp,
                    per_unit=SaleUnit(line.sale_unit).per_unit,
                    line_discount_minor=_line_discount(line),
                )
                for line in lines
            ],
            coupon,
            currency=cart.currency,
            prices_include_tax=cart.prices_include_tax,
            now=now,
        )
        stale = [
            line
            for line in lines
            if (_unit_price(line), line.current_tax_rate_bp)
            != (line.unit_price_minor, line.tax_rate_bp)
        ]
        if not stale and coupon is not None and priced.coupon_problem is not None:
            # The coupon stopped applying since the screen was drawn (another till spent
            # its last use, its time ran out): say that, not that the price changed.
            raise Refused(priced.coupon_problem)
        if stale or priced.quote.total_minor != shown:
            # The cart takes the store's prices, so its summary shows what will be charged.
            _refresh_prices(connection, stale)
            _REOPEN.execute(connection, {"b_cart": cart.id})
            uow.commit()
            return Err(Code.PRICE_CHANGED, changed=Changed.CART if stale else Changed.NOTHING)
        total = priced.quote.total_minor
        # The money before the goods: a tender that cannot pay is refused before any
        # unit is held again (the cashier hears about the cash they typed, not the shelf).
        tender_amounts(tender, total, cart.currency)
        manager = None
        if uow.offline:
            manager = check_offline_sale(
                uow, cart.till_id, total, cart.currency, coupon, approved_by=approved_by
            )
        order_id = uuid.uuid4()
        _INSERT_ORDER.execute(
            connection,
            _bound(
                id=order_id,
                cart_id=cart.id,
                till_id=cart.till_id,  # checked above
                location_id=cart.location_id,
                cashier_id=cashier,
                status=OrderStatus.PENDING,
                idempotency_key=key,
                request_digest=digest,
                currency=cart.currency,
                prices_include_tax=cart.prices_include_tax,
                subtotal_minor=priced.quote.subtotal_minor,
                discount_minor=priced.quote.discount_minor,
                line_discount_minor=priced.quote.line_discount_minor,
                tax_minor=priced.quote.tax_minor,
                total_minor=total,
                coupon_id=coupon.id if coupon else None,
                coupon_code=coupon.terms.code if coupon else None,
                created_at=now,
                **extra,
            ),
        )
        if uow.offline:  # nothing can be reserved: the sale is marked to go home instead
            open_offline_sale(
                uow, order_id, cart.till_id, total, cart.currency, coupon, manager, cashier
            )
        else:
            _hold_every_line(connection, cart, lines, now, uow.policy.checkout_hold, order_id)
        if coupon is not None and not _CLAIM_COUPON.first(
            connection, {"b_coupon": coupon.id, "b_now": now}
        ):
            raise Refused(Code.COUPON_LIMIT_REACHED)
        sold = [
            SaleLine(
                number,
                line.sku,
                line.name,
                line.quantity,
                _unit_price(line),
                line.current_tax_rate_bp,
                priced_line.discount_minor,
                priced_line.total_minor,
                priced_line.line_discount_minor,
                line.discount_reason if priced_line.line_discount_minor else None,
                line.sale_unit,
            )
            for number, (line, priced_line) in enumerate(
                zip(lines, priced.quote.lines, strict=True), start=1
            )
        ]
        _INSERT_ITEM.execute_many(
            connection,
            [
                _bound(
                    order_id=order_id,
                    line_no=item.line,
                    product_id=line.product_id,
                    sku=item.sku,
                    name=item.name,
                    unit_price_minor=item.unit_price,
                    quantity=item.quantity,
                    tax_rate_bp=item.tax_rate_bp,
                    discount_minor=item.discount,
                    total_minor=item.total,
                    line_discount_minor=item.line_discount,
                    line_discount_reason=item.reason,
                    returned_quantity=0,
                    sale_unit=item.unit,
                )
                for line, item in zip(lines, sold, strict=True)
            ],
        )
        if coupon is not None:
            _INSERT_REDEMPTION.execute(
                connection,
                _bound(
                    coupon_id=coupon.id,
                    order_id=order_id,
                    state=RedemptionState.HELD,
                    created_at=now,
                ),
            )
        if cashier != cart.cashier_id:
            _hand_over(uow, cart, cashier, order_id, now)
        # Cash pays it in this transaction, from what was just written (nothing read back).
        fresh = SaleToPay(
            till_id=cart.till_id,
            location_id=cart.location_id,
            cart_id=cart.id,
            total_minor=total,
            coupon_id=coupon.id if coupon else None,
            shipping_address=extra["shipping_address"],
            shipping_method=extra["shipping_method"],
            offline=uow.offline,
            items=tuple(
                (line.product_id, line.quantity)
                for line in sorted(lines, key=lambda line: line.product_id)
            ),
            facts=SaleFacts(
                cashier=cashier,
                currency=cart.currency,
                prices_include_tax=cart.prices_include_tax,
                subtotal=priced.quote.subtotal_minor,
                discount=priced.quote.discount_minor,
                tax=priced.quote.tax_minor,
                total=total,
                coupon=coupon.terms.code if coupon else None,
                lines=tuple(sold),
            ),
        )
        payment_id, settled = take_tender(
            connection,
            now,
            order_id=order_id,
            due_minor=total,
            currency=cart.currency,
            tender=tender,
            key=key,
            fresh=fresh,
        )
        sale = tender_answer(
            order_id,
            payment_id,
            settled,
            total_minor=total,
            due_minor=total,
            currency=cart.currency,
            tender=tender,
        )
        uow.commit()
    return sale


def _hand_over(
    uow: UnitOfWork, cart: CartState, cashier: int | None, order_id: UUID, now: datetime
) -> None:
    """The cashier taking the payment takes the sale over: the cart is theirs from now on
    (a failed card gives it back to them), and the log keeps who rang it up."""
    uow.connection.execute(update(carts).where(carts.c.id == cart.id).values(cashier_id=cashier))
    audit(
        uow.session,
        at=now,
        user_id=cashier,
        action="sale.taken_over",
        entity="order",
        entity_id=order_id,
        cart=cart.id,
        rung_up_by=cart.cashier_id,
    )


def _begin_checkout(connection: Connection, cart_id: int, now: datetime) -> CartState | None:
    if not is_id(cart_id):
        return None
    row = _BEGIN_CHECKOUT.first(connection, {"b_cart": cart_id, "b_now": now})
    return cart_state(row) if row is not None else None


def _hold_every_line(
    connection: Connection,
    cart: CartState,
    lines: list[Any],
    now: datetime,
    window: timedelta,
    order_id: UUID,
) -> None:
    """Cover every line for the order until ``now + window`` (the shop's checkout hold), or
    refuse the lot (lines in product order)."""
    held = hold_cart_reservations(connection, cart.id, now + window, order_id)
    for line in sorted(lines, key=lambda line: line.product_id):
        try:
            reserve_line(
                connection,
                cart=cart,
                product_id=line.product_id,
                quantity=line.quantity,
                held=held.get(line.product_id),
                now=now,
                ttl=window,
                order_id=order_id,
            )
        except Refused as refusal:
            if refusal.error.code is Code.INSUFFICIENT_STOCK:
                raise Refused(Code.OUT_OF_STOCK_AT_CHECKOUT, name=line.name) from None
            raise


def _unit_price(line: Any) -> int:
    """The unit price a line is charged: the catalogue's, unless a manager set one at the
    till (that one stands; only a changed tax rate still makes the line stale)."""
    if line.price_overridden_by is not None:
        return int(line.unit_price_minor)
    return int(line.price_minor)


def _line_discount(line: Any) -> int:
    """What the line's own discount takes off it at the price it is charged."""
    discount = stored_discount(line.discount_kind, line.discount_value, line.discount_reason)
    if discount is None:
        return 0
    gross = line_amount(_unit_price(line), line.quantity, SaleUnit(line.sale_unit).per_unit)
    return discount.amount_for(gross)


def _refresh_prices(connection: Connection, stale: list[Any]) -> None:
    for line in stale:
        connection.execute(
            update(cart_items)
            .where(cart_items.c.id == line.id)
            .values(unit_price_minor=_unit_price(line), tax_rate_bp=line.current_tax_rate_bp)
        )


def _replay(connection: Connection, key: str, digest: str) -> Sale | Err | None:
    """The sale this key already made, if any; refused if the key came with another request."""
    row = _BY_KEY.first(connection, {"b_key": key})
    if row is None:
        return None
    if row.request_digest != digest:
        return Err(Code.IDEMPOTENCY_KEY_REUSED)
    return sale_of(connection, row.payment_id)


def _clean_details(details: object) -> dict[str, str | None]:
    if not isinstance(details, SaleDetails):
        raise Refused(Code.INVALID_DETAILS, field="details")
    cleaned: dict[str, str | None] = {}
    limits = {"shipping_method": 64}
    for field, value in vars(details).items():
        if value is None:
            cleaned[field] = None
            continue
        text = clean_text(value, limits.get(field, MAX_DETAIL_LENGTH), keep_breaks=True)
        if text is None:
            raise Refused(Code.INVALID_DETAILS, field=field)
        cleaned[field] = text or None
    return cleaned


def _digest(cart_id: int, shown: int, tender: Tender, extra: Mapping[str, str | None]) -> str:
    request = {
        "cart": cart_id if is_id(cart_id) else repr(cart_id),
        "total": shown,
        "tender": type(tender).__name__,
        "given": tender.given_minor if isinstance(tender, Cash) else None,
        "amount": tender.amount_minor,
        "details": extra,
    }
    return hashlib.sha256(json.dumps(request, sort_keys=True).encode()).hexdigest()
