"""The people at the till: cashiers and managers, each with a PIN.

Usernames, names and PINs are typed ``object`` and checked at run time: they come as
typed.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NoReturn

from sqlalchemy import ColumnElement, Row, case, literal, or_, select, update
from sqlalchemy.orm import Session

from pos.domain.results import Changed, Code, Err, Ok, Refused, Result
from pos.domain.text import clean_line, readable, trimmed
from pos.domain.users import UserView as UserView
from pos.domain.users import sign_in_order
from pos.services._support import audit, is_id, use_case
from pos.store.models import Role, User
from pos.store.tables import users
from pos.store.uow import UnitOfWork

_USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,63}")
_PIN = re.compile(r"[0-9]{4,8}")
# scrypt: memory-hard, in the standard library; a short PIN needs a slow hash.
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}

MAX_PIN_ATTEMPTS = 5
"""Wrong PINs in a row that lock the user out for ``LOCKOUT``."""
LOCKOUT = timedelta(minutes=5)
MAX_DISPLAY_NAME_LENGTH = 200
USERS_LIMIT = 500
"""Users a list shows at once: a shop's staff fits on one page."""


@dataclass(frozen=True)
class UserRecord:
    """A user as the manager's list shows them."""

    id: int
    username: str
    display_name: str
    role: Role
    active: bool
    failed_pin_attempts: int
    locked_until: datetime | None
    """Set while the user is locked out; None once the lock has run out."""
    created_at: datetime


