"""The ``pos`` command as a shop's administrator runs it."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests
from sqlalchemy import select

from pos.cli import main
from pos.payments.http import HttpTerminal
from pos.payments.signatures import sign
from pos.payments.terminal import TerminalStatus
from pos.services.catalogue import find_product
from pos.services.coupons import find_coupon
from pos.store.engine import make_engine
from pos.store.models import PaymentEvent
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


def test_import_names_the_columns_it_did_not_read(home, tmp_path, capsys):
    csv_file = tmp_path / "products.csv"
    csv_file.write_text("sku;name;price;stock\nELMA-1;Amasya Elması;12,50;40\n", encoding="utf-8")
    url = f"sqlite:///{tmp_path / 'shop.sqlite3'}"

    assert main(["import-products", str(csv_file), "--url", url]) == 0

    assert capsys.readouterr().out.splitlines() == [
        "1 created, 0 updated",
        "columns not read: stock",
    ]


def test_import_reads_a_turkish_windows_excel_file_and_says_how(home, tmp_path, capsys):
    csv_file = tmp_path / "urunler.csv"
    csv_file.write_bytes(
        "Sku;Name;Price;Tax_Rate\r\n"
        "SEKER-1;Toz Şeker 1 kg;54,50;1\r\n"
        "CAY-1;Çaykur Rize Çayı 1 kg;189,90;%20\r\n"
        "ICECEK-1;İçecek: Ağrı Dağı Suyu 0,5 L;7,25;%1\r\n".encode("cp1254")
    )
    url = f"sqlite:///{tmp_path / 'shop.sqlite3'}"

    assert main(["import-products", str(csv_file), "--url", url]) == 0

    assert capsys.readouterr().out.splitlines() == [
        "3 created, 0 updated",
        "read as Windows-1254 (Türkçe Excel)",
    ]
    engine = make_engine(url)
    try:
        uow = UnitOfWork(engine)
        named = {
            sku: value(find_product(uow, sku)).name for sku in ("SEKER-1", "CAY-1", "ICECEK-1")
        }
    finally:
        engine.dispose()
    assert named == {
        "SEKER-1": "Toz Şeker 1 kg",
        "CAY-1": "Çaykur Rize Çayı 1 kg",
        "ICECEK-1": "İçecek: Ağrı Dağı Suyu 0,5 L",
    }


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


# -- the card terminal's commands --------------------------------------------------------


@pytest.fixture
def served(home: Path) -> Iterator[Callable[..., tuple[subprocess.Popen[str], str]]]:
    """Start a ``pos`` server command; answers the process and the first line it printed."""
    children: list[subprocess.Popen[str]] = []

    def start(*argv: str) -> tuple[subprocess.Popen[str], str]:
        env = {**os.environ, "POS_TERMINAL_API_KEY": "sk_cli", "POS_WEBHOOK_SECRET": "whsec_cli"}
        child = subprocess.Popen(
            [sys.executable, "-m", "pos", *argv],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        children.append(child)
        assert child.stdout is not None
        return child, child.stdout.readline()

    yield start
    for child in children:
        child.send_signal(signal.SIGINT)
        child.wait(timeout=10)


def test_terminal_sim_serves_the_terminal_protocol_until_interrupted(served):
    child, line = served("terminal-sim", "--port", "0", "--delay", "0.05")
    url = re.search(r"http://127\.0\.0\.1:\d+", line)
    assert url, line
    terminal = HttpTerminal(url.group(0), "sk_cli", retries=0)
    started = terminal.start_payment(
        amount_minor=1000,
        currency="TRY",
        idempotency_key="cli-1",
        payment_id=1,
        order_id=uuid.uuid4(),
    )
    assert started.status is TerminalStatus.PENDING
    child.send_signal(signal.SIGINT)
    assert child.wait(timeout=10) == 0


def test_serve_webhooks_stores_signed_events_for_the_store_named_by_url(served, tmp_path):
    url = f"sqlite:///{tmp_path / 'office.sqlite3'}"
    _child, line = served("serve-webhooks", "--url", url, "--port", "0")
    address = re.search(r"http://127\.0\.0\.1:\d+/webhook/payment", line)
    assert address, line
    body = json.dumps(
        {
            "id": "evt_cli",
            "type": "payment.succeeded",
            "created": int(time.time()),
            "data": {
                "object": {
                    "id": "pay_cli",
                    "object": "payment",
                    "status": "succeeded",
                    "amount": 1000,
                    "currency": "TRY",
                    "metadata": {},
                }
            },
        }
    ).encode()
    unsigned = requests.post(address.group(0), data=body, timeout=5)
    signed = requests.post(
        address.group(0),
        data=body,
        headers={"Pos-Signature": sign(body, "whsec_cli")},
        timeout=5,
    )
    assert unsigned.status_code == 400
    assert signed.status_code == 200
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            kept = connection.execute(select(PaymentEvent.event_id, PaymentEvent.outcome)).all()
    finally:
        engine.dispose()
    assert [tuple(row) for row in kept] == [("evt_cli", "unmatched")]


def test_servers_refuse_to_start_without_their_secrets(home, capsys, monkeypatch):
    monkeypatch.delenv("POS_WEBHOOK_SECRET", raising=False)
    monkeypatch.delenv("POS_TERMINAL_API_KEY", raising=False)
    assert main(["serve-webhooks", "--port", "0"]) == 2
    assert "pos secrets set webhook" in capsys.readouterr().err
    assert main(["terminal-sim", "--port", "0"]) == 2
    assert "pos secrets set terminal" in capsys.readouterr().err
