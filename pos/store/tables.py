"""The Core tables behind the models, for the statements that skip the ORM."""

from __future__ import annotations

from pos.store.models import (
    Cart,
    CartItem,
    CashMovement,
    CashSession,
    Coupon,
    CouponRedemption,
    DrawerOpening,
    Inventory,
    Location,
    OfflineSale,
    OfflineState,
    Order,
    OrderItem,
    OutboxMessage,
    Oversell,
    Payment,
    PaymentConflict,
    PaymentEvent,
    Product,
    Receipt,
    Refund,
    Reservation,
    ReturnLine,
    SaleReturn,
    StockMove,
    SyncConflict,
    TillRow,
    User,
    table_of,
)
from pos.store.models_journal import JournalEntry, TillKey

carts = table_of(Cart)
cash_movements = table_of(CashMovement)
cash_sessions = table_of(CashSession)
drawer_openings = table_of(DrawerOpening)
cart_items = table_of(CartItem)
coupons = table_of(Coupon)
redemptions = table_of(CouponRedemption)
inventory = table_of(Inventory)
locations = table_of(Location)
offline_sales = table_of(OfflineSale)
offline_state = table_of(OfflineState)
orders = table_of(Order)
order_items = table_of(OrderItem)
outbox = table_of(OutboxMessage)
oversells = table_of(Oversell)
payments = table_of(Payment)
payment_events = table_of(PaymentEvent)
payment_conflicts = table_of(PaymentConflict)
products = table_of(Product)
receipts = table_of(Receipt)
refunds = table_of(Refund)
return_lines = table_of(ReturnLine)
sale_returns = table_of(SaleReturn)
reservations = table_of(Reservation)
stock_moves = table_of(StockMove)
sync_conflicts = table_of(SyncConflict)
tills = table_of(TillRow)
users = table_of(User)
journal = table_of(JournalEntry)
till_keys = table_of(TillKey)
