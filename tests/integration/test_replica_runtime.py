"""A till and its replica at run time, on a real central PostgreSQL behind a real TCP
proxy: the till starts offline when the store is down, keeps its replica fresh every so
often and at once after its own sales, never pulls while offline, and a replica it cannot
use at start is said (with the way out) while it sells online."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import OperationalError

from pos.bootstrap import Till, bootstrap, start_central
from pos.cli import main
from pos.domain.messages import render
from pos.domain.results import Code, Err, Ok
from pos.runtime.connectivity import Mode
from pos.runtime.replica import ReplicaRefresher
from pos.services.cart import add_scanned
from pos.services.catalogue import ProductDraft, create_product
from pos.settings import Settings
from pos.store.migrate import head_revision
from pos.store.replica import open_replica
from pos.store.tables import inventory, products
from pos.sync.replica import build_replica
from tests.conftest import Store, value
from tests.faultproxy import FaultProxy
from tests.lockholder import write_locked
from tests.offline import offline_uow
from tests.offline_till import FAST, QUICK
from tests.sales import new_cart, pay_cash
from tests.syncing import assert_exactly_once, offline_orders, sell_offline, unsent

pytestmark = pytest.mark.parametrize("store", ["postgresql"], indirect=True)


@pytest.fixture
def proxy(store: Store) -> Iterator[FaultProxy]:
    with FaultProxy(store.url.host or "127.0.0.1", store.url.port or 5432) as proxy:
        yield proxy


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "replica.sqlite3"


@pytest.fixture
def settings(store: Store, proxy: FaultProxy, path: Path) -> Settings:
    """A till's settings: its central store through the proxy, its replica at ``path``."""
    url = store.url.set(host=proxy.host, port=proxy.port)
    return Settings(
        database_url=url.render_as_string(hide_password=False),
        store_timeouts=FAST,
        connectivity=QUICK,
        replica_path=path,
    )


def built(store: Store, path: Path) -> None:
    value(build_replica(store.engine, path))


def eventually(condition: Callable[[], bool], within: float) -> None:
    started = time.monotonic()
    while not condition():
        assert time.monotonic() - started < within, "it never happened"
        time.sleep(0.05)


def replica_stock(replica: Engine, product: int) -> int | None:
    with replica.connect() as connection:
        return connection.execute(
            select(inventory.c.available).where(inventory.c.product_id == product)
        ).scalar()


def replica_names(replica: Engine) -> set[str]:
    with replica.connect() as connection:
        return set(connection.execute(select(products.c.name)).scalars())


def back_online(till: Till, within: float) -> None:
    assert till.monitor is not None
    started = time.monotonic()
    while till.monitor.mode is Mode.OFFLINE:
        assert time.monotonic() - started < within, "the till never came back online"
        till.monitor.check()
        time.sleep(till.monitor.policy.probe_every)


# -- starting without the central store --------------------------------------------------


def test_a_till_with_a_replica_starts_offline_when_the_central_store_is_down(
    store, shelf, proxy, settings, path
):
    product = shelf.product(stock=4, name="Simit")
    built(store, path)
    proxy.refuse()

    till = bootstrap(settings, environ={})
    try:
        started = time.monotonic()
        start_central(till)
        assert time.monotonic() - started < FAST.connect + 2  # one connect timeout, no hang

        assert till.notes.started_offline
        assert till.monitor is not None
        assert till.monitor.mode is Mode.OFFLINE
        assert till.offline
        cart = new_cart(till.uow())  # the replica sells: its catalogue is the central's
        assert value(add_scanned(till.uow(), cart, "SKU-0001", 1)).lines[0].product_id == product

        proxy.heal()  # the store is back: schema checked, then online
        back_online(till, within=15)
        assert till.notes.central_checked
        assert till.notes.central is None
        assert not till.offline
    finally:
        till.close()


def test_a_till_restarted_with_unsent_offline_sales_starts_offline_and_sends_them_first(
    store, shelf, clock, proxy, settings, path
):
    product = shelf.product(stock=9, name="Simit")
    built(store, path)
    replica = open_replica(path)
    try:  # the till sold offline, then stopped before the central store came back
        sell_offline(offline_uow(replica, clock), [product], 3, lines=1)
    finally:
        replica.dispose()

    till = bootstrap(settings, environ={})  # the central store answers at this start
    try:
        start_central(till)
        assert till.monitor is not None
        assert till.monitor.mode is Mode.OFFLINE  # not online before its sales are home
        assert till.replica is not None
        assert unsent(till.replica) == 3

        back_online(till, within=20)
        assert unsent(till.replica) == 0
        assert_exactly_once(store.engine, offline_orders(till.replica))
        cart = new_cart(till.uow())  # online now: the central store's numbers go on after 3
        value(add_scanned(till.uow(), cart, "SKU-0001", 1))
        paid = value(pay_cash(till.uow(), cart))
        assert paid.receipt == "T01-000004"
    finally:
        till.close()


