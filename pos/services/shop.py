"""The store's own settings: how shelf prices are read, the receipt's header, and the
shop's time zone (its days, its receipts' times, every clock a screen shows)."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, literal, select, update

from pos.domain import clock
from pos.domain.discounts import MAX_REASONS, read_limit, read_reason
from pos.domain.pricing import BASIS_POINTS
from pos.domain.results import Changed, Code, Ok, Refused, Result
from pos.domain.text import clean_text
from pos.services._support import audit, is_id, use_case
from pos.services.users import acting_user
from pos.store.models import DEFAULT_LOCATION_ID, Role
from pos.store.tables import locations
from pos.store.uow import UnitOfWork

MAX_HEADER_LINES = 8
MAX_HEADER_LINE_LENGTH = 48
MAX_NAME_LENGTH = 80
"""A shop's name: what the back office and the tills call it (the receipt prints its header)."""


@dataclass(frozen=True)
class ShopSettings:
    location_id: int
    name: str
    prices_include_tax: bool
    """True: shelf prices include tax (KDV dahil). False: tax is added at the till."""
    receipt_header: str
    time_zone: str
    """The IANA zone the shop keeps its clocks in (``Europe/Istanbul``)."""
    discount_limit_cashier_bp: int = 1000
    """The most a cashier takes off one line without a manager's PIN (basis points)."""
    discount_limit_manager_bp: int = BASIS_POINTS
    """The same for a manager; over it, another manager's PIN."""
    discount_reasons: tuple[str, ...] = ()
    """The reasons the till offers for a line discount; the cashier may type another."""

    def discount_limit_bp(self, role: Role) -> int:
        """The most ``role`` may take off one line without a manager's PIN."""
        if role is Role.MANAGER:
            return self.discount_limit_manager_bp
        return self.discount_limit_cashier_bp

    @property
    def zone(self) -> ZoneInfo:
        return clock.shop_zone(self.time_zone)


@use_case
def shop_settings(uow: UnitOfWork, location_id: int = DEFAULT_LOCATION_ID) -> Result[ShopSettings]:
    with uow.reading():
        return Ok(read_settings(uow, location_id))


@use_case
def update_shop_settings(
    uow: UnitOfWork,
    *,
    user_id: int,
    location_id: int = DEFAULT_LOCATION_ID,
    name: object = None,
    prices_include_tax: bool | None = None,
    receipt_header: str | None = None,
    time_zone: str | None = None,
    discount_limit_cashier_bp: object = None,
    discount_limit_manager_bp: object = None,
    discount_reasons: object = None,
) -> Result[ShopSettings]:
    """Change the store's settings (managers only). Sales already begun keep their tax mode.

    A discount limit is basis points of a line (0..10000: 0 asks a manager for every
    discount); the reasons are a sequence of short printable lines; the name is one line
    of 1 to ``MAX_NAME_LENGTH`` printable characters."""
    changes: dict[str, object] = {}
    if name is not None:
        cleaned = clean_text(name, MAX_NAME_LENGTH, min_length=1)
        if cleaned is None:
            raise Refused(Code.INVALID_SETTING, setting="name")
        changes["name"] = cleaned
    for setting, limit in (
        ("discount_limit_cashier_bp", discount_limit_cashier_bp),
        ("discount_limit_manager_bp", discount_limit_manager_bp),
    ):
        if limit is not None:
            if read_limit(limit) is None:
                raise Refused(Code.INVALID_DISCOUNT_LIMIT)
            changes[setting] = limit
    if discount_reasons is not None:
        changes["discount_reasons"] = _clean_reasons(discount_reasons)
    if prices_include_tax is not None:
        if not isinstance(prices_include_tax, bool):
            raise Refused(Code.INVALID_SETTING, setting="prices_include_tax")
        changes["prices_include_tax"] = prices_include_tax
    if receipt_header is not None:
        changes["receipt_header"] = _clean_header(receipt_header)
    if time_zone is not None:
        if clock.time_zone(time_zone) is None:
            raise Refused(Code.UNKNOWN_TIME_ZONE)
        changes["time_zone"] = time_zone
    with uow:
        user = acting_user(uow.session, user_id, role=Role.MANAGER)
        before = read_settings(uow, location_id)
        if changes:
            uow.connection.execute(
                update(locations).where(locations.c.id == before.location_id).values(**changes)
            )
        audit(
            uow.session,
            at=uow.now(),
            user_id=user.id,
            action="shop.settings_changed",
            entity="location",
            entity_id=before.location_id,
            before={k: getattr(before, k) for k in changes},
            after=changes,
        )
        after = read_settings(uow, location_id)
        uow.commit()
    return Ok(after, Changed.CATALOGUE)


def read_settings(uow: UnitOfWork, location_id: int) -> ShopSettings:
    row = (
        uow.connection.execute(
            select(
                locations.c.id,
                locations.c.name,
                locations.c.prices_include_tax,
                locations.c.receipt_header,
                locations.c.time_zone,
                locations.c.discount_limit_cashier_bp,
                locations.c.discount_limit_manager_bp,
                locations.c.discount_reasons,
            ).where(locations.c.id == location_id)
        ).first()
        if is_id(location_id)
        else None
    )
    if row is None:
        raise Refused(Code.LOCATION_NOT_FOUND)
    reasons = tuple(line for line in row.discount_reasons.split("\n") if line)
    return ShopSettings(*row[:-1], discount_reasons=reasons)


def _clean_reasons(reasons: object) -> str:
    """The shop's list of discount reasons, one a line, each one a receipt can print."""
    if isinstance(reasons, str) or not isinstance(reasons, list | tuple):
        raise Refused(Code.INVALID_SETTING, setting="discount_reasons")
    kept = [read_reason(reason) for reason in reasons]
    if len(kept) > MAX_REASONS or any(isinstance(reason, Code) for reason in kept):
        raise Refused(Code.INVALID_SETTING, setting="discount_reasons")
    return "\n".join(str(reason) for reason in dict.fromkeys(kept))


def zone_of_shop(connection: Connection, location_id: int = DEFAULT_LOCATION_ID) -> ZoneInfo:
    """The shop's zone, read in the caller's transaction: where its days begin and end."""
    name = connection.execute(
        select(locations.c.time_zone).where(locations.c.id == location_id)
    ).scalar()
    if name is None:
        raise Refused(Code.LOCATION_NOT_FOUND)
    return clock.shop_zone(name)


def _clean_header(text: object) -> str:
    header = clean_text(text, MAX_HEADER_LINES * (MAX_HEADER_LINE_LENGTH + 1), keep_breaks=True)
    lines = header.split("\n") if header else []
    if (
        header is None
        or len(lines) > MAX_HEADER_LINES
        or any(len(line) > MAX_HEADER_LINE_LENGTH for line in lines)
    ):
        raise Refused(Code.INVALID_SETTING, setting="receipt_header")
    return header


@use_case
def check_store(uow: UnitOfWork) -> Result[bool]:
    """Whether the store answers: one round trip, nothing read (the till's status bar).

    An unreachable store answers ``STORE_UNREACHABLE``, as every use case does.
    """
    with uow.reading():
        uow.connection.execute(select(literal(1)))
    return Ok(True)
