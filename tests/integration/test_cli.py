"""The ``pos`` command as a shop's administrator runs it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from pos.cli import main
from pos.services.coupons import find_coupon
from pos.store.engine import make_engine
from pos.store.uow import UnitOfWork
from tests.conftest import value


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A user whose data and settings directories are empty."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("POS_DATABASE_URL", raising=False)
    monkeypatch.setenv("POS_LOCALE", "tr")
    return tmp_path


def test_run_demo_creates_the_demo_shop_and_prints_its_stock(home, capsys):
    assert main(["run", "--demo"]) == 0

    out = capsys.readouterr().out
    assert "Pınar Tam Yağlı Süt 1 L" in out
    assert (home / "data" / "kasa" / "demo.sqlite3").exists()
    assert main(["run", "--demo"]) == 0  # a second start leaves the shop as it is
    assert capsys.readouterr().out == out


def test_the_demo_shop_has_coupons_to_try(home):
    assert main(["run", "--demo"]) == 0
    engine = make_engine(f"sqlite:///{home / 'data' / 'kasa' / 'demo.sqlite3'}")
    try:
        uow = UnitOfWork(engine)
        welcome = value(find_coupon(uow, "hosgeldin10"))
        once = value(find_coupon(uow, "TEKSEFER"))
    finally:
        engine.dispose()
    assert welcome.terms.min_cart_minor == 100_00
    assert once.terms.usage_limit == 1


def test_db_upgrade_migrates_the_store_named_by_url(home, tmp_path, capsys):
    path = tmp_path / "shop.sqlite3"

    assert main(["db", "upgrade", "--url", f"sqlite:///{path}"]) == 0

    assert path.exists()
    assert "up to date" in capsys.readouterr().out


def test_import_reports_bad_rows_in_the_users_language(home, tmp_path, capsys):
    csv_file = tmp_path / "products.csv"
    csv_file.write_text("sku,name,price\nA-1,Elma,abc\n", encoding="utf-8")
    url = f"sqlite:///{tmp_path / 'shop.sqlite3'}"

    assert main(["import-products", str(csv_file), "--url", url]) == 1

    err = capsys.readouterr().err
    assert "İçe aktarma yapılmadı: 1 satır hatalı" in err
    assert "Satır 2: Geçersiz fiyat" in err


def test_the_console_script_runs(home):
    done = subprocess.run(
        [sys.executable, "-m", "pos", "--help"], capture_output=True, text=True, check=True
    )
    assert "run" in done.stdout
    assert "db" in done.stdout


def test_stock_and_sweep_work_on_the_store_named_by_url(home, tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'shop.sqlite3'}"
    csv_file = tmp_path / "products.csv"
    csv_file.write_text("sku,name,price\nELMA-1,Amasya Elması,12.50\n", encoding="utf-8")
    assert main(["import-products", str(csv_file), "--url", url]) == 0
    assert capsys.readouterr().out.strip() == "1 created, 0 updated"

    assert main(["stock", "--url", url]) == 0
    rows = capsys.readouterr().out.splitlines()
    assert rows[1].split() == ["ELMA-1", "Amasya", "Elması", "0", "0"]

    assert main(["sweep", "--url", url]) == 0
    assert capsys.readouterr().out.strip() == "0 reservations expired, 0 units returned"


def test_a_password_in_the_settings_file_stops_the_till(home, capsys):
    settings = home / "config" / "kasa" / "settings.toml"
    settings.parent.mkdir(parents=True)
    settings.write_text('[database]\nurl = "postgresql://kasa:hunter2@db/kasa"\n')

    assert main(["stock"]) == 2
    assert "keyring" in capsys.readouterr().err
