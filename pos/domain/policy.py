"""The shop's policy: every limit and duration a shop can change, in one value.

Built once from the settings at start-up (``pos.settings``) and carried to every use
case by the unit of work, so a rule reads ``uow.policy.cart_hold`` and never a module
constant. The defaults below are the only defaults: a shop that sets nothing, and a
test that builds ``Policy()``, get these.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

VOID_APPROVAL_AMOUNT = 500
CASH_MOVEMENT_APPROVAL_AMOUNT = 1000
"""Cash paid into or out of the drawer over this (major units) needs a manager's PIN."""
"""Voiding a sale over this, in the till's currency's major unit, needs a manager's PIN
unless the settings say otherwise."""


@dataclass(frozen=True)
class Policy:
    cart_hold: timedelta = timedelta(minutes=15)
    """How long a cart line holds its units while the cart is idle; each change of the
    cart holds them again for this long (``[till] reservation_ttl_minutes``)."""
    checkout_hold: timedelta = timedelta(minutes=15)
    """How long a sale's goods stay held once Pay is pressed. The sweeper leaves carts in
    checkout alone in any case, so this only matters if a till dies mid-payment."""
    card_answer_window: timedelta = timedelta(minutes=5)
    """How long the till waits for the card terminal's answer before asking once more
    and then cancelling; older waiting payments need a manager's attention
    (``[terminal] payment_window_minutes``)."""
    void_approval_minor: int | None = VOID_APPROVAL_AMOUNT * 100  # kuruş: TRY by default
    """Voiding a sale whose total is over this needs a manager's PIN; 0: every void does;
    None: none does (``[till] void_approval_amount``)."""
    cash_movement_approval_minor: int | None = CASH_MOVEMENT_APPROVAL_AMOUNT * 100
    """Paying cash into or out of the drawer over this needs a manager's PIN; 0: every
    movement does; None: none does (``[till] cash_movement_approval_amount``)."""
