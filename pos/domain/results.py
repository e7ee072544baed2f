"""Typed results of the use cases.

Every service returns one of ``Ok``, ``Warn`` or ``Err``. The UI turns the code and
parameters into text in the cashier's language (see ``pos.domain.messages``); nothing
below the UI builds a sentence.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T", covariant=True)


class Code(enum.StrEnum):
    """Every message a result can carry. The texts live in ``pos.domain.messages``."""

    INVALID_QUANTITY = "invalid_quantity"
    QUANTITY_NOT_WHOLE = "quantity_not_whole"
    QUANTITY_OUT_OF_RANGE = "quantity_out_of_range"
    PRODUCT_UNAVAILABLE = "product_unavailable"
    INSUFFICIENT_STOCK = "insufficient_stock"
    ADDED_UNVERIFIED = "added_unverified"
    CART_NOT_FOUND = "cart_not_found"
    CART_NOT_OPEN = "cart_not_open"
    LINE_NOT_FOUND = "line_not_found"
    CURRENCY_MISMATCH = "currency_mismatch"
    INVALID_SKU = "invalid_sku"
    INVALID_BARCODE = "invalid_barcode"
    INVALID_NAME = "invalid_name"
    INVALID_PRICE = "invalid_price"
    INVALID_TAX_RATE = "invalid_tax_rate"
    TAX_RATE_NOT_USED = "tax_rate_not_used"
    INVALID_CURRENCY = "invalid_currency"
    DUPLICATE_SKU = "duplicate_sku"
    DUPLICATE_BARCODE = "duplicate_barcode"
    INVALID_REASON = "invalid_reason"
    USER_NOT_FOUND = "user_not_found"
    NOT_PERMITTED = "not_permitted"
    ADJUSTMENT_BELOW_ZERO = "adjustment_below_zero"
    IMPORT_REJECTED = "import_rejected"
    IMPORT_BAD_ROW = "import_bad_row"
    IMPORT_BAD_HEADER = "import_bad_header"
    IMPORT_EXTRA_CELLS = "import_extra_cells"
    INVALID_USERNAME = "invalid_username"
    INVALID_PIN = "invalid_pin"
    DUPLICATE_USERNAME = "duplicate_username"
    COUPON_INVALID = "coupon_invalid"
    COUPON_BELOW_MINIMUM = "coupon_below_minimum"
    COUPON_LIMIT_REACHED = "coupon_limit_reached"
    COUPON_CODE_MALFORMED = "coupon_code_malformed"
    INVALID_COUPON_VALUE = "invalid_coupon_value"
    INVALID_COUPON_DATES = "invalid_coupon_dates"
    DUPLICATE_COUPON = "duplicate_coupon"
    CART_EMPTY = "cart_empty"
    PRICE_CHANGED = "price_changed"
    OUT_OF_STOCK_AT_CHECKOUT = "out_of_stock_at_checkout"
    INVALID_IDEMPOTENCY_KEY = "invalid_idempotency_key"
    IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused"
    INVALID_AMOUNT = "invalid_amount"
    CASH_SHORT = "cash_short"
    TENDER_ABOVE_DUE = "tender_above_due"
    CHANGE_ONLY_ON_LAST = "change_only_on_last"
    SALE_ALREADY_COVERED = "sale_already_covered"
    SALE_NOT_OPEN = "sale_not_open"
    SALE_BEING_VOIDED = "sale_being_voided"
    SALE_PART_PAID = "sale_part_paid"
    REFUND_TOO_LARGE = "refund_too_large"
    REFUND_NOT_FOUND = "refund_not_found"
    REFUND_PENDING = "refund_pending"
    REFUND_FAILED = "refund_failed"
    REFUNDS_UNDER_WAY = "refunds_under_way"
    RETURN_TOO_MANY = "return_too_many"
    RETURN_TOO_MUCH = "return_too_much"
    RETURN_LINE_NOT_IN_SALE = "return_line_not_in_sale"
    RETURN_OF_RETURN = "return_of_return"
    RETURN_NOTHING = "return_nothing"
    INVALID_RETURN_REASON = "invalid_return_reason"
    REFUND_IN_FLIGHT = "refund_in_flight"
    RETURN_NOT_FOUND = "return_not_found"
    INVALID_TENDER = "invalid_tender"
    INVALID_DETAILS = "invalid_details"
    TILL_NOT_FOUND = "till_not_found"
    LOCATION_NOT_FOUND = "location_not_found"
    INVALID_SETTING = "invalid_setting"
    UNKNOWN_TIME_ZONE = "unknown_time_zone"
    BACKUP_DISK_FULL = "backup_disk_full"
    BACKUP_PLACE_UNWRITABLE = "backup_place_unwritable"
    BACKUP_PLACE_MISSING = "backup_place_missing"
    BACKUP_FAILED = "backup_failed"
    BACKUP_CHECK_FAILED = "backup_check_failed"
    BACKUP_NOT_FOUND = "backup_not_found"
    BACKUP_DAMAGED = "backup_damaged"
    BACKUP_UNKNOWN_SCHEMA = "backup_unknown_schema"
    BACKUP_BOOKS_WRONG = "backup_books_wrong"
    BACKUP_OLDER_THAN_STORE = "backup_older_than_store"
    BACKUP_TOOL_MISSING = "backup_tool_missing"
    BACKUP_TOOL_FAILED = "backup_tool_failed"
    RESTORE_NOT_LOCAL = "restore_not_local"
    BACKUP_PLACE_FAILED = "backup_place_failed"
    STORE_IN_USE = "store_in_use"
    ORDER_NOT_FOUND = "order_not_found"
    ORDER_NOT_PAID = "order_not_paid"
    PAYMENT_NOT_FOUND = "payment_not_found"
    INVALID_PROVIDER_ID = "invalid_provider_id"
    PAYMENT_TRANSITION_FORBIDDEN = "payment_transition_forbidden"
    PAYMENT_IN_PROGRESS = "payment_in_progress"
    PAYMENT_FAILED = "payment_failed"
    PAYMENT_COMPLETED = "payment_completed"
    PAYMENT_NOT_CARD = "payment_not_card"
    TERMINAL_BUSY = "terminal_busy"
    TERMINAL_UNREACHABLE = "terminal_unreachable"
    TERMINAL_REFUSED = "terminal_refused"
    PAYMENT_STATE_UNKNOWN = "payment_state_unknown"
    PAYMENT_PENDING = "payment_pending"
    PAYMENT_UNDER_REVIEW = "payment_under_review"
    INVALID_OUTCOME = "invalid_outcome"
    INVALID_NOTE = "invalid_note"
    WRONG_PIN = "wrong_pin"
    USER_LOCKED = "user_locked"
    USER_INACTIVE = "user_inactive"
    BARCODE_NOT_FOUND = "barcode_not_found"
    MANAGER_ONLY = "manager_only"
    APPROVAL_REQUIRED = "approval_required"
    CANNOT_CHANGE_SELF = "cannot_change_self"
    LAST_MANAGER = "last_manager"
    INVALID_MINIMUM = "invalid_minimum"
    INVALID_DATE_RANGE = "invalid_date_range"
    INVALID_FILTER = "invalid_filter"
    DELIVERY_EMPTY = "delivery_empty"
    DELIVERY_BAD_LINE = "delivery_bad_line"
    RESERVATION_NOT_FOUND = "reservation_not_found"
    RESERVATION_NOT_EXPIRED = "reservation_not_expired"
    OVERSELL_NOT_FOUND = "oversell_not_found"
    OVERSELL_RESOLVED = "oversell_resolved"
    COUPON_NOT_FOUND = "coupon_not_found"
    COUPON_IN_USE = "coupon_in_use"
    IMPORT_BAD_ENCODING = "import_bad_encoding"
    IMPORT_LINE_TOO_LONG = "import_line_too_long"
    IMPORT_TOO_LARGE = "import_too_large"
    IMPORT_CANCELLED = "import_cancelled"
    EVENT_NOT_FOUND = "event_not_found"
    PAYMENT_NEEDS_NO_ATTENTION = "payment_needs_no_attention"
    CONFLICT_NOT_FOUND = "conflict_not_found"
    CONFLICT_ALREADY_HANDLED = "conflict_already_handled"
    TERMINAL_NEVER_HAD_PAYMENT = "terminal_never_had_payment"
    COUPON_TERMS_IN_USE = "coupon_terms_in_use"
    COUPON_LIMIT_BELOW_USES = "coupon_limit_below_uses"
    INVALID_ROLE = "invalid_role"
    DELIVERY_REJECTED = "delivery_rejected"
    DELIVERY_TOO_LARGE = "delivery_too_large"
    INVALID_STOCK_NOTE = "invalid_stock_note"
    IMPORT_UNREADABLE = "import_unreadable"
    INVALID_ACTIVE_FLAG = "invalid_active_flag"
    BARCODE_UNREADABLE = "barcode_unreadable"
    STORE_BUSY = "store_busy"
    STORE_UNREACHABLE = "store_unreachable"
    FREE_ITEM_NEEDS_REASON = "free_item_needs_reason"
    DRAWER_NEEDS_REASON = "drawer_needs_reason"
    OFFLINE_SALE_OVER_CAP = "offline_sale_over_cap"
    OFFLINE_UNSENT_OVER_CAP = "offline_unsent_over_cap"
    OFFLINE_TOO_LONG = "offline_too_long"
    COUPON_OFFLINE_ALLOWANCE = "coupon_offline_allowance"
    CARD_NOT_OFFLINE = "card_not_offline"
    NEEDS_CENTRAL_STORE = "needs_central_store"
    LINES_NOT_CARRIED = "lines_not_carried"
    OFFLINE_SALES_UNSENT = "offline_sales_unsent"
    JOURNAL_HOLDS = "journal_holds"
    JOURNAL_CHANGED = "journal_changed"
    JOURNAL_REMOVED = "journal_removed"
    JOURNAL_INSERTED = "journal_inserted"
    JOURNAL_REORDERED = "journal_reordered"
    JOURNAL_FORGED = "journal_forged"
    JOURNAL_Z_EDITED = "journal_z_edited"
    JOURNAL_KEY = "journal_key"
    # The till's replica and the central store's schema (pos.store.replica, pos.sync.replica)
    REPLICA_MISSING = "replica_missing"
    REPLICA_LOCKED = "replica_locked"
    REPLICA_CORRUPT = "replica_corrupt"
    REPLICA_OLD_SCHEMA = "replica_old_schema"
    REPLICA_HAS_UNSENT = "replica_has_unsent"
    REPLICA_NEEDS_CENTRAL = "replica_needs_central"
    STORE_SCHEMA_TOO_NEW = "store_schema_too_new"
    STORE_SCHEMA_TOO_OLD = "store_schema_too_old"
    STORE_NEEDS_EXTENSION = "store_needs_extension"
    NO_CASH_SESSION = "no_cash_session"
    CASH_SESSION_OPEN = "cash_session_open"
    CASH_SESSION_CLOSED = "cash_session_closed"
    CASH_SESSION_NOT_FOUND = "cash_session_not_found"
    INVALID_FLOAT = "invalid_float"
    INVALID_COUNT = "invalid_count"
    CASH_MOVEMENT_NEEDS_REASON = "cash_movement_needs_reason"
    PAY_OUT_ABOVE_DRAWER = "pay_out_above_drawer"
    SALE_OPEN_AT_CLOSE = "sale_open_at_close"
    SYNC_CONFLICT_NOT_FOUND = "sync_conflict_not_found"
    SYNC_CONFLICT_CLOSED = "sync_conflict_closed"
    SYNC_CONFLICT_UNREADABLE = "sync_conflict_unreadable"
    SALE_VERSION_UNKNOWN = "sale_version_unknown"
    SALE_UNREADABLE = "sale_unreadable"
    SALE_PRODUCT_UNKNOWN = "sale_product_unknown"
    SALE_COUPON_UNKNOWN = "sale_coupon_unknown"
    SALE_DUPLICATE = "sale_duplicate"
    SALE_FAULT = "sale_fault"
    SYNC_PROGRESS = "sync_progress"
    SYNC_INTERRUPTED = "sync_interrupted"
    WEIGHT_REQUIRED = "weight_required"
    WEIGHT_NOT_A_NUMBER = "weight_not_a_number"
    WEIGHT_NOT_POSITIVE = "weight_not_positive"
    WEIGHT_TOO_PRECISE = "weight_too_precise"
    WEIGHT_AMBIGUOUS = "weight_ambiguous"
    WEIGHT_OVER_MAXIMUM = "weight_over_maximum"
    WEIGHT_TOO_LARGE = "weight_too_large"
    WEIGHT_ON_PIECE_PRODUCT = "weight_on_piece_product"
    SCALE_BARCODE_CHECK_DIGIT = "scale_barcode_check_digit"
    SCALE_ITEM_UNKNOWN = "scale_item_unknown"
    SCALE_PRICE_DISAGREES = "scale_price_disagrees"
    SCALE_NO_ANSWER = "scale_no_answer"
    SCALE_UNSTABLE = "scale_unstable"
    SCALE_OVERLOADED = "scale_overloaded"
    INVALID_SALE_UNIT = "invalid_sale_unit"
    INVALID_SCALE_CODE = "invalid_scale_code"
    SALE_UNIT_CHANGE_WITH_STOCK = "sale_unit_change_with_stock"
    DUPLICATE_SCALE_CODE = "duplicate_scale_code"
    # Line discounts (pos.domain.discounts, pos.services.discounts)
    DISCOUNT_KIND_UNKNOWN = "discount_kind_unknown"
    DISCOUNT_NOT_POSITIVE = "discount_not_positive"
    DISCOUNT_OVER_100 = "discount_over_100"
    DISCOUNT_OVER_LINE = "discount_over_line"
    DISCOUNT_FRACTIONAL = "discount_fractional"
    DISCOUNT_NEEDS_REASON = "discount_needs_reason"
    DISCOUNT_REASON_UNPRINTABLE = "discount_reason_unprintable"
    DISCOUNT_OVER_LIMIT = "discount_over_limit"
    INVALID_DISCOUNT_LIMIT = "invalid_discount_limit"
    # Parked sales (pos.services.parked)
    PARK_EMPTY = "park_empty"
    PARKED_LIMIT_REACHED = "parked_limit_reached"
    PARKED_SALE_NOT_FOUND = "parked_sale_not_found"
    SALE_PARKED = "sale_parked"
    SALE_IN_PROGRESS = "sale_in_progress"
    PARKED_SALES_AT_CLOSE = "parked_sales_at_close"
    RECALLED_SHORT = "recalled_short"


STORE_FAILURES = frozenset({Code.STORE_BUSY, Code.STORE_UNREACHABLE})
"""Refusals that say nothing about the request, only that the store could not take it now:
the same request may succeed when tried again."""


OFFLINE_APPROVALS = frozenset(
    {Code.OFFLINE_SALE_OVER_CAP, Code.OFFLINE_UNSENT_OVER_CAP, Code.OFFLINE_TOO_LONG}
)
"""Refusals of the offline policy that a manager's PIN lifts: the same request with
``approved_by`` goes on."""


class Changed(enum.Flag):
    """What a use case changed, so every open view can refresh what it shows."""

    NOTHING = 0
    CART = enum.auto()
    STOCK = enum.auto()
    CATALOGUE = enum.auto()
    USERS = enum.auto()
    COUPONS = enum.auto()
    ORDERS = enum.auto()
    CASH = enum.auto()
    """A till's cash session: opened, cash paid in or out, closed."""


