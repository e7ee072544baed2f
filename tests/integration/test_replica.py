"""The till's replica: built from a real central PostgreSQL, pulled exactly, and refused
with a way out when its file cannot be used."""

from __future__ import annotations

import io
import signal
import sqlite3
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import URL, Connection, Engine, select, text

from pos.domain.messages import render
from pos.domain.results import Code, Err
from pos.services.cart import add_to_cart
from pos.services.catalogue import (
    ProductDraft,
    create_product,
    deactivate_product,
    search_products,
    update_product,
)
from pos.services.coupons import CouponDraft, create_coupon, delete_coupon, set_coupon_active
from pos.services.product_import import import_products
from pos.services.stock import receive_stock
from pos.services.users import UserView, create_user, set_user_active
from pos.store.engine import make_engine
from pos.store.migrate import SchemaTooNew, head_revision, upgrade
from pos.store.models import REPLICATED, CouponKind, ProductWord, Role, table_of
from pos.store.replica import ReplicaFault, check_replica, create_replica_file, open_replica
from pos.store.uow import UnitOfWork
from pos.sync.replica import build_replica, pull, replica_status
from tests.conftest import FakeClock, _empty_postgres, error, value
from tests.lockholder import write_locked
from tests.sales import new_cart, pay_cash


@pytest.fixture
def central(postgres_url: URL) -> Iterator[Engine]:
    """The shop's central PostgreSQL store, empty and migrated."""
    engine = make_engine(postgres_url)
    _empty_postgres(engine)
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.fixture
def uow(central: Engine, clock: FakeClock) -> UnitOfWork:
    return UnitOfWork(central, clock)


@pytest.fixture
def manager(uow: UnitOfWork) -> UserView:
    return value(create_user(uow, "mudur", "Ayşe Yılmaz", Role.MANAGER, "4321"))


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "replica.sqlite3"


def add_product(uow: UnitOfWork, sku: str, name: str, price: int = 1250) -> int:
    return value(create_product(uow, ProductDraft(sku=sku, name=name, price_minor=price))).id


def built(central: Engine, path: Path) -> Engine:
    value(build_replica(central, path))
    return open_replica(path)


def rows_of(engine: Engine) -> dict[str, set[tuple[object, ...]]]:
    """Every replicated row and the search words, as Python values, table by table."""
    found: dict[str, set[tuple[object, ...]]] = {}
    with engine.connect() as connection:
        for model in (*REPLICATED, ProductWord):
            table = table_of(model)
            found[table.name] = {tuple(row) for row in connection.execute(select(table))}
    return found


def assert_same(central: Engine, replica: Engine) -> None:
    expected, got = rows_of(central), rows_of(replica)
    for name, rows in expected.items():
        assert got[name] == rows, name


# -- the trigger ------------------------------------------------------------------------


def test_every_write_to_a_replicated_table_is_stamped_even_in_raw_sql(central, uow):
    product = add_product(uow, "S-1", "Çay")
    with central.begin() as connection:
        first = connection.execute(
            text("SELECT change_seq, change_xid FROM products WHERE id = :id"), {"id": product}
        ).one()
        connection.execute(
            text("UPDATE products SET price_minor = 99 WHERE id = :id"), {"id": product}
        )
        again, xid, own = connection.execute(
            text(
                "SELECT change_seq, change_xid, pg_current_xact_id()::text::bigint"
                " FROM products WHERE id = :id"
            ),
            {"id": product},
        ).one()
        connection.execute(
            text(
                "INSERT INTO locations (id, code, name) VALUES (7, 'depo', 'Depo')"
                " RETURNING change_seq"
            )
        )
        stamped = connection.execute(
            text("SELECT change_seq, change_xid FROM locations WHERE id = 7")
        ).one()
    assert first.change_seq is not None
    assert first.change_xid is not None
    assert again > first.change_seq
    assert xid == own
    assert stamped.change_seq > again
    assert stamped.change_xid == own
    for table in ("tills", "users", "inventory", "coupons"):
        with central.connect() as connection:
            unstamped = connection.execute(
                text(f"SELECT count(*) FROM {table} WHERE change_seq IS NULL")
            ).scalar()
        assert unstamped == 0, table


