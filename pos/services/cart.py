"""The till's cart: ring up, change and remove lines, each reserving only the difference.

This is the seed's AddToCart, corrected (DESIGN.md §3, §6.2 and §6.12): the
quantity is validated, the conditional UPDATE on the inventory is the stock check,
a shortage is refused with the true available count, and a product already in the
cart grows its line and reserves only what was added.

Ringing up is what a till does all day, so these use cases run statements built
once at import on the unit of work's connection, without the ORM.

Codes, quantities, prices and reasons are typed ``object`` and checked at run time:
they come from the scanner or as the cashier typed them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any, NamedTuple, Protocol

from sqlalchemy import (
    Connection,
    Row,
    bindparam,
    case,
    delete,
    insert,
    null,
    select,
    update,
)

from pos.domain.approvals import void_needs_approval
from pos.domain.discounts import DiscountKind, LineDiscount, stored_discount
from pos.domain.money import DEFAULT_CURRENCY, is_currency
from pos.domain.pricing import PriceLine, Quote, line_amount
from pos.domain.quantities import MAX_QUANTITY
from pos.domain.results import Changed, Code, Err, Ok, Refused, Result, Warn
from pos.domain.units import SaleUnit
from pos.services._offline import stock_known_to_cover
from pos.services._pricing import load_coupon, price_sale
from pos.services._support import audit, is_id, use_case
from pos.services.catalogue import scanned_code
from pos.services.reservations import (
    IS_ACTIVE,
    CartRow,
    keep_cart_held,
    release_holds,
    reserve_line,
)
from pos.services.users import acting_user
from pos.services.weighing import line_quantity, scanned_line, unit_of
from pos.store.models import (
    DEFAULT_TILL_ID,
    CartStatus,
    Role,
)
from pos.store.prepared import Prepared
from pos.store.tables import cart_items, carts, locations, products, reservations, tills
from pos.store.uow import UnitOfWork

CART_COLUMNS = (
    carts.c.id,
    carts.c.status,
    carts.c.currency,
    carts.c.location_id,
    carts.c.prices_include_tax,
    carts.c.coupon_id,
    carts.c.till_id,
    carts.c.cashier_id,
    carts.c.parked_at,
)


class SaleProduct(Protocol):
    """What ringing up reads of a product, by id or by a scanned code."""

    @property
    def id(self) -> int: ...
    @property
    def currency(self) -> str: ...
    @property
    def price_minor(self) -> int: ...
    @property
    def tax_rate_bp(self) -> int: ...


class _ProductRow(NamedTuple):
    id: int
    active: bool
    currency: str
    price_minor: int
    tax_rate_bp: int
    name: str
    sale_unit: str


_PRODUCT = Prepared(
    select(
        products.c.id,
        products.c.active,
        products.c.currency,
        products.c.price_minor,
        products.c.tax_rate_bp,
        products.c.name,
        products.c.sale_unit,
    ).where(products.c.id == bindparam("b_product")),
    _ProductRow,
)
# Touching the cart locks its row: every change to one cart queues behind the one
# before it, and rows are always locked in the same order (cart, reservations,
# inventory), so two tills cannot deadlock.
_TOUCH_CART = Prepared(
    update(carts)
    .where(carts.c.id == bindparam("b_cart"))
    .values(updated_at=bindparam("b_now"))
    .returning(*CART_COLUMNS)
)
_CART = Prepared(select(*CART_COLUMNS).where(carts.c.id == bindparam("b_cart")))
_LINE = Prepared(
    select(
        cart_items.c.id,
        cart_items.c.product_id,
        cart_items.c.quantity,
        products.c.name,
        products.c.sale_unit,
    )
    .join(products, products.c.id == cart_items.c.product_id)
    .where(
        cart_items.c.cart_id == bindparam("b_cart"),
        cart_items.c.product_id == bindparam("b_product"),
    )
)
_ADD_LINE = Prepared(
    insert(cart_items).values(
        cart_id=bindparam("b_cart"),
        product_id=bindparam("b_product"),
        quantity=bindparam("b_quantity"),
        unit_price_minor=bindparam("b_price"),
        tax_rate_bp=bindparam("b_tax_rate"),
        added_at=bindparam("b_now"),
    )
)
# A new quantity keeps a percentage off the line and drops an amount off it: the amount
# was given, and checked against the giver's limit, for the line as it was.
_SET_LINE = Prepared(
    update(cart_items)
    .where(cart_items.c.id == bindparam("b_line"))
    .values(
        quantity=bindparam("b_quantity"),
        **{
            column.name: case(
                (cart_items.c.discount_kind == DiscountKind.AMOUNT.value, null()), else_=column
            )
            for column in (
                cart_items.c.discount_kind,
                cart_items.c.discount_value,
                cart_items.c.discount_reason,
                cart_items.c.discount_by,
                cart_items.c.discount_approved_by,
            )
        },
    )
)
_DROP_LINE = Prepared(delete(cart_items).where(cart_items.c.id == bindparam("b_line")))
_LINES = Prepared(
    select(
        cart_items.c.product_id,
        products.c.sku,
        products.c.name,
        products.c.sale_unit,
        cart_items.c.quantity,
        cart_items.c.unit_price_minor,
        cart_items.c.tax_rate_bp,
        cart_items.c.price_overridden_by,
        cart_items.c.discount_kind,
        cart_items.c.discount_value,
        cart_items.c.discount_reason,
        cart_items.c.discount_approved_by,
    )
    .join(products, products.c.id == cart_items.c.product_id)
    .where(cart_items.c.cart_id == bindparam("b_cart"))
    .order_by(cart_items.c.id)
)
# The cart's holds, read apart from its lines: a range of the unique index on active
# holds, whatever plan the store would pick for joining them to the lines.
_HOLDS = Prepared(
    select(reservations.c.product_id, reservations.c.quantity, reservations.c.expires_at).where(
        reservations.c.cart_id == bindparam("b_cart"), IS_ACTIVE
    )
)


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
    price_overridden: bool = False
    """A manager approved this line's price at the till; checkout keeps it."""
    price_overridden_by: int | None = None
    """The manager who approved it, so the line can carry over to the replica as it is."""
    sale_unit: SaleUnit = SaleUnit.PIECE
    """Piece, or kg/l/m: then ``quantity`` is grams/ml/mm and the price is per kg/l/m."""
    discount: LineDiscount | None = None
    """The line's own discount as given (``pos.domain.discounts``); None: none."""
    discount_approved_by: int | None = None
    """The manager whose PIN allowed the discount over the giver's limit."""

    @property
    def discount_minor(self) -> int:
        """What the line's own discount takes off it."""
        return self.discount.amount_for(self.line_total_minor) if self.discount else 0


