"""Typed SQLAlchemy models of the store.

Constraint names come from one naming convention so that SQLite and PostgreSQL
carry the same names and migrations can address them. The models declare no
relationships: services join and select what they need, so no query hides behind an
attribute access (one added later is ``lazy="raise"`` for the same reason).
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Dialect,
    Enum,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    Uuid,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# The states and roles are the domain's (the window reads them there); the store keeps
# their values, and these names stay importable from here.
from pos.domain.coupons import CouponKind
from pos.domain.coupons import RedemptionState as RedemptionState
from pos.domain.discounts import DEFAULT_REASONS as DEFAULT_DISCOUNT_REASONS
from pos.domain.payments import EventOutcome as EventOutcome
from pos.domain.sales import CartStatus as CartStatus
from pos.domain.sales import OrderStatus as OrderStatus
from pos.domain.sales import ReservationStatus as ReservationStatus
from pos.domain.stock import MoveKind as MoveKind
from pos.domain.units import SaleUnit
from pos.domain.users import Role as Role

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

SALE_UNIT_CHECK = "sale_unit IN ({})".format(", ".join(f"'{u.value}'" for u in SaleUnit))
DEFAULT_LOCATION_ID = 1
DEFAULT_TILL_ID = 1


class UTCDateTime(TypeDecorator[datetime]):
    """An instant, always aware and in UTC, whatever the dialect stores.

    SQLite has no time zones: it keeps naive UTC text, which still sorts and
    compares correctly because every value is written the same way.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are ambiguous; pass an aware UTC instant")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def text_enum(cls: type[enum.Enum], name: str) -> Enum:
    # Stored as checked text, not a native PostgreSQL ENUM: adding a state later is a
    # constraint change, not an ALTER TYPE that cannot run inside a transaction.
    return Enum(
        cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=16,
        values_callable=lambda e: [m.value for m in e],
    )


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Replicated:
    """A table the tills' replicas copy (DESIGN.md §5): a PostgreSQL trigger stamps both
    columns on every write (``pos.sync.replica`` reads them); rows are never deleted."""

    change_seq: Mapped[int | None] = mapped_column(BigInteger)
    change_xid: Mapped[int | None] = mapped_column(BigInteger)


class Location(Replicated, Base):
    __tablename__ = "locations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    prices_include_tax: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    """The store's setting: shelf prices include tax (the default) or tax comes on top."""
    receipt_header: Mapped[str] = mapped_column(Text, server_default="")
    """The shop's name, address and tax number, printed at the top of each receipt."""
    time_zone: Mapped[str] = mapped_column(String(64), server_default="Europe/Istanbul")
    """The IANA zone the shop keeps its clocks in: its days, receipts and screens."""
    discount_limit_cashier_bp: Mapped[int] = mapped_column(Integer, server_default="1000")
    """The most a cashier may take off one line without a manager's PIN (basis points)."""
    discount_limit_manager_bp: Mapped[int] = mapped_column(Integer, server_default="10000")
    """The same for a manager; over it, another manager's PIN."""
    discount_reasons: Mapped[str] = mapped_column(Text, server_default=DEFAULT_DISCOUNT_REASONS)
    """The reasons the till offers for a line discount, one a line; the cashier may type
    another."""


class TillRow(Replicated, Base):
    """A till as the store records it: its code, its shop, and its paid sales numbered
    without gaps. (The wired till the front ends hold is `pos.bootstrap.Till`.)
    """

    __tablename__ = "tills"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(8), unique=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    last_receipt_number: Mapped[int] = mapped_column(BigInteger, server_default="0")
    last_return_number: Mapped[int] = mapped_column(BigInteger, server_default="0")
    """The refund receipts' own series (``T01-I-000007``), gapless like the sales'."""
    journal_seq: Mapped[int] = mapped_column(BigInteger, server_default="0")
    journal_hash: Mapped[str] = mapped_column(String(64), server_default="0" * 64)
    """The head of the till's journal: its last entry's number and hash."""
    last_z_number: Mapped[int] = mapped_column(BigInteger, server_default="0")
    """The Z reports' series: each closed cash session takes the next, without gaps."""


