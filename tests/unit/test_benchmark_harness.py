"""The benchmarks' one percentile: nearest rank, always a value that was measured."""

import pytest

from tests.benchmarks.harness import percentile, summary_line


@pytest.mark.parametrize(
    ("fraction", "expected"),
    [(0.5, 50), (0.9, 90), (0.95, 95), (0.99, 99), (1.0, 100), (0.001, 1), (0.0, 1)],
)
def test_a_percentile_is_the_nearest_rank(fraction, expected):
    assert percentile([float(n) for n in range(100, 0, -1)], fraction) == expected


def test_a_percentile_of_a_few_timings_is_one_of_them():
    assert percentile([3.0, 1.0, 2.0], 0.5) == 2.0
    assert percentile([3.0, 1.0, 2.0, 4.0], 0.5) == 2.0  # never 2.5: nothing took 2.5
    assert percentile([7.0], 0.99) == 7.0


def test_the_summary_line_shows_ratios_to_one_decimal():
    line = summary_line("scan", [("sqlite", 1.449), ("postgresql", 1.75)])
    assert line == "scan: sqlite 1.4x, postgresql 1.8x"
