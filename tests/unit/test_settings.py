"""Settings and the central store's password: keyring only, never a file."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail

from pos.credentials import (
    NoKeyringError,
    credential_name,
    secrets_for,
    store_password,
    store_secret,
    with_password,
)
from pos.settings import SettingsError, default_database_url, load_settings


class MemoryKeyring(KeyringBackend):
    """A keyring backend that lives in memory, as an OS keyring would for the test."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.secrets: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.secrets.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.secrets[service, username] = password

    def delete_password(self, service: str, username: str) -> None:
        self.secrets.pop((service, username), None)


@pytest.fixture
def os_keyring():
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture
def no_keyring():
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield
    keyring.set_keyring(previous)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "settings.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_default_store_is_a_sqlite_file_in_the_user_data_directory(tmp_path):
    settings = load_settings({}, tmp_path / "missing.toml")

    assert settings.database_url == default_database_url()
    assert settings.database_url.startswith("sqlite:///")
    assert settings.database_url.endswith("kasa.sqlite3")
    assert settings.policy.cart_hold == timedelta(minutes=15)


def test_the_settings_file_points_the_till_at_postgresql(tmp_path):
    path = write(
        tmp_path,
        '[database]\nurl = "postgresql+psycopg://kasa@db.shop/kasa"\n'
        '[till]\nreservation_ttl_minutes = 20\nlocale = "en"\n',
    )

    settings = load_settings({}, path)

    assert settings.database_url == "postgresql+psycopg://kasa@db.shop/kasa"
    assert settings.policy.cart_hold == timedelta(minutes=20)
    assert settings.locale == "en"


def test_a_shop_sets_how_many_sales_a_till_may_park(tmp_path):
    assert load_settings({}, write(tmp_path, "")).policy.parked_limit == 5
    path = write(tmp_path, "[till]\nparked_sales_limit = 2\n")

    assert load_settings({}, path).policy.parked_limit == 2


def test_the_environment_overrides_the_settings_file(tmp_path):
    path = write(tmp_path, '[database]\nurl = "postgresql://kasa@db.shop/kasa"\n')

    settings = load_settings({"POS_DATABASE_URL": "sqlite:////tmp/other.sqlite3"}, path)

    assert settings.database_url == "sqlite:////tmp/other.sqlite3"


def test_a_password_in_the_settings_file_is_refused(tmp_path):
    path = write(tmp_path, '[database]\nurl = "postgresql://kasa:s3cret@db.shop/kasa"\n')

    with pytest.raises(SettingsError, match="keyring"):
        load_settings({}, path)


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+psycopg://kasa@db.shop/kasa?password=hunter2",
        "postgresql+psycopg://kasa@db.shop/kasa?sslmode=require&PASSWORD=hunter2",
        "postgresql+psycopg://kasa@db.shop/host%3Ddb.shop%20password%3Dhunter2",
        "postgresql+psycopg://kasa@db.shop/kasa?dbname=host%3Ddb%20password%3Dhunter2",
    ],
)
def test_a_password_anywhere_in_the_settings_files_url_is_refused(tmp_path, url):
    path = write(tmp_path, f'[database]\nurl = "{url}"\n')

    with pytest.raises(SettingsError, match="keyring") as refused:
        load_settings({}, path)
    assert "hunter2" not in str(refused.value)


def test_a_password_file_in_the_settings_files_url_is_accepted(tmp_path):
    url = "postgresql+psycopg://kasa@db.shop/kasa?passfile=/etc/kasa/pgpass"

    assert load_settings({}, write(tmp_path, f'[database]\nurl = "{url}"\n')).database_url == url


def test_the_stores_timeouts_have_short_defaults(tmp_path):
    timeouts = load_settings({}, tmp_path / "missing.toml").store_timeouts

    assert 0 < timeouts.connect <= 10
    assert 0 < timeouts.lock <= timeouts.statement <= 30
    # A vanished till's locks are freed before a till waiting on them gives up.
    assert 0 < timeouts.idle_in_transaction < timeouts.lock
    assert 0 < timeouts.keepalive <= 10
    assert 0 < timeouts.busy <= 30


