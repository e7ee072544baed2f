"""The back office as a manager opens it: every page in its tab, in both languages."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import QCoreApplication, QSize
from PySide6.QtGui import QKeySequence
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QTabWidget, QWidget
from pytestqt.qtbot import QtBot

from tests.gui.backoffice.conftest import settle, shoot
from ui.backoffice.common import Context, Page
from ui.backoffice.window import PAGES, BackOfficeWindow
from ui.i18n import _, language, set_language


@pytest.fixture
def back_office(qtbot: QtBot, context: Context) -> Iterator[BackOfficeWindow]:
    window = BackOfficeWindow(context)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    settle(qtbot, context)
    yield window
    window.close()


def test_every_page_opens_in_its_tab_and_shows_no_refusal(
    qtbot: QtBot, context: Context, back_office: BackOfficeWindow
) -> None:
    assert back_office.tabs.count() == len(PAGES)
    for page_type in PAGES:
        page = back_office.show_page(page_type)
        settle(qtbot, context)
        assert page.isVisible()
        assert page.message.kind != "error", page.message.text()
        shoot(back_office, f"window-{page_type.__name__.removesuffix('Page').lower()}")


def test_the_window_names_the_manager_and_switches_language_with_f7(
    qtbot: QtBot, context: Context, back_office: BackOfficeWindow
) -> None:
    assert "Ayşe Yılmaz" in back_office.windowTitle()
    turkish = [back_office.tabs.tabText(i) for i in range(back_office.tabs.count())]
    assert turkish[0] == "Ürünler"
    back_office.switch_language()
    try:
        assert language() == "en"
        english = [back_office.tabs.tabText(i) for i in range(back_office.tabs.count())]
        assert english == [_(page.title) for page in PAGES]
        assert english[0] == "Products"
        assert "back office" in back_office.windowTitle()
    finally:
        set_language("tr")


def test_closing_the_window_stops_it_hearing_language_switches(
    qtbot: QtBot, context: Context, back_office: BackOfficeWindow
) -> None:
    page: Page = back_office.page(PAGES[0])
    back_office.close()
    set_language("en")
    set_language("tr")  # a closed window's pages are not retranslated: no dangling listener
    assert page.message.text() == ""


# -- closing from the keyboard ------------------------------------------------------------


@pytest.mark.parametrize("keys", ["Esc", "Ctrl+W"])
def test_the_window_closes_from_the_keyboard(
    qtbot: QtBot, context: Context, back_office: BackOfficeWindow, keys: str
) -> None:
    page = back_office.show_page(PAGES[0])
    back_office.activateWindow()
    qtbot.waitUntil(back_office.isActiveWindow)
    with qtbot.waitSignal(back_office.closed, timeout=2_000):
        QTest.keySequence(page, QKeySequence(keys))
    assert not back_office.isVisible()


# -- Qt's own words -----------------------------------------------------------------------


def test_qts_own_buttons_speak_the_managers_language() -> None:
    assert QCoreApplication.translate("QPlatformTheme", "&Yes") == "&Evet"
    assert QCoreApplication.translate("QPlatformTheme", "Cancel") == "İptal"
    set_language("en")
    try:
        assert QCoreApplication.translate("QPlatformTheme", "&Yes") == "&Yes"
    finally:
        set_language("tr")
    assert QCoreApplication.translate("QPlatformTheme", "&Yes") == "&Evet"


# -- the screen it opens on ---------------------------------------------------------------

SMALL_SCREEN = QSize(1024, 768 - 40 - 30)
"""A 1024x768 till screen less a taskbar and the window's title bar."""


def tabs_of(page: Page) -> list[QWidget]:
    """The page's own tabs (the stock page has some), or the page alone."""
    inner = page.findChild(QTabWidget)
    return [inner.widget(i) for i in range(inner.count())] if inner is not None else [page]


@pytest.mark.parametrize("language_code", ["tr", "en"])
def test_every_tab_fits_a_1024_by_768_screen(
    qtbot: QtBot, context: Context, back_office: BackOfficeWindow, language_code: str
) -> None:
    set_language(language_code)
    try:
        back_office.resize(SMALL_SCREEN)
        for page_type in PAGES:
            page = back_office.show_page(page_type)
            settle(qtbot, context)
            for tab in tabs_of(page):
                if tab is not page:
                    page.findChild(QTabWidget).setCurrentWidget(tab)
                    settle(qtbot, context)
                hint = back_office.minimumSizeHint()
                where = f"{page_type.__name__} {type(tab).__name__}: {hint}"
                assert hint.width() <= SMALL_SCREEN.width(), where
                assert hint.height() <= SMALL_SCREEN.height(), where
    finally:
        set_language("tr")


def test_text_grows_with_the_window_on_a_large_screen(
    qtbot: QtBot, context: Context, back_office: BackOfficeWindow
) -> None:
    back_office.resize(SMALL_SCREEN)
    qtbot.waitUntil(lambda: back_office.scale == 1.0)
    small = back_office.tabs.widget(0).fontInfo().pixelSize()

    back_office.resize(1920, 1080 - 40 - 30)
    qtbot.waitUntil(lambda: back_office.scale > 1.0)

    large = back_office.tabs.widget(0).fontInfo().pixelSize()
    assert large >= small * 1.25
    shoot(back_office, "window-large")
