"""Benchmark: the till window with a million products in its SQLite store.

* Scan to screen: the key events of a barcode plus Enter are sent to the scan field, and
  the time runs until the product's row is in the cart model and the cart table has
  painted it (``--scans``, 200 different products, one sale that grows a line a scan).
  Targets: p95 < 16 ms, and < 25 ms with the store on PostgreSQL.
* Scan to screen offline: the same scans on a till selling on its replica (the same file
  opened as the till's replica, every unit of work ``offline``: no reservation, the last
  known stock minus the unsent sales). Target: p95 < 16 ms.
* Cold start: a fresh interpreter runs the ``pos`` command (``python -m ui.launcher``,
  the store named by ``POS_DATABASE_URL``, an empty settings file) with
  ``POS_EXIT_WHEN_SHOWN=1``; the time runs from launching the process to the sign-in
  screen a cashier can type in: the window on screen (exposed), the cashiers listed and
  the PIN field taking keys (``--starts`` runs after an untimed one that compiles the
  bytecode, as installing does; the median). Target: < 0.5 s.
* Its floor, measured in the same run and the same way: a fresh interpreter that imports
  PySide6 and shows an empty window with a line edit focused, until it is exposed and
  painted; what no start of a Qt till on this machine can beat. Reported with the cold
  start as a ratio to it.
* With ``--bundle dist/kasa/kasa``, the same cold start of the bundle ``make dist`` built.

Offscreen (the default) or in a real window: with ``DISPLAY`` and ``QT_QPA_PLATFORM=xcb``
set, the scans and the cold starts run in real X windows (under Xvfb, say), where the
window system takes part in showing and painting (offscreen paints into memory only).
With ``POS_TEST_DATABASE_URL`` (``--postgresql``), the scans are also measured with the
store on PostgreSQL (``--pg-products`` products, copied in by ``catalogue.py``).

The store is built like ``tests/benchmarks/catalogue.py`` builds it (that script's
``build``, in a child process), then the scanned products get stock and a cashier signs in.

Run::

    .venv/bin/python tests/benchmarks/till.py [--db PATH]
    DISPLAY=:95 QT_QPA_PLATFORM=xcb .venv/bin/python tests/benchmarks/till.py --db PATH

With ``--db PATH`` the store is kept and reused (built only when PATH does not exist).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[2]
try:
    import pos  # noqa: F401
except ModuleNotFoundError:  # a checkout without `pip install -e .`
    sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import catalogue  # noqa: E402  (the sibling benchmark builds the million-product store)
from harness import percentile, postgres_server, summary_line  # noqa: E402
from PySide6.QtCore import QEvent, QEventLoop, QObject, Qt, QTimer  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402
from sqlalchemy import bindparam, text  # noqa: E402

from pos.bootstrap import Till  # noqa: E402
from pos.domain.results import Err  # noqa: E402
from pos.runtime.connectivity import Mode  # noqa: E402
from pos.services.stock import receive_stock  # noqa: E402
from pos.services.users import create_user  # noqa: E402
from pos.settings import Settings  # noqa: E402
from pos.store.engine import make_engine  # noqa: E402
from pos.store.models import Role  # noqa: E402

SCAN_P95_TARGET_MS = 16.0
"""One frame at 60 Hz, on SQLite (offline on the replica too)."""
PG_SCAN_P95_TARGET_MS = 25.0
START_TARGET_S = 0.5
PIN = "1111"
SALE_PART = 50
"""Scans compared at the start and at the end of the benchmark's one long sale."""


class PaintClock(QObject):
    """Notes when the watched widget last painted."""

    def __init__(self) -> None:
        super().__init__()
        self.painted_at = 0.0

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            self.painted_at = time.perf_counter()
        return False


def prepare(path: Path, products: int, scans: int, seed: int) -> tuple[str, list[tuple[int, str]]]:
    if not path.exists():
        print(f"building a store of {products:,} products in {path} …")
        catalogue.build_in_child(path, products, seed)
    url = f"sqlite:///{path}"
    return url, stock_scanned(url, scans, seed)


def stock_scanned(url: str, scans: int, seed: int) -> list[tuple[int, str]]:
    """The products to scan (``scans`` drawn at random, with a barcode), given stock, and
    the cashier and manager the benchmark signs in as (made on the first run)."""
    engine = make_engine(url)
    with engine.connect() as connection:
        top = connection.execute(text("SELECT max(id) FROM products")).scalar_one()
        rng = random.Random(seed)
        ids = rng.sample(range(1, top + 1), scans)
        rows = [
            (int(row[0]), str(row[1]))
            for row in connection.execute(
                text(
                    "SELECT id, barcode FROM products WHERE id IN :ids"
                    " AND barcode IS NOT NULL AND active"
                ).bindparams(bindparam("ids", expanding=True)),
                {"ids": ids},
            )
        ]
        manager = connection.execute(
            text("SELECT id FROM users WHERE username = 'mudur'")
        ).scalar_one_or_none()
    till = Till(Settings(database_url=url), engine)
    if manager is None:
        create_user(till.uow(), "kasiyer", "Bench Kasiyer", Role.CASHIER, PIN)
        made = create_user(till.uow(), "mudur", "Bench Müdür", Role.MANAGER, "9999")
        assert not isinstance(made, Err), made
        manager = made.value.id
    for product_id, _barcode in rows:
        result = receive_stock(till.uow(), product_id, 5, user_id=manager, reason="benchmark")
        if isinstance(result, Err):
            raise SystemExit(f"cannot stock product {product_id}: {result}")
    if engine.dialect.name == "postgresql":
        # What autovacuum does on a shop's server (a test server may run without it): the
        # earlier runs' sales leave dead rows and statistics of tables nearly empty.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE carts, cart_items, reservations, inventory"))
    engine.dispose()
    return rows


