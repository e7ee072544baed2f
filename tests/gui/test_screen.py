"""Windows fit the screen they open on: a 1024x768 till screen less its taskbar."""

from __future__ import annotations

from PySide6.QtCore import QSize
from pytestqt.qtbot import QtBot

from ui.dialogs import ReceiptDialog
from ui.screen import fitted_size

SMALL_SCREEN = QSize(1024, 768 - 40 - 30)
"""A 1024x768 till screen less a taskbar and the window's title bar."""

RECEIPT = "\n".join(f"Ürün {n:02d}            1 x 12,50      12,50" for n in range(60))


def test_the_receipt_dialog_fits_a_1024_by_768_screen(qtbot: QtBot) -> None:
    dialog = ReceiptDialog(RECEIPT)
    qtbot.addWidget(dialog)
    dialog.show_change("Para üstü: ₺7,50")

    hint = dialog.minimumSizeHint()
    assert hint.width() <= SMALL_SCREEN.width()
    assert hint.height() <= SMALL_SCREEN.height()


def test_the_receipt_dialog_on_a_1024_by_768_screen_leaves_room_for_the_taskbar(
    qtbot: QtBot,
) -> None:
    dialog = ReceiptDialog(RECEIPT)
    qtbot.addWidget(dialog)
    free = QSize(1024, 768 - 40)

    size = fitted_size(dialog.WANTED_SIZE, free, dialog.minimumSizeHint())

    assert size.height() + 30 <= free.height()  # with its title bar
    assert size.width() <= free.width()


def test_a_window_is_never_made_smaller_than_its_minimum() -> None:
    assert fitted_size(QSize(600, 720), QSize(300, 300), QSize(400, 200)) == QSize(400, 260)
    assert fitted_size(QSize(600, 720), QSize(1920, 1040), QSize(400, 200)) == QSize(600, 720)