# -- building ---------------------------------------------------------------------------


def test_a_replica_is_a_copy_of_the_central_store_with_its_own_search_words(
    central, uow, manager, path
):
    soap = add_product(uow, "S-1", "Duru Sabun Zeytinyağlı")
    add_product(uow, "S-2", "Çaykur Rize Çayı 1 kg")
    value(receive_stock(uow, soap, 12, user_id=manager.id))
    value(
        create_coupon(
            uow, CouponDraft(code="yaz10", kind=CouponKind.PERCENT, value=1000), user_id=manager.id
        )
    )
    seen: list[tuple[int, int]] = []

    report = value(
        build_replica(central, path, progress=lambda done, total: seen.append((done, total)))
    )

    replica = open_replica(path)
    try:
        assert_same(central, replica)
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert seen[-1] == (report.rows, report.rows)
        assert report.rows == sum(
            len(rows) for name, rows in rows_of(central).items() if name != "product_words"
        )
        assert not path.with_name(path.name + ".building").exists()
        found = value(search_products(UnitOfWork(replica), "cay"))
        assert [product.sku for product in found] == ["S-2"]
        status = replica_status(replica)
        assert status is not None
        assert (status.rows["products"], status.central_schema) == (2, head_revision())
    finally:
        replica.dispose()


def test_a_replica_is_built_from_a_central_postgresql_only(tmp_path, path):
    local = make_engine(f"sqlite:///{tmp_path / 'shop.sqlite3'}")
    try:
        assert error(build_replica(local, path)).code is Code.REPLICA_NEEDS_CENTRAL
    finally:
        local.dispose()
    assert not path.exists()


def test_rebuilding_is_refused_while_the_replica_holds_unsent_sales(central, uow, path):
    replica = built(central, path)
    with replica.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO outbox (topic, key, payload, created_at)"
                " VALUES ('sale', 'k', '{}', '2026-03-02 09:00:00.000000')"
            )
        )
    replica.dispose()

    refused = error(build_replica(central, path))

    assert (refused.code, refused.params["count"]) == (Code.REPLICA_HAS_UNSENT, 1)
    assert "1" in render(refused, "en")
    value(build_replica(central, path, force=True))  # the manager's explicit choice


def test_a_replica_still_open_elsewhere_is_not_replaced(central, path):
    replica = built(central, path)
    try:
        with replica.connect() as connection:
            connection.execute(text("SELECT 1 FROM products")).all()
            assert error(build_replica(central, path)).code is Code.REPLICA_LOCKED
    finally:
        replica.dispose()
    assert not path.with_name(path.name + ".building").exists()
    check_replica(path)


# -- pulling ----------------------------------------------------------------------------


