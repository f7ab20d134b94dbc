"""pytest-benchmark suite for one ``ma_cross`` backtest (fast=10, slow=50).

Run with ``pytest benchmarks/`` (not part of the default ``tests/`` run). Each
case is warmed once before timing, so JIT compilation (or loading the Numba
cache) is never measured. Results are grouped by dataset so the fast and
reference engines sit side by side; ``extra_info`` carries ``ns_per_bar``
(median time / bars) so datasets of different lengths compare.
"""

import pytest
from workloads import FAST, SLOW, KernelInputs, ns_per_bar

import fastbt

# Explicit rounds for the 1e6-bar cases keep the suite short; the small ones
# let pytest-benchmark calibrate.
ROUNDS_1M = {"run": 5, "kernel": 15, "simulate": 15}


@pytest.fixture
def bench(benchmark, record_property):
    """``bench(dataset, kind, fn, n_bars)``: warm ``fn``, time it, record ns/bar.

    ns/bar goes to ``benchmark.extra_info`` (saved with ``--benchmark-json`` or
    ``--benchmark-autosave``) and to the test report, which conftest.py lists in
    the terminal summary.
    """

    def run(dataset: str, kind: str, fn, n_bars: int):
        benchmark.group = dataset
        fn()  # warm: compile or load the kernels before anything is timed
        if dataset == "synthetic-1m":
            result = benchmark.pedantic(fn, rounds=ROUNDS_1M[kind], iterations=1)
        else:
            result = benchmark(fn)
        benchmark.extra_info["n_bars"] = n_bars
        if benchmark.stats is not None:  # None under --benchmark-disable
            per_bar = round(ns_per_bar(benchmark.stats.stats.median, n_bars), 2)
            benchmark.extra_info["ns_per_bar"] = per_bar
            record_property("ns_per_bar", per_bar)
        return result

    return run


@pytest.mark.parametrize("dataset", ["goog", "synthetic-20k", "synthetic-1m"])
def test_run_fast(bench, datasets, dataset):
    """Full ``fastbt.run``: validation, signals, simulation, Result with pandas objects."""
    bars = datasets[dataset]
    result = bench(
        dataset, "run", lambda: fastbt.run(bars, "ma_cross", fast=FAST, slow=SLOW), len(bars)
    )
    assert result.metrics["n_trades"] > 0


@pytest.mark.parametrize("dataset", ["goog", "synthetic-20k", "synthetic-1m"])
def test_kernel_fast(bench, datasets, dataset):
    """Jitted ``ma_cross_signals`` + ``simulate`` (record=True) on prepared arrays."""
    inputs = KernelInputs.from_bars(datasets[dataset])
    *_, trades = bench(dataset, "kernel", inputs.backtest, len(inputs))
    assert trades.shape[0] > 0


def test_simulate_only(bench, datasets):
    """``simulate`` alone on precomputed signals (the step peers are compared with)."""
    inputs = KernelInputs.from_bars(datasets["synthetic-1m"])
    entry, exit_ = inputs.signals()
    bench("synthetic-1m", "simulate", lambda: inputs.simulate(entry, exit_), len(inputs))


@pytest.mark.parametrize("dataset", ["goog", "synthetic-20k"])
def test_run_reference(bench, datasets, dataset):
    """``fastbt.run(engine="reference")``: the bar-by-bar Python engine."""
    bars = datasets[dataset]
    result = bench(
        dataset,
        "run",
        lambda: fastbt.run(bars, "ma_cross", fast=FAST, slow=SLOW, engine="reference"),
        len(bars),
    )
    assert result.metrics["n_trades"] > 0
