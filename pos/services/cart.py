"""The till's cart: ring up, change and remove lines, each reserving only the difference.

This is the seed's AddToCart, corrected (DESIGN.md §3, §6.2 and §6.12): the
quantity is validated, the conditional UPDATE on the inventory is the stock check,
a shortage is refused with the true available count, and a product already in the
cart grows its line and reserves only what was added.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, select
from sqlalchemy.orm import Session

from pos.domain.money import is_currency
from pos.domain.quantities import MAX_QUANTITY, parse_quantity
from pos.domain.results import Changed, Code, Ok, Refused, Result
from pos.services._support import is_id, use_case
from pos.services.reservations import (
    RESERVATION_TTL,
    hold_cart_reservations,
    reserve_line,
)
from pos.store.models import (
    DEFAULT_LOCATION_ID,
    Cart,
    CartItem,
    CartStatus,
    Product,
    Reservation,
    ReservationStatus,
    User,
)
from pos.store.uow import UnitOfWork

SHOP_CURRENCY = "TRY"


@dataclass(frozen=True)
class CartLine:
    product_id: int
    sku: str
    name: str
    quantity: int
    unit_price_minor: int
    tax_rate_bp: int
    line_total_minor: int
    reserved: int
    """Units held for this line; less than ``quantity`` once its reservation expired."""
    reserved_until: datetime | None


@dataclass(frozen=True)
class CartSummary:
    cart_id: int
    status: CartStatus
    currency: str
    lines: tuple[CartLine, ...]
    item_count: int
    subtotal_minor: int


@use_case
def open_cart(
    uow: UnitOfWork,
    *,
    cashier_id: int | None = None,
    currency: str = SHOP_CURRENCY,
    location_id: int = DEFAULT_LOCATION_ID,
) -> Result[CartSummary]:
    """Start a new sale at the till."""
    if not is_currency(currency):
        raise Refused(Code.INVALID_CURRENCY)
    with uow:
        if cashier_id is not None and uow.session.get(User, cashier_id) is None:
            raise Refused(Code.USER_NOT_FOUND)
        now = uow.now()
        cart = Cart(
            status=CartStatus.OPEN,
            currency=currency,
            location_id=location_id,
            cashier_id=cashier_id,
            created_at=now,
            updated_at=now,
        )
        uow.session.add(cart)
        uow.session.flush()
        summary = _summary(uow.session, cart)
        uow.commit()
    return Ok(summary, Changed.CART)


@use_case
def add_to_cart(
    uow: UnitOfWork,
    cart_id: object,
    product_id: object,
    quantity: object,
    *,
    ttl: timedelta = RESERVATION_TTL,
) -> Result[CartSummary]:
    """Ring up ``quantity`` more units of a product, reserving exactly those units."""
    added = parse_quantity(quantity)
    if added is None:
        raise Refused(Code.INVALID_QUANTITY)
    with uow:
        now = uow.now()
        product = _sellable_product(uow.session, product_id)
        cart = _open_cart_for_update(uow.session, cart_id, now)
        if product.currency != cart.currency:
            raise Refused(
                Code.CURRENCY_MISMATCH,
                product_currency=product.currency,
                cart_currency=cart.currency,
            )
        held = hold_cart_reservations(uow.session, cart.id, now + ttl)
        line = _line(uow.session, cart.id, product.id)
        total = added + (line.quantity if line else 0)
        if total > MAX_QUANTITY:
            raise Refused(Code.INVALID_QUANTITY)
        reserve_line(
            uow.session,
            cart=cart,
            product_id=product.id,
            quantity=total,
            held=held.get(product.id),
            now=now,
            ttl=ttl,
        )
        if line is None:
            uow.session.add(
                CartItem(
                    cart_id=cart.id,
                    product_id=product.id,
                    quantity=total,
                    unit_price_minor=product.price_minor,
                    tax_rate_bp=product.tax_rate_bp,
                    added_at=now,
                )
            )
        else:
            line.quantity = total
        uow.session.flush()
        summary = _summary(uow.session, cart)
        uow.commit()
    return Ok(summary, Changed.CART | Changed.STOCK)


@use_case
def set_quantity(
    uow: UnitOfWork,
    cart_id: object,
    product_id: object,
    quantity: object,
    *,
    ttl: timedelta = RESERVATION_TTL,
) -> Result[CartSummary]:
    """Set a line to ``quantity`` units, reserving or releasing the difference; 0 removes it."""
    wanted = parse_quantity(quantity, allow_zero=True)
    if wanted is None:
        raise Refused(Code.INVALID_QUANTITY)
    return _change_line(uow, cart_id, product_id, wanted, ttl)


@use_case
def remove_line(uow: UnitOfWork, cart_id: object, product_id: object) -> Result[CartSummary]:
    """Take a product off the sale and release what its line held."""
    return _change_line(uow, cart_id, product_id, 0, RESERVATION_TTL)


def _change_line(
    uow: UnitOfWork, cart_id: object, product_id: object, quantity: int, ttl: timedelta
) -> Result[CartSummary]:
    with uow:
        now = uow.now()
        cart = _open_cart_for_update(uow.session, cart_id, now)
        line = _line(uow.session, cart.id, product_id) if is_id(product_id) else None
        if line is None:
            raise Refused(Code.LINE_NOT_FOUND)
        held = hold_cart_reservations(uow.session, cart.id, now + ttl)
        reserve_line(
            uow.session,
            cart=cart,
            product_id=line.product_id,
            quantity=quantity,
            held=held.get(line.product_id),
            now=now,
            ttl=ttl,
        )
        if quantity == 0:
            uow.session.execute(delete(CartItem).where(CartItem.id == line.id))
        else:
            line.quantity = quantity
        uow.session.flush()
        summary = _summary(uow.session, cart)
        uow.commit()
    return Ok(summary, Changed.CART | Changed.STOCK)


@use_case
def cart_summary(uow: UnitOfWork, cart_id: object) -> Result[CartSummary]:
    """The sale as the till shows it: lines, prices as rung up, what is still held."""
    with uow.reading():
        cart = uow.session.get(Cart, cart_id) if is_id(cart_id) else None
        if cart is None:
            raise Refused(Code.CART_NOT_FOUND)
        return Ok(_summary(uow.session, cart))


def _sellable_product(session: Session, product_id: object) -> Product:
    product = session.get(Product, product_id) if is_id(product_id) else None
    if product is None or not product.active:
        raise Refused(Code.PRODUCT_UNAVAILABLE)
    return product


def _open_cart_for_update(session: Session, cart_id: object, now: datetime) -> Cart:
    """Lock the cart row first: every change to one cart queues behind the one before it,
    and rows are always locked in the same order (cart, reservations, inventory)."""
    cart = (
        session.execute(select(Cart).where(Cart.id == cart_id).with_for_update())
        .scalars()
        .one_or_none()
        if is_id(cart_id)
        else None
    )
    if cart is None:
        raise Refused(Code.CART_NOT_FOUND)
    if cart.status != CartStatus.OPEN:
        raise Refused(Code.CART_NOT_OPEN)
    cart.updated_at = now
    return cart


def _line(session: Session, cart_id: int, product_id: object) -> CartItem | None:
    return session.execute(
        select(CartItem).where(CartItem.cart_id == cart_id, CartItem.product_id == product_id)
    ).scalar_one_or_none()


def _summary(session: Session, cart: Cart) -> CartSummary:
    rows = session.execute(
        select(
            CartItem.product_id,
            Product.sku,
            Product.name,
            CartItem.quantity,
            CartItem.unit_price_minor,
            CartItem.tax_rate_bp,
            Reservation.quantity.label("reserved"),
            Reservation.expires_at,
        )
        .join(Product, Product.id == CartItem.product_id)
        .outerjoin(
            Reservation,
            and_(
                Reservation.cart_id == CartItem.cart_id,
                Reservation.product_id == CartItem.product_id,
                Reservation.status == ReservationStatus.ACTIVE,
            ),
        )
        .where(CartItem.cart_id == cart.id)
        .order_by(CartItem.id)
    ).all()
    lines = tuple(
        CartLine(
            product_id=row.product_id,
            sku=row.sku,
            name=row.name,
            quantity=row.quantity,
            unit_price_minor=row.unit_price_minor,
            tax_rate_bp=row.tax_rate_bp,
            line_total_minor=row.quantity * row.unit_price_minor,
            reserved=row.reserved or 0,
            reserved_until=row.expires_at,
        )
        for row in rows
    )
    return CartSummary(
        cart_id=cart.id,
        status=cart.status,
        currency=cart.currency,
        lines=lines,
        item_count=sum(line.quantity for line in lines),
        subtotal_minor=sum(line.line_total_minor for line in lines),
    )


__all__ = [
    "CartLine",
    "CartSummary",
    "add_to_cart",
    "cart_summary",
    "open_cart",
    "remove_line",
    "set_quantity",
]
