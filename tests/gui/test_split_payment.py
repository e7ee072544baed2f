"""A sale paid in several tenders at the till, with keys only: part by card through the
terminal simulator on loopback, the rest in cash; two cards; a part typed wrong; a
second Pay while a card is in flight; and voiding a sale paid in part."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from pos.domain.payments import PaymentMethod, PaymentStatus
from pos.domain.sales import OrderStatus
from pos.services.cart import add_to_cart, open_cart
from pos.services.checkout import Cash, checkout
from pos.services.receipts import receipt_text
from pos.services.tenders import SaleTenders, sale_tenders
from tests.conftest import value
from tests.gui.conftest import AYRAN, PEYNIR, SUT, Shop, scan, settle, sign_in
from tests.gui.test_approval import approval_dialog, audit_rows, type_pin
from tests.gui.test_card import WAIT_MS
from tests.gui.test_till import back_at_scan, press, stock
from tests.sales import key
from ui.till import TillWindow


def tenders_of(shop: Shop, order_id: Any) -> SaleTenders:
    return value(sale_tenders(shop.till.uow(), order_id))


def pay_part(qtbot: QtBot, window: TillWindow, amount: str, key: Qt.Key) -> None:
    """Type the part into the scan field, then F9 or F10, as the panel's hint says."""
    # The field has the keys again once a closed dialog hands focus back (a queued call).
    qtbot.waitUntil(window.scan.hasFocus)
    qtbot.keyClicks(window.scan, amount)
    press(qtbot, window, key)


def card_part(qtbot: QtBot, window: TillWindow, amount: str) -> None:
    """A part by card, approved by the simulator; the till back at the scan field."""
    pay_part(qtbot, window, amount, Qt.Key.Key_F10)
    qtbot.waitUntil(lambda: window.card_dialog is not None)
    qtbot.waitUntil(lambda: window.card_dialog is None, timeout=WAIT_MS)
    settle(qtbot, window)
    back_at_scan(qtbot, window)


def cash(qtbot: QtBot, window: TillWindow, given: str) -> None:
    """F9 has been pressed: the amount given, then Enter."""
    qtbot.waitUntil(lambda: window.cash_dialog is not None)
    assert window.cash_dialog is not None
    qtbot.keyClicks(window.cash_dialog.given, given)
    qtbot.keyClick(window.cash_dialog.given, Qt.Key.Key_Return)
    settle(qtbot, window)


def test_part_by_card_then_the_rest_in_cash_with_change_shows_one_receipt(
    qtbot: QtBot, card_window: TillWindow, shop: Shop
) -> None:
    window = card_window
    sign_in(qtbot, window, shop.cashier, "1111")
    scan(qtbot, window, f"2*{PEYNIR}")  # ₺300,00
    paid: list[Any] = []
    window.sale_paid.connect(paid.append)

    card_part(qtbot, window, "100")

    assert window.tender_panel.isVisible()
    assert window.tender_panel.lines() == [
        "Toplam ₺300,00",
        "Kart ₺100,00 Ödendi",
        "Ödenen ₺100,00",
    ]
    assert window.tender_panel.due_value.text() == "₺200,00"
    assert window.scan.placeholderText() == "Kısmi tutar, sonra F9 veya F10"
    assert window.receipt_dialog is None
    assert stock(shop, PEYNIR) == (0, 2)  # still held for the sale

    press(qtbot, window, Qt.Key.Key_F9)
    qtbot.waitUntil(lambda: window.cash_dialog is not None)
    assert window.cash_dialog is not None
    assert window.cash_dialog.total_label.text() == "Ödenecek: ₺200,00"
    assert window.cash_dialog.due_label.text() == "Satışın kalanı"
    cash(qtbot, window, "250")

    qtbot.waitUntil(lambda: window.receipt_dialog is not None, timeout=WAIT_MS)
    assert window.receipt_dialog is not None
    assert window.receipt_dialog.change_label.text() == "Para üstü: ₺50,00"
    (order_id,) = paid
    assert value(receipt_text(shop.till.uow(), order_id)) == (
        window.receipt_dialog.text.toPlainText()
    )
    sale = tenders_of(shop, order_id)
    assert sale.status is OrderStatus.PAID
    assert [(t.method, t.status, t.amount_minor, t.change_minor) for t in sale.tenders] == [
        (PaymentMethod.CARD, PaymentStatus.PAID, 100_00, None),
        (PaymentMethod.CASH, PaymentStatus.PAID, 200_00, 50_00),
    ]
    assert stock(shop, PEYNIR) == (0, 0)
    assert not window.tender_panel.isVisible()
    qtbot.keyClick(window.receipt_dialog, Qt.Key.Key_Return)
    back_at_scan(qtbot, window)
    settle(qtbot, window)
    assert window.tendered is None
    assert window.scan.placeholderText().startswith("Barkod / stok kodu")