def test_the_stores_timeouts_come_from_the_settings_file(tmp_path):
    path = write(
        tmp_path,
        "[database]\nconnect_timeout_seconds = 2\nstatement_timeout_seconds = 3\n"
        "lock_timeout_seconds = 1.5\nidle_in_transaction_timeout_seconds = 1\n"
        "keepalive_seconds = 4\nbusy_timeout_seconds = 0.25\n",
    )

    timeouts = load_settings({}, path).store_timeouts

    assert (timeouts.connect, timeouts.statement, timeouts.lock) == (2, 3, 1.5)
    assert (timeouts.idle_in_transaction, timeouts.keepalive, timeouts.busy) == (1, 4, 0.25)


@pytest.mark.parametrize(
    "text",
    [
        "[database]\nconnect_timeout_seconds = 0\n",
        "[database]\nstatement_timeout_seconds = -1\n",
        '[database]\nlock_timeout_seconds = "5"\n',
        "[database]\nidle_in_transaction_timeout_seconds = true\n",
        "[database]\nkeepalive_seconds = 100000\n",
        "[database]\nbusy_timeout_seconds = nan\n",
        "[database]\nbusy_timeout_seconds = inf\n",
    ],
)
def test_bad_timeouts_are_refused_with_the_setting_named(tmp_path, text):
    with pytest.raises(SettingsError, match=r"database\.\w+_seconds"):
        load_settings({}, write(tmp_path, text))


def test_a_till_behind_a_transaction_pooler_says_so_in_the_settings(tmp_path):
    assert load_settings({}, tmp_path / "missing.toml").store_pooled is False
    pooled = write(tmp_path, "[database]\ntransaction_pooled = true\n")
    assert load_settings({}, pooled).store_pooled is True
    with pytest.raises(SettingsError, match=r"database\.transaction_pooled"):
        load_settings({}, write(tmp_path, '[database]\ntransaction_pooled = "yes"\n'))


def test_a_settings_file_that_is_not_utf8_is_refused_naming_the_file(tmp_path):
    path = tmp_path / "settings.toml"
    path.write_bytes('[till]\nlocale = "tr"  # Türkçe\n'.encode("cp1254"))

    with pytest.raises(SettingsError, match="UTF-8") as refused:
        load_settings({}, path)
    assert str(path) in str(refused.value)


def test_a_settings_file_nested_too_deep_is_refused_naming_the_file(tmp_path):
    path = write(tmp_path, "x = " + "[" * 100_000 + "]" * 100_000 + "\n")

    with pytest.raises(SettingsError, match="deep") as refused:
        load_settings({}, path)
    assert str(path) in str(refused.value)


@pytest.mark.parametrize(
    "text",
    [
        "[database\nurl=",
        '[database]\nurl = "mysql://x@y/z"\n',
        '[database]\nurl = "not a url"\n',
        "[database]\nurl = 42\n",
        "[till]\nreservation_ttl_minutes = 0\n",
        '[till]\nreservation_ttl_minutes = "15"\n',
        '[till]\nlocale = "de"\n',
        '[till]\ncurrency = "XXQ"\n',
        "[till]\nparked_sales_limit = 0\n",
        "[till]\nparked_sales_limit = 51\n",
        "[till]\nparked_sales_limit = true\n",
        'till = "x"\n',
    ],
)
def test_malformed_settings_are_refused_with_a_clear_error(tmp_path, text):
    with pytest.raises(SettingsError):
        load_settings({}, write(tmp_path, text))


def test_the_password_comes_from_the_os_keyring(os_keyring):
    url = "postgresql+psycopg://kasa@db.shop:5432/kasa"
    store_password(url, "s3cret")

    assert os_keyring.secrets == {("kasa", "kasa@db.shop:5432/kasa"): "s3cret"}
    assert with_password(url, {}).password == "s3cret"


def test_each_server_and_login_has_its_own_keyring_entry(os_keyring):
    store_password("postgresql://kasa@db.shop/kasa", "one")
    store_password("postgresql://kasa@db.shop:5433/kasa", "two")

    assert with_password("postgresql://kasa@db.shop/kasa", {}).password == "one"
    assert with_password("postgresql://kasa@db.shop:5433/kasa", {}).password == "two"
    assert with_password("postgresql://other@db.shop/kasa", {}).password is None