@dataclass(frozen=True)
class CartSummary:
    cart_id: int
    status: CartStatus
    currency: str
    lines: tuple[CartLine, ...]
    item_count: int
    quote: Quote
    """Subtotal, discount, tax per rate and total, as checkout will charge them."""
    coupon_code: str | None = None
    coupon_problem: Code | None = None
    """Why the cart's coupon takes nothing off now (its minimum, its dates); None if it does."""

    @property
    def subtotal_minor(self) -> int:
        return self.quote.subtotal_minor

    @property
    def total_minor(self) -> int:
        return self.quote.total_minor


@dataclass(frozen=True)
class CartState(CartRow):
    """A cart's row as the use cases read it."""

    status: CartStatus
    currency: str
    prices_include_tax: bool
    coupon_id: int | None
    till_id: int | None
    cashier_id: int | None


@use_case
def open_cart(
    uow: UnitOfWork,
    *,
    cashier_id: int | None = None,
    currency: str = DEFAULT_CURRENCY,
    till_id: int = DEFAULT_TILL_ID,
) -> Result[CartSummary]:
    """Start a new sale at the till, priced the way its store prices (with tax or without)."""
    with uow:
        summary = start_cart(uow, cashier_id=cashier_id, currency=currency, till_id=till_id)
        uow.commit()
    return Ok(summary, Changed.CART)


def start_cart(
    uow: UnitOfWork, *, cashier_id: int | None, currency: str, till_id: int
) -> CartSummary:
    """Open a cart in the caller's open unit of work (``open_cart`` is this on its own)."""
    if not is_currency(currency):
        raise Refused(Code.INVALID_CURRENCY)
    if cashier_id is not None:
        acting_user(uow.session, cashier_id)
    till = (
        uow.connection.execute(
            select(tills.c.location_id, locations.c.prices_include_tax)
            .join(locations, locations.c.id == tills.c.location_id)
            .where(tills.c.id == till_id)
        ).first()
        if is_id(till_id)
        else None
    )
    if till is None:
        raise Refused(Code.TILL_NOT_FOUND)
    now = uow.now()
    cart_id = uow.connection.execute(
        insert(carts)
        .values(
            status=CartStatus.OPEN,
            currency=currency,
            location_id=till.location_id,
            till_id=till_id,
            prices_include_tax=till.prices_include_tax,
            cashier_id=cashier_id,
            created_at=now,
            updated_at=now,
        )
        .returning(carts.c.id)
    ).scalar_one()
    return CartSummary(
        cart_id,
        CartStatus.OPEN,
        currency,
        (),
        0,
        price_sale(
            (), None, currency=currency, prices_include_tax=till.prices_include_tax, now=now
        ).quote,
    )


