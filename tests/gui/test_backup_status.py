"""The till says when its last good backup was made, and a manager signing in is warned
when it is too long ago: the shop learns of a stopped backup before it needs one."""

from __future__ import annotations

import dataclasses
import re
from datetime import timedelta
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from pos.domain.backups import BackupPolicy
from pos.services.backups import make_backup
from tests.gui.conftest import Shop, make_window, settle, sign_in
from ui.backups import BackupWatch

ON_SQLITE = pytest.mark.parametrize("store", ["sqlite"], indirect=True)
ON_POSTGRESQL = pytest.mark.parametrize(
    "store", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)


@pytest.fixture
def kept(shop: Shop, tmp_path: Path) -> Shop:
    """The shop with its backups kept in the test's own folder."""
    policy = BackupPolicy(directory=tmp_path / "backups", pause=timedelta(0))
    settings = dataclasses.replace(shop.till.settings, backup=policy)
    return dataclasses.replace(shop, till=dataclasses.replace(shop.till, settings=settings))


def watched(qtbot: QtBot, shop: Shop) -> tuple[object, BackupWatch]:
    window = make_window(qtbot, shop, None)
    watch = BackupWatch(window)
    settle(qtbot, window)
    return window, watch


@ON_SQLITE
def test_no_backup_yet_is_shown_and_a_manager_is_warned(qtbot, kept, turkish):
    window, watch = watched(qtbot, kept)
    assert watch.label.text() == "Yedek: yok"
    assert watch.label.toolTip() == "Yedek: henüz yok"
    assert watch.label.property("kind") == "warning"

    sign_in(qtbot, window, kept.manager, "9999")

    qtbot.waitUntil(lambda: window.banner.isVisible())
    assert "henüz hiç yedeği alınmadı" in window.banner.text()
    assert window.banner.property("kind") == "warning"


@ON_SQLITE
def test_a_cashier_is_not_warned(qtbot, kept, turkish):
    window, _watch = watched(qtbot, kept)
    sign_in(qtbot, window, kept.cashier, "1111")
    settle(qtbot, window)
    assert not window.banner.isVisible()


@ON_SQLITE
def test_a_backup_made_is_shown_and_no_one_is_warned(qtbot, kept, turkish):
    policy = kept.till.settings.backup
    window, watch = watched(qtbot, kept)
    report = make_backup(kept.till.settings.database_url, (policy.directory,), policy)

    watch.backup_done.emit(report)  # as the backup loop's thread tells it

    qtbot.waitUntil(lambda: re.fullmatch(r"Yedek: \d\d:\d\d", watch.label.text()) is not None)
    assert watch.label.toolTip().startswith("Son iyi yedek: ")
    assert watch.label.property("kind") == ""
    sign_in(qtbot, window, kept.manager, "9999")
    assert not window.banner.isVisible()


@ON_SQLITE
def test_a_failed_backup_says_why_in_the_shops_language(qtbot, kept, turkish):
    place = Path(kept.till.settings.backup.directory)
    _window, watch = watched(qtbot, kept)
    gone = dataclasses.replace(kept.till.settings, database_url="sqlite:////nonexistent/x.db")
    failed = make_backup(gone.database_url, (place,), kept.till.settings.backup)

    watch.backup_done.emit(failed)

    qtbot.waitUntil(lambda: watch.label.text() == "Yedek alınamadı")
    assert watch.label.toolTip().startswith("Son yedek alınamadı: ")
    assert "/nonexistent/x.db" in watch.label.toolTip()
    assert watch.label.property("kind") == "error"


@ON_POSTGRESQL
def test_a_till_on_the_central_store_leaves_backups_to_its_server(qtbot, kept, turkish):
    window, watch = watched(qtbot, kept)
    assert watch.label.text() == "Yedek: sunucuda"
    assert watch.label.property("kind") == ""

    sign_in(qtbot, window, kept.manager, "9999")

    assert not window.banner.isVisible()
