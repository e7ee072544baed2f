"""The till's replica in its window, on a real central PostgreSQL: the first start builds
it with a progress bar while the cashier may sell, a till started with its store down
says at once that it sells offline, a replica it cannot use is said with the way out,
and a paid sale reaches the replica at once."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from pos.bootstrap import Till, bootstrap, start_central
from pos.services.catalogue import ProductDraft, create_product
from pos.settings import Settings
from pos.store.tables import inventory, products
from pos.sync.replica import build_replica
from tests.conftest import Store, value
from tests.faultproxy import FaultProxy
from tests.gui.conftest import AYRAN, Shop, make_window, scan, settle, sign_in
from tests.gui.test_printing import pay_cash
from tests.offline_till import FAST, QUICK
from ui.till import TillWindow
from ui.till.replica import ReplicaKeeper

OFFLINE_TEXT = "Merkez kasaya ulaşılamıyor: satışlar bu kasada saklanıyor"
PREPARING = "Bu kasa çevrimdışı satışa hazırlanıyor; bu arada satış yapabilirsiniz"

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
    url = store.url.set(host=proxy.host, port=proxy.port)
    return Settings(
        database_url=url.render_as_string(hide_password=False),
        store_timeouts=FAST,
        connectivity=QUICK,
        replica_path=path,
    )


@pytest.fixture
def started(settings: Settings) -> Iterator[list[Till]]:
    """Tills a test starts, closed after it."""
    tills: list[Till] = []
    yield tills
    for till in tills:
        till.close()


def start(settings: Settings, tills: list[Till]) -> Till:
    till = bootstrap(settings, environ={})
    tills.append(till)
    start_central(till)
    return till


def open_window(qtbot: QtBot, shop: Shop, till: Till) -> tuple[TillWindow, ReplicaKeeper]:
    window = make_window(qtbot, dataclasses.replace(shop, till=till), None)
    if till.monitor is not None:
        till.monitor.start()
    return window, ReplicaKeeper(window, till, every=3600).start()


def close(window: TillWindow, keeper: ReplicaKeeper) -> None:
    keeper.stop()
    window.close()


def test_the_first_start_builds_the_replica_with_a_progress_bar_while_selling_online(
    qtbot: QtBot, shop: Shop, settings: Settings, path: Path, started: list[Till]
) -> None:
    till = start(settings, started)
    assert till.replica is None
    window, keeper = open_window(qtbot, shop, till)
    progress: list[tuple[int, int]] = []
    keeper.progressed.connect(lambda done, total: progress.append((done, total)))
    try:
        assert window.replica_notice.isVisible()
        assert window.replica_notice.text.text() == PREPARING
        assert window.replica_notice.bar.isVisible()
        sign_in(qtbot, window, shop.cashier, "1111")
        scan(qtbot, window, AYRAN)  # online meanwhile, on the central store
        assert [line.quantity for line in window.cart_model.lines] == [1]

        qtbot.waitUntil(lambda: till.replica is not None, timeout=30_000)

        assert progress
        assert progress[-1][0] == progress[-1][1] > 0  # the bar went to the end
        assert path.is_file()
        assert not window.replica_notice.isVisible()
        assert till.monitor is not None
        assert till.monitor.running  # the till can go offline from now on
        assert keeper.refresher is not None
        assert keeper.refresher.running
    finally:
        close(window, keeper)


def test_a_till_started_with_its_store_down_says_at_once_that_it_sells_offline(
    qtbot: QtBot,
    shop: Shop,
    store: Store,
    settings: Settings,
    proxy: FaultProxy,
    path: Path,
    started: list[Till],
) -> None:
    value(build_replica(store.engine, path))
    proxy.refuse()
    till = start(settings, started)
    window, keeper = open_window(qtbot, shop, till)
    try:
        assert window.offline_banner.isVisible()
        assert window.offline_banner.text().startswith(OFFLINE_TEXT)
        sign_in(qtbot, window, shop.cashier, "1111")  # against the replica
        scan(qtbot, window, AYRAN)
        assert [line.quantity for line in window.cart_model.lines] == [1]
        assert till.offline
    finally:
        close(window, keeper)


def test_a_damaged_replica_is_said_with_the_way_out_and_the_till_sells_online(
    qtbot: QtBot,
    shop: Shop,
    store: Store,
    settings: Settings,
    path: Path,
    started: list[Till],
) -> None:
    value(build_replica(store.engine, path))
    path.write_bytes(b"not a database" * 100)
    till = start(settings, started)
    window, keeper = open_window(qtbot, shop, till)
    try:
        notice = window.replica_notice
        assert notice.isVisible()
        assert "Yerel kopya bozuk" in notice.text.text()
        assert "pos replica init" in notice.text.text()
        assert notice.property("kind") == "warning"
        assert keeper.builder is None  # a damaged file is not replaced behind the shop's back
        sign_in(qtbot, window, shop.cashier, "1111")
        scan(qtbot, window, AYRAN)
        assert not till.offline
    finally:
        close(window, keeper)


def test_a_sale_paid_online_reaches_the_replica_at_once(
    qtbot: QtBot,
    shop: Shop,
    store: Store,
    settings: Settings,
    path: Path,
    started: list[Till],
) -> None:
    value(build_replica(store.engine, path))
    till = start(settings, started)
    window, keeper = open_window(qtbot, shop, till)
    product = shop.products[AYRAN]
    assert till.replica is not None
    replica = till.replica

    def replica_stock() -> int:
        with replica.connect() as connection:
            return int(
                connection.execute(
                    select(inventory.c.available).where(inventory.c.product_id == product)
                ).scalar_one()
            )

    try:
        assert replica_stock() == 10
        sign_in(qtbot, window, shop.cashier, "1111")
        scan(qtbot, window, AYRAN)
        pay_cash(qtbot, window)
        settle(qtbot, window)

        qtbot.waitUntil(lambda: replica_stock() == 9, timeout=10_000)  # not in an hour
    finally:
        close(window, keeper)


def test_a_replica_left_for_the_window_is_opened_off_its_thread_and_kept_fresh(
    qtbot: QtBot,
    shop: Shop,
    store: Store,
    settings: Settings,
    path: Path,
    started: list[Till],
) -> None:
    value(build_replica(store.engine, path))
    till = bootstrap(settings, environ={}, replica_later=True)
    started.append(till)
    start_central(till)
    assert till.replica is None  # the window opens it
    window, keeper = open_window(qtbot, shop, till)
    try:
        sign_in(qtbot, window, shop.cashier, "1111")  # online meanwhile

        qtbot.waitUntil(lambda: till.replica is not None, timeout=15_000)

        assert till.monitor is not None
        assert till.monitor.running
        assert keeper.refresher is not None
        assert keeper.refresher.running
        assert keeper.builder is None  # opened, not built again
        assert not window.replica_notice.isVisible()
    finally:
        close(window, keeper)


def test_a_back_office_change_made_at_this_till_reaches_the_replica_at_once(
    qtbot: QtBot,
    shop: Shop,
    store: Store,
    settings: Settings,
    path: Path,
    started: list[Till],
) -> None:
    value(build_replica(store.engine, path))
    till = start(settings, started)
    window, keeper = open_window(qtbot, shop, till)
    assert till.replica is not None
    replica = till.replica

    def names() -> set[str]:
        with replica.connect() as connection:
            return set(connection.execute(select(products.c.name)).scalars())

    try:
        draft = ProductDraft(sku="BOZA-1", name="Vefa Bozası 1 L", price_minor=90_00)
        # As the back office asks, through the window's operations (an hour's interval).
        window.ops.run(lambda: create_product(till.uow(), draft), lambda _result: None)

        qtbot.waitUntil(lambda: "Vefa Bozası 1 L" in names(), timeout=10_000)
    finally:
        close(window, keeper)