def test_a_pull_brings_every_change_from_the_services_and_from_raw_sql(
    central, uow, manager, path, clock
):
    tea = add_product(uow, "S-1", "Çay Siyah")
    soap = add_product(uow, "S-2", "Sabun")
    coupon = value(
        create_coupon(
            uow, CouponDraft(code="YAZ10", kind=CouponKind.PERCENT, value=1000), user_id=manager.id
        )
    )
    gone = value(
        create_coupon(
            uow, CouponDraft(code="KIS5", kind=CouponKind.PERCENT, value=500), user_id=manager.id
        )
    )
    replica = built(central, path)
    try:
        clock.advance(minutes=1)
        value(update_product(uow, tea, ProductDraft(sku="S-1", name="Kahve Türk", price_minor=99)))
        value(deactivate_product(uow, soap))
        value(receive_stock(uow, tea, 30, user_id=manager.id))
        cart = new_cart(uow)  # a sale: the stock and the till's receipt number move
        value(add_to_cart(uow, cart, tea, 2))
        value(pay_cash(uow, cart))
        cashier = value(create_user(uow, "kasiyer", "Mehmet Demir", Role.CASHIER, "1234"))
        value(set_user_active(uow, cashier.id, False, manager_id=manager.id))
        csv = "sku,name,price\nS-1,Kahve Türk Orta,99\nS-9,Yeni Limon,450\n".encode()
        value(import_products(uow, io.BytesIO(csv), user_id=manager.id))
        value(set_coupon_active(uow, coupon.id, False, manager_id=manager.id))
        value(delete_coupon(uow, gone.id, manager_id=manager.id))
        add_product(uow, "S-3", "Süt")
        with central.begin() as connection:
            connection.execute(text("UPDATE products SET price_minor = 7 WHERE sku = 'S-3'"))
            connection.execute(text("UPDATE locations SET receipt_header = 'Kasa Market'"))

        report = value(pull(central, replica, batch=3))

        assert report.batches >= 3
        assert_same(central, replica)
        assert [p.sku for p in value(search_products(UnitOfWork(replica), "kahve"))] == ["S-1"]
        assert [p.sku for p in value(search_products(UnitOfWork(replica), "limon"))] == ["S-9"]
        assert value(search_products(UnitOfWork(replica), "cay")) == ()
        value(pull(central, replica))  # may read again what it has: twice is once
        assert_same(central, replica)
    finally:
        replica.dispose()


def test_a_pull_leaves_the_tills_own_sales_alone(central, uow, path):
    product = add_product(uow, "S-1", "Çay")
    replica = built(central, path)
    try:
        with replica.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO carts (id, status, currency, location_id, till_id, created_at,"
                    " updated_at) VALUES (41, 'open', 'TRY', 1, 1, '2026-03-02 09:00:00.000000',"
                    " '2026-03-02 09:00:00.000000')"
                )
            )
        with central.begin() as connection:
            connection.execute(
                text("UPDATE products SET price_minor = 5 WHERE id = :id"), {"id": product}
            )

        value(pull(central, replica))

        with replica.connect() as connection:
            assert connection.execute(text("SELECT id FROM carts")).scalars().all() == [41]
            assert connection.execute(text("SELECT price_minor FROM products")).scalar() == 5
    finally:
        replica.dispose()


def test_a_pull_never_lowers_the_tills_own_receipt_series(central, uow, path):
    """Offline the till went on numbering from its last receipt: the central store's copy,
    still lower until those sales arrive, does not take the series back."""
    replica = built(central, path)
    try:
        with replica.begin() as connection:
            connection.execute(
                text("UPDATE tills SET last_receipt_number = 45, last_return_number = 3")
            )
        with central.begin() as connection:  # a change of the till's row, not its series
            connection.execute(text("UPDATE tills SET last_receipt_number = 42"))

        value(pull(central, replica))

        with replica.connect() as connection:
            numbers = connection.execute(
                text("SELECT last_receipt_number, last_return_number FROM tills")
            ).one()
        assert tuple(numbers) == (45, 3)
        with central.begin() as connection:  # the sales arrived, and one more online
            connection.execute(text("UPDATE tills SET last_receipt_number = 46"))
        value(pull(central, replica))
        with replica.connect() as connection:
            assert connection.execute(text("SELECT last_receipt_number FROM tills")).scalar() == 46
    finally:
        replica.dispose()