def measure_scans(
    url: str, products: list[tuple[int, str]], *, offline: bool = False
) -> list[float]:
    from ui.app import application
    from ui.i18n import set_language
    from ui.till import TillWindow

    app = application()
    set_language("tr")
    engine = make_engine(url)
    till = Till(Settings(database_url=url), engine)
    if offline:
        # The store opened as the till's replica, and the till sells on it: every unit of
        # work is offline, as when the central store is gone.
        till = Till(Settings(database_url=url), engine, replica=make_engine(url))
        till.routing.apply(Mode.OFFLINE)
        assert till.uow().offline
    window = TillWindow(till, status_interval_ms=3_600_000)
    window.show()
    deadline = time.monotonic() + 30

    # The benchmark waits as the till's own event loop does: asleep until an event comes
    # (the worker's answer, a paint), not spinning Python, which would hold the
    # interpreter's lock the store's worker needs. The timer wakes it to see the deadline.
    heartbeat = QTimer()
    heartbeat.start(100)

    def wait(condition: object) -> None:
        while not condition():  # type: ignore[operator]
            app.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents)
            if time.monotonic() > deadline:
                raise SystemExit(f"the till did not answer in time: {window.banner.text()!r}")

    wait(lambda: window.login.users)
    user = next(u for u in window.login.users if u.username == "kasiyer")
    window.login.select_user(user.id)
    QTest.keyClicks(window.login.pin, PIN)
    QTest.keyClick(window.login.pin, Qt.Key.Key_Return)
    wait(lambda: window.cart is not None and window.ops.idle)
    clock = PaintClock()
    window.table.viewport().installEventFilter(clock)
    inserted = [0.0]
    window.cart_model.rowsInserted.connect(lambda *_: inserted.__setitem__(0, time.perf_counter()))

    timings: list[float] = []
    for product_id, barcode in products:
        deadline = time.monotonic() + 30
        rows = window.cart_model.rowCount()
        started = time.perf_counter()
        QTest.keyClicks(window.scan, barcode)
        QTest.keyClick(window.scan, Qt.Key.Key_Return)
        wait(
            lambda rows=rows, product_id=product_id: (
                window.cart_model.rowCount() > rows
                and window.cart_model.lines[rows].product_id == product_id
            )
        )
        wait(lambda: clock.painted_at >= inserted[0])
        timings.append((clock.painted_at - started) * 1000)
        if window.banner.isVisible() and window.banner.property("kind") == "error":
            raise SystemExit(f"scan refused: {window.banner.text()}")
        wait(lambda: window.ops.idle)
    heartbeat.stop()
    window.close()
    engine.dispose()
    if till.replica is not None:
        till.replica.dispose()
    return timings


FLOOR = """
import sys, time
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QLineEdit, QMainWindow
app = QApplication(sys.argv[:1])
window, line = QMainWindow(), QLineEdit()
window.setCentralWidget(line)
window.showMaximized()
line.setFocus()
def look():
    handle = window.windowHandle()
    if not (handle is not None and handle.isExposed() and window.focusWidget() is line):
        QTimer.singleShot(2, look)
        return
    window.repaint()
    print(f"shown_at={time.time():.6f}", flush=True)
    app.quit()
QTimer.singleShot(0, look)
app.exec()
"""
"""The floor of a cold start: Python, PySide6 and an empty window exposed and painted."""


def measure_starts(
    url: str, runs: int, data: Path, bundle: Path | None = None, *, floor: bool = False
) -> list[float]:
    # As a shop starts it: the store by its URL, an empty settings file (the defaults, not
    # the user's), its own data folder; on the platform this run has (offscreen or X).
    environment = dict(
        os.environ,
        POS_EXIT_WHEN_SHOWN="1",
        POS_DATABASE_URL=url,
        POS_SETTINGS_FILE=os.devnull,
        XDG_DATA_HOME=str(data),
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    )
    # Compiled once, as a shop's install is (pip compiles on install, the bundle carries
    # bytecode): the first start writes the bytecode into the scratch folder, untimed.
    environment.pop("PYTHONDONTWRITEBYTECODE", None)
    environment["PYTHONPYCACHEPREFIX"] = str(data / "pycache")
    command = [sys.executable, "-m", "ui.launcher"]
    if floor:
        command = [sys.executable, "-c", FLOOR]
    if bundle is not None:
        command = [str(bundle.resolve())]
    elapsed: list[float] = []
    for run in range(runs + 1):
        launched = time.time()
        done = subprocess.run(
            command,
            capture_output=True,
            text=True,
            env=environment,
            cwd=ROOT,
            check=True,
        )
        shown = next(
            float(line.split("=", 1)[1])
            for line in done.stdout.splitlines()
            if line.startswith("shown_at=")
        )
        if run:
            elapsed.append(shown - launched)
    return elapsed


