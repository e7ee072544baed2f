"""The cash dialog's quick keys fill in what the customer is likely to hand over."""

from __future__ import annotations

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from ui.dialogs import CashDialog
from ui.i18n import set_language


def test_the_quick_keys_offer_the_total_rounded_up_and_show_the_change(qtbot: QtBot) -> None:
    dialog = CashDialog(2246_55, "TRY")
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow)  # its keys are the active window's shortcuts
    labels = [button.text() for button in dialog.note_buttons]
    assert labels == ["₺2.250 (F6)", "₺2.260 (F7)", "₺2.300 (F8)", "₺2.400 (F11)"]

    qtbot.keyClick(dialog.given, Qt.Key.Key_F8)

    assert dialog.given_minor() == 2300_00
    assert dialog.change_label.text() == "Para üstü: ₺53,45"
    with qtbot.waitSignal(dialog.confirmed) as confirmed:
        qtbot.keyClick(dialog.given, Qt.Key.Key_Return)
    assert confirmed.args == [2300_00]


def test_a_large_total_shows_only_the_round_sums_above_it(qtbot: QtBot) -> None:
    dialog = CashDialog(1000_00, "TRY")
    qtbot.addWidget(dialog)
    assert [button.text() for button in dialog.note_buttons] == ["₺2.000 (F6)", "₺5.000 (F7)"]


def test_a_sale_of_nothing_offers_no_quick_keys(qtbot: QtBot) -> None:
    dialog = CashDialog(0, "TRY")
    qtbot.addWidget(dialog)
    assert dialog.note_buttons == []


def test_a_turkish_thousands_separator_is_read_as_thousands(qtbot: QtBot) -> None:
    dialog = CashDialog(750_00, "TRY")
    qtbot.addWidget(dialog)
    qtbot.keyClicks(dialog.given, "1.000")
    assert dialog.given_minor() == 1000_00
    assert dialog.change_label.text() == "Para üstü: ₺250,00"
    dialog.given.clear()
    qtbot.keyClicks(dialog.given, "1.000,50")
    assert dialog.given_minor() == 1000_50


def test_english_amounts_and_money_use_the_lira_sign(qtbot: QtBot) -> None:
    set_language("en")
    try:
        dialog = CashDialog(32_50, "TRY")
        qtbot.addWidget(dialog)
        assert dialog.total_label.text() == "To pay: ₺32.50"
        assert dialog.note_buttons[0].text() == "₺35 (F6)"
        dialog.exact.click()
        assert dialog.given.text() == "32.50"
        assert dialog.given_minor() == 32_50
    finally:
        set_language("tr")
