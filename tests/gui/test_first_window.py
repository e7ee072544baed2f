"""`pos` shows its sign-in screen before the rest of Kasa loads (``ui.first_window``):
the cashiers of a local store listed at once, the start (``pos.cli``) run on its own
thread against the real store, and the till window taking the screen over as the
cashier left it, a PIN sent early included."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from pos.runtime.first_look import first_look
from tests.gui.conftest import Shop
from ui.first_window import FirstWindow, TillStart

START_MS = 60_000
"""The start imports the rest of Kasa and checks the store's schema: seconds on a busy
machine."""


@pytest.fixture
def pos_environment(shop: Shop, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """`pos` pointed at the shop's store, with settings and data folders of its own."""
    settings = tmp_path / "settings.toml"
    settings.write_text("[listener]\nport = -1\n", encoding="utf-8")
    monkeypatch.setenv("POS_SETTINGS_FILE", str(settings))
    monkeypatch.setenv("POS_DATABASE_URL", shop.till.settings.database_url)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("POS_LOCALE", "tr")
    return settings


@pytest.fixture
def starts() -> Iterator[list[TillStart]]:
    """The starts a test makes, finished even when it fails (the start's thread waits for
    its window to close)."""
    made: list[TillStart] = []
    yield made
    for start in made:
        if start.running is not None:
            start.running.window.close()
        start.finish(0)


def begin(first: FirstWindow, starts: list[TillStart]) -> TillStart:
    start = TillStart(first, [])
    starts.append(start)
    start.begin()
    return start


def open_first(qtbot: QtBot) -> FirstWindow:
    first = FirstWindow(demo=False)
    qtbot.addWidget(first)
    first.show()
    first.login.pin.setFocus()
    return first


def test_a_pin_sent_before_the_till_has_started_signs_the_cashier_in(
    qtbot: QtBot, shop: Shop, pos_environment: Path, starts: list[TillStart]
) -> None:
    if shop.till.engine.dialect.name != "sqlite":
        pytest.skip("the first screen reads the cashiers of a local SQLite store only")
    listed = first_look(demo=False).users()
    # Both active users, by name as list_users orders them: Ayşe before Mehmet.
    assert listed == (shop.manager, shop.cashier)
    first = open_first(qtbot)
    assert listed is not None
    first.users_listed.emit(listed)
    first.login.select_user(shop.cashier.id)
    qtbot.keyClicks(first.login.pin, "1111")
    qtbot.keyClick(first.login.pin, Qt.Key.Key_Return)
    assert first.pending == (shop.cashier.id, "1111")  # held: there is no till yet
    # The PIN field is empty again, and the cashier is told why nothing happens yet.
    assert first.login.pin.text() == ""
    assert first.login.hint.text() == "Kasa açılıyor: hazır olunca giriş yapılacak"

    start = begin(first, starts)
    qtbot.waitUntil(lambda: start.running is not None, timeout=START_MS)
    assert start.running is not None
    window = start.running.window
    assert window.login is first.login  # the same screen, taken over
    assert not first.isVisible()
    qtbot.waitUntil(lambda: window.user is not None, timeout=10_000)
    assert window.user == shop.cashier
    assert window.stack.currentWidget() is window.sale_page
    assert window.login.hint.text().startswith("Adınızı seçin")  # the usual hint again
    window.close()
    assert start.finish(0) == 0  # the start closed the till and returned the window's code


def test_the_till_started_behind_the_sign_in_screen_keeps_what_the_cashier_chose(
    qtbot: QtBot, shop: Shop, pos_environment: Path, starts: list[TillStart]
) -> None:
    first = open_first(qtbot)
    listed = first_look(demo=False).users()
    typed = ""
    if listed is not None:  # a local store: the cashiers are there at once
        first.users_listed.emit(listed)
        first.login.select_user(shop.manager.id)
        typed = "99"  # half the PIN typed as the till window comes
        qtbot.keyClicks(first.login.pin, typed)

    start = begin(first, starts)
    qtbot.waitUntil(lambda: start.running is not None, timeout=START_MS)
    assert start.running is not None
    window = start.running.window
    # The till lists the users itself (a central store's too), keeping the one chosen.
    qtbot.waitUntil(lambda: len(window.login.users) == 2, timeout=10_000)
    if listed is None:
        window.login.select_user(shop.manager.id)
    assert window.login.selected_user_id() == shop.manager.id
    assert window.login.pin.text() == typed
    qtbot.keyClicks(window.login.pin, "9999"[len(typed) :])
    qtbot.keyClick(window.login.pin, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.user is not None, timeout=10_000)
    assert window.user == shop.manager


def test_a_start_that_fails_ends_with_its_code_and_says_why(
    qtbot: QtBot,
    shop: Shop,
    pos_environment: Path,
    starts: list[TillStart],
    capsys: pytest.CaptureFixture[str],
) -> None:
    pos_environment.write_text("[till]\nreservation_ttl_minutes = 0\n", encoding="utf-8")
    first = open_first(qtbot)
    start = TillStart(first, [])
    starts.append(start)
    with qtbot.waitSignal(start.failed, timeout=START_MS) as failed:
        start.begin()
    assert failed.args == [2]

    assert start.running is None  # no till window was opened
    assert start.finish(0) == 2
    assert "till.reservation_ttl_minutes must be 1-1440 minutes" in capsys.readouterr().err
