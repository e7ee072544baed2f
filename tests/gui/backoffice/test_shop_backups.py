"""The shop page tells the manager when the last good backup was made, or why it failed."""

from __future__ import annotations

import dataclasses
import re
from datetime import timedelta
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from pos.domain.backups import BackupPolicy
from pos.services.backups import make_backup
from tests.gui.backoffice.conftest import settle
from tests.gui.conftest import Shop
from ui.backoffice.common import Context
from ui.backoffice.shop import ShopPage

pytestmark = pytest.mark.parametrize("store", ["sqlite"], indirect=True)


@pytest.fixture
def kept(shop: Shop, context: Context, tmp_path: Path) -> Context:
    policy = BackupPolicy(directory=tmp_path / "backups", pause=timedelta(0))
    settings = dataclasses.replace(shop.till.settings, backup=policy)
    return dataclasses.replace(context, till=dataclasses.replace(shop.till, settings=settings))


def shown(qtbot: QtBot, context: Context) -> ShopPage:
    page = ShopPage(context)
    qtbot.addWidget(page)
    page.show()
    page.refresh()
    settle(qtbot, context)
    return page


def test_the_shop_page_says_there_is_no_backup_yet(qtbot, kept, turkish):
    page = shown(qtbot, kept)
    assert page.backup_box.title() == "Yedekler"
    assert page.backup_line.text() == "Yedek: henüz yok"


def test_the_shop_page_shows_the_last_good_backup(qtbot, kept, turkish):
    policy = kept.till.settings.backup
    made = make_backup(kept.till.settings.database_url, (policy.directory,), policy)
    assert made.ok

    page = shown(qtbot, kept)

    shown_text = page.backup_line.text()
    assert shown_text.startswith("Son iyi yedek: ")
    # The size is the empty store's, which grows with each table a migration adds.
    assert re.search(
        rf"\n0 satış, \d+,\d MiB, {re.escape(str(policy.directory))} klasöründe$", shown_text
    )
    assert page.backup_line.property("kind") == ""
