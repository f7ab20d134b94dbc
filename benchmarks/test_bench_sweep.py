"""pytest-benchmark cases for ``fastbt.sweep`` (``ma_cross``, fast < slow in 2..101).

Run with ``pytest benchmarks/test_bench_sweep.py`` (not part of the default
``tests/`` run). Each case is warmed once before timing, so neither JIT
compilation nor loading the Numba cache is measured. ``extra_info`` carries
``sets``, ``sets_per_s``, ``bar_evals_per_s`` and ``ns_per_bar`` (nanoseconds
per bar-evaluation, i.e. per bar of one backtest), which conftest.py lists in
the terminal summary. The full workloads, peak memory and the vectorbt
comparison are in ``bench_sweep.py``.
"""

from collections.abc import Callable

import numpy as np
import pytest
from bench_sweep import GRID_A, OPTIONS, STRATEGY, fused_kernel, pair_columns, universe
from workloads import ns_per_bar

import fastbt

N_PAIRS = 4_950
UNIVERSE_SYMBOLS = 10  # 49,500 backtests; in-process (below the worker-process threshold)


@pytest.fixture(scope="session")
def small_universe() -> dict:
    """The first 10 symbols of benchmark (b): 2,520 business days each."""
    return universe(UNIVERSE_SYMBOLS)


@pytest.fixture
def bench(benchmark, record_property):
    """``bench(group, fn, sets, bars, rounds=None)``: warm ``fn``, time it, record rates."""

    def run(group: str, fn, sets: int, bars: int, rounds: int | None = None):
        benchmark.group = group
        fn()  # warm: compile or load the kernels before anything is timed
        if rounds:
            result = benchmark.pedantic(fn, rounds=rounds, iterations=1)
        else:
            result = benchmark(fn)
        benchmark.extra_info |= {"sets": sets, "bars": bars}
        if benchmark.stats is not None:  # None under --benchmark-disable
            median = benchmark.stats.stats.median
            per_eval = round(ns_per_bar(median, sets * bars), 3)
            benchmark.extra_info |= {
                "sets_per_s": round(sets / median),
                "bar_evals_per_s": round(sets * bars / median),
                "ns_per_bar": per_eval,
            }
            record_property("ns_per_bar", per_eval)
        return result

    return run


def sweep(data) -> Callable:
    """One ``fastbt.sweep`` call of the (a) grid on ``data``, with the benchmark options."""
    return lambda: fastbt.sweep(data, STRATEGY, GRID_A, progress=False, **OPTIONS)


def test_sweep_goog(bench, datasets):
    """(a) ``fastbt.sweep`` of the 4,950 pairs on GOOG: kernel plus the result table."""
    bars = datasets["goog"]
    table = bench("sweep-goog", sweep({"GOOG": bars}), N_PAIRS, len(bars))
    assert len(table) == N_PAIRS
    assert table.attrs["sweep"]["n_invalid"] == 10_000 - N_PAIRS
    assert (table["fast"] < table["slow"]).all()


def test_kernel_goog(bench, datasets):
    """(a) the fused kernel alone: ``ma_cross_sweep_inputs`` + ``sweep_crossings``."""
    bars = datasets["goog"]
    fast, slow = pair_columns()
    metrics = bench("sweep-goog", fused_kernel(bars, fast, slow), N_PAIRS, len(bars))
    assert metrics.shape[0] == N_PAIRS
    assert np.isfinite(metrics[:, 0]).all()


def test_sweep_universe(bench, small_universe):
    """(b), smaller: the 4,950 pairs on 10 synthetic symbols x 2,520 bars in one call."""
    bars = len(next(iter(small_universe.values())))
    n_sets = N_PAIRS * len(small_universe)
    table = bench(f"sweep-{UNIVERSE_SYMBOLS}-symbols", sweep(small_universe), n_sets, bars, 5)
    assert len(table) == n_sets
    assert table["symbol"].nunique() == UNIVERSE_SYMBOLS