def test_without_an_os_keyring_nothing_is_stored_and_the_user_is_told_what_to_do(
    no_keyring, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(NoKeyringError, match=r"No OS keyring.*pgpass.*POS_DATABASE_PASSWORD"):
        store_password("postgresql://kasa@db.shop/kasa", "s3cret")
    assert list(tmp_path.iterdir()) == []


def test_without_an_os_keyring_the_documented_fallback_is_used(no_keyring):
    url = with_password("postgresql://kasa@db.shop/kasa", {"POS_DATABASE_PASSWORD": "env"})

    assert url.password == "env"


def test_without_any_password_libpq_is_left_to_find_one_in_pgpass(no_keyring):
    assert with_password("postgresql://kasa@db.shop/kasa", {}).password is None


def test_sqlite_needs_no_password(os_keyring):
    assert with_password("sqlite:////tmp/x.sqlite3", {}).password is None
    assert credential_name(with_password("postgresql://a@b/c", {})) == "a@b:5432/c"


# -- the card terminal's settings and secrets -----------------------------------------


def test_the_terminal_and_listener_come_from_the_settings(tmp_path):
    path = write(
        tmp_path,
        '[terminal]\nurl = "https://gateway.example/pos"\npayment_window_minutes = 3\n'
        '[listener]\nhost = "0.0.0.0"\nport = 9100\n',
    )
    settings = load_settings({}, path)
    assert settings.terminal_url == "https://gateway.example/pos"
    assert settings.policy.card_answer_window == timedelta(minutes=3)
    assert (settings.listener_host, settings.listener_port) == ("0.0.0.0", 9100)


@pytest.mark.parametrize(
    "text",
    [
        '[terminal]\nurl = "ftp://gateway"\n',
        "[terminal]\nurl = 5\n",
        "[terminal]\npayment_window_minutes = 0\n",
        '[terminal]\npayment_window_minutes = "5"\n',
        '[terminal]\nprovider = ""\n',
        "[listener]\nport = 70000\n",
        "[listener]\nport = true\n",
        '[listener]\nhost = ""\n',
        'terminal = "x"\n',
    ],
)
def test_bad_terminal_or_listener_settings_are_refused_with_the_setting_named(tmp_path, text):
    with pytest.raises(SettingsError) as refused:
        load_settings({}, write(tmp_path, text))
    assert "terminal" in str(refused.value) or "listener" in str(refused.value)


def test_a_new_secret_keeps_the_one_it_replaces_valid_for_the_rotation(os_keyring):
    store_secret("webhook", "whsec_old")
    store_secret("webhook", "whsec_new")
    assert secrets_for("webhook", {}) == ["whsec_new", "whsec_old"]


def test_without_a_keyring_secrets_come_from_the_environment_and_are_never_stored(no_keyring):
    assert secrets_for("webhook", {"POS_WEBHOOK_SECRET": "a,b"}) == ["a", "b"]
    assert secrets_for("terminal", {}) == []
    with pytest.raises(NoKeyringError) as refused:
        store_secret("terminal", "sk_live")
    assert "POS_TERMINAL_API_KEY" in str(refused.value)


def test_only_the_terminal_secrets_are_kept(os_keyring):
    with pytest.raises(ValueError, match="unknown secret"):
        store_secret("database", "x")


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"LANG": "en_GB.UTF-8"}, "en"),
        ({"LANG": "tr_TR.UTF-8"}, "tr"),
        ({"LC_ALL": "en_US.UTF-8", "LANG": "tr_TR.UTF-8"}, "en"),
        ({"LANG": "de_DE.UTF-8"}, "tr"),
        ({}, "tr"),
        ({"LANG": "en_US.UTF-8", "POS_LOCALE": "tr"}, "tr"),
    ],
)
def test_the_language_follows_the_operating_system_unless_set(tmp_path, environ, expected):
    assert load_settings(environ, tmp_path / "missing.toml").locale == expected


