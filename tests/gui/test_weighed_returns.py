"""A weighed line comes back by weight: the return dialog shows "1,250 kg", takes "0,5"
typed as the till takes a weight, and refuses more than was sold in kilos; goods without
a receipt are weighed in the same way and priced per kilo."""

from __future__ import annotations

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from pos.store.models import SaleReturn
from tests.gui.conftest import Shop, settle, sign_in
from tests.gui.test_approval import shop_store
from tests.gui.test_loose_returns import enter_code, loose_dialog, return_dialog
from tests.gui.test_returns import give_reason, open_sale, sell_for_cash
from tests.gui.test_weights import held, tomatoes  # noqa: F401 (a fixture)
from tests.sales import rows
from ui.return_dialog import ReturnLinesModel
from ui.till import TillWindow


def shown(dialog: object, row: int, *columns: int) -> tuple[str, ...]:
    model = dialog.model  # type: ignore[attr-defined]
    return tuple(model.index(row, column).data() for column in columns)


def test_half_a_kilo_of_a_weighed_line_comes_back_typed_in_kilos(
    qtbot: QtBot,
    window: TillWindow,
    shop: Shop,
    tomatoes: int,  # noqa: F811
) -> None:
    sign_in(qtbot, window, shop.cashier, "1111")
    sell_for_cash(qtbot, window, "1,250*DOMATES-KG")  # ₺43,63
    assert held(shop, tomatoes) == (48_750, 0)

    dialog = open_sale(qtbot, window, "T01-000001")
    columns = (ReturnLinesModel.SOLD, ReturnLinesModel.RETURNED, ReturnLinesModel.BACK)
    assert shown(dialog, 0, *columns) == ("1,250 kg", "0,000 kg", "0,000 kg")
    qtbot.keyClicks(dialog.lines, "2")  # two kilos: more than was sold
    assert dialog.problem.text() == (
        "İade miktarı satılandan fazla: Domates için en çok 1,250 kg iade edilebilir"
    )
    assert dialog.model.back == [0]
    qtbot.keyClicks(dialog.lines, "0,5")
    assert not dialog.problem.isVisible()
    assert dialog.model.back == [500]
    assert shown(dialog, 0, ReturnLinesModel.BACK) == ("0,500 kg",)
    assert dialog.total_label.text() == "Geri verilecek: ₺17,45"  # 500/1250 of ₺43,63
    give_reason(qtbot, dialog, "Ezik")
    qtbot.keyClick(dialog.reason, Qt.Key.Key_Return)
    settle(qtbot, window)

    qtbot.waitUntil(lambda: window.return_dialog is None and window.receipt_dialog is not None)
    assert held(shop, tomatoes) == (49_250, 0)
    (made,) = rows(shop_store(shop), SaleReturn)
    assert made.total_minor == 17_45


def test_plus_brings_back_all_that_is_left_of_a_weighed_line_and_minus_none(
    qtbot: QtBot,
    window: TillWindow,
    shop: Shop,
    tomatoes: int,  # noqa: F811
) -> None:
    sign_in(qtbot, window, shop.cashier, "1111")
    sell_for_cash(qtbot, window, "0,980*DOMATES-KG")

    dialog = open_sale(qtbot, window, "T01-000001")
    qtbot.keyClick(dialog.lines, Qt.Key.Key_Plus)
    assert dialog.model.back == [980]
    qtbot.keyClick(dialog.lines, Qt.Key.Key_Minus)
    assert dialog.model.back == [0]
    qtbot.keyClicks(dialog.lines, "0,1234")  # four decimals: refused, as at the till
    assert dialog.problem.isVisible()
    assert dialog.model.back == [123]  # what was read before the fourth decimal


def test_a_weighed_product_without_a_receipt_is_typed_in_kilos_at_its_price_per_kilo(
    qtbot: QtBot,
    window: TillWindow,
    shop: Shop,
    tomatoes: int,  # noqa: F811
) -> None:
    sign_in(qtbot, window, shop.manager, "9999")
    first = return_dialog(qtbot, window)
    qtbot.keyClick(first.receipt, Qt.Key.Key_F7)
    assert window.approval_dialog is None  # a manager at the till needs no PIN
    dialog = loose_dialog(qtbot, window)
    enter_code(qtbot, window, dialog, "DOMATES-KG")
    enter_code(qtbot, window, dialog, "DOMATES-KG")  # again: still none until weighed
    assert dialog.model.back == [0]
    qtbot.keyClick(dialog.receipt, Qt.Key.Key_Return)
    assert dialog.lines.hasFocus()
    qtbot.keyClicks(dialog.lines, "0,75")
    assert dialog.model.back == [750]
    assert shown(dialog, 0, 1, 2) == ("₺34,90/kg", "0,750 kg")
    assert dialog.total_label.text() == "Nakit geri verilecek: ₺26,18"  # 26,175 half-up
    qtbot.keyClick(dialog.lines, Qt.Key.Key_Tab)
    qtbot.keyClicks(dialog.reason, "Fisi yok")
    qtbot.keyClick(dialog.reason, Qt.Key.Key_Return)
    settle(qtbot, window)

    qtbot.waitUntil(lambda: window.return_dialog is None and window.receipt_dialog is not None)
    assert held(shop, tomatoes) == (50_750, 0)
    (made,) = rows(shop_store(shop), SaleReturn)
    assert made.total_minor == 26_18
