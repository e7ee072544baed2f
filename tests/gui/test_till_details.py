"""What a cashier sees: names with room, receipts broken between words, plain words for the
card's outcome, a key for every button and a word when a coupon replaces another."""

from __future__ import annotations

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from pos.domain.payments import PaymentStatus
from tests.gui.conftest import AYRAN, SUT, Shop, scan, settle, sign_in
from ui.dialogs import CardDialog, ReceiptDialog
from ui.models import CartModel
from ui.till import TillWindow

COFFEE = "Kurukahveci Mehmet Efendi Türk Kahvesi 100 g"


def test_the_product_name_has_most_of_the_sale_at_1024_pixels(
    qtbot: QtBot, window: TillWindow, shop: Shop
) -> None:
    assert window.width() == 1024
    sign_in(qtbot, window, shop.cashier, "1111")
    table = window.table
    name = table.columnWidth(CartModel.NAME)
    assert name >= 315
    assert name > table.viewport().width() // 2


def test_the_card_dialog_says_the_terminal_approved_not_how_the_answer_travelled(
    qtbot: QtBot,
) -> None:
    dialog = CardDialog(32_50, "TRY")
    qtbot.addWidget(dialog)
    for settled_by in ("webhook", "poll"):
        dialog.show_state(PaymentStatus.PAID, settled_by)
        assert dialog.source_label.text() == "Terminal onayladı"
    dialog.show_state(PaymentStatus.FAILED, "webhook")
    assert dialog.source_label.text() == ""


def test_the_receipt_dialog_breaks_a_long_line_between_words(qtbot: QtBot) -> None:
    dialog = ReceiptDialog(f"{COFFEE} {COFFEE}")
    qtbot.addWidget(dialog)
    dialog.resize(320, 400)
    dialog.show()
    qtbot.waitExposed(dialog)
    block = dialog.text.document().firstBlock()
    layout, text = block.layout(), block.text()
    assert layout.lineCount() > 1
    for number in range(1, layout.lineCount()):
        start = layout.lineAt(number).textStart()
        assert text[start - 1] == " ", (text[:start], text[start:])


def test_shift_f4_takes_the_coupon_off_and_its_button_says_so(
    qtbot: QtBot, window: TillWindow, shop: Shop
) -> None:
    sign_in(qtbot, window, shop.cashier, "1111")
    scan(qtbot, window, f"4*{SUT}")
    qtbot.keyClick(window.scan, Qt.Key.Key_F4)
    qtbot.keyClicks(window.coupon, "HOSGELDIN10")
    qtbot.keyClick(window.coupon, Qt.Key.Key_Return)
    settle(qtbot, window)
    assert window.cart is not None
    assert window.cart.coupon_code == "HOSGELDIN10"
    assert window.coupon_remove.text() == "Kuponu kaldır\n(Shift+F4)"

    qtbot.keyClick(window.focusWidget() or window, Qt.Key.Key_F4, Qt.KeyboardModifier.ShiftModifier)
    settle(qtbot, window)

    assert window.cart is not None
    assert window.cart.coupon_code is None


def test_a_new_coupon_replacing_the_one_on_the_sale_says_so(
    qtbot: QtBot, window: TillWindow, shop: Shop
) -> None:
    from pos.domain.coupons import CouponKind
    from pos.services.coupons import CouponDraft, create_coupon
    from tests.conftest import value

    value(
        create_coupon(
            shop.till.uow(),
            CouponDraft("YAZ5", CouponKind.PERCENT, 500),
            user_id=shop.manager.id,
        )
    )
    sign_in(qtbot, window, shop.cashier, "1111")
    scan(qtbot, window, f"4*{SUT}")
    scan(qtbot, window, AYRAN)
    for code in ("HOSGELDIN10", "YAZ5"):
        qtbot.keyClick(window.focusWidget() or window, Qt.Key.Key_F4)
        qtbot.keyClicks(window.coupon, code)
        qtbot.keyClick(window.coupon, Qt.Key.Key_Return)
        settle(qtbot, window)

    assert window.cart is not None
    assert window.cart.coupon_code == "YAZ5"
    assert window.coupon_note.text() == "YAZ5 kuponu, HOSGELDIN10 kuponunun yerine uygulandı"