def test_the_settings_file_language_wins_over_the_operating_systems(tmp_path):
    path = write(tmp_path, '[till]\nlocale = "tr"\n')
    assert load_settings({"LANG": "en_US.UTF-8"}, path).locale == "tr"


# -- a manager's approval at the till ---------------------------------------------------


def test_voiding_over_500_in_the_tills_currency_needs_a_manager_by_default(tmp_path):
    assert load_settings({}, tmp_path / "missing.toml").policy.void_approval_minor == 500_00
    yen = load_settings({}, write(tmp_path, '[till]\ncurrency = "JPY"\n'))
    assert yen.policy.void_approval_minor == 500  # the yen has no minor unit


@pytest.mark.parametrize(
    ("setting", "minor"),
    [
        ('"500,00"', 500_00),
        ('"750.5"', 750_50),
        ("250", 250_00),
        ("99.5", 99_50),
        ('"0"', 0),
        ("0", 0),
    ],
)
def test_the_void_approval_amount_is_typed_as_the_till_shows_money(tmp_path, setting, minor):
    path = write(tmp_path, f"[till]\nvoid_approval_amount = {setting}\n")
    assert load_settings({}, path).policy.void_approval_minor == minor


@pytest.mark.parametrize(
    "setting",
    [
        "-1",
        '"-5"',
        '"abc"',
        '""',
        "true",
        "inf",
        "nan",
        '"1.234,00"',
        '"12,345"',
        "[500]",
        '"99999999999"',
    ],
)
def test_a_bad_void_approval_amount_is_refused_with_the_setting_named(tmp_path, setting):
    path = write(tmp_path, f"[till]\nvoid_approval_amount = {setting}\n")
    with pytest.raises(SettingsError, match=r"till\.void_approval_amount must be an amount in TRY"):
        load_settings({}, path)


def test_a_till_has_no_printer_until_one_is_set(tmp_path):
    assert load_settings({}, tmp_path / "missing.toml").printer is None


def test_the_printer_profile_comes_from_the_settings_file(tmp_path):
    path = write(
        tmp_path,
        '[printer]\nurl = "tcp://192.168.1.50:9100"\nwidth = 32\ncode_page = "cp857"\n'
        "cutter = false\ndrawer_pin = 5\ndrawer_pulse_ms = 150\ntimeout_seconds = 2.5\n",
    )

    printer = load_settings({}, path).printer

    assert printer is not None
    assert (printer.connection.host, printer.connection.port) == ("192.168.1.50", 9100)
    assert (printer.width, printer.code_page, printer.cutter) == (32, "CP857", False)
    assert (printer.drawer_pin, printer.drawer_pulse_ms, printer.timeout_seconds) == (5, 150, 2.5)


def test_the_environment_names_the_printer_over_the_file(tmp_path):
    path = write(tmp_path, '[printer]\nurl = "file:/dev/usb/lp0"\nwidth = 48\n')

    printer = load_settings({"POS_PRINTER_URL": "usb:04b8:0e15"}, path).printer

    assert printer is not None
    assert (printer.connection.kind, printer.width) == ("usb", 48)


@pytest.mark.parametrize(
    "text",
    [
        '[printer]\nurl = "lpt1"\n',
        '[printer]\nurl = "tcp://p:9100"\nwidth = 40\n',
        '[printer]\nurl = "tcp://p:9100"\nwidth = "42"\n',
        '[printer]\nurl = "tcp://p:9100"\ncode_page = "CP437"\n',
        '[printer]\nurl = "tcp://p:9100"\ncutter = 1\n',
        '[printer]\nurl = "tcp://p:9100"\ntimeout_seconds = 0\n',
        '[printer]\nurl = "tcp://p:9100"\ncolour = "red"\n',
    ],
)
def test_a_printer_setting_it_cannot_have_is_refused_naming_the_printer(tmp_path, text):
    with pytest.raises(SettingsError, match="printer"):
        load_settings({}, write(tmp_path, text))


def test_the_offline_policy_has_cautious_defaults(tmp_path):
    offline = load_settings({}, tmp_path / "missing.toml").policy.offline

    assert offline.card is False
    assert offline.max_sale_minor == 5_000_00
    assert offline.max_unsent_minor == 50_000_00
    assert offline.max_offline == timedelta(hours=24)
    assert offline.coupon_allowance == 0


