"""Random tills: add, set, remove, weigh, wait, sweep, receive and adjust; coupons on and off;
checkout in cash or by card, the card paid or failed, sales voided; part of a sale paid
in cash and the rest in cash or by card, or the part-paid sale voided and its cash paid
back; goods of cash sales returned, never more than sold; with the books checked after
every step on both databases."""

from __future__ import annotations

import uuid
from pathlib import Path

from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    precondition,
    rule,
)
from sqlalchemy import Engine

from pos.domain.coupons import CouponKind
from pos.domain.payments import PaymentStatus
from pos.domain.pricing import line_amount
from pos.domain.results import Code, Err, Ok, Result, Warn
from pos.domain.units import SaleUnit, format_quantity
from pos.services.cart import (
    CartSummary,
    add_to_cart,
    cart_summary,
    open_cart,
    remove_line,
    set_quantity,
    void_sale,
)
from pos.services.catalogue import ProductDraft, create_product
from pos.services.checkout import Card, Cash, Sale, checkout
from pos.services.coupons import (
    CouponDraft,
    apply_coupon,
    create_coupon,
    find_coupon,
    remove_coupon,
)
from pos.services.payments import mark_failed, mark_paid
from pos.services.refunds import void_tendered_sale
from pos.services.reservations import release_expired
from pos.services.returns import ReturnRequest, return_items, returnable_sale
from pos.services.stock import adjust_stock, receive_stock
from pos.services.tenders import add_tender, sale_tenders
from pos.services.users import create_user
from pos.store.models import CartStatus, Role
from pos.store.uow import UnitOfWork
from tests.conftest import FakeClock, Store, value
from tests.invariants import assert_invariants
from tests.machines import run_machine

PRODUCTS = 3
CARTS = 3
PRICE = 100
PRICE_PER_KG = 3490
"""The weighed product's shelf price; its stock, holds and lines are grams."""
ONCE, ALWAYS = "ONCE", "ALWAYS"
"""ONCE: 10 % off from 2 units up, for the first one or two sales; ALWAYS: 1.50 off, no limits."""
OPEN, CHECKING_OUT, CLOSED = CartStatus.OPEN, CartStatus.CHECKING_OUT, CartStatus.CLOSED
INITIATED, PAID = PaymentStatus.INITIATED, PaymentStatus.PAID


