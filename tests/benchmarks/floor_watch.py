"""What the benchmarks watch while the store works: the connections to the store
(PostgreSQL's and PgBouncer's view, every second), what the store's sessions wait for
(``Waits``, every few milliseconds) and the CPU each side used."""

from __future__ import annotations

import os
import threading
from collections import Counter
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import URL


def cpu_ticks(wanted: str) -> dict[int, int]:
    """Per live process named ``wanted``: its user + system CPU, in clock ticks."""
    ticks = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            raw = Path(entry.path, "stat").read_text()
        except OSError:
            continue
        name, rest = raw[raw.index("(") + 1 :].rsplit(")", 1)
        if name == wanted:
            fields = rest.split()
            ticks[int(entry.name)] = int(fields[11]) + int(fields[12])
    return ticks


def machine_ticks() -> tuple[int, int]:
    """(busy, all) CPU ticks of the machine since it started."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


def spent_s(before: dict[int, int], after: dict[int, int]) -> float:
    hz = os.sysconf("SC_CLK_TCK")
    return sum(ticks - before.get(pid, 0) for pid, ticks in after.items()) / hz


class Watcher(threading.Thread):
    """Every second: the server connections to the store, and PgBouncer's pools."""

    def __init__(self, direct: URL, bouncer: URL) -> None:
        super().__init__(daemon=True)
        self.direct = direct.set(drivername="postgresql").render_as_string(hide_password=False)
        self.console = bouncer.set(drivername="postgresql", database="pgbouncer").render_as_string(
            hide_password=False
        )
        self.database = direct.database
        self.stop = threading.Event()
        self.peak: Counter[str] = Counter()
        self.samples: list[dict[str, int]] = []
        self.backends: set[int] = set()
        """The server processes that served the store's connections."""
        self.totals: dict[str, int] = {}
        """PgBouncer's totals for the store at the end (``SHOW STATS``): transactions,
        queries, and the microseconds spent in them and waiting for a server."""

    def run(self) -> None:
        with (
            psycopg.connect(self.direct, autocommit=True) as server,
            psycopg.connect(
                self.console, autocommit=True, cursor_factory=psycopg.ClientCursor
            ) as console,
        ):
            while not self.stop.wait(1.0):
                seen = self.sample(server, console)
                self.samples.append(seen)
                for name, number in seen.items():
                    self.peak[name] = max(self.peak[name], number)
            cursor = console.cursor().execute("SHOW STATS")
            names = [column.name for column in cursor.description or ()]
            for row in cursor.fetchall():
                values = dict(zip(names, row, strict=True))
                if values["database"] == self.database:
                    self.totals = {
                        name: int(value)
                        for name, value in values.items()
                        if name.startswith("total_")
                    }

    def in_pgbouncer(self) -> str:
        """What PgBouncer saw: the mean transaction and query at the server, the mean wait."""
        totals = self.totals
        transactions = totals.get("total_xact_count", 0)
        queries = totals.get("total_query_count", 0)
        if not transactions or not queries:
            return "PgBouncer counted nothing"
        return (
            f"PgBouncer: {transactions:,} transactions, a mean "
            f"{totals['total_xact_time'] / transactions / 1000:.1f} ms each on a server "
            f"connection, of which {totals['total_query_time'] / queries / 1000:.2f} ms per "
            f"query ({queries / transactions:.1f} queries each); a mean "
            f"{totals['total_wait_time'] / transactions / 1000:.2f} ms waiting for a server"
        )

    def sample(
        self, server: psycopg.Connection[Any], console: psycopg.Connection[Any]
    ) -> dict[str, int]:
        rows = server.execute(
            "SELECT pid, state FROM pg_stat_activity"
            " WHERE datname = %s AND pid <> pg_backend_pid()",
            (self.database,),
        ).fetchall()
        self.backends.update(pid for pid, _state in rows)
        seen = {
            "server connections": len(rows),
            "server active": sum(state == "active" for _pid, state in rows),
        }
        cursor = console.cursor().execute("SHOW POOLS")
        names = [column.name for column in cursor.description or ()]
        for pool in cursor.fetchall():
            values = dict(zip(names, pool, strict=True))
            if values["database"] == self.database:
                for name in ("cl_active", "cl_waiting", "sv_active", "sv_idle", "sv_used"):
                    seen[name] = int(values[name])
                seen["sv_total"] = seen["sv_active"] + seen["sv_idle"] + seen["sv_used"]
                seen["maxwait_ms"] = (
                    int(values["maxwait"]) * 1000 + int(values["maxwait_us"]) // 1000
                )
        return seen


class Waits(threading.Thread):
    """Every ``every`` seconds, what each of a database's sessions is doing, as
    ``pg_stat_activity`` tells it: waiting for another transaction's lock (and in which
    statement), waiting for its client (a statement answered, the next not yet sent) or
    running. ``mean()`` is how many sessions were in each state, on average, while any
    session was open."""

    def __init__(self, direct: URL, every: float = 0.02) -> None:
        super().__init__(daemon=True)
        self.direct = direct.set(drivername="postgresql").render_as_string(hide_password=False)
        self.database = direct.database
        self.every = every
        self.stop = threading.Event()
        self.seen: Counter[str] = Counter()
        self.samples = 0
        self.pid: int | None = None
        """The server process that answers the sampling (its CPU is not the store's work)."""

    def run(self) -> None:
        with psycopg.connect(self.direct, autocommit=True) as server:
            self.pid = server.info.backend_pid
            while not self.stop.wait(self.every):
                rows = server.execute(
                    "SELECT state, wait_event_type, wait_event, left(query, 60)"
                    " FROM pg_stat_activity"
                    " WHERE datname = %s AND pid <> pg_backend_pid()"
                    " AND backend_type = 'client backend' AND state <> 'idle'",
                    (self.database,),
                ).fetchall()
                self.samples += 1
                for state, kind, event, query in rows:
                    self.seen[_waiting_for(state, kind, event, query)] += 1

    def mean(self) -> list[tuple[str, float]]:
        """Each state and the mean number of sessions in it, most first."""
        samples = self.samples or 1
        return [(what, count / samples) for what, count in self.seen.most_common()]


def _waiting_for(state: str, kind: str | None, event: str | None, query: str) -> str:
    if kind == "Lock":
        statement = " ".join(query.split()[:3])
        return f"waiting for a lock ({statement} ...)"
    if kind == "Client" or state == "idle in transaction":
        return "waiting for its client"
    if kind == "IO":
        return f"waiting for the disk ({event})"
    return "running"