def test_the_offline_policy_comes_from_the_settings_file(tmp_path):
    path = write(
        tmp_path,
        '[offline]\ncard = true\nmax_sale_amount = "1500,50"\nmax_unsent_amount = 20000\n'
        "max_hours = 12\ncoupon_allowance = 3\n",
    )

    offline = load_settings({}, path).policy.offline

    assert offline.card is True
    assert offline.max_sale_minor == 1500_50
    assert offline.max_unsent_minor == 20_000_00
    assert offline.max_offline == timedelta(hours=12)
    assert offline.coupon_allowance == 3


def test_an_offline_limit_set_false_is_no_limit(tmp_path):
    path = write(tmp_path, "[offline]\nmax_sale_amount = false\nmax_hours = false\n")

    offline = load_settings({}, path).policy.offline

    assert offline.max_sale_minor is None
    assert offline.max_offline is None
    assert offline.max_unsent_minor == 50_000_00


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ('card = "yes"', "offline.card"),
        ("card = 1", "offline.card"),
        ("max_sale_amount = -5", "offline.max_sale_amount"),
        ('max_sale_amount = "12,345"', "offline.max_sale_amount"),
        ("max_unsent_amount = true", "offline.max_unsent_amount"),
        ("max_unsent_amount = 1e30", "offline.max_unsent_amount"),
        ("max_hours = 0", "offline.max_hours"),
        ("max_hours = nan", "offline.max_hours"),
        ("max_hours = 100000", "offline.max_hours"),
        ("max_hours = true", "offline.max_hours"),
        ("coupon_allowance = -1", "offline.coupon_allowance"),
        ("coupon_allowance = 2.5", "offline.coupon_allowance"),
        ("cards = true", "has no cards"),
    ],
)
def test_a_bad_offline_setting_is_refused_with_the_setting_named(tmp_path, text, named):
    path = write(tmp_path, f"[offline]\n{text}\n")

    with pytest.raises(SettingsError, match=named):
        load_settings({}, path)


def test_an_offline_section_that_is_not_a_table_is_refused(tmp_path):
    path = write(tmp_path, 'offline = "on"\n')

    with pytest.raises(SettingsError, match=r"\[offline\] must be a table"):
        load_settings({}, path)


def test_the_connectivity_policy_has_defaults_and_comes_from_the_settings_file(tmp_path):
    assert load_settings({}, tmp_path / "missing.toml").connectivity.online_after_seconds >= 5
    assert load_settings({}, tmp_path / "missing.toml").connectivity.pull_every == 30
    path = write(
        tmp_path,
        "[connectivity]\nprobe_seconds = 0.5\nprobe_timeout_seconds = 3\n"
        "offline_after_failed_probes = 3\nonline_after_probes = 4\n"
        'online_after_seconds = 20\ndrift_warning_seconds = 120\nreplica_path = "/srv/r.db"\n'
        "pull_seconds = 45\n",
    )

    settings = load_settings({}, path)

    policy = settings.connectivity
    assert (policy.probe_every, policy.probe_timeout, policy.drift_warning_seconds) == (0.5, 3, 120)
    assert (policy.offline_after_failed_probes, policy.online_after_probes) == (3, 4)
    assert policy.online_after_seconds == 20
    assert policy.pull_every == 45
    assert str(settings.replica_path) == "/srv/r.db"


@pytest.mark.parametrize(
    "text",
    [
        "[connectivity]\nprobe_seconds = 0\n",
        '[connectivity]\nonline_after_probes = "5"\n',
        "[connectivity]\noffline_after_failed_probes = true\n",
        "[connectivity]\ndrift_warning_seconds = nan\n",
        '[connectivity]\nreplica_path = "relative.db"\n',
        "[connectivity]\nprobe_every = 2\n",
        "[connectivity]\npull_seconds = 0\n",
    ],
)
def test_a_wrong_connectivity_setting_is_named(tmp_path, text):
    with pytest.raises(SettingsError, match="connectivity"):
        load_settings({}, write(tmp_path, text))