@use_case
def add_scanned(
    uow: UnitOfWork, cart_id: int, code: object, quantity: object
) -> Result[CartSummary]:
    """Ring up what the scanner (or the cashier) typed: a barcode, a SKU or a scale
    barcode with its weight or price.

    ``quantity`` is as typed, in the product's unit (``"3"`` pieces, ``"1,250"`` kg), or an
    int of its smallest units; None: one piece, and for a weighed product the refusal
    ``WEIGHT_REQUIRED`` that asks for its weight. A code that names no product on sale is
    refused with the code itself, so the cashier sees what was read. The lookup and the
    add are one transaction.
    """
    text = scanned_code(code)  # an unreadable code is refused as such: it may well be known
    with uow:
        now = uow.now()  # first, as when ringing up by id: one read of the store's clock
        found = (
            scanned_line(uow.connection, text, quantity, uow.policy.scale)
            if text is not None
            else Err(Code.BARCODE_NOT_FOUND, {"code": str(code)[:64]})
        )
        if isinstance(found, Err):  # leaving the unit of work rolls it back: nothing written
            return found
        rung = _ring_up(uow, now, cart_id, *found)
        uow.commit()
    return rung.answer()


@use_case
def add_to_cart(
    uow: UnitOfWork,
    cart_id: int,
    product_id: int,
    quantity: object,
) -> Result[CartSummary]:
    """Ring up ``quantity`` more of a product (as ``add_scanned`` reads it), reserving
    exactly those units.

    Every line of the cart is then held at least the shop's hold time
    (``policy.cart_hold``): see ``keep_cart_held``.
    """
    with uow:
        product = _for_sale(uow.connection, product_id)
        if quantity is None and product.sale_unit == SaleUnit.PIECE:
            raise Refused(Code.QUANTITY_NOT_WHOLE)  # a program's call says how many
        added = line_quantity(product.name, unit_of(product.sale_unit), quantity, uow.policy.scale)
        rung = _ring_up(uow, uow.now(), cart_id, product, added)
        uow.commit()
    return rung.answer()


def ring_up_in(uow: UnitOfWork, cart_id: int, product_id: object, quantity: int) -> bool:
    """Add units of a product to an open cart in the caller's open unit of work, refused
    as ``add_to_cart`` refuses; whether the stock is known to cover the line."""
    product = _for_sale(uow.connection, product_id)
    return _ring_up(uow, uow.now(), cart_id, product, quantity).verified


def _for_sale(connection: Connection, product_id: object) -> _ProductRow:
    product = _PRODUCT.first(connection, {"b_product": product_id if is_id(product_id) else 0})
    if product is None or not product.active:
        raise Refused(Code.PRODUCT_UNAVAILABLE)
    return product


@dataclass(frozen=True)
class _Rung:
    """A changed cart, and whether its stock was held (online) or covered as last known."""

    summary: CartSummary
    offline: bool = False
    verified: bool = True

    def answer(self) -> Result[CartSummary]:
        if self.offline and not self.verified:
            # Sold all the same: the shelf may well have it, the central store settles it.
            return Warn(self.summary, Code.ADDED_UNVERIFIED, changed=Changed.CART)
        return Ok(self.summary, Changed.CART if self.offline else Changed.CART | Changed.STOCK)


def _hold_line(
    uow: UnitOfWork, cart: CartState, product_id: int, quantity: int, before: int
) -> bool:
    """Make the line hold ``quantity`` units (``before`` it had that many): online by its
    reservation, which refuses a shortage; offline, where nothing can be reserved, by
    checking the last known stock. Whether the stock is known to cover the line."""
    connection, now, ttl = uow.connection, uow.now(), uow.policy.cart_hold
    if uow.offline:
        if quantity <= before:
            return True  # fewer units than before: nothing new to check
        return stock_known_to_cover(connection, cart.location_id, product_id, quantity)
    reserve_line(
        connection,
        cart=cart,
        product_id=product_id,
        quantity=quantity,
        held=keep_cart_held(connection, cart.id, product_id, now, ttl),
        now=now,
        ttl=ttl,
    )
    return True