def scan_line(name: str, timings: list[float], target_ms: float) -> str:
    p50, p95 = statistics.median(timings), percentile(timings, 0.95)
    verdict = "ok" if p95 < target_ms else "OVER TARGET"
    print(
        f"{name}: p50 {p50:.1f} ms, p95 {p95:.1f} ms, max {max(timings):.1f} ms"
        f"  (target p95 < {target_ms:.0f} ms: {verdict})"
    )
    # All the scans ring up one sale, which grows a line a scan, and each scan reads the
    # whole sale back: the first and the last lines apart, to see what a long sale costs.
    if len(timings) >= 2 * SALE_PART:
        first, last = timings[:SALE_PART], timings[-SALE_PART:]
        print(
            f"  lines 1-{SALE_PART} of the sale: p95 {percentile(first, 0.95):.1f} ms;"
            f" lines {len(timings) - SALE_PART + 1}-{len(timings)}:"
            f" p95 {percentile(last, 0.95):.1f} ms"
        )
    return f"{p95:.1f} ms"


def start_line(name: str, starts: list[float], floor: list[float]) -> str:
    median, floor_median = statistics.median(starts), statistics.median(floor)
    verdict = "ok" if median < START_TARGET_S else "OVER TARGET"
    print(
        f"{name} to the sign-in screen taking keys: median {median:.2f} s,"
        f" min {min(starts):.2f} s, max {max(starts):.2f} s,"
        f" {median / floor_median:.1f}x the floor"
        f"  (target median < {START_TARGET_S} s: {verdict})"
    )
    return f"{median:.2f} s ({median / floor_median:.1f}x floor)"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--products", type=int, default=1_000_000)
    parser.add_argument("--pg-products", type=int, default=1_000_000)
    parser.add_argument("--db", type=Path, help="store to build and keep, or to reuse")
    parser.add_argument("--scans", type=int, default=200)
    parser.add_argument("--starts", type=int, default=5)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--bundle", type=Path, help="also time this bundle's cold starts")
    parser.add_argument("--starts-only", action="store_true", help="time the cold starts only")
    parser.add_argument("--sqlite-only", action="store_true", help="no PostgreSQL scans")
    args = parser.parse_args(argv)
    _ = QApplication  # the application is made by ui.app, with the till's stylesheet
    platform = os.environ["QT_QPA_PLATFORM"]
    where = f"{platform} on {os.environ.get('DISPLAY', '?')}" if platform == "xcb" else platform
    print(f"platform: {where}; load average {' '.join(f'{n:.2f}' for n in os.getloadavg())}")
    server = None if args.starts_only else postgres_server(args.sqlite_only)

    figures: list[str] = []
    with tempfile.TemporaryDirectory() as scratch:
        path = args.db or Path(scratch) / "till.sqlite3"
        url, products = prepare(
            path, args.products, 0 if args.starts_only else args.scans, args.seed
        )
        if not args.starts_only:
            scans = measure_scans(url, products)
            offline_scans = measure_scans(url, products, offline=True)
            print(f"store: {args.products:,} products on SQLite; {len(scans)} scans")
            figures.append(
                "scan p95 " + scan_line("scan to painted row", scans, SCAN_P95_TARGET_MS)
            )
            figures.append(
                "offline scan p95 "
                + scan_line(
                    "scan to painted row offline (replica)", offline_scans, SCAN_P95_TARGET_MS
                )
            )
        if server is not None:
            pg_url = catalogue.postgres_store(server, args.pg_products, args.seed)
            pg = pg_url.render_as_string(hide_password=False)
            pg_scans = measure_scans(pg, stock_scanned(pg, args.scans, args.seed))
            print(f"store: {args.pg_products:,} products on PostgreSQL; {len(pg_scans)} scans")
            figures.append(
                "postgresql scan p95 "
                + scan_line("scan to painted row, PostgreSQL", pg_scans, PG_SCAN_P95_TARGET_MS)
            )
        data = Path(scratch) / "data"
        floor = measure_starts(url, args.starts, data, floor=True)
        print(
            "floor (Python, PySide6, an empty window exposed and painted):"
            f" median {statistics.median(floor):.2f} s, min {min(floor):.2f} s,"
            f" max {max(floor):.2f} s"
        )
        starts = measure_starts(url, args.starts, data)
        figures.append("cold start median " + start_line("cold start", starts, floor))
        if args.bundle:
            bundle_starts = measure_starts(url, args.starts, data, args.bundle)
            figures.append(
                "bundle cold start median " + start_line("bundle cold start", bundle_starts, floor)
            )
    print(f"load average after: {' '.join(f'{n:.2f}' for n in os.getloadavg())}")
    print(summary_line(f"till ({platform})", figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