def test_a_batch_that_fails_leaves_the_replica_at_the_batch_before_and_resumes(central, uow, path):
    """A batch's rows and its cursor are one local transaction: a failure inside a batch
    (here a real SQLite refusal on the fourth product) keeps the batches before it and
    nothing of its own; the next pull goes on from there."""
    ids = [add_product(uow, f"S-{n}", f"Ürün {n}") for n in range(6)]
    replica = built(central, path)
    try:
        with central.connect() as connection:
            for product in ids:  # one transaction per product: an order the pull keeps
                connection.execute(
                    text("UPDATE products SET price_minor = 1 WHERE id = :id"), {"id": product}
                )
                connection.commit()
        with replica.begin() as connection:
            connection.execute(
                text(
                    f"CREATE TRIGGER refuse BEFORE INSERT ON products WHEN NEW.id = {ids[3]}"
                    " BEGIN SELECT RAISE(ABORT, 'disk trouble'); END"
                )
            )

        with pytest.raises(Exception, match="disk trouble"):
            pull(central, replica, batch=2)

        with replica.connect() as connection:
            prices = dict(connection.execute(text("SELECT id, price_minor FROM products")).all())
            position = _position(connection)
        stamps = _stamps(central)
        # Up to the cursor, every change; after it, none (the failing batch's rows included).
        applied = [p for p in ids if _stamp(stamps[p]) <= position]
        assert ids[:2] == applied[:2]
        assert ids[3] not in applied
        assert [prices[p] for p in ids] == [1 if p in applied else 1250 for p in ids]
        status = replica_status(replica)
        assert status is not None
        assert status.pulling
        with replica.begin() as connection:
            connection.execute(text("DROP TRIGGER refuse"))

        value(pull(central, replica, batch=2))

        assert_same(central, replica)
        status = replica_status(replica)
        assert status is not None
        assert not status.pulling
        assert status.rows_pulled >= len(ids)  # more if the server's xmin held some back
    finally:
        replica.dispose()


def test_a_till_killed_mid_pull_keeps_whole_batches_and_resumes(central, uow, path):
    """A real process pulling in batches of 7 is SIGKILLed once some batches are in: the
    replica holds exactly the changes up to its cursor, and the next pull finishes it."""
    ids = [add_product(uow, f"S-{n:04d}", f"Ürün {n}") for n in range(300)]
    value(build_replica(central, path))
    with central.connect() as connection:
        for product in ids:  # one transaction each, in this order
            connection.execute(
                text("UPDATE products SET price_minor = 1 WHERE id = :id"), {"id": product}
            )
            connection.commit()
    url = central.url.render_as_string(hide_password=False)
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.pulling_till", url, str(path), "7"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "pulling"
        deadline = time.monotonic() + 30
        while _rows_pulled(path) < 50 and time.monotonic() < deadline:
            time.sleep(0.005)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
    replica = open_replica(path)
    try:
        with replica.connect() as connection:
            prices = dict(connection.execute(text("SELECT id, price_minor FROM products")).all())
            position = _position(connection)
        stamps = _stamps(central)
        assert position != (None, None)  # killed before it finished
        assert [prices[p] for p in ids] == [
            1 if _stamp(stamps[p]) <= position else 1250 for p in ids
        ]
        value(pull(central, replica, batch=7))
        assert_same(central, replica)
    finally:
        replica.dispose()


def _position(connection: Connection) -> tuple[int, int]:
    """Where the pull under way stopped: the (change_xid, change_seq) of its last batch."""
    row = connection.execute(text("SELECT position_xid, position_seq FROM replica_cursor")).one()
    return row.position_xid, row.position_seq


def _stamps(central: Engine) -> dict[int, object]:
    with central.connect() as connection:
        rows = connection.execute(text("SELECT id, (change_xid, change_seq) FROM products"))
        return dict(rows.all())


def _rows_pulled(path: Path) -> int:
    connection = sqlite3.connect(path, timeout=5)
    try:
        return int(connection.execute("SELECT rows_pulled FROM replica_cursor").fetchone()[0])
    finally:
        connection.close()


def _stamp(pair: object) -> tuple[int, int]:
    """A row value ``(change_xid, change_seq)`` as the driver gives it back."""
    xid, seq = pair.strip("()").split(",") if isinstance(pair, str) else pair  # type: ignore[misc]
    return int(xid), int(seq)