def _ring_up(
    uow: UnitOfWork, now: datetime, cart_id: int, product: SaleProduct, added: int
) -> _Rung:
    """Add ``added`` units of an active product to the open cart, reserving them."""
    connection = uow.connection
    cart = open_cart_for_update(connection, cart_id, now)
    if product.currency != cart.currency:
        raise Refused(
            Code.CURRENCY_MISMATCH,
            product_currency=product.currency,
            cart_currency=cart.currency,
        )
    line = _LINE.first(connection, {"b_cart": cart.id, "b_product": product.id})
    before = line.quantity if line else 0
    total = added + before
    if total > MAX_QUANTITY:
        raise Refused(Code.INVALID_QUANTITY)
    verified = _hold_line(uow, cart, product.id, total, before)
    if line is None:
        _ADD_LINE.execute(
            connection,
            {
                "b_cart": cart.id,
                "b_product": product.id,
                "b_quantity": total,
                "b_price": product.price_minor,
                "b_tax_rate": product.tax_rate_bp,
                "b_now": now,
            },
        )
    else:
        _SET_LINE.execute(connection, {"b_line": line.id, "b_quantity": total})
    return _Rung(summarise(connection, cart, now), uow.offline, verified)


@use_case
def set_quantity(
    uow: UnitOfWork,
    cart_id: int,
    product_id: int,
    quantity: object,
) -> Result[CartSummary]:
    """Set a line to ``quantity`` (as ``add_scanned`` reads it: ``"0,750"`` kg of a weighed
    line), reserving or releasing the difference; 0 removes it."""
    if quantity is None:
        raise Refused(Code.QUANTITY_NOT_WHOLE)
    return _change_line(uow, cart_id, product_id, quantity)


@use_case
def remove_line(uow: UnitOfWork, cart_id: int, product_id: int) -> Result[CartSummary]:
    """Take a product off the sale and release what its line held."""
    return _change_line(uow, cart_id, product_id, 0)


def _change_line(
    uow: UnitOfWork, cart_id: int, product_id: int, typed: object
) -> Result[CartSummary]:
    with uow:
        connection, now = uow.connection, uow.now()
        cart = open_cart_for_update(connection, cart_id, now)
        line = (
            _LINE.first(connection, {"b_cart": cart.id, "b_product": product_id})
            if is_id(product_id)
            else None
        )
        if line is None:
            raise Refused(Code.LINE_NOT_FOUND)
        unit = unit_of(line.sale_unit)
        quantity = line_quantity(line.name, unit, typed, uow.policy.scale, allow_zero=True)
        verified = _hold_line(uow, cart, line.product_id, quantity, line.quantity)
        if quantity == 0:
            _DROP_LINE.execute(connection, {"b_line": line.id})
        else:
            _SET_LINE.execute(connection, {"b_line": line.id, "b_quantity": quantity})
        rung = _Rung(summarise(connection, cart, now), uow.offline, verified)
        uow.commit()
    return rung.answer()


@use_case
def cart_summary(uow: UnitOfWork, cart_id: int) -> Result[CartSummary]:
    """The sale as the till shows it: lines, prices as rung up, what is still held."""
    with uow.reading():
        row = _CART.first(uow.connection, {"b_cart": cart_id}) if is_id(cart_id) else None
        if row is None:
            raise Refused(Code.CART_NOT_FOUND)
        return Ok(summarise(uow.connection, cart_state(row), uow.now()))


def lock_cart(connection: Connection, cart_id: int, now: datetime) -> CartState:
    """The cart's row, locked until the transaction ends (every change to a cart starts here)."""
    row = (
        _TOUCH_CART.first(connection, {"b_cart": cart_id, "b_now": now}) if is_id(cart_id) else None
    )
    if row is None:
        raise Refused(Code.CART_NOT_FOUND)
    return cart_state(row)


def open_cart_for_update(connection: Connection, cart_id: int, now: datetime) -> CartState:
    cart = lock_cart(connection, cart_id, now)
    if cart.status is CartStatus.PARKED:
        raise Refused(Code.SALE_PARKED)
    if cart.status is not CartStatus.OPEN:
        raise Refused(Code.CART_NOT_OPEN)
    return cart


def cart_state(row: Row[Any]) -> CartState:
    """A cart's row (its ``CART_COLUMNS``) as the use cases read it; an open cart put
    aside reads as ``parked``, so every rule for open carts leaves it alone."""
    status = CartStatus(row.status)
    if status is CartStatus.OPEN and row.parked_at is not None:
        status = CartStatus.PARKED
    return CartState(
        id=row.id,
        location_id=row.location_id,
        status=status,
        currency=row.currency,
        prices_include_tax=row.prices_include_tax,
        coupon_id=row.coupon_id,
        till_id=row.till_id,
        cashier_id=row.cashier_id,
    )


