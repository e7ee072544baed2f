"""The first screen's look at the till (``pos.runtime.first_look``): the language and the
cashiers, read with the standard library from a local SQLite store or from a central
store's replica, and nothing when it cannot tell (the start that follows says why)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pos.domain.users import UserView
from pos.runtime.first_look import first_look
from pos.services.users import list_users
from pos.store.uow import UnitOfWork
from tests.conftest import Store, value

CENTRAL = "postgresql+psycopg://kasa@central.example/kasa"


@pytest.fixture
def sqlite_file(store: Store) -> Path:
    if store.dialect != "sqlite":
        pytest.skip("the first screen reads SQLite files only")
    assert store.url.database is not None
    return Path(store.url.database)


def environment(tmp_path: Path, settings: str, **more: str) -> dict[str, str]:
    path = tmp_path / "settings.toml"
    path.write_text(settings, encoding="utf-8")
    return {"POS_SETTINGS_FILE": str(path), **more}


def test_a_local_store_gives_its_active_cashiers_in_the_order_the_till_lists_them(
    uow: UnitOfWork, manager: UserView, cashier: UserView, sqlite_file: Path, tmp_path: Path
) -> None:
    look = first_look(
        demo=False,
        environ=environment(
            tmp_path, '[till]\nlocale = "en"\n', POS_DATABASE_URL=f"sqlite:///{sqlite_file}"
        ),
    )

    assert look.locale == "en"
    assert look.users() == value(list_users(uow)) == (manager, cashier)


def test_a_central_store_gives_the_cashiers_of_its_replica(
    uow: UnitOfWork, manager: UserView, cashier: UserView, sqlite_file: Path, tmp_path: Path
) -> None:
    # A replica is a SQLite file with the store's tables: the test's store stands in for it.
    settings = f'[database]\nurl = "{CENTRAL}"\n[connectivity]\nreplica_path = "{sqlite_file}"\n'

    look = first_look(demo=False, environ=environment(tmp_path, settings))

    assert look.store_file == sqlite_file
    assert look.users() == (manager, cashier)


def test_what_the_first_screen_cannot_tell_is_left_to_the_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))  # where the store would be
    no_replica = first_look(
        demo=False,
        environ=environment(tmp_path, f'[database]\nurl = "{CENTRAL}"\n', LANG="en_GB.UTF-8"),
    )
    unreadable = first_look(demo=False, environ=environment(tmp_path, "[till\n", LANG="tr_TR"))
    unknown_language = first_look(
        demo=False, environ=environment(tmp_path, '[till]\nlocale = "xx"\n')
    )

    assert no_replica.locale == "en"
    assert no_replica.users() is None
    assert unreadable.store_file is None
    assert unreadable.locale == "tr"
    assert unknown_language.locale == "tr"
    # No store yet (the first start makes it): nothing listed, and no file made.
    store = tmp_path / "data" / "kasa" / "kasa.sqlite3"
    assert first_look(demo=False, environ=environment(tmp_path, "")).store_file == store
    assert first_look(demo=False, environ=environment(tmp_path, "")).users() is None
    assert not store.exists()
