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
    TillRow,
    User,
    table_of,
)

carts = table_of(Cart)
cash_movements = table_of(CashMovement)
cash_sessions = table_of(CashSession)
drawer_openings = table_of(DrawerOpening)
cart_items = table_of(CartItem)
coupons = table_of(Coupon)
redemptions = table_of(CouponRedemption)
inventory = table_of(Inventory)
locations = table_of(Location)
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
tills = table_of(TillRow)
users = table_of(User)
