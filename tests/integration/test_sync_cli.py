"""``pos sync status`` and ``pos sync push``: a till's offline sales sent home from the
command line, its central store a real PostgreSQL and its replica in its data folder."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from pos.cli import main
from pos.settings import data_dir
from pos.store.replica import open_replica
from pos.store.tables import orders
from pos.sync.replica import build_replica
from tests.conftest import value
from tests.offline import offline_uow
from tests.syncing import sell_offline


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("POS_DATABASE_URL", raising=False)
    monkeypatch.setenv("POS_LOCALE", "tr")
    return tmp_path


def test_sync_status_counts_the_unsent_sales_and_sync_push_sends_them(
    home, store, shelf, clock, capsys
):
    if store.dialect != "postgresql":
        pytest.skip("a till keeps a replica only of a central PostgreSQL")
    products = [shelf.product(stock=30) for _ in range(3)]
    folder = data_dir()
    folder.mkdir(parents=True)
    value(build_replica(store.engine, folder / "replica.sqlite3"))  # as `pos replica init`
    replica = open_replica(folder / "replica.sqlite3")
    sell_offline(offline_uow(replica, clock), products, 3)
    replica.dispose()
    url = store.url.render_as_string(hide_password=False)

    assert main(["sync", "status", "--url", url]) == 0
    assert "unsent:       3" in capsys.readouterr().out
    assert main(["sync", "push", "--url", url]) == 0
    said = capsys.readouterr()
    assert "3 / 3 satış gönderildi" in said.err
    assert "sent 3 of 3: 3 taken" in said.out
    assert main(["sync", "status", "--url", url]) == 0
    out = capsys.readouterr().out
    assert "unsent:       0" in out
    assert "ingested:     3" in out
    with store.engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(orders)).scalar() == 3


def test_sync_without_a_replica_says_there_is_nothing_to_send(home, tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'shop.sqlite3'}"
    assert main(["sync", "status", "--url", url]) == 2
    assert "keeps no replica" in capsys.readouterr().err
