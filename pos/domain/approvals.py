"""Which actions at the till need a manager's PIN."""

from __future__ import annotations


def void_needs_approval(total_minor: int, limit_minor: int | None, *, by_manager: bool) -> bool:
    """Whether voiding a sale of ``total_minor`` needs a manager's PIN at the till.

    Over the till's limit it does (a limit of 0: always), unless the one voiding is a
    manager; no limit (None) means no approval, as for the store's own tools.
    """
    if limit_minor is None or by_manager:
        return False
    return limit_minor == 0 or total_minor > limit_minor


def price_override_needs_reason(price_minor: int) -> bool:
    """Whether a manager's price for a line needs a reason written in the audit log.

    Giving the item away (a price of 0) does: a free item is stock leaving the shop
    unpaid, and the books must say why. Any other price is a price, and needs none.
    """
    return price_minor == 0


def cash_movement_needs_approval(
    amount_minor: int, limit_minor: int | None, *, by_manager: bool
) -> bool:
    """Whether paying ``amount_minor`` into or out of the drawer needs a manager's PIN:
    the same rule as a void, over the shop's own limit for cash movements."""
    return void_needs_approval(amount_minor, limit_minor, by_manager=by_manager)
