"""The shop's policy: every limit and duration a shop can change, in one value.

Built once from the settings at start-up (``pos.settings``) and carried to every use
case by the unit of work, so a rule reads ``uow.policy.cart_hold`` and never a module
constant. The defaults below are the only defaults: a shop that sets nothing, and a
test that builds ``Policy()``, get these.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from pos.domain.scale_barcodes import DEFAULT_LAYOUTS, ScaleLayout

VOID_APPROVAL_AMOUNT = 500
CASH_MOVEMENT_APPROVAL_AMOUNT = 1000
"""Cash paid into or out of the drawer over this (major units) needs a manager's PIN."""
"""Voiding a sale over this, in the till's currency's major unit, needs a manager's PIN
unless the settings say otherwise."""
PARKED_SALES = 5
"""Sales parked at one till at a time: enough for customers who ran back for milk, few
enough that a forgotten one is noticed."""
OFFLINE_SALE_AMOUNT = 5_000
"""One sale made while the central store cannot be reached may come to this, in the
till's currency's major unit, before a manager's PIN is needed (``[offline]``)."""
OFFLINE_UNSENT_AMOUNT = 50_000
"""The sales made offline and not yet sent home may add up to this before a manager's PIN
is needed for the next one."""


@dataclass(frozen=True)
class OfflinePolicy:
    """What a till may do while it sells on its replica (DESIGN.md §5), after Square's and
    Shopify's offline modes: a cap per sale, a cap on what is not yet sent, a time limit.

    Past a cap or the time limit a sale needs a manager's PIN; a limit of None: none.
    """

    card: bool = False
    """Whether a card may be taken offline (``[offline] card``): the terminal has its own
    network, but the shop carries the risk of a card it could not check."""
    max_sale_minor: int | None = OFFLINE_SALE_AMOUNT * 100
    """One offline sale over this needs a manager's PIN (``[offline] max_sale_amount``)."""
    max_unsent_minor: int | None = OFFLINE_UNSENT_AMOUNT * 100
    """A sale that takes the unsent total over this needs a manager's PIN
    (``[offline] max_unsent_amount``)."""
    max_offline: timedelta | None = timedelta(hours=24)
    """Selling after this long offline needs a manager's PIN (``[offline] max_hours``)."""
    coupon_allowance: int = 0
    """How many times a coupon with a usage limit may be used at this till while offline,
    where nobody can count its uses across tills (``[offline] coupon_allowance``)."""


@dataclass(frozen=True)
class ScalePolicy:
    """Weighed goods at this till (``[scale]``): the scale's capacity, the scale barcodes
    its shop prints, and how far a label's price may be from the shelf price."""

    max_weight: int = 30_000
    """The most one weighing may be, in grams (``max_weight_kg``); typed weights too."""
    layouts: tuple[ScaleLayout, ...] = DEFAULT_LAYOUTS
    """The scale barcodes the till reads (``layouts``: preset names or tables)."""
    price_tolerance_minor: int = 5
    """A price label may differ from the shelf price for its whole grams by this much
    (``price_tolerance_amount``); more is refused."""


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
    offline: OfflinePolicy = OfflinePolicy()
    """The rules of selling on the replica while the central store is away."""
    cash_movement_approval_minor: int | None = CASH_MOVEMENT_APPROVAL_AMOUNT * 100
    """Paying cash into or out of the drawer over this needs a manager's PIN; 0: every
    movement does; None: none does (``[till] cash_movement_approval_amount``)."""
    scale: ScalePolicy = ScalePolicy()
    """Weighed goods: the scale's capacity and the scale barcodes."""
    parked_limit: int = PARKED_SALES
    """How many sales may wait parked at one till (``[till] parked_sales_limit``)."""
