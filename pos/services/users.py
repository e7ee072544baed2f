"""The people at the till: cashiers and managers, each with a PIN."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from pos.domain.results import Changed, Code, Ok, Refused, Result
from pos.services._support import audit, is_id, use_case
from pos.store.models import Role, User
from pos.store.uow import UnitOfWork

_USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,63}")
_PIN = re.compile(r"[0-9]{4,8}")
# scrypt: memory-hard, in the standard library; a short PIN needs a slow hash.
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}


@dataclass(frozen=True)
class UserView:
    id: int
    username: str
    display_name: str
    role: Role
    active: bool


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
    name = username.strip().lower() if isinstance(username, str) else ""
    if not _USERNAME.fullmatch(name):
        raise Refused(Code.INVALID_USERNAME)
    shown = " ".join(display_name.split()) if isinstance(display_name, str) else ""
    if not 1 <= len(shown) <= 200:
        raise Refused(Code.INVALID_USERNAME)
    if not isinstance(pin, str) or not _PIN.fullmatch(pin):
        raise Refused(Code.INVALID_PIN)
    with uow:
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
        view = _view(user)
        uow.commit()
    return Ok(view, Changed.USERS)


def acting_user(session: Session, user_id: object, *, role: Role | None = None) -> User:
    """The active user doing something, refused if unknown or lacking ``role``."""
    user = session.get(User, user_id) if is_id(user_id) else None
    if user is None or not user.active:
        raise Refused(Code.USER_NOT_FOUND)
    if role is not None and user.role != role:
        raise Refused(Code.NOT_PERMITTED)
    return user


def _view(user: User) -> UserView:
    return UserView(user.id, user.username, user.display_name, user.role, user.active)