def summarise(connection: Connection, cart: CartState, now: datetime) -> CartSummary:
    """The cart as the till shows it, priced as checkout would price it ``now``."""
    holds = {row.product_id: row for row in _HOLDS.execute(connection, {"b_cart": cart.id})}
    lines = tuple(
        _cart_line(row, holds.get(row.product_id))
        for row in _LINES.execute(connection, {"b_cart": cart.id})
    )
    coupon = load_coupon(connection, cart.coupon_id) if cart.coupon_id is not None else None
    priced = price_sale(
        [
            PriceLine(
                line.unit_price_minor,
                line.quantity,
                line.tax_rate_bp,
                per_unit=line.sale_unit.per_unit,
                line_discount_minor=line.discount_minor,
            )
            for line in lines
        ],
        coupon,
        currency=cart.currency,
        prices_include_tax=cart.prices_include_tax,
        now=now,
        use_claimed=cart.status is not CartStatus.OPEN,
    )
    return CartSummary(
        cart_id=cart.id,
        status=cart.status,
        currency=cart.currency,
        lines=lines,
        # A weighed line is one item, whatever it weighs.
        item_count=sum(1 if line.sale_unit.measured else line.quantity for line in lines),
        quote=priced.quote,
        coupon_code=coupon.terms.code if coupon else None,
        coupon_problem=priced.coupon_problem,
    )


@lru_cache(maxsize=4096)
def _cart_line(row: Any, hold: Any) -> CartLine:
    """A line as the till shows it, from its row and its active hold (None: not held).

    Remembered by the two rows: every scan reads the whole sale again, its unchanged
    lines come back as equal rows, and building 200 lines anew was most of the Python
    time of a long sale's scan. A ``CartLine`` is frozen, so sharing one is safe.
    """
    return CartLine(
        product_id=row.product_id,
        sku=row.sku,
        name=row.name,
        quantity=row.quantity,
        unit_price_minor=row.unit_price_minor,
        tax_rate_bp=row.tax_rate_bp,
        line_total_minor=line_amount(
            row.unit_price_minor, row.quantity, unit_of(row.sale_unit).per_unit
        ),
        reserved=hold.quantity if hold else 0,
        reserved_until=hold.expires_at if hold else None,
        price_overridden=row.price_overridden_by is not None,
        price_overridden_by=row.price_overridden_by,
        sale_unit=unit_of(row.sale_unit),
        discount=stored_discount(row.discount_kind, row.discount_value, row.discount_reason),
        discount_approved_by=row.discount_approved_by,
    )


@dataclass(frozen=True)
class VoidReport:
    cart_id: int
    units_released: int
    approved_by: int | None = None


@use_case
def void_sale(
    uow: UnitOfWork,
    cart_id: int,
    *,
    user_id: int | None = None,
    approved_by: int | None = None,
) -> Result[VoidReport]:
    """Abandon an open sale: release every unit it holds, once, and close it.

    Refused while a payment is in flight: stock is never released while a payment's
    outcome is unknown. A sale over the shop's limit (``policy.void_approval_minor``) is
    refused ``APPROVAL_REQUIRED`` unless ``approved_by`` names an active manager; the
    audit row then names both the cashier and the manager.
    """
    with uow:
        connection, now = uow.connection, uow.now()
        cart = lock_cart(connection, cart_id, now)
        if cart.status is CartStatus.CHECKING_OUT:
            raise Refused(Code.PAYMENT_IN_PROGRESS)
        if cart.status is not CartStatus.OPEN:
            raise Refused(Code.CART_NOT_OPEN)
        role = acting_user(uow.session, user_id).role if user_id is not None else None
        # Checked in this transaction: a manager demoted since typing the PIN approves nothing.
        manager = (
            acting_user(uow.session, approved_by, role=Role.MANAGER)
            if approved_by is not None
            else None
        )
        total = summarise(connection, cart, now).total_minor
        if manager is None and void_needs_approval(
            total, uow.policy.void_approval_minor, by_manager=role is Role.MANAGER
        ):
            raise Refused(Code.APPROVAL_REQUIRED)
        units = release_holds(connection, reservations.c.cart_id == cart.id, now)
        connection.execute(
            update(carts).where(carts.c.id == cart.id).values(status=CartStatus.CLOSED)
        )
        audit(
            uow.session,
            at=now,
            user_id=user_id,
            approved_by=manager.id if manager else None,
            action="sale.voided",
            entity="cart",
            entity_id=cart.id,
            units_released=units,
            total_minor=total,
            currency=cart.currency,
        )
        uow.commit()
    return Ok(
        VoidReport(cart.id, units, manager.id if manager else None), Changed.CART | Changed.STOCK
    )
