"""The states a sale passes through: its cart, the holds on its lines, its order.

The values are what the store keeps (checked text columns): renaming one is a migration.
"""

from __future__ import annotations

import enum


class CartStatus(enum.StrEnum):
    OPEN = "open"
    CHECKING_OUT = "checking_out"
    CLOSED = "closed"
    PARKED = "parked"
    """Never stored: a parked sale is an open cart with ``parked_at`` set (the store reads
    it back as this). SQLite cannot widen the status column's CHECK without rebuilding
    the carts table, which the orders point at."""


class ReservationStatus(enum.StrEnum):
    """A cart line's hold on stock: ``active`` until the sale is paid (``consumed``), the
    line or sale is dropped (``released``) or the hold lapses (``expired``)."""

    ACTIVE = "active"
    CONSUMED = "consumed"
    RELEASED = "released"
    EXPIRED = "expired"


class OrderStatus(enum.StrEnum):
    PENDING = "pending"
    PAID = "paid"
    FAILED = "failed"
    CANCELLED = "cancelled"