# -- the commit-order race --------------------------------------------------------------


def _naive_pull(central: Engine, cursor: int) -> tuple[int, set[int]]:
    """What ``change_seq > cursor`` would take: the new cursor and the product ids."""
    with central.connect() as connection:
        rows = connection.execute(
            text("SELECT id, change_seq FROM products WHERE change_seq > :c"), {"c": cursor}
        ).all()
    return max([cursor, *(row.change_seq for row in rows)]), {row.id for row in rows}


def _price_in(replica: Engine, product: int) -> int:
    with replica.connect() as connection:
        return int(
            connection.execute(
                text("SELECT price_minor FROM products WHERE id = :id"), {"id": product}
            ).scalar_one()
        )


@pytest.mark.parametrize("older_first", [False, True])
def test_a_row_committed_after_a_pull_passed_its_number_is_still_pulled(
    central, uow, path, older_first
):
    """Two tills' transactions: the slow one takes the lower change number and commits
    last. ``older_first`` also gives the fast one the older transaction id, which defeats
    a pull that only takes rows below the snapshot's xmin."""
    slow_product = add_product(uow, "S-1", "Çay")
    fast_product = add_product(uow, "S-2", "Kahve")
    replica = built(central, path)
    with central.connect() as connection:
        cursor = int(connection.execute(text("SELECT max(change_seq) FROM products")).scalar_one())
    slow, fast = central.connect(), central.connect()
    try:
        if older_first:  # the fast transaction gets its id first, on a cart
            fast.execute(text("SELECT pg_current_xact_id()"))
        slow.execute(
            text("UPDATE products SET price_minor = 111 WHERE id = :id"), {"id": slow_product}
        )
        fast.execute(
            text("UPDATE products SET price_minor = 222 WHERE id = :id"), {"id": fast_product}
        )
        fast.commit()

        naive_cursor, naive_taken = _naive_pull(central, cursor)
        value(pull(central, replica))  # while the slow one is still open
        slow.commit()
        _, naive_later = _naive_pull(central, naive_cursor)
        value(pull(central, replica))

        assert naive_taken == {fast_product}
        assert naive_later == set()
        assert _price_in(replica, slow_product) == 111  # ours has it
        assert _price_in(replica, fast_product) == 222
        assert_same(central, replica)
    finally:
        slow.close()
        fast.close()
        replica.dispose()


def test_the_xmin_alone_would_lose_the_row_too(central, uow):
    """The tempting shortcut, "take ``change_seq > cursor`` rows whose transaction is
    below the snapshot's xmin", loses a row in this race too: the fast transaction has the
    older id and the higher number, so a snapshot taken while the slow one is open, with
    the slow one the oldest running (xmin = its id), takes the fast row and moves the
    cursor past the slow row's number. (The snapshot itself is not taken here: xmin is
    the whole server's, and other databases' transactions on it would hold it back.)"""
    slow_product = add_product(uow, "S-1", "Çay")
    fast_product = add_product(uow, "S-2", "Kahve")
    slow, fast = central.connect(), central.connect()
    try:
        fast.execute(text("SELECT pg_current_xact_id()"))  # the older transaction id
        slow.execute(
            text("UPDATE products SET price_minor = 111 WHERE id = :id"), {"id": slow_product}
        )
        fast.execute(
            text("UPDATE products SET price_minor = 222 WHERE id = :id"), {"id": fast_product}
        )
        fast.commit()
        slow.commit()
        with central.connect() as connection:
            stamps = {
                row.id: (row.change_xid, row.change_seq)
                for row in connection.execute(
                    text("SELECT id, change_xid, change_seq FROM products")
                )
            }
        (slow_xid, slow_seq), (fast_xid, fast_seq) = stamps[slow_product], stamps[fast_product]
        assert fast_xid < slow_xid  # below xmin while the slow one runs: taken
        assert fast_seq > slow_seq  # and the cursor moves past the slow row's number
    finally:
        slow.close()
        fast.close()


