"""The rules of selling on the replica while the central store is away (DESIGN.md §5).

Pure rules over numbers the services read from the replica: whether the last known
stock covers a line, whether a coupon may be taken offline, which of the offline
policy's limits a sale passes. A limit passed asks for a manager's PIN; the services
go on when one is given.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from pos.domain.money import Money
from pos.domain.policy import OfflinePolicy
from pos.domain.results import Code


def stock_covers(last_known: int, unsent: int, in_cart: int) -> bool:
    """Whether the last stock the till heard of, less what it sold offline and has not yet
    sent, still covers the cart's line of ``in_cart`` units. Nothing is reserved offline:
    an uncovered line is still sold, with a warning, and the central store settles it."""
    return last_known - unsent - in_cart >= 0


def offline_coupon_problem(
    usage_limit: int | None, offline_uses: int, allowance: int
) -> Code | None:
    """Why a coupon the replica knows cannot be taken offline: one with a usage limit is
    counted across tills by the central store, so a till alone may take it only up to
    its offline allowance (``offline_uses``: its own unsent uses)."""
    if usage_limit is None:
        return None
    if offline_uses >= allowance:
        return Code.COUPON_OFFLINE_ALLOWANCE
    return None


@dataclass(frozen=True)
class LimitPassed:
    """A limit of the offline policy the sale would pass, with what to tell the cashier."""

    code: Code
    params: dict[str, object]


def limit_passed(
    policy: OfflinePolicy,
    *,
    total_minor: int,
    unsent_minor: int,
    currency: str,
    offline_since: datetime | None,
    now: datetime,
) -> LimitPassed | None:
    """The first limit an offline sale of ``total_minor`` passes, or None.

    ``unsent_minor`` is what the till's unsent offline sales add up to before this one;
    ``offline_since`` when the till lost the central store (None: not known, no limit).
    """
    longest = policy.max_offline
    if longest is not None and offline_since is not None and now - offline_since > longest:
        return LimitPassed(Code.OFFLINE_TOO_LONG, {"hours": _hours(longest)})
    if policy.max_sale_minor is not None and total_minor > policy.max_sale_minor:
        return LimitPassed(
            Code.OFFLINE_SALE_OVER_CAP, {"limit": Money(policy.max_sale_minor, currency)}
        )
    if policy.max_unsent_minor is not None and unsent_minor + total_minor > policy.max_unsent_minor:
        return LimitPassed(
            Code.OFFLINE_UNSENT_OVER_CAP, {"limit": Money(policy.max_unsent_minor, currency)}
        )
    return None


def _hours(duration: timedelta) -> int:
    return max(1, round(duration.total_seconds() / 3600))