def test_two_cards_pay_one_sale_each_with_its_own_key(
    qtbot: QtBot, card_window: TillWindow, shop: Shop
) -> None:
    window = card_window
    sign_in(qtbot, window, shop.cashier, "1111")
    scan(qtbot, window, f"2*{SUT}")  # ₺65,00
    paid: list[Any] = []
    window.sale_paid.connect(paid.append)

    card_part(qtbot, window, "40")
    assert window.tender_panel.due_value.text() == "₺25,00"
    press(qtbot, window, Qt.Key.Key_F10)  # nothing typed: the card pays what is due

    qtbot.waitUntil(lambda: window.receipt_dialog is not None, timeout=WAIT_MS)
    (order_id,) = paid
    sale = tenders_of(shop, order_id)
    assert sale.status is OrderStatus.PAID
    assert [(t.method, t.status, t.amount_minor) for t in sale.tenders] == [
        (PaymentMethod.CARD, PaymentStatus.PAID, 40_00),
        (PaymentMethod.CARD, PaymentStatus.PAID, 25_00),
    ]


def test_a_part_of_nothing_or_above_what_is_due_is_refused_in_turkish(
    qtbot: QtBot, card_window: TillWindow, shop: Shop
) -> None:
    window = card_window
    sign_in(qtbot, window, shop.cashier, "1111")
    scan(qtbot, window, f"2*{SUT}")  # ₺65,00

    pay_part(qtbot, window, "0", Qt.Key.Key_F10)
    settle(qtbot, window)
    assert window.banner.text() == "Geçersiz tutar"
    assert window.card_dialog is None
    assert window.scan.text() == "0"  # left to correct

    window.scan.clear()
    pay_part(qtbot, window, "70", Qt.Key.Key_F9)
    settle(qtbot, window)
    assert window.banner.text() == "Tutar kalan borçtan fazla - kalan: ₺65,00"
    assert window.cash_dialog is None

    window.scan.clear()
    card_part(qtbot, window, "15")
    pay_part(qtbot, window, "50,01", Qt.Key.Key_F10)
    settle(qtbot, window)
    assert window.banner.text() == "Tutar kalan borçtan fazla - kalan: ₺50,00"
    assert window.card_dialog is None
    assert window.tendered is not None
    order_id = window.tendered.order_id
    assert [t.amount_minor for t in tenders_of(shop, order_id).tenders] == [15_00]

    # A part of the cash given with change is refused by the store, said in the dialog.
    window.scan.clear()
    pay_part(qtbot, window, "20", Qt.Key.Key_F9)
    cash(qtbot, window, "50")
    assert window.cash_dialog is not None
    assert window.cash_dialog.problem.text() == (
        "Para üstü yalnızca kalanı kapatan nakit ödemede verilir"
    )
    assert [t.amount_minor for t in tenders_of(shop, order_id).tenders] == [15_00]


def test_a_second_pay_while_a_card_is_in_flight_is_refused_and_a_cancelled_card_keeps_the_cash(
    qtbot: QtBot, card_window: TillWindow, shop: Shop
) -> None:
    window = card_window
    sign_in(qtbot, window, shop.cashier, "1111")
    scan(qtbot, window, f"2*{SUT}")  # ₺65,00
    pay_part(qtbot, window, "10", Qt.Key.Key_F9)
    cash(qtbot, window, "")  # Enter: the part exactly
    qtbot.waitUntil(lambda: window.tendered is not None)
    assert window.banner.text() == "Nakit alındı: ₺10,00"
    assert window.tender_panel.due_value.text() == "₺55,00"

    pay_part(qtbot, window, "20,92", Qt.Key.Key_F10)  # the simulator waits for the card
    qtbot.waitUntil(lambda: window.card_dialog is not None)
    dialog = window.card_dialog
    assert dialog is not None
    qtbot.waitUntil(lambda: dialog.status is PaymentStatus.PENDING, timeout=WAIT_MS)

    window.act("cash")
    settle(qtbot, window)
    busy = "Terminal başka bir ödemeyi bekliyor: önce onu sonuçlandırın"
    assert dialog.note_label.text() == busy
    assert window.cash_dialog is None
    window.act("card")
    settle(qtbot, window)
    assert window.card_dialog is dialog
    assert window.tendered is not None
    order_id = window.tendered.order_id
    assert len(tenders_of(shop, order_id).tenders) == 2  # no third tender was written

    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: dialog.status is PaymentStatus.CANCELLED, timeout=WAIT_MS)
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: window.card_dialog is None)
    settle(qtbot, window)
    assert window.tender_panel.isVisible()
    assert window.tender_panel.lines()[1:3] == ["Nakit ₺10,00 Ödendi", "Kart ₺20,92 İptal edildi"]
    assert window.tender_panel.due_value.text() == "₺55,00"
    assert stock(shop, SUT) == (38, 2)  # the cash stands: the goods stay held