class Tills(RuleBasedStateMachine):
    """Several carts over a few products. The model keeps each line's quantity, each
    cart's state, coupon and card payment, every payment's state, the coupons' uses and
    how many receipts were printed."""

    products = Bundle("products")
    carts = Bundle("carts")
    payments = Bundle("payments")
    part_paid = Bundle("part_paid")
    new_store: staticmethod  # set by the test: returns a fresh, empty, migrated engine

    def __init__(self) -> None:
        super().__init__()
        self.engine: Engine = self.new_store()
        self.clock = FakeClock()
        self.uow = UnitOfWork(self.engine, self.clock)
        self.lines: dict[tuple[int, int], int] = {}
        self.status: dict[int, CartStatus] = {}
        self.coupon_on: dict[int, str] = {}
        self.paying: dict[int, tuple[int, PaymentStatus]] = {}
        """Card payment id: (its cart, its state)."""
        self.receipt_of: dict[int, str] = {}
        self.limits: dict[str, tuple[int, int | None]] = {}
        """Coupon code: (minimum subtotal, usage limit)."""
        self.used: dict[str, int] = {}
        self.receipts = 0
        self.sold: dict[str, list[list[int]]] = {}
        """A sale paid in cash, by its receipt: per line, [units sold, units returned]."""
        self.returns = 0
        self.due: dict[object, tuple[int, int]] = {}
        """An order part paid in cash and open at the till: (its cart, what is still due)."""
        self.settled_part: set[int] = set()
        """Carts whose sale has a tender settled: a failed card leaves them in checkout."""

    def teardown(self) -> None:
        self.engine.dispose()

    @initialize(
        target=products,
        stocks=st.lists(st.integers(0, 15), min_size=PRODUCTS, max_size=PRODUCTS),
        limit=st.integers(1, 2),
        grams=st.integers(0, 6000),
    )
    def stock_the_shelves(self, stocks: list[int], limit: int, grams: int):
        self.manager = value(create_user(self.uow, "mudur", "Müdür", Role.MANAGER, "9999")).id
        draft = ProductDraft(
            sku="KG", name="Domates", price_minor=PRICE_PER_KG, sale_unit=SaleUnit.KG
        )
        self.weighed = value(create_product(self.uow, draft)).id
        if grams:
            value(receive_stock(self.uow, self.weighed, grams, user_id=self.manager))
        ids = []
        for number, stock in enumerate(stocks):
            draft = ProductDraft(sku=f"P{number}", name=f"Ürün {number}", price_minor=PRICE)
            product = value(create_product(self.uow, draft)).id
            if stock:
                value(receive_stock(self.uow, product, stock, user_id=self.manager))
            ids.append(product)
        for draft in (
            CouponDraft(
                ONCE, CouponKind.PERCENT, 1000, min_cart_minor=2 * PRICE, usage_limit=limit
            ),
            CouponDraft(ALWAYS, CouponKind.FIXED, 150),
        ):
            value(create_coupon(self.uow, draft, user_id=self.manager))
            self.limits[draft.code] = (draft.min_cart_minor, draft.usage_limit)
            self.used[draft.code] = 0
        return multiple(*ids)

    @initialize(target=carts)
    def open_the_tills(self):
        return multiple(*(self.new_cart() for _ in range(CARTS)))

    # -- ringing up -----------------------------------------------------------------

    @rule(cart=carts, product=products, quantity=st.integers(1, 4))
    def add(self, cart: int, product: int, quantity: int) -> None:
        result = add_to_cart(self.uow, cart, product, quantity)
        if self.status[cart] is not OPEN:
            self.expect_refusal(result, Code.CART_NOT_OPEN)
        elif isinstance(result, Ok):
            self.lines[cart, product] = self.lines.get((cart, product), 0) + quantity
        else:
            self.expect_refusal(result, Code.INSUFFICIENT_STOCK)
        self.check_cart(cart)

    @rule(cart=carts, grams=st.integers(1, 2500), typed=st.booleans())
    def weigh(self, cart: int, grams: int, typed: bool) -> None:
        """Tomatoes by weight: grams from the scale, or the kilos the cashier typed."""
        quantity = format_quantity(grams, SaleUnit.KG, "tr", symbol=False) if typed else grams
        result = add_to_cart(self.uow, cart, self.weighed, quantity)
        if self.status[cart] is not OPEN:
            self.expect_refusal(result, Code.CART_NOT_OPEN)
        elif isinstance(result, Ok):
            key = (cart, self.weighed)
            self.lines[key] = self.lines.get(key, 0) + grams
        else:
            self.expect_refusal(result, Code.INSUFFICIENT_STOCK)
        self.check_cart(cart)

    @rule(
        cart=carts,
        basket=st.lists(st.tuples(products, st.integers(1, 2)), min_size=2, max_size=4),
    )
    def ring_up(self, cart: int, basket: list[tuple[int, int]]) -> None:
        """A customer's basket scanned item after item (and enough of them to sell)."""
        for product, quantity in basket:
            self.add(cart, product, quantity)

    @rule(cart=carts, product=products, quantity=st.integers(0, 6))
    def set(self, cart: int, product: int, quantity: int) -> None:
        result = set_quantity(self.uow, cart, product, quantity)
        if self.status[cart] is not OPEN:
            self.expect_refusal(result, Code.CART_NOT_OPEN)
        elif (cart, product) not in self.lines:
            self.expect_refusal(result, Code.LINE_NOT_FOUND)
        elif isinstance(result, Ok):
            if quantity:
                self.lines[cart, product] = quantity
            else:
                del self.lines[cart, product]
        else:
            self.expect_refusal(result, Code.INSUFFICIENT_STOCK)
        self.check_cart(cart)

    @rule(cart=carts, product=products)
    def remove(self, cart: int, product: int) -> None:
        result = remove_line(self.uow, cart, product)
        if self.status[cart] is not OPEN:
            self.expect_refusal(result, Code.CART_NOT_OPEN)
        else:
            assert isinstance(result, Ok) == ((cart, product) in self.lines)
            self.lines.pop((cart, product), None)
        self.check_cart(cart)

    @rule(minutes=st.integers(1, 20))
    def wait(self, minutes: int) -> None:
        self.clock.advance(minutes=minutes)

    @rule()
    def sweep(self) -> None:
        value(release_expired(self.uow))

    @rule(product=products, quantity=st.integers(1, 5))
    def receive(self, product: int, quantity: int) -> None:
        value(receive_stock(self.uow, product, quantity, user_id=self.manager))

    @rule(product=products, delta=st.integers(-3, 3).filter(bool))
    def adjust(self, product: int, delta: int) -> None:
        result = adjust_stock(self.uow, product, delta, reason="count", user_id=self.manager)
        assert isinstance(result, Ok) or result.code is Code.ADJUSTMENT_BELOW_ZERO

    # -- coupons --------------------------------------------------------------------

    @rule(data=st.data(), code=st.sampled_from([ONCE, ONCE, ALWAYS, "YOK"]))
    def apply(self, data: st.DataObject, code: str) -> None:
        cart = data.draw(self.a_sale(), label="cart")
        result = apply_coupon(self.uow, cart, code)
        if self.status[cart] is not OPEN:
            self.expect_refusal(result, Code.CART_NOT_OPEN)
        elif code not in self.limits:
            self.expect_refusal(result, Code.COUPON_INVALID)
        elif (problem := self.coupon_problem(cart, code)) is not None:
            self.expect_refusal(result, problem)
        else:
            assert value(result).new_total_minor == value(cart_summary(self.uow, cart)).total_minor
            self.coupon_on[cart] = code
        self.check_cart(cart)

    @rule(cart=carts)
    def drop_coupon(self, cart: int) -> None:
        result = remove_coupon(self.uow, cart)
        if self.status[cart] is not OPEN:
            self.expect_refusal(result, Code.CART_NOT_OPEN)
        else:
            value(result)
            self.coupon_on.pop(cart, None)
        self.check_cart(cart)

    # -- paying ---------------------------------------------------------------------

    @precondition(lambda self: self.something_to_sell())
    @rule(target=carts, data=st.data(), extra=st.sampled_from([0, 0, 35, -1]))
    def checkout_cash(self, data: st.DataObject, extra: int):
        """Cash for the total on the screen, with change (35) or one kuruş short (-1)."""
        cart = data.draw(self.a_sale(), label="cart")
        summary = value(cart_summary(self.uow, cart))
        short = extra < 0 and summary.total_minor > 0
        given = max(summary.total_minor + extra, 0)
        result = checkout(
            self.uow,
            cart,
            shown_total_minor=summary.total_minor,
            tender=Cash(given),
            idempotency_key=uuid.uuid4().hex,
        )
        if not self.checkout_went_through(cart, summary, result, short=short):
            return multiple()
        sale = value(result)
        self.receipts += 1
        assert (sale.status, sale.total_minor) == (PAID, summary.total_minor)
        assert sale.change_minor == given - summary.total_minor
        assert sale.receipt == f"T01-{self.receipts:06d}"
        self.sold_in_cash(sale.receipt, cart)
        self.close(cart)
        return self.new_cart()

    @precondition(lambda self: self.something_to_sell())
    @rule(target=payments, data=st.data())
    def checkout_card(self, data: st.DataObject):
        cart = data.draw(self.a_sale(), label="cart")
        summary = value(cart_summary(self.uow, cart))
        result = checkout(
            self.uow,
            cart,
            shown_total_minor=summary.total_minor,
            tender=Card(),
            idempotency_key=uuid.uuid4().hex,
        )
        if not self.checkout_went_through(cart, summary, result, short=False):
            return multiple()
        sale = value(result)
        assert (sale.status, sale.total_minor, sale.receipt) == (
            INITIATED,
            summary.total_minor,
            None,
        )
        self.status[cart] = CHECKING_OUT
        self.paying[sale.payment_id] = (cart, INITIATED)
        self.check_cart(cart)
        return sale.payment_id

    @rule(target=carts, payment=payments)
    def pay(self, payment: int):
        cart, state = self.paying[payment]
        result = mark_paid(self.uow, payment)
        if state is PaymentStatus.FAILED or state is PaymentStatus.CANCELLED:
            self.expect_refusal(result, Code.PAYMENT_TRANSITION_FORBIDDEN)
            return multiple()
        settled = value(result)
        assert (settled.status, settled.oversold) == (PAID, 0)
        if state is PAID:
            assert not settled.applied
            assert settled.receipt == self.receipt_of[payment]
            return multiple()
        assert settled.applied
        self.receipts += 1
        assert settled.receipt == f"T01-{self.receipts:06d}"
        self.receipt_of[payment] = settled.receipt
        self.paying[payment] = (cart, PAID)
        self.settled_part.discard(cart)
        self.close(cart)
        return self.new_cart()

    @rule(
        payment=payments,
        outcome=st.sampled_from([PaymentStatus.FAILED, PaymentStatus.CANCELLED]),
    )
    def fail(self, payment: int, outcome: PaymentStatus) -> None:
        cart, state = self.paying[payment]
        result = mark_failed(self.uow, payment, status=outcome)
        if state is not INITIATED and state is not outcome:
            self.expect_refusal(result, Code.PAYMENT_TRANSITION_FORBIDDEN)
            return
        assert isinstance(result, Warn), result
        assert result.code is Code.PAYMENT_FAILED
        assert result.value.status is outcome
        assert result.value.applied is (state is INITIATED)
        if state is INITIATED and cart in self.settled_part:
            # Part of the sale is paid: it stays open at the till with the rest due.
            self.paying[payment] = (cart, outcome)
            tenders = value(sale_tenders(self.uow, result.value.order_id))
            self.due[result.value.order_id] = (cart, tenders.due_minor)
            self.check_cart(cart)
        elif state is INITIATED:
            # The customer is still at the till: the sale is open again, its goods held.
            self.paying[payment] = (cart, outcome)
            self.status[cart] = OPEN
            if cart in self.coupon_on:
                self.used[self.coupon_on[cart]] -= 1
            summary = self.check_cart(cart)
            assert all(line.reserved == line.quantity for line in summary.lines)

    @precondition(lambda self: self.something_to_sell())
    @rule(target=part_paid, data=st.data())
    def pay_part_in_cash(self, data: st.DataObject):
        """A third of the total in cash: the sale stays open with the rest due."""
        ringing = sorted({cart for cart, _ in self.lines if self.status[cart] is OPEN})
        cart = data.draw(st.sampled_from(ringing), label="cart")
        summary = value(cart_summary(self.uow, cart))
        if summary.total_minor < 2:
            return multiple()
        part = summary.total_minor // 3 or 1
        result = checkout(
            self.uow,
            cart,
            shown_total_minor=summary.total_minor,
            tender=Cash(part, amount_minor=part),
            idempotency_key=uuid.uuid4().hex,
        )
        if not self.checkout_went_through(cart, summary, result, short=False):
            return multiple()
        sale = value(result)
        assert (sale.status, sale.receipt, sale.due_minor) == (
            PAID,
            None,
            summary.total_minor - part,
        )
        self.status[cart] = CHECKING_OUT
        self.settled_part.add(cart)
        self.due[sale.order_id] = (cart, sale.due_minor)
        self.check_cart(cart)
        return sale.order_id

    @rule(target=carts, order=part_paid, by_card=st.booleans())
    def pay_the_rest(self, order: object, by_card: bool):
        """The rest of a part-paid sale: cash (paid at once) or a card left initiated."""
        result = add_tender(
            self.uow, order, Card() if by_card else Cash(10**6), idempotency_key=uuid.uuid4().hex
        )
        if order not in self.due:
            assert isinstance(result, Err), result
            assert result.code in (
                Code.SALE_NOT_OPEN,
                Code.SALE_ALREADY_COVERED,
                Code.TERMINAL_BUSY,
            )
            return multiple()
        cart, due = self.due[order]
        sale = value(result)
        assert sale.amount_minor == due
        if by_card:
            assert (sale.status, sale.receipt) == (INITIATED, None)
            self.paying[sale.payment_id] = (cart, INITIATED)
            del self.due[order]
            self.check_cart(cart)
            return multiple()
        self.receipts += 1
        assert sale.receipt == f"T01-{self.receipts:06d}"
        assert sale.change_minor == 10**6 - due
        self.sold_in_cash(sale.receipt, cart)
        del self.due[order]
        self.settled_part.discard(cart)
        self.close(cart)
        return self.new_cart()

    @rule(target=carts, order=part_paid)
    def void_part_paid(self, order: object):
        """Void a part-paid sale: its cash goes back, its goods and coupon use too."""
        result = void_tendered_sale(self.uow, order)
        if order not in self.due:
            assert isinstance(result, Err), result
            assert result.code in (Code.SALE_NOT_OPEN, Code.PAYMENT_IN_PROGRESS)
            return multiple()
        cart, _due = self.due.pop(order)
        outcome = value(result)
        assert outcome.voided
        assert outcome.card_refunds == ()
        if cart in self.coupon_on:
            self.used[self.coupon_on[cart]] -= 1
        self.settled_part.discard(cart)
        self.close(cart)
        return self.new_cart()

    @precondition(lambda self: bool(self.sold))
    @rule(data=st.data(), quantity=st.integers(1, 3), restock=st.booleans())
    def return_goods(self, data: st.DataObject, quantity: int, restock: bool) -> None:
        """Units of a line of a cash sale brought back: never more than was sold."""
        receipt = data.draw(st.sampled_from(sorted(self.sold)), label="receipt")
        lines = self.sold[receipt]
        line_no = data.draw(st.integers(1, len(lines)), label="line")
        sold, returned, weighed = lines[line_no - 1]
        result = return_items(
            self.uow,
            receipt,
            [ReturnRequest(line_no, quantity, restock)],
            reason="iade",
            user_id=self.manager,
        )
        if returned + quantity > sold:
            # More than is left: so many pieces, or (a weighed line) so many kilos.
            self.expect_refusal(result, Code.RETURN_TOO_MUCH if weighed else Code.RETURN_TOO_MANY)
            return
        made = value(result)
        self.returns += 1
        assert made.number_label == f"T01-I-{self.returns:06d}"
        assert made.cash_back_minor == made.total_minor
        lines[line_no - 1][1] += quantity

    @rule(target=carts, cart=carts)
    def void(self, cart: int):
        before = value(cart_summary(self.uow, cart))
        result = void_sale(self.uow, cart)
        if self.status[cart] is CHECKING_OUT:
            self.expect_refusal(result, Code.PAYMENT_IN_PROGRESS)
            return multiple()
        if self.status[cart] is CLOSED:
            self.expect_refusal(result, Code.CART_NOT_OPEN)
            return multiple()
        assert value(result).units_released == sum(line.reserved for line in before.lines)
        self.status[cart] = CLOSED
        self.check_cart(cart)
        return self.new_cart()

    # -- the model --------------------------------------------------------------------

    def something_to_sell(self) -> bool:
        return any(self.status[cart] is OPEN for cart, _ in self.lines)

    def a_sale(self) -> st.SearchStrategy[int]:
        """Mostly an open cart with something in it, sometimes any cart at all: most
        coupons and presses of Pay should have a sale to work on."""
        every = st.sampled_from(sorted(self.status))
        ringing = sorted({cart for cart, _ in self.lines if self.status[cart] is OPEN})
        if not ringing:
            return every
        return st.one_of(*[st.sampled_from(ringing)] * 3, every)

    def new_cart(self) -> int:
        cart = value(open_cart(self.uow)).cart_id
        self.status[cart] = OPEN
        return cart

    def sold_in_cash(self, receipt: str | None, cart: int) -> None:
        """Remember a cash sale's lines, as its receipt lists them, to bring some back."""
        assert receipt is not None
        sale = value(returnable_sale(self.uow, receipt))
        assert sorted(line.quantity for line in sale.lines) == sorted(
            qty for (owner, _), qty in self.lines.items() if owner == cart
        )
        self.sold[receipt] = [[line.quantity, 0, line.unit.measured] for line in sale.lines]

    def close(self, cart: int) -> None:
        """The sale is paid: its coupon's use stays spent and its cart closes."""
        self.status[cart] = CLOSED
        self.check_cart(cart)

    def subtotal(self, cart: int) -> int:
        """Each line's amount rounded once: pieces at PRICE, grams at PRICE_PER_KG a kilo."""
        return sum(
            line_amount(PRICE_PER_KG, qty, 1000) if product == self.weighed else PRICE * qty
            for (owner, product), qty in self.lines.items()
            if owner == cart
        )

    def coupon_problem(self, cart: int, code: str | None) -> Code | None:
        """Why ``code`` takes nothing off this cart now, as the seed's ApplyCoupon says it."""
        if code is None:
            return None
        minimum, limit = self.limits[code]
        if self.subtotal(cart) < minimum:
            return Code.COUPON_BELOW_MINIMUM
        # A sale in payment (or paid) already holds its use: the limit no longer bars it.
        if self.status[cart] is OPEN and limit is not None and self.used[code] >= limit:
            return Code.COUPON_LIMIT_REACHED
        return None

    def checkout_went_through(
        self, cart: int, summary: CartSummary, result: Result[Sale], *, short: bool
    ) -> bool:
        """Check checkout's answer against the model; True if it made a sale."""
        problem = self.coupon_problem(cart, self.coupon_on.get(cart))
        if self.status[cart] is not OPEN:
            self.expect_refusal(result, Code.CART_NOT_OPEN)
        elif not summary.lines:
            self.expect_refusal(result, Code.CART_EMPTY)
        elif problem is not None:
            self.expect_refusal(result, problem)
        elif short:
            self.expect_refusal(result, Code.CASH_SHORT)
        elif isinstance(result, Err):
            # Only a line whose hold lapsed (and was swept) can find the shelf empty.
            assert any(line.reserved < line.quantity for line in summary.lines), result
            self.expect_refusal(result, Code.OUT_OF_STOCK_AT_CHECKOUT)
        else:
            if cart in self.coupon_on:
                self.used[self.coupon_on[cart]] += 1
            return True
        assert value(cart_summary(self.uow, cart)) == summary, "a refused checkout changed the cart"
        return False

    def expect_refusal(self, result: Result[object], code: Code) -> None:
        assert isinstance(result, Err), f"expected {code}, got {result!r}"
        assert result.code is code, f"expected {code}, got {result!r}"

    def check_cart(self, cart: int) -> CartSummary:
        summary = value(cart_summary(self.uow, cart))
        shown = {(cart, line.product_id): line.quantity for line in summary.lines}
        assert shown == {key: qty for key, qty in self.lines.items() if key[0] == cart}
        assert summary.status is self.status[cart]
        assert summary.coupon_code == self.coupon_on.get(cart)
        assert summary.coupon_problem == self.coupon_problem(cart, self.coupon_on.get(cart))
        assert summary.subtotal_minor == self.subtotal(cart)
        held = [line.reserved for line in summary.lines]
        if summary.status is CHECKING_OUT:
            assert held == [line.quantity for line in summary.lines]
        elif summary.status is CLOSED:
            assert not any(held)
        else:
            assert all(
                reserved in (0, line.quantity)
                for reserved, line in zip(held, summary.lines, strict=True)
            )
        return summary

    @invariant()
    def books_balance(self) -> None:
        if hasattr(self, "manager"):
            assert_invariants(self.engine)

    @invariant()
    def coupon_uses_are_counted(self) -> None:
        for code, used in self.used.items():
            assert value(find_coupon(self.uow, code)).terms.times_used == used, code


def test_random_tills_keep_the_stock_books_balanced(store: Store, tmp_path: Path, request):
    run_machine(Tills, store, tmp_path, request, examples=(60, 30), steps=30)