@dataclass(frozen=True)
class Ok(Generic[T]):
    value: T
    changed: Changed = Changed.NOTHING

    ok = True


@dataclass(frozen=True)
class Warn(Generic[T]):
    """Done, but the cashier must be told something."""

    value: T
    code: Code
    params: Mapping[str, object] = field(default_factory=dict)
    changed: Changed = Changed.NOTHING

    ok = True


@dataclass(frozen=True)
class Err:
    """Refused: nothing in the store changed unless ``changed`` says so. Checkout's price
    check takes the store's new prices onto the cart before it answers that they changed
    (``Changed.CART``), and a wrong PIN is counted, or locks the user (``Changed.USERS``)."""

    code: Code
    params: Mapping[str, object] = field(default_factory=dict)
    details: tuple[Err, ...] = ()
    changed: Changed = Changed.NOTHING

    ok = False


Result = Ok[T] | Warn[T] | Err
V = TypeVar("V")


class Refused(Exception):
    """Raised inside a use case to roll its transaction back and answer ``Err``."""

    def __init__(self, code: Code, details: tuple[Err, ...] = (), **params: object) -> None:
        super().__init__(code.value, params)
        self.error = Err(code, params, details)

    @classmethod
    def because(cls, error: Err) -> Refused:
        refused = cls(error.code, error.details, **error.params)
        # What the refusing use case committed stays said (a wrong PIN it counted).
        refused.error = error
        return refused


def unwrap(result: Result[V]) -> V:
    """The value of a result, or its refusal raised again (for use cases built of others)."""
    if isinstance(result, Err):
        raise Refused.because(result)
    return result.value