def test_voiding_a_sale_paid_in_part_needs_the_manager_and_pays_the_cash_back(
    qtbot: QtBot, window: TillWindow, shop: Shop
) -> None:
    sign_in(qtbot, window, shop.cashier, "1111")
    scan(qtbot, window, f"20*{SUT}")  # ₺650,00: over the till's ₺500,00
    pay_part(qtbot, window, "100", Qt.Key.Key_F9)
    cash(qtbot, window, "")
    qtbot.waitUntil(lambda: window.tendered is not None)
    assert window.tendered is not None
    order_id = window.tendered.order_id

    qtbot.waitUntil(window.scan.hasFocus)  # the closed cash dialog hands the keys back
    press(qtbot, window, Qt.Key.Key_F12)
    dialog = approval_dialog(qtbot, window)
    type_pin(qtbot, window, dialog, "9999")
    qtbot.waitUntil(lambda: window.confirm_dialog is not None)
    assert window.confirm_dialog is not None
    assert window.confirm_dialog.label.text().startswith("Kısmen ödenmiş bu satış iptal")
    qtbot.keyClick(window.confirm_dialog, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.tendered is None)
    settle(qtbot, window)

    assert window.banner.isVisible()
    assert window.banner.text() == "Satış iptal edildi: nakit olarak ₺100,00 geri verin"
    assert not window.tender_panel.isVisible()
    assert window.cart is not None
    assert not window.cart.lines  # the next sale
    sale = tenders_of(shop, order_id)
    assert sale.status is OrderStatus.CANCELLED
    assert [(t.status, t.refunded_minor) for t in sale.tenders] == [
        (PaymentStatus.REFUNDED, 100_00)
    ]
    assert stock(shop, SUT) == (40, 0)
    (voided,) = audit_rows(shop, "sale.voided")
    assert (voided.user_id, voided.approved_by) == (shop.cashier.id, shop.manager.id)
    back_at_scan(qtbot, window)


def test_voiding_a_sale_with_a_card_part_sends_the_card_refund_to_the_terminal(
    qtbot: QtBot, card_window: TillWindow, shop: Shop
) -> None:
    window = card_window
    sign_in(qtbot, window, shop.cashier, "1111")
    scan(qtbot, window, f"2*{AYRAN}")  # ₺25,00
    card_part(qtbot, window, "10")
    pay_part(qtbot, window, "5", Qt.Key.Key_F9)
    cash(qtbot, window, "")
    qtbot.waitUntil(lambda: window.tender_panel.due_value.text() == "₺10,00")
    assert window.tendered is not None
    order_id = window.tendered.order_id

    qtbot.waitUntil(window.scan.hasFocus)  # the closed cash dialog hands the keys back
    press(qtbot, window, Qt.Key.Key_F12)
    qtbot.waitUntil(lambda: window.confirm_dialog is not None)
    assert window.confirm_dialog is not None
    qtbot.keyClick(window.confirm_dialog, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.tendered is None)
    settle(qtbot, window)
    assert window.banner.isVisible()
    assert window.banner.text() == (
        "Nakit olarak ₺5,00 geri verin. ₺10,00 tutarındaki kart iadeleri terminale "
        "gönderildi; iadeler bitince satış iptal olur."
    )
    # The terminal's webhook confirms the refund; the sale ends with its last tender back.
    qtbot.waitUntil(
        lambda: tenders_of(shop, order_id).status is OrderStatus.CANCELLED, timeout=WAIT_MS
    )
    assert [t.refunded_minor for t in tenders_of(shop, order_id).tenders] == [10_00, 5_00]
    assert stock(shop, AYRAN) == (10, 0)


def test_a_till_restarted_with_a_sale_paid_in_part_takes_it_up_to_pay_the_rest(
    qtbot: QtBot, window: TillWindow, shop: Shop
) -> None:
    # The till took ₺10,00 in cash, then stopped: the sale is open in the store.
    uow = shop.till.uow()
    cart = value(open_cart(uow, cashier_id=shop.cashier.id)).cart_id
    value(add_to_cart(uow, cart, shop.products[SUT], 2))  # ₺65,00
    left = value(
        checkout(
            uow, cart, shown_total_minor=65_00, tender=Cash(10_00, 10_00), idempotency_key=key()
        )
    )
    paid: list[Any] = []
    window.sale_paid.connect(paid.append)

    sign_in(qtbot, window, shop.cashier, "1111")

    qtbot.waitUntil(lambda: window.tendered is not None)
    assert window.tendered is not None
    assert window.tendered.order_id == left.order_id
    assert [line.name for line in window.cart_model.lines] == ["Pınar Tam Yağlı Süt 1 L"]
    assert window.tender_panel.due_value.text() == "₺55,00"
    assert window.banner.text() == (
        "Kısmen ödenmiş bir satış açık kalmış: kalanını alın veya iptal edin"
    )
    press(qtbot, window, Qt.Key.Key_F9)
    cash(qtbot, window, "")
    qtbot.waitUntil(lambda: window.receipt_dialog is not None, timeout=WAIT_MS)
    assert paid == [left.order_id]
    assert tenders_of(shop, left.order_id).status is OrderStatus.PAID
