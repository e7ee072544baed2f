"""The store manager's window: products, stock, coupons, users, payments, orders."""