# -- the replica's faults ---------------------------------------------------------------


def fault(path: Path) -> Err:
    with pytest.raises(ReplicaFault) as raised:
        open_replica(path)
    assert "pos replica init" in render(raised.value.error, "en")
    assert "pos replica init" in render(raised.value.error, "tr")
    return raised.value.error


def test_a_missing_replica_says_to_build_one(path):
    assert fault(path).code is Code.REPLICA_MISSING


def test_a_file_that_is_not_a_database_is_a_damaged_replica(path):
    path.parent.mkdir(parents=True)
    path.write_bytes(b"this is not SQLite" * 1000)
    assert fault(path).code is Code.REPLICA_CORRUPT


def test_a_replica_failing_its_quick_check_is_damaged(central, uow, path):
    for n in range(300):
        add_product(uow, f"S-{n:03d}", f"Ürün numara {n} uzun bir ad ile")
    value(build_replica(central, path))
    connection = sqlite3.connect(path)
    pages = connection.execute("PRAGMA page_count").fetchone()[0]
    size = connection.execute("PRAGMA page_size").fetchone()[0]
    connection.close()
    with path.open("r+b") as file:  # scribble over the middle of the file's pages
        file.seek(size * (pages // 2))
        file.write(b"\xff" * size * 3)
    assert fault(path).code is Code.REPLICA_CORRUPT


def test_a_replica_built_only_halfway_is_not_used(path):
    create_replica_file(path).dispose()  # the schema, but no cursor: never finished
    error = fault(path)
    assert error.code is Code.REPLICA_CORRUPT


def test_a_replica_of_an_older_schema_must_be_rebuilt(central, path):
    value(build_replica(central, path))
    with sqlite3.connect(path) as connection:
        connection.execute("UPDATE alembic_version SET version_num = '0008'")
    error = fault(path)
    assert (error.code, error.params["schema"], error.params["wanted"]) == (
        Code.REPLICA_OLD_SCHEMA,
        "0008",
        head_revision(),
    )


def test_a_replica_another_process_holds_is_locked(central, path):
    value(build_replica(central, path))
    with write_locked(path):
        assert fault(path).code is Code.REPLICA_LOCKED
    check_replica(path)


# -- a central store newer than this Kasa ---------------------------------------------


def test_a_store_migrated_by_a_newer_kasa_is_named_and_left_alone(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'shop.sqlite3'}")
    try:
        upgrade(engine)
        with engine.begin() as connection:
            connection.execute(text("UPDATE alembic_version SET version_num = '0042'"))

        with pytest.raises(SchemaTooNew) as raised:
            upgrade(engine)

        said = render(raised.value.error, "en")
        assert "0042" in said
        assert head_revision() in said
        with engine.connect() as connection:
            assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar() == (
                "0042"
            )
    finally:
        engine.dispose()


def test_a_replica_is_not_built_from_a_newer_central_store(central, path):
    with central.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0042'"))
    try:
        with pytest.raises(SchemaTooNew):
            build_replica(central, path)
        assert not path.exists()
    finally:
        with central.begin() as connection:
            connection.execute(
                text(f"UPDATE alembic_version SET version_num = '{head_revision()}'")
            )


def test_a_replica_is_not_built_from_a_central_store_not_yet_upgraded(central, path):
    with central.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0008'"))
    try:
        refused = error(build_replica(central, path))
        assert (refused.code, refused.params["schema"]) == (Code.STORE_SCHEMA_TOO_OLD, "0008")
        assert "pos db upgrade" in render(refused, "en")
        assert not path.exists()
        assert not path.with_name(path.name + ".building").exists()
    finally:
        with central.begin() as connection:
            connection.execute(
                text("UPDATE alembic_version SET version_num = :head"), {"head": head_revision()}
            )
