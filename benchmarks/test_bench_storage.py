"""pytest-benchmark suite for the Parquet market-data store (``fastbt.storage.MarketStore``).

Run with ``pytest benchmarks/`` (not part of the default ``tests/`` run). Two
datasets: ``daily-100x2520`` (100 symbols x 2,520 business days) and
``synthetic-1m`` (one symbol of 1,000,000 one-minute bars, shared with
test_bench_core.py). Writes are fresh: each round gets a new, empty store
directory, made and removed outside the timing. Reads and panels use a store
written once per dataset. Each case runs one untimed warm-up round. The SQLite
baseline is only in bench_storage.py (its 1M-row write loop takes ~10 s a round).
``extra_info`` carries ``rows`` and ``rows_per_s``; ``ns_per_bar`` (median
time / rows) also goes to the terminal summary printed by conftest.py.
"""

import shutil
import tempfile

import pytest
from bench_storage import (
    MINUTE_SYMBOL,
    N_DAILY,
    N_SYMBOLS,
    UPSERT_BARS,
    daily_universe,
    read_all,
    write_all,
)
from workloads import ns_per_bar

from fastbt.storage import MarketStore

DATASETS = ["daily-100x2520", "synthetic-1m"]
# Explicit rounds keep the suite to about half a minute on 2 cores.
ROUNDS = {
    "daily-100x2520": {"write": 5, "read": 10, "panel": 10, "upsert": 30},
    "synthetic-1m": {"write": 5, "read": 10},
}


@pytest.fixture(scope="session")
def universes(datasets):
    """``universes[name]``: ``{symbol: bars}`` for each dataset, built on first use."""
    cache = {}

    def get(name: str) -> dict:
        if name not in cache:
            if name == "daily-100x2520":
                cache[name] = daily_universe()
            else:
                cache[name] = {MINUTE_SYMBOL: datasets["synthetic-1m"]}
        return cache[name]

    return get


@pytest.fixture(scope="session")
def stored(universes, tmp_path_factory):
    """``stored(name)``: a MarketStore already holding that dataset (written once)."""
    cache = {}

    def get(name: str) -> MarketStore:
        if name not in cache:
            store = MarketStore(tmp_path_factory.mktemp(f"store-{name}"))
            write_all(store, universes(name))
            cache[name] = store
        return cache[name]

    return get


@pytest.fixture
def fresh_store(tmp_path):
    """``(setup, teardown)`` for pedantic: a new empty store per round, removed after it.

    Under ``--benchmark-disable`` pytest-benchmark skips teardown; the directory
    is inside ``tmp_path`` then, which pytest cleans up.
    """

    def setup():
        return (MarketStore(tempfile.mkdtemp(dir=tmp_path)),), {}

    def teardown(store, *_):
        shutil.rmtree(store.root.parent, ignore_errors=True)

    return setup, teardown


@pytest.fixture
def bench(benchmark, record_property):
    """``bench(dataset, kind, fn, rows, setup=None, teardown=None)``: warm, time, record.

    One untimed warm-up round, then ``ROUNDS[dataset][kind]`` timed rounds of
    one call each (``setup``/``teardown`` run outside the timing).
    """

    def run(dataset: str, kind: str, fn, rows: int, setup=None, teardown=None):
        benchmark.group = f"storage {dataset}"
        result = benchmark.pedantic(
            fn,
            setup=setup,
            teardown=teardown,
            rounds=ROUNDS[dataset][kind],
            warmup_rounds=1,
            iterations=1,
        )
        benchmark.extra_info["rows"] = rows
        if benchmark.stats is not None:  # None under --benchmark-disable
            median = benchmark.stats.stats.median
            benchmark.extra_info["rows_per_s"] = round(rows / median)
            per_row = round(ns_per_bar(median, rows), 2)
            benchmark.extra_info["ns_per_bar"] = per_row
            record_property("ns_per_bar", per_row)
        return result

    return run


def n_rows(universe: dict) -> int:
    return sum(len(bars) for bars in universe.values())


@pytest.mark.parametrize("dataset", DATASETS)
def test_store_write(bench, universes, fresh_store, dataset):
    """``store.write`` of every symbol into an empty store (validate, lock, encode, fsync)."""
    universe = universes(dataset)
    setup, teardown = fresh_store
    written = bench(
        dataset,
        "write",
        lambda store: write_all(store, universe),
        n_rows(universe),
        setup=setup,
        teardown=teardown,
    )
    assert written == n_rows(universe)


@pytest.mark.parametrize("dataset", DATASETS)
def test_store_read(bench, universes, stored, dataset):
    """``store.read`` of every symbol: whole series, all columns, into DataFrames."""
    universe = universes(dataset)
    store = stored(dataset)
    frames = bench(dataset, "read", lambda: read_all(store, universe), n_rows(universe))
    assert [len(frame) for frame in frames] == [len(bars) for bars in universe.values()]


def test_store_panel(bench, universes, stored):
    """``store.panel`` of the 100 daily symbols into (symbols x bars) arrays (target < 0.2 s)."""
    dataset = "daily-100x2520"
    symbols = list(universes(dataset))
    store = stored(dataset)
    panel = bench(dataset, "panel", lambda: store.panel(symbols), N_SYMBOLS * N_DAILY)
    assert panel.close.shape == (N_SYMBOLS, N_DAILY)


def test_store_upsert(bench, universes, fresh_store):
    """Upsert the last 20 bars into a stored 2,520-bar symbol (read, merge, rewrite)."""
    dataset = "daily-100x2520"
    symbol, bars = next(iter(universes(dataset).items()))
    new_store, teardown = fresh_store

    def setup():
        (store,), _ = new_store()
        store.write(symbol, bars)
        return (store,), {}

    rows = bench(
        dataset,
        "upsert",
        lambda store: store.write(symbol, bars.iloc[-UPSERT_BARS:]),
        UPSERT_BARS,
        setup=setup,
        teardown=teardown,
    )
    assert rows == N_DAILY