class User(Replicated, Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(text_enum(Role, "role"))
    pin_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    failed_pin_attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    """Wrong PINs in a row; the fifth locks the user until ``locked_until``."""
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Product(Replicated, Base):
    __tablename__ = "products"
    __table_args__ = (
        CheckConstraint("price_minor >= 0", name="price_not_negative"),
        CheckConstraint("tax_rate_bp >= 0 AND tax_rate_bp <= 10000", name="tax_rate_range"),
        CheckConstraint("min_stock >= 0", name="min_stock_not_negative"),
        CheckConstraint(SALE_UNIT_CHECK, name="sale_unit_known"),
        # Only products with a minimum can run low: the low-stock list reads this index.
        Index(
            "ix_products_min_stock",
            "min_stock",
            sqlite_where=text("min_stock > 0"),
            postgresql_where=text("min_stock > 0"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Byte-wise on PostgreSQL too, so "SKU starts with" is an exact index range.
    sku: Mapped[str] = mapped_column(
        String(64).with_variant(String(64, collation="C"), "postgresql"), unique=True
    )
    barcode: Mapped[str | None] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    price_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    tax_rate_bp: Mapped[int] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    min_stock: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    """Below this many units on hand the product shows on the manager's low-stock list."""
    sale_unit: Mapped[str] = mapped_column(String(8), server_default=SaleUnit.PIECE.value)
    """``piece``, or ``kg``/``l``/``m``: then every quantity of it (stock, holds, lines) is
    grams/ml/mm and its price is per kg/l/m (``pos.domain.units``)."""
    scale_code: Mapped[str | None] = mapped_column(String(6), index=True, unique=True)
    """The item code the shop's scale prints in its barcodes (its PLU number)."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ProductWord(Base):
    """One folded word of a product's name: the index behind the till's name search.

    A plain B-tree over (word, product) answers "any word starts with…" as a range
    scan on both dialects, without SQLite FTS or PostgreSQL trigram extensions.
    """

    __tablename__ = "product_words"

    # Byte-wise order on PostgreSQL too, so "starts with" is an exact index range.
    word: Mapped[str] = mapped_column(
        String(40).with_variant(String(40, collation="C"), "postgresql"), primary_key=True
    )
    product_id: Mapped[int] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), primary_key=True
    )

    __table_args__ = (
        # (product, word) answers "does this product also have a word starting with…"
        # for the second and later words of a search, from the index alone.
        Index("ix_product_words_product_id_word", "product_id", "word"),
        # The rows are their own key: no rowid table beside the primary-key index.
        {"sqlite_with_rowid": False},
    )


class ProductSearch(Base):
    """A product's folded name words in one text, each after a space (" kasar peyniri 1
    kg"): on PostgreSQL, what its trigram index answers "which products have a word
    starting with each of these" from, for a search whose words are each common but
    rare together (``pos.services.name_search``).

    Kept by a trigger on ``product_words`` (migration 0018), so it always holds the
    same words as that index, however they were written. On SQLite it stays empty:
    the (word, product) walk is fast enough there.
    """

    __tablename__ = "product_search"

    product_id: Mapped[int] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), primary_key=True
    )
    words: Mapped[str] = mapped_column(Text)

    __table_args__ = (
        Index(
            "ix_product_search_words",
            "words",
            postgresql_using="gin",
            postgresql_ops={"words": "gin_trgm_ops"},
        ),
    )


class Inventory(Replicated, Base):
    __tablename__ = "inventory"
    __table_args__ = (
        CheckConstraint("available >= 0", name="available_not_negative"),
        CheckConstraint("reserved >= 0", name="reserved_not_negative"),
    )

    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"), primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), primary_key=True)
    available: Mapped[int] = mapped_column(BigInteger, default=0)
    reserved: Mapped[int] = mapped_column(BigInteger, default=0)


class StockMove(Base):
    """Every change of the stock on hand, with its reason and who made it."""

    __tablename__ = "stock_moves"
    __table_args__ = (
        CheckConstraint("quantity <> 0", name="quantity_not_zero"),
        Index("ix_stock_moves_product_id_created_at", "product_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    kind: Mapped[MoveKind] = mapped_column(text_enum(MoveKind, "move_kind"))
    quantity: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(200))
    reason_code: Mapped[str | None] = mapped_column(String(16))
    """Why an adjustment was made (``pos.domain.stock.AdjustReason``); empty for deliveries."""
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Cart(Base):
    __tablename__ = "carts"
    __table_args__ = (
        # The till's parked sales, listed often, are few among all its carts.
        Index(
            "ix_carts_parked",
            "till_id",
            sqlite_where=text("parked_at IS NOT NULL"),
            postgresql_where=text("parked_at IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    status: Mapped[CartStatus] = mapped_column(text_enum(CartStatus, "cart_status"))
    currency: Mapped[str] = mapped_column(String(3))
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    cashier_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    till_id: Mapped[int | None] = mapped_column(ForeignKey("tills.id"))
    """Set on every new cart; empty only on carts older than tills."""
    prices_include_tax: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    """The store's setting when the sale began; it holds for the whole sale."""
    coupon_id: Mapped[int | None] = mapped_column(ForeignKey("coupons.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    parked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    """Set while the sale is parked (its status stays ``open``; it reads as ``parked``)."""
    parked_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    """Who parked it, while it is parked."""


class CartItem(Base):
    """A line of a cart, with the price it had when it was rung up."""

    __tablename__ = "cart_items"
    __table_args__ = (
        UniqueConstraint("cart_id", "product_id"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint(
            "(discount_kind IS NULL AND discount_value IS NULL AND discount_reason IS NULL)"
            " OR (discount_kind IN ('percent', 'amount') AND discount_value > 0"
            " AND discount_reason IS NOT NULL)",
            name="discount_whole",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cart_id: Mapped[int] = mapped_column(ForeignKey("carts.id", ondelete="CASCADE"))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price_minor: Mapped[int] = mapped_column(BigInteger)
    tax_rate_bp: Mapped[int] = mapped_column(Integer)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime())
    price_overridden_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    """The manager who approved a price typed at the till; checkout keeps such a price."""
    discount_kind: Mapped[str | None] = mapped_column(String(8))
    """``percent`` or ``amount`` (``pos.domain.discounts``); None: no discount."""
    discount_value: Mapped[int | None] = mapped_column(BigInteger)
    """Basis points for a percentage, minor units for an amount."""
    discount_reason: Mapped[str | None] = mapped_column(String(80))
    discount_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    discount_approved_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    """The manager whose PIN allowed a discount over the giver's limit."""


class Reservation(Base):
    """Units held for one cart line until it is paid, removed or left too long.

    The rows are the truth; ``inventory.reserved`` is a counter kept in step with the
    active ones. At most one active reservation exists per cart line.
    """

    __tablename__ = "reservations"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        Index(
            "uq_reservations_active_line",
            "cart_id",
            "product_id",
            unique=True,
            sqlite_where=text("status = 'active'"),
            postgresql_where=text("status = 'active'"),
        ),
        Index("ix_reservations_status_expires_at", "status", "expires_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cart_id: Mapped[int] = mapped_column(ForeignKey("carts.id"))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    quantity: Mapped[int] = mapped_column(Integer)
    status: Mapped[ReservationStatus] = mapped_column(
        text_enum(ReservationStatus, "reservation_status")
    )
    order_id: Mapped[UUID | None] = mapped_column(ForeignKey("orders.id"), index=True)
    """The order whose payment is in flight for this cart, while there is one."""
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


_LIVE = text("deleted_at IS NULL")


class Coupon(Replicated, Base):
    __tablename__ = "coupons"
    __table_args__ = (
        CheckConstraint("value > 0", name="value_positive"),
        CheckConstraint("kind <> 'percent' OR value <= 10000", name="percent_at_most_100"),
        CheckConstraint("min_cart_minor >= 0", name="min_cart_not_negative"),
        CheckConstraint("cap_minor IS NULL OR cap_minor > 0", name="cap_positive"),
        CheckConstraint("times_used >= 0", name="times_used_not_negative"),
        CheckConstraint(
            "usage_limit IS NULL OR times_used <= usage_limit", name="within_usage_limit"
        ),
        CheckConstraint(
            "valid_from IS NULL OR valid_to IS NULL OR valid_from < valid_to", name="valid_dates"
        ),
        # A deleted coupon keeps its row (for the replicas) but frees its code.
        Index("uq_coupons_code", "code", unique=True, sqlite_where=_LIVE, postgresql_where=_LIVE),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32))
    """Canonical: trimmed and upper case (``pos.domain.coupons.clean_coupon_code``)."""
    kind: Mapped[CouponKind] = mapped_column(text_enum(CouponKind, "coupon_kind"))
    value: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    min_cart_minor: Mapped[int] = mapped_column(BigInteger, server_default="0")
    cap_minor: Mapped[int | None] = mapped_column(BigInteger)
    valid_from: Mapped[datetime | None] = mapped_column(UTCDateTime())
    valid_to: Mapped[datetime | None] = mapped_column(UTCDateTime())
    active: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    usage_limit: Mapped[int | None] = mapped_column(Integer)
    times_used: Mapped[int] = mapped_column(Integer, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    """When a manager deleted it: inactive, out of the lists, its row kept for the replicas."""


class Order(Base):
    """A sale put through checkout. Its id is made by the till, so it syncs without clashes."""

    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("till_id", "receipt_number"),
        CheckConstraint("total_minor >= 0", name="total_not_negative"),
        CheckConstraint("discount_minor >= 0", name="discount_not_negative"),
        Index("ix_orders_created_at", "created_at"),
    )

    id: Mapped[UUID] = mapped_column(Uuid, primary_key=True)
    cart_id: Mapped[int] = mapped_column(ForeignKey("carts.id"))
    till_id: Mapped[int] = mapped_column(ForeignKey("tills.id"))
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    cashier_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    status: Mapped[OrderStatus] = mapped_column(text_enum(OrderStatus, "order_status"))
    idempotency_key: Mapped[str] = mapped_column(String(255), unique=True)
    request_digest: Mapped[str] = mapped_column(String(64))
    """What the request asked for, so a reused key with another request is caught."""
    currency: Mapped[str] = mapped_column(String(3))
    prices_include_tax: Mapped[bool] = mapped_column(Boolean)
    subtotal_minor: Mapped[int] = mapped_column(BigInteger)
    discount_minor: Mapped[int] = mapped_column(BigInteger)
    tax_minor: Mapped[int] = mapped_column(BigInteger)
    total_minor: Mapped[int] = mapped_column(BigInteger)
    line_discount_minor: Mapped[int] = mapped_column(BigInteger, server_default="0")
    """The part of ``discount_minor`` given on lines one by one; the rest is the coupon's."""
    coupon_id: Mapped[int | None] = mapped_column(ForeignKey("coupons.id"))
    coupon_code: Mapped[str | None] = mapped_column(String(32))
    customer: Mapped[str | None] = mapped_column(Text)
    billing_address: Mapped[str | None] = mapped_column(Text)
    shipping_address: Mapped[str | None] = mapped_column(Text)
    shipping_method: Mapped[str | None] = mapped_column(String(64))
    receipt_number: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    void_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    """When the cashier voided it with tenders settled: it ends once they are paid back."""
    void_requested_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    cash_session_id: Mapped[int | None] = mapped_column(ForeignKey("cash_sessions.id"), index=True)
    """The cash session open at its till when it was paid."""


class OrderItem(Base):
    """A line of an order as it was sold: nothing here follows later catalogue changes."""

    __tablename__ = "order_items"
    __table_args__ = (
        UniqueConstraint("order_id", "line_no"),
        CheckConstraint(
            "returned_quantity >= 0 AND returned_quantity <= quantity",
            name="returned_within_sold",
        ),
        CheckConstraint(
            "line_discount_minor >= 0 AND line_discount_minor <= discount_minor",
            name="line_discount_within",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[UUID] = mapped_column(ForeignKey("orders.id"))
    line_no: Mapped[int] = mapped_column(Integer)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    sku: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    unit_price_minor: Mapped[int] = mapped_column(BigInteger)
    quantity: Mapped[int] = mapped_column(Integer)
    tax_rate_bp: Mapped[int] = mapped_column(Integer)
    discount_minor: Mapped[int] = mapped_column(BigInteger)
    """Everything off the line: its own discount and its share of the coupon's."""
    total_minor: Mapped[int] = mapped_column(BigInteger)
    line_discount_minor: Mapped[int] = mapped_column(BigInteger, server_default="0")
    """The part of ``discount_minor`` that was the line's own discount."""
    line_discount_reason: Mapped[str | None] = mapped_column(String(80))
    returned_quantity: Mapped[int] = mapped_column(Integer, server_default="0")
    """Units brought back so far; claimed by a conditional UPDATE, never past ``quantity``."""
    sale_unit: Mapped[str] = mapped_column(String(8), server_default=SaleUnit.PIECE.value)
    """The unit it was sold in: ``quantity`` and ``returned_quantity`` are its smallest."""


class CouponRedemption(Base):
    """One use of a coupon by one order: held while paying, then confirmed or released."""

    __tablename__ = "coupon_redemptions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    coupon_id: Mapped[int] = mapped_column(ForeignKey("coupons.id"), index=True)
    order_id: Mapped[UUID] = mapped_column(ForeignKey("orders.id"), unique=True)
    state: Mapped[RedemptionState] = mapped_column(text_enum(RedemptionState, "redemption_state"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    over_limit: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    """An offline sale used the coupon past its usage limit: kept, not counted in
    ``times_used`` (which never passes the limit), and shown to the manager."""


class Receipt(Base):
    """The numbers a till has given out: one per paid sale, from 1, with no gaps."""

    __tablename__ = "receipts"

    till_id: Mapped[int] = mapped_column(ForeignKey("tills.id"), primary_key=True)
    number: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    order_id: Mapped[UUID] = mapped_column(ForeignKey("orders.id"), unique=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime())


class OutboxMessage(Base):
    """What must leave this till: paid sales to publish, fulfilment requests."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_sent_at_id", "sent_at", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    topic: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(64))
    payload: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    answer: Mapped[str | None] = mapped_column(String(16))
    """What the central store answered a sale sent home (``pos.domain.sync.Answer``)."""


class Oversell(Base):
    """Units a paid sale took that the shelf no longer had: for a manager to sort out."""

    __tablename__ = "oversells"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[UUID] = mapped_column(ForeignKey("orders.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    quantity: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolution_note: Mapped[str | None] = mapped_column(Text)


class AuditEntry(Base):
    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_entity", "entity", "entity_id"),
        Index("ix_audit_log_at", "at"),
        Index("ix_audit_log_user_id_at", "user_id", "at"),
        Index("ix_audit_log_action_at", "action", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    """Who did it: at the till, the cashier, even when a manager approved it."""
    approved_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    """The manager whose PIN approved a cashier's action at the till."""
    action: Mapped[str] = mapped_column(String(64))
    entity: Mapped[str] = mapped_column(String(64))
    entity_id: Mapped[str] = mapped_column(String(64))
    details: Mapped[str] = mapped_column(Text)


REPLICATED: tuple[type[Base], ...] = (Location, TillRow, User, Product, Inventory, Coupon)
"""The tables a till's replica copies, parents before children."""

for _model in REPLICATED:  # the order a pull reads each table in
    _columns = _model.__table__.c
    Index(f"ix_{_model.__tablename__}_change", _columns.change_xid, _columns.change_seq)


def table_of(model: type[Base]) -> Table:
    """The Core table behind a model, for the hot paths that skip the ORM."""
    table = model.__table__
    assert isinstance(table, Table)
    return table


import pos.store.models_journal  # noqa: E402, F401  (the journal's tables, kept in their own module)

# A till's day, its tenders, what went back and its offline sales live in modules of
# their own, imported here so the one metadata holds their tables too.
from pos.store.models_day import CashMovement as CashMovement  # noqa: E402
from pos.store.models_day import CashSession as CashSession  # noqa: E402
from pos.store.models_day import DrawerOpening as DrawerOpening  # noqa: E402
from pos.store.models_offline import OfflineSale as OfflineSale  # noqa: E402
from pos.store.models_offline import OfflineState as OfflineState  # noqa: E402
from pos.store.models_offline import ReplicaCursor as ReplicaCursor  # noqa: E402
from pos.store.models_offline import SyncConflict as SyncConflict  # noqa: E402
from pos.store.models_payments import Payment as Payment  # noqa: E402
from pos.store.models_payments import PaymentConflict as PaymentConflict  # noqa: E402
from pos.store.models_payments import PaymentEvent as PaymentEvent  # noqa: E402
from pos.store.models_returns import Refund as Refund  # noqa: E402
from pos.store.models_returns import ReturnLine as ReturnLine  # noqa: E402
from pos.store.models_returns import SaleReturn as SaleReturn  # noqa: E402
