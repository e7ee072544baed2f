"""What every benchmark measures with: timing, percentiles, floors, the summary line.

Percentiles are nearest-rank everywhere: the p-th percentile of n timings is the
ceil(p * n)-th smallest, always a timing that was measured (never interpolated
between two), so a p95 of 20 calls is the 19th. A floor is the same work done
without what is being measured (the bare driver, or nothing at all), timed in the
same run and interleaved with it, so the machine's mood falls on both sides alike.
"""

from __future__ import annotations

import gc
import math
import os
import statistics
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

POSTGRES_ENV = "POS_TEST_DATABASE_URL"
"""Where a benchmark finds the PostgreSQL server it may use; unset: SQLite only."""


def percentile(values: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile: the ``ceil(fraction * n)``-th smallest of ``values``."""
    if not values:
        raise ValueError("no values to take a percentile of")
    ordered = sorted(values)
    # Rounded first, so 0.95 * 100 counts as 95, not as the 94.99999 floats make of it.
    rank = math.ceil(round(fraction * len(ordered), 9))
    return ordered[min(len(ordered), max(1, rank)) - 1]


def timed(
    step: Callable[[], object], count: int, into: list[float] | None = None, *, unit: float = 1e-6
) -> list[float]:
    """Run ``step`` ``count`` times; the wall time of each call, in ``unit`` seconds
    (microseconds unless told), appended to ``into`` (a new list if none)."""
    spent = [] if into is None else into
    clock = time.perf_counter_ns
    scale = 1e-9 / unit
    for _ in range(count):
        start = clock()
        step()
        spent.append((clock() - start) * scale)
    return spent


def timed_calls(
    calls: Sequence[Callable[[], object]], *, warm: int = 0, unit: float = 1e-6
) -> list[float]:
    """Each of ``calls`` timed once, after the first ``warm`` of them ran untimed."""
    for call in calls[:warm]:
        call()
    spent: list[float] = []
    for call in calls:
        timed(call, 1, spent, unit=unit)
    return spent


@dataclass(frozen=True)
class AgainstFloor:
    """A step and its floor, timed interleaved: microseconds per call."""

    dialect: str
    measured: Sequence[float]
    floor: Sequence[float]

    @property
    def iterations(self) -> int:
        return len(self.measured)

    @property
    def median_us(self) -> float:
        return statistics.median(self.measured)

    @property
    def floor_us(self) -> float:
        return statistics.median(self.floor)

    @property
    def ratio(self) -> float:
        """Median against median: how many times the floor's time the step takes."""
        return self.median_us / self.floor_us

    def p(self, fraction: float) -> tuple[float, float]:
        """The step's and the floor's percentile."""
        return percentile(self.measured, fraction), percentile(self.floor, fraction)


def against_floor(
    dialect: str,
    step: Callable[[], object],
    floor: Callable[[], object],
    *,
    iterations: int,
    warm_up: int,
    round_size: int = 50,
) -> AgainstFloor:
    """Time ``step`` and its ``floor`` in alternating rounds (step first, then floor
    first), after ``warm_up`` untimed calls of each; garbage collected between rounds."""
    timed(step, warm_up)
    timed(floor, warm_up)
    measured: list[float] = []
    bare: list[float] = []
    rounds = max(2, -(-iterations // round_size))
    per_round = -(-iterations // rounds)
    for index in range(rounds):
        gc.collect()
        pair = [(step, measured), (floor, bare)]
        for call, into in pair if index % 2 == 0 else reversed(pair):
            timed(call, per_round, into)
    return AgainstFloor(dialect, measured, bare)


def summary_line(name: str, parts: Iterable[str | tuple[str, float]]) -> str:
    """The one line a benchmark ends with, one part per database: a ``(dialect, ratio)``
    against its floor reads ``sqlite 1.4x``; text stands as given.
    ``summary_line("scan", [("sqlite", 1.43), ("postgresql", 1.8)])`` is
    ``scan: sqlite 1.4x, postgresql 1.8x``."""
    return f"{name}: " + ", ".join(
        part if isinstance(part, str) else f"{part[0]} {part[1]:.1f}x" for part in parts
    )


def postgres_server(skip: bool = False) -> str | None:
    """The PostgreSQL server to measure on, or None (saying why) to measure SQLite only."""
    url = os.environ.get(POSTGRES_ENV)
    if skip:
        return None
    if not url:
        print(f"PostgreSQL skipped: {POSTGRES_ENV} is not set")
    return url or None
