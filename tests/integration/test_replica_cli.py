"""``pos replica init | pull | status`` as a shop's administrator runs them."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import URL, text

from pos.cli import main
from pos.store.engine import make_engine
from pos.store.migrate import head_revision, upgrade
from pos.store.replica import REPLICA_FILE
from tests.conftest import _empty_postgres
from tests.integration.test_cli import home  # noqa: F401 (the fixture)


def replica_file(user: Path) -> Path:
    return user / "data" / "kasa" / REPLICA_FILE


def test_status_without_a_replica_says_how_to_build_one(home, capsys):  # noqa: F811
    assert main(["replica", "status"]) == 1

    said = capsys.readouterr().err
    assert "pos replica init" in said
    assert str(replica_file(home)) in said


def test_a_local_store_has_no_replica_to_build(home, tmp_path, capsys):  # noqa: F811
    assert main(["replica", "init", "--url", f"sqlite:///{tmp_path / 'shop.sqlite3'}"]) == 1

    assert "PostgreSQL" in capsys.readouterr().err
    assert not replica_file(home).exists()


def test_init_pull_and_status_against_the_central_store(
    home,  # noqa: F811
    postgres_url: URL,
    capsys,
):
    central = make_engine(postgres_url)
    _empty_postgres(central)
    url = postgres_url.render_as_string(hide_password=False)
    try:
        with central.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO products (sku, name, price_minor, currency, tax_rate_bp, active,"
                    " created_at, updated_at) VALUES ('S-1', 'Çay', 100, 'TRY', 2000, true,"
                    " now(), now())"
                )
            )

        assert main(["replica", "init", "--url", url]) == 0
        assert "rows copied" in capsys.readouterr().out

        with central.begin() as connection:
            connection.execute(text("UPDATE products SET name = 'Kahve' WHERE sku = 'S-1'"))
        assert main(["replica", "pull", "--url", url, "--batch", "1"]) == 0
        assert "rows pulled" in capsys.readouterr().out

        assert main(["replica", "status"]) == 0
        shown = capsys.readouterr().out
        assert f"central schema: {head_revision()}" in shown
        assert "products" in shown
        local = make_engine(f"sqlite:///{replica_file(home)}")
        with local.connect() as connection:
            assert connection.execute(text("SELECT name FROM products")).scalar() == "Kahve"
        local.dispose()
    finally:
        central.dispose()


def test_a_store_a_newer_kasa_migrated_is_named_not_touched(home, tmp_path, capsys):  # noqa: F811
    url = f"sqlite:///{tmp_path / 'shop.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0042'"))
    engine.dispose()

    assert main(["stock", "--url", url]) == 1

    said = capsys.readouterr().err
    assert "0042" in said
    assert head_revision() in said