def test_a_till_without_a_replica_cannot_start_while_the_central_store_is_down(
    store, proxy, settings
):
    proxy.refuse()
    till = bootstrap(settings, environ={})
    try:
        with pytest.raises(OperationalError):
            start_central(till)
    finally:
        till.close()


def test_a_central_store_newer_than_the_till_keeps_it_offline_and_says_which_version(
    store, shelf, proxy, settings, path
):
    shelf.product(stock=1)
    built(store, path)
    with store.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0099'"))
    till = bootstrap(settings, environ={})
    try:
        start_central(till)

        assert till.offline
        assert till.notes.central is not None
        said = render(till.notes.central.error, "en")
        assert "0099" in said
        assert head_revision() in said
        # The store answers steadily, but this till may not sell on it.
        assert till.monitor is not None
        for _ in range(QUICK.online_after_probes + 3):
            till.monitor.check()
            time.sleep(0.3)
        assert till.monitor.mode is Mode.OFFLINE
        assert till.offline
    finally:
        till.close()
        with store.engine.begin() as connection:
            connection.execute(
                text(f"UPDATE alembic_version SET version_num = '{head_revision()}'")
            )


def test_pos_says_on_the_command_line_that_it_started_offline(
    store, shelf, proxy, settings, path, monkeypatch, capsys
):
    shelf.product(stock=3, name="Poğaça")
    built(store, path)
    proxy.refuse()
    monkeypatch.setattr("pos.cli.load_settings", lambda: settings)

    assert main([]) == 0  # without a window: the stock, read on the replica

    said = capsys.readouterr()
    assert "selling offline on its replica" in said.err
    assert "Poğaça" in said.out


# -- a replica the till cannot use ---------------------------------------------------------


def damage(path: Path) -> None:
    with path.open("r+b") as file:
        file.seek(0)
        file.write(b"not a database at all" * 10)


def make_old(path: Path) -> None:
    with sqlite3.connect(path) as connection:
        connection.execute("UPDATE alembic_version SET version_num = '0001'")


@pytest.mark.parametrize(
    ("spoil", "code"),
    [(damage, Code.REPLICA_CORRUPT), (make_old, Code.REPLICA_OLD_SCHEMA)],
)
def test_a_replica_the_till_cannot_use_is_said_and_the_till_sells_online(
    store, shelf, settings, path, spoil, code
):
    shelf.product(stock=2)
    built(store, path)
    spoil(path)

    till = bootstrap(settings, environ={})
    try:
        start_central(till)
        assert till.replica is None
        assert till.monitor is None
        assert till.notes.replica is not None
        assert till.notes.replica.error.code is code
        assert "pos replica init" in render(till.notes.replica.error, "tr")
        cart = new_cart(till.uow())  # online, on the central store
        assert isinstance(add_scanned(till.uow(), cart, "SKU-0001", 1), Ok)
    finally:
        till.close()


def test_a_replica_another_process_holds_is_said_as_locked(store, shelf, settings, path):
    built(store, path)
    with write_locked(path):
        till = bootstrap(settings, environ={})
        till.close()
    assert till.notes.replica is not None
    assert till.notes.replica.error.code is Code.REPLICA_LOCKED


def test_pos_says_the_replica_is_damaged_and_opens_the_till_online(
    store, shelf, settings, path, monkeypatch, capsys
):
    shelf.product(stock=3, name="Ayran")
    built(store, path)
    damage(path)
    monkeypatch.setattr("pos.cli.load_settings", lambda: settings)

    assert main([]) == 0

    said = capsys.readouterr()
    assert "pos replica init" in said.err
    assert "online only" in said.err
    assert "Ayran" in said.out


# -- keeping it fresh ----------------------------------------------------------------------


@pytest.fixture
def replica(store, path) -> Iterator[Engine]:
    built(store, path)
    engine = open_replica(path)
    yield engine
    engine.dispose()


def test_the_replica_is_pulled_every_interval_while_online(store, uow, replica):
    refresher = ReplicaRefresher(store.engine, replica, lambda: True, every=0.2).start()
    try:
        value(create_product(uow, ProductDraft(sku="NEW-1", name="Gevrek", price_minor=500)))
        eventually(lambda: "Gevrek" in replica_names(replica), within=10)
        pulls = refresher.pulls
        eventually(lambda: refresher.pulls >= pulls + 2, within=10)  # and again, and again
    finally:
        refresher.stop()
    assert not refresher.running