def hash_pin(pin: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(pin.encode(), salt=salt, **_SCRYPT)
    return f"scrypt${salt.hex()}${digest.hex()}"


def pin_matches(pin: str, stored: str) -> bool:
    scheme, salt, digest = stored.split("$")
    if scheme != "scrypt":
        return False
    candidate = hashlib.scrypt(pin.encode(), salt=bytes.fromhex(salt), **_SCRYPT)
    return hmac.compare_digest(candidate.hex(), digest)


@use_case
def create_user(
    uow: UnitOfWork,
    username: object,
    display_name: object,
    role: Role,
    pin: object,
    *,
    by_user_id: int | None = None,
) -> Result[UserView]:
    """A new cashier or manager. ``by_user_id`` is the manager creating them; it is left
    out only when a store gets its first user (the demo, the set-up command)."""
    name = (trimmed(username) or "").lower()
    if not _USERNAME.fullmatch(name):
        raise Refused(Code.INVALID_USERNAME)
    shown = clean_line(display_name, MAX_DISPLAY_NAME_LENGTH)
    if shown is None:
        raise Refused(Code.INVALID_USERNAME)
    if not isinstance(pin, str) or not _PIN.fullmatch(pin):
        raise Refused(Code.INVALID_PIN)
    if role not in tuple(Role):
        raise Refused(Code.INVALID_ROLE)
    with uow:
        if by_user_id is not None:
            acting_user(uow.session, by_user_id, role=Role.MANAGER)
        taken = uow.session.execute(select(User.id).where(User.username == name)).first()
        if taken is not None:
            raise Refused(Code.DUPLICATE_USERNAME, username=name)
        user = User(
            username=name,
            display_name=shown,
            role=Role(role),
            pin_hash=hash_pin(pin),
            active=True,
            created_at=uow.now(),
        )
        uow.session.add(user)
        uow.session.flush()
        audit(
            uow.session,
            at=uow.now(),
            user_id=by_user_id,
            action="user.create",
            entity="user",
            entity_id=user.id,
            username=name,
            role=user.role.value,
        )
        view = user_view(user)
        uow.commit()
    return Ok(view, Changed.USERS)


@use_case
def list_users(uow: UnitOfWork) -> Result[tuple[UserView, ...]]:
    """The active users for the login picker, by display name."""
    with uow.reading():
        found = uow.session.execute(select(User).where(User.active.is_(True))).scalars().all()
        views = sign_in_order(user_view(user) for user in found)
    return Ok(views)


@use_case
def sign_in(uow: UnitOfWork, user_id: int, pin: object) -> Result[UserView]:
    """The user at the till, if the PIN is theirs.

    A wrong PIN is counted and committed (the answer is still an ``Err``); the
    ``MAX_PIN_ATTEMPTS``-th in a row locks the user for ``LOCKOUT``, and while locked
    no PIN is even checked. A right PIN clears the count.
    """
    return check_pin(uow, user_id, pin)


def check_pin(
    uow: UnitOfWork, user_id: int, pin: object, /, *, role: Role | None = None, **audited: object
) -> Result[UserView]:
    """``sign_in``'s PIN check, for any use that asks for a PIN (a manager's approval).

    The same count of wrong PINs and the same lockout apply, so a PIN cannot be
    guessed at the approval dialog any faster than at the login. A right PIN of a user
    without ``role`` is refused with ``NOT_PERMITTED`` and not counted as wrong.
    ``audited`` overrides the audit row of a right PIN (``action``, ``user_id``,
    ``approved_by`` and details).
    """
    # Control characters are no guess at a PIN (no keypad types them): refused without
    # counting, so hostile input changes nothing.
    if isinstance(pin, str) and not readable(pin):
        raise Refused(Code.INVALID_PIN)
    with uow:
        now = uow.now()
        user = _user_row(uow, user_id)
        if not user.active:
            raise Refused(Code.USER_INACTIVE)
        _refuse_if_locked(user.locked_until, now)
        # A malformed PIN is a wrong PIN: refusing it uncounted would give guesses for free.
        if isinstance(pin, str) and _PIN.fullmatch(pin) and pin_matches(pin, user.pin_hash):
            if role is not None and user.role != role:
                raise Refused(Code.NOT_PERMITTED)
            return _signed_in(uow, user, now, audited)
        return _wrong_pin(uow, user, now)


@use_case
def unlock_user(uow: UnitOfWork, user_id: int, *, manager_id: int) -> Result[UserView]:
    """A manager lifts a user's lockout and clears the count of wrong PINs."""
    with uow:
        manager = acting_user(uow.session, manager_id, role=Role.MANAGER)
        user = uow.session.get(User, user_id) if is_id(user_id) else None
        if user is None:
            raise Refused(Code.USER_NOT_FOUND)
        audit(
            uow.session,
            at=uow.now(),
            user_id=manager.id,
            action="user.unlock",
            entity="user",
            entity_id=user.id,
            failed_pin_attempts=user.failed_pin_attempts,
            locked_until=user.locked_until,
        )
        user.failed_pin_attempts = 0
        user.locked_until = None
        view = user_view(user)
        uow.commit()
    return Ok(view, Changed.USERS)


@use_case
def list_all_users(
    uow: UnitOfWork, *, manager_id: int, after: str | None = None, limit: int = USERS_LIMIT
) -> Result[tuple[UserRecord, ...]]:
    """Every user, inactive ones too, by username, for the manager's list.

    ``after`` is the last username of the previous page. Usernames are plain ASCII,
    so both dialects order them alike.
    """
    if not (after is None or (isinstance(after, str) and len(after) <= 64 and readable(after))):
        raise Refused(Code.INVALID_FILTER)
    if not isinstance(limit, int) or isinstance(limit, bool) or not 0 < limit <= USERS_LIMIT:
        raise Refused(Code.INVALID_FILTER)
    wanted = select(User).order_by(User.username).limit(limit)
    if after is not None:
        wanted = wanted.where(User.username > after)
    with uow.reading():
        acting_user(uow.session, manager_id, role=Role.MANAGER)
        now = uow.now()
        found = tuple(_record(user, now) for user in uow.session.execute(wanted).scalars())
    return Ok(found)


@use_case
def reset_pin(
    uow: UnitOfWork, user_id: int, new_pin: object, *, manager_id: int
) -> Result[UserRecord]:
    """A manager gives a user a new PIN; it also lifts a lockout and clears the count of
    wrong PINs. The audit row says that it happened, never what the PIN is."""
    if not isinstance(new_pin, str) or not _PIN.fullmatch(new_pin):
        raise Refused(Code.INVALID_PIN)
    with uow:
        now = uow.now()
        manager = acting_user(uow.session, manager_id, role=Role.MANAGER)
        user = _user_or_refuse(uow.session, user_id)
        audit(
            uow.session,
            at=now,
            user_id=manager.id,
            action="user.reset_pin",
            entity="user",
            entity_id=user.id,
            username=user.username,
            before={
                "failed_pin_attempts": user.failed_pin_attempts,
                "locked_until": user.locked_until,
            },
            after={"failed_pin_attempts": 0, "locked_until": None},
        )
        user.pin_hash = hash_pin(new_pin)
        user.failed_pin_attempts = 0
        user.locked_until = None
        record = _record(user, now)
        uow.commit()
    return Ok(record, Changed.USERS)


@use_case
def set_user_active(
    uow: UnitOfWork, user_id: int, active: bool, *, manager_id: int
) -> Result[UserRecord]:
    """Deactivate a user (they can no longer sign in) or bring them back.

    The shop always keeps an active manager: the last one is refused with
    ``LAST_MANAGER``, and a manager cannot deactivate themselves (``CANNOT_CHANGE_SELF``).
    """
    if not isinstance(active, bool):
        raise Refused(Code.INVALID_FILTER)
    with uow:
        now = uow.now()
        # The active managers are locked before anything is read, so two managers
        # deactivating each other at once take turns and the second finds itself gone.
        managers = set(
            uow.connection.execute(
                select(users.c.id)
                .where(users.c.role == Role.MANAGER, users.c.active.is_(True))
                .order_by(users.c.id)
                .with_for_update()
            ).scalars()
        )
        manager = acting_user(uow.session, manager_id, role=Role.MANAGER)
        user = _user_or_refuse(uow.session, user_id)
        if user.active is active:
            return Ok(_record(user, now))
        if not active and user.role is Role.MANAGER and managers <= {user.id}:
            raise Refused(Code.LAST_MANAGER)
        if not active and user.id == manager.id:
            raise Refused(Code.CANNOT_CHANGE_SELF)
        audit(
            uow.session,
            at=now,
            user_id=manager.id,
            action="user.reactivate" if active else "user.deactivate",
            entity="user",
            entity_id=user.id,
            username=user.username,
            before={"active": not active},
            after={"active": active},
        )
        user.active = active
        record = _record(user, now)
        uow.commit()
    return Ok(record, Changed.USERS)


def acting_user(session: Session, user_id: int, *, role: Role | None = None) -> User:
    """The active user doing something, refused if unknown or lacking ``role``."""
    user = session.get(User, user_id) if is_id(user_id) else None
    if user is None or not user.active:
        raise Refused(Code.USER_NOT_FOUND)
    if role is not None and user.role != role:
        raise Refused(Code.NOT_PERMITTED)
    return user


def user_view(user: User) -> UserView:
    return UserView(user.id, user.username, user.display_name, user.role, user.active)


def _user_or_refuse(session: Session, user_id: int) -> User:
    user = session.get(User, user_id) if is_id(user_id) else None
    if user is None:
        raise Refused(Code.USER_NOT_FOUND)
    return user


def _record(user: User, now: datetime) -> UserRecord:
    locked = user.locked_until is not None and user.locked_until > now
    return UserRecord(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=user.role,
        active=user.active,
        failed_pin_attempts=user.failed_pin_attempts,
        locked_until=user.locked_until if locked else None,
        created_at=user.created_at,
    )


def _user_row(uow: UnitOfWork, user_id: int) -> Row[Any]:
    if not is_id(user_id):
        raise Refused(Code.USER_NOT_FOUND)
    row: Row[Any] | None = uow.connection.execute(
        select(users).where(users.c.id == user_id)
    ).first()
    if row is None:
        raise Refused(Code.USER_NOT_FOUND)
    return row


def _refuse_if_locked(locked_until: datetime | None, now: datetime) -> None:
    if locked_until is not None and locked_until > now:
        left = math.ceil((locked_until - now).total_seconds() / 60)
        raise Refused(Code.USER_LOCKED, minutes=max(1, left))


def _not_locked(now: datetime) -> ColumnElement[bool]:
    return or_(users.c.locked_until.is_(None), users.c.locked_until <= now)


def _signed_in(
    uow: UnitOfWork, user: Row[Any], now: datetime, audited: dict[str, object]
) -> Result[UserView]:
    # Conditional: another till may have locked the user since the row was read.
    cleared = uow.connection.execute(
        update(users)
        .where(users.c.id == user.id, _not_locked(now))
        .values(failed_pin_attempts=0, locked_until=None)
        .returning(users.c.id)
    ).first()
    if cleared is None:
        _locked_meanwhile(uow, user.id, now)
    row: dict[str, Any] = {
        "user_id": user.id,
        "action": "user.sign_in",
        "entity": "user",
        "entity_id": user.id,
        **audited,
    }
    audit(uow.session, at=now, **row)
    uow.commit()
    return Ok(UserView(user.id, user.username, user.display_name, user.role, user.active))


def _wrong_pin(uow: UnitOfWork, user: Row[Any], now: datetime) -> Result[UserView]:
    # One UPDATE counts the attempt and locks on the last one, so tills racing with
    # wrong PINs each count once and none counts past the lock. A lock that has run
    # out starts a fresh count.
    lapsed = users.c.locked_until.is_not(None)
    failed = case((lapsed, 1), else_=users.c.failed_pin_attempts + 1)
    locked_until = now + LOCKOUT
    counted = uow.connection.execute(
        update(users)
        .where(users.c.id == user.id, _not_locked(now))
        .values(
            failed_pin_attempts=failed,
            locked_until=case(
                (failed >= MAX_PIN_ATTEMPTS, literal(locked_until, users.c.locked_until.type)),
                else_=None,
            ),
        )
        .returning(users.c.failed_pin_attempts)
    ).scalar_one_or_none()
    if counted is None:
        _locked_meanwhile(uow, user.id, now)
    if counted < MAX_PIN_ATTEMPTS:
        uow.commit()
        return Err(Code.WRONG_PIN, {"remaining": MAX_PIN_ATTEMPTS - counted}, changed=Changed.USERS)
    audit(
        uow.session,
        at=now,
        user_id=user.id,
        action="user.locked",
        entity="user",
        entity_id=user.id,
        failed_pin_attempts=counted,
        locked_until=locked_until,
    )
    uow.commit()
    minutes = math.ceil(LOCKOUT.total_seconds() / 60)
    return Err(Code.USER_LOCKED, {"minutes": minutes}, changed=Changed.USERS)


def _locked_meanwhile(uow: UnitOfWork, user_id: int, now: datetime) -> NoReturn:
    """Another till locked the user between our read and our conditional UPDATE."""
    locked_until = uow.connection.execute(
        select(users.c.locked_until).where(users.c.id == user_id)
    ).scalar_one_or_none()
    _refuse_if_locked(locked_until, now)
    raise Refused(Code.USER_LOCKED, minutes=1)  # pragma: no cover - the UPDATE saw a lock