def test_a_paid_sale_is_pulled_at_once_not_at_the_next_interval(store, uow, shelf, replica):
    product = shelf.product(stock=5)
    refresher = ReplicaRefresher(store.engine, replica, lambda: True, every=3600).start()
    try:
        assert replica_stock(replica, product) is None  # stocked after the build
        refresher.nudge()
        eventually(lambda: replica_stock(replica, product) == 5, within=10)

        cart = new_cart(uow)
        value(add_scanned(uow, cart, "SKU-0001", 1))
        value(pay_cash(uow, cart))
        refresher.nudge()  # what the till's window does after each paid sale

        eventually(lambda: replica_stock(replica, product) == 4, within=10)
        assert refresher.pulls == 2
    finally:
        refresher.stop()


def test_nudges_that_come_together_make_one_pull_not_one_each(store, replica):
    refresher = ReplicaRefresher(store.engine, replica, lambda: True, every=3600).start()
    try:
        for _ in range(20):  # a busy till: twenty changes in a moment
            refresher.nudge()
        eventually(lambda: refresher.pulls >= 1, within=10)
        time.sleep(0.5)
        assert refresher.pulls <= 2  # the one under way, and one after it
    finally:
        refresher.stop()


def test_no_pull_while_the_till_is_offline(store, uow, replica):
    online = False
    refresher = ReplicaRefresher(store.engine, replica, lambda: online, every=0.1).start()
    try:
        value(create_product(uow, ProductDraft(sku="NEW-2", name="Boza", price_minor=700)))
        time.sleep(0.6)
        assert refresher.pulls == 0
        assert "Boza" not in replica_names(replica)
        online = True
        eventually(lambda: "Boza" in replica_names(replica), within=10)
    finally:
        refresher.stop()


def test_a_pull_cut_off_by_the_link_tells_the_monitor_and_the_next_one_catches_up(
    store, uow, proxy, settings, replica
):
    till = bootstrap(settings, environ={})  # its central engine goes through the proxy
    heard: list[str] = []
    refresher = ReplicaRefresher(
        till.engine, replica, lambda: True, every=3600, on_unreachable=lambda: heard.append("x")
    )
    try:
        value(create_product(uow, ProductDraft(sku="NEW-3", name="Salep", price_minor=900)))
        proxy.refuse()
        proxy.cut()
        failed = refresher.pull_now()
        assert isinstance(failed, Err)
        assert failed.code is Code.STORE_UNREACHABLE
        assert heard == ["x"]
        assert "Salep" not in replica_names(replica)

        proxy.heal()
        assert isinstance(refresher.pull_now(), Ok)
        assert "Salep" in replica_names(replica)
    finally:
        till.close()


def test_the_refresher_stops_cleanly_with_a_pull_waiting(store, replica):
    refresher = ReplicaRefresher(store.engine, replica, lambda: True, every=3600).start()
    refresher.nudge()
    started = time.monotonic()
    refresher.stop()
    assert time.monotonic() - started < 5
    assert not refresher.running


def test_pos_says_a_till_on_a_central_store_has_no_replica_yet(
    store, shelf, settings, path, monkeypatch, capsys
):
    shelf.product(stock=3, name="Kefir")
    monkeypatch.setattr("pos.cli.load_settings", lambda: settings)

    assert main([]) == 0  # without a window (which would build it): said, and sells online

    said = capsys.readouterr()
    assert "pos replica init" in said.err
    assert str(path) in said.err
    assert "Kefir" in said.out
    assert not path.exists()


# -- a replica left for the window to open -------------------------------------------------


def test_a_replica_left_for_later_is_opened_at_once_when_the_till_must_start_offline(
    store, shelf, proxy, settings, path
):
    shelf.product(stock=2)
    built(store, path)
    proxy.refuse()

    till = bootstrap(settings, environ={}, replica_later=True)
    try:
        assert till.replica is None
        assert till.notes.replica_pending == path
        start_central(till)

        assert till.replica is not None
        assert till.notes.replica_pending is None
        assert till.offline
        cart = new_cart(till.uow())
        assert isinstance(add_scanned(till.uow(), cart, "SKU-0001", 1), Ok)
    finally:
        till.close()


def test_a_damaged_replica_left_for_later_cannot_carry_a_start_without_the_store(
    store, proxy, settings, path
):
    built(store, path)
    damage(path)
    proxy.refuse()

    till = bootstrap(settings, environ={}, replica_later=True)
    try:
        with pytest.raises(OperationalError):
            start_central(till)
        assert till.notes.replica is not None
        assert till.notes.replica.error.code is Code.REPLICA_CORRUPT
        assert till.replica is None
    finally:
        till.close()
