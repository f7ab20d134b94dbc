"""fastbt.sweep: rows equal single runs and the reference engine, determinism
across jobs and chunking, dropped sets, streaming and resuming, helpers."""

import math
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest

import fastbt
from fastbt.compare import close_enough
from fastbt.kernels.metrics import METRIC_NAMES
from fastbt.sweep import api, execute
from tests.test_custom_strategy import MOMENTUM


def sweep(*args, **kwargs):
    kwargs.setdefault("progress", False)
    return fastbt.sweep(*args, **kwargs)


def assert_row_matches(row, result):
    for name in METRIC_NAMES:
        assert close_enough(float(row[name]), float(result.metrics[name]), 1e4), name


OPTIONS = [
    {},
    {"fill": "close", "commission": 0.001, "slippage": 0.0005},
    {"fixed_fee": 2.0, "fractional": False, "close_at_end": True},
    {"size": 5, "size_type": "units", "commission": 0.002},
]


@pytest.mark.parametrize("options", OPTIONS)
def test_ma_cross_rows_equal_single_runs(options):
    table = sweep(
        "GOOG", "ma_cross", {"fast": range(2, 30, 3), "slow": range(5, 120, 9)}, **options
    )
    rows = table.sample(12, random_state=1)
    for _, row in rows.iterrows():
        result = fastbt.run("GOOG", "ma_cross", fast=int(row.fast), slow=int(row.slow), **options)
        assert_row_matches(row, result)
        assert row.n_trades == result.metrics["n_trades"]


@pytest.mark.parametrize("options", OPTIONS[:2])
def test_rsi_rows_equal_single_runs(options):
    grid = {"window": [3, 7, 14], "oversold": [20, 30.5, 45], "overbought": [55, 70, 80]}
    table = sweep("EURUSD", "rsi", grid, **options)
    assert len(table) == 27
    for _, row in table.iloc[::4].iterrows():
        result = fastbt.run(
            "EURUSD",
            "rsi",
            window=int(row.window),
            oversold=row.oversold,
            overbought=row.overbought,
            **options,
        )
        assert_row_matches(row, result)


def test_small_grid_equals_the_reference_engine():
    table = sweep(
        "BTCUSD",
        "ma_cross",
        {"fast": [2, 3, 5], "slow": [6, 12]},
        commission=0.001,
        close_at_end=True,
    )
    for _, row in table.iterrows():
        reference = fastbt.run(
            "BTCUSD",
            "ma_cross",
            fast=int(row.fast),
            slow=int(row.slow),
            commission=0.001,
            close_at_end=True,
            engine="reference",
        )
        assert_row_matches(row, reference)


def test_invalid_sets_are_dropped_and_counted():
    table = sweep("GOOG", "ma_cross", {"fast": range(1, 11), "slow": range(1, 11)})
    assert (table.fast < table.slow).all()
    info = table.attrs["sweep"]
    assert info["n_total"] == 100 and info["n_invalid"] == 55 and len(table) == 45
    # Product order: first parameter slowest, and no set missing.
    expected = [(f, s) for f in range(1, 11) for s in range(1, 11) if f < s]
    assert list(zip(table.fast, table.slow, strict=True)) == expected


def test_parameters_missing_from_the_grid_take_their_defaults():
    table = sweep("GOOG", "rsi", {"window": [10, 20]})
    assert table.oversold.tolist() == [30.0, 30.0] and table.overbought.tolist() == [70.0, 70.0]


def test_random_sample_is_seeded_and_a_subset():
    grid = {"fast": range(2, 40), "slow": range(3, 80)}
    full = sweep("GOOG", "ma_cross", grid)
    a = sweep("GOOG", "ma_cross", grid, sample=50, seed=7)
    b = sweep("GOOG", "ma_cross", grid, sample=50, seed=7)
    pd.testing.assert_frame_equal(a, b)
    assert len(a) == 50 and a.attrs["sweep"]["sampled"]
    merged = a.merge(full, on=["fast", "slow"], suffixes=("", "_full"))
    assert len(merged) == 50
    np.testing.assert_array_equal(merged.sharpe.to_numpy(), merged.sharpe_full.to_numpy())


def test_many_symbols_from_a_dict_or_names():
    universe = fastbt.synthetic_universe(3, 400, seed=2)
    grid = {"fast": [5, 10], "slow": [20, 50]}
    table = sweep(universe, "ma_cross", grid)
    assert table.symbol.tolist() == [s for s in universe for _ in range(4)]
    one = fastbt.run(universe["SYN001"], "ma_cross", fast=10, slow=50)
    assert_row_matches(
        table[(table.symbol == "SYN001") & (table.fast == 10) & (table.slow == 50)].iloc[0], one
    )
    named = sweep(["GOOG", "BTCUSD"], "ma_cross", {"fast": [3], "slow": [10]})
    assert named.symbol.tolist() == ["GOOG", "BTCUSD"]


def test_user_strategy_sweeps_on_the_slower_path():
    fastbt.register_strategy(MOMENTUM, replace=True)
    table = sweep("GOOG", MOMENTUM.name, {"lookback": [5, 20], "threshold": [0.02, 0.05]})
    for _, row in table.iterrows():
        result = fastbt.run(
            "GOOG", MOMENTUM.name, lookback=int(row.lookback), threshold=row.threshold
        )
        assert_row_matches(row, result)


GRID = {"fast": range(2, 40, 2), "slow": range(10, 100, 7)}


def test_identical_tables_whatever_the_chunking_and_jobs(monkeypatch):
    baseline = sweep("GOOG", "ma_cross", GRID, n_jobs=1)
    for chunk_size in (1, 7, 1000):
        pd.testing.assert_frame_equal(
            sweep("GOOG", "ma_cross", GRID, chunk_size=chunk_size), baseline
        )
    monkeypatch.setattr(api, "prefer_in_process", lambda fused, work: False)  # processes
    pd.testing.assert_frame_equal(
        sweep(["GOOG", "EURUSD"], "ma_cross", GRID, n_jobs=2, chunk_size=40).query(
            "symbol == 'GOOG'"
        ),
        baseline,
    )


def test_streamed_results_and_manifest(tmp_path):
    out = tmp_path / "run"
    table = sweep("GOOG", "ma_cross", GRID, out=out, chunk_size=50)
    parts = sorted(out.glob("part-*.parquet"))
    assert len(parts) == math.ceil(len(table) / 50)
    assert (out / "manifest.json").exists()
    again = pd.concat([pd.read_parquet(p) for p in parts], ignore_index=True)
    pd.testing.assert_frame_equal(again, table, check_dtype=False)


def test_failed_chunk_is_named_others_kept_and_resume_completes(tmp_path, monkeypatch):
    out = tmp_path / "run"
    reference = sweep("GOOG", "ma_cross", GRID, chunk_size=40)
    from fastbt.sweep import chunks

    original = chunks.run_sets

    def broken(bars, strategy, params, *rest):
        if params["fast"][0] == reference.fast.iloc[80]:
            raise RuntimeError("disk on fire")
        return original(bars, strategy, params, *rest)

    monkeypatch.setattr(chunks, "run_sets", broken)
    with pytest.raises(
        fastbt.SweepError,
        match=r"chunk 2 \(GOOG, sets 80-119\) failed: "
        r"RuntimeError: disk on fire",
    ):
        sweep("GOOG", "ma_cross", GRID, out=out, chunk_size=40)
    assert not (out / "part-000002.parquet").exists()
    assert (out / "part-000001.parquet").exists()
    monkeypatch.setattr(chunks, "run_sets", original)
    with pytest.raises(ValueError, match="already holds sweep results; pass resume=True"):
        sweep("GOOG", "ma_cross", GRID, out=out, chunk_size=40)
    resumed = sweep("GOOG", "ma_cross", GRID, out=out, chunk_size=40, resume=True)
    assert resumed.attrs["sweep"]["n_resumed"] == math.ceil(len(reference) / 40) - 1
    pd.testing.assert_frame_equal(resumed, reference, check_dtype=False)


def test_resume_refuses_a_different_sweep(tmp_path):
    out = tmp_path / "run"
    sweep("GOOG", "ma_cross", {"fast": [2], "slow": [10]}, out=out)
    with pytest.raises(ValueError, match="holds a different sweep"):
        sweep("GOOG", "ma_cross", {"fast": [3], "slow": [10]}, out=out, resume=True)
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("mine")
    with pytest.raises(ValueError, match="not empty and holds no sweep manifest"):
        sweep("GOOG", "ma_cross", {"fast": [2], "slow": [10]}, out=tmp_path / "other")


KILLED_SWEEP = """
import sys, fastbt
fastbt.sweep("GOOG", "ma_cross", {"fast": range(2, 60), "slow": range(3, 200)},
             out=sys.argv[1], chunk_size=200, n_jobs=1, progress=False)
"""


def test_sweep_killed_with_sigkill_resumes_to_the_same_table(tmp_path):
    out = tmp_path / "run"
    child = subprocess.Popen([sys.executable, "-c", KILLED_SWEEP, str(out)])
    deadline = time.monotonic() + 240
    while len(list(out.glob("part-*.parquet"))) < 3:
        assert child.poll() is None, "sweep finished before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.002)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    grid = {"fast": range(2, 60), "slow": range(3, 200)}
    resumed = sweep("GOOG", "ma_cross", grid, out=out, chunk_size=200, resume=True)
    assert resumed.attrs["sweep"]["n_resumed"] >= 3
    full = sweep("GOOG", "ma_cross", grid, chunk_size=200)
    pd.testing.assert_frame_equal(resumed, full, check_dtype=False)


def test_top_best_and_pivot():
    table = sweep(["GOOG", "BTCUSD"], "ma_cross", {"fast": [2, 3, 5], "slow": [8, 13, 21]})
    leaders = fastbt.top(table, 3, "sharpe")
    assert len(leaders) == 3
    assert leaders.sharpe.is_monotonic_decreasing
    assert leaders.sharpe.iloc[0] == table.sharpe.max()
    calm = fastbt.top(table, 2, "max_drawdown")
    assert calm.max_drawdown.iloc[0] == table.max_drawdown.min()
    winners = fastbt.best(table, "total_return")
    assert winners.symbol.tolist() == ["GOOG", "BTCUSD"]
    for _, row in winners.iterrows():
        assert row.total_return == table[table.symbol == row.symbol].total_return.max()
    heat = fastbt.pivot(table, "fast", "slow", "sharpe", symbol="GOOG")
    assert heat.shape == (3, 3)
    goog = table[table.symbol == "GOOG"].set_index(["slow", "fast"]).sharpe
    assert heat.loc[13, 5] == goog.loc[(13, 5)]
    with pytest.raises(ValueError, match="pass symbol="):
        fastbt.pivot(table, "fast", "slow")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"grid": {"span": [1, 2]}},
            r"unknown parameter\(s\) for strategy 'ma_cross' in grid: span",
        ),
        ({"grid": {"fast": []}}, "grid 'fast' has no values"),
        ({"grid": {"fast": ["a", "b"]}}, "parameter 'fast' values must be numbers"),
        ({"grid": {"fast": [1.5], "slow": [10]}}, "parameter 'fast' values must be whole numbers"),
        ({"grid": {"fast": [50], "slow": [10]}}, "no valid parameter sets: all 1 combinations"),
        ({"grid": {"fast": [2]}, "cash": -1}, "cash must be positive"),
        ({"grid": {"fast": [2]}, "leverage": 2}, "unknown run option"),
        ({"grid": {"fast": [2]}, "backend": "spark"}, "backend must be one of loky, dask"),
        ({"grid": {"fast": [2]}, "backend": "dask"}, "needs scheduler="),
        ({"grid": {"fast": [2]}, "chunk_size": 0}, "chunk_size must be positive"),
        ({"grid": {"fast": [2]}, "sample": 0}, "sample must be a positive whole number"),
        ({"grid": {"fast": [2]}, "sample": 1.5}, "sample must be a positive whole number"),
        ({"grid": {"fast": [2]}, "n_jobs": 1, "seed": 1, "sample": True}, "sample must be"),
    ],
)
def test_bad_sweep_input_is_named(kwargs, message):
    grid = kwargs.pop("grid")
    with pytest.raises(ValueError, match=message):
        sweep("GOOG", "ma_cross", grid, **kwargs)


def test_progress_bar_shows_sets_per_second(capsys):
    fastbt.sweep("GOOG", "ma_cross", {"fast": [2, 3], "slow": [10, 20]}, progress=True)
    assert "set/s" in capsys.readouterr().err


def _dies_on_lookback_7(open_, high, low, close, volume, lookback, threshold):
    """A signal function that kills its worker process for one parameter value."""
    if lookback == 7:
        os._exit(13)
    return MOMENTUM.signals(open_, high, low, close, volume, lookback, threshold)


CRASHING = fastbt.Strategy(
    name="crashing_momentum",
    description="kills the worker at lookback=7",
    params=MOMENTUM.params,
    signals=_dies_on_lookback_7,
    reference=MOMENTUM.reference,
)


def test_a_crashed_worker_process_is_reported_and_finished_chunks_kept(tmp_path, monkeypatch):
    monkeypatch.setattr(execute, "IN_PROCESS_WORK", 0)  # set-by-set: worker processes
    grid = {"lookback": [3, 4, 5, 6, 7, 8], "threshold": [0.02]}
    out = tmp_path / "run"
    with pytest.raises(
        fastbt.SweepError, match=r"(?s)sweep stopped: TerminatedWorkerError.*resume=True"
    ):
        sweep("GOOG", CRASHING, grid, out=out, chunk_size=1, n_jobs=2)
    assert (out / "manifest.json").exists()


def test_n_jobs_does_not_change_numba_threads_afterwards():
    import numba

    before = numba.get_num_threads()
    sweep("GOOG", "ma_cross", {"fast": [2, 3], "slow": [10]}, n_jobs=1)
    assert numba.get_num_threads() == before


def test_two_sources_with_the_same_name_are_refused(tmp_path):
    for folder in ("one", "two"):
        (tmp_path / folder).mkdir()
        fastbt.load("BTCUSD").to_csv(tmp_path / folder / "x.csv")
    with pytest.raises(ValueError, match="two data sources are both named 'X'"):
        sweep(
            [tmp_path / "one" / "x.csv", tmp_path / "two" / "x.csv"],
            "ma_cross",
            {"fast": [2], "slow": [5]},
        )


def test_unnamed_frames_in_a_list_get_positional_names():
    frames = [fastbt.synthetic(300, seed=1), fastbt.synthetic(300, seed=2)]
    table = sweep(frames, "ma_cross", {"fast": [5], "slow": [20]})
    assert table.symbol.tolist() == ["data0", "data1"]


def test_stored_symbols_of_another_interval_and_store(tmp_path):
    store = fastbt.MarketStore(tmp_path)
    store.write("HOURLY", fastbt.load("EURUSD"), interval="1h")
    table = sweep("HOURLY", "ma_cross", {"fast": [5], "slow": [20]}, interval="1h", store=tmp_path)
    assert table.symbol.tolist() == ["HOURLY"]
    assert table.periods_per_year.iloc[0] == 252 * 24


def test_resume_reuses_the_stored_chunk_size_and_grid_spelling(tmp_path):
    out = tmp_path / "run"
    first = sweep("GOOG", "ma_cross", GRID, out=out, chunk_size=30)
    again = sweep(
        "GOOG",
        "ma_cross",
        {"fast": [float(f) for f in GRID["fast"]], "slow": np.array(list(GRID["slow"]))},
        out=out,
        resume=True,
    )
    assert again.attrs["sweep"]["n_resumed"] == math.ceil(len(first) / 30)
    pd.testing.assert_frame_equal(again, first)
    with pytest.raises(ValueError, match="was run with chunk_size=30"):
        sweep("GOOG", "ma_cross", GRID, out=out, resume=True, chunk_size=40)


RSI_SOME_NEVER_TRADE = {"window": [5, 14, 30], "oversold": [5.0, 10.0, 20.0, 30.0]}


def test_rankings_leave_out_sets_without_enough_closed_trades():
    table = sweep("GOOG", "rsi", RSI_SOME_NEVER_TRADE)
    never = table[table.n_trades == 0]
    assert len(never) == 3 and (never.max_drawdown == 0).all()  # window 30, oversold <= 20
    calm = fastbt.top(table, 3, "max_drawdown")
    assert (calm.n_trades >= 1).all()
    assert calm.max_drawdown.iloc[0] == table[table.n_trades >= 1].max_drawdown.min() > 0
    everything = fastbt.top(table, 3, "max_drawdown", min_trades=0)
    assert (everything.n_trades == 0).all()  # what ranking by drawdown did before
    busy = fastbt.top(table, len(table), "sharpe", min_trades=5)
    assert len(busy) == (table.n_trades >= 5).sum() and busy.sharpe.is_monotonic_decreasing
    heat = fastbt.pivot(table, "window", "oversold", "max_drawdown")
    assert heat.shape == (4, 3) and heat[30].isna().tolist() == [True, True, True, False]
    assert fastbt.pivot(table, "window", "oversold", "max_drawdown", min_trades=0)[30].notna().all()
    for bad in (-1, 1.5, True, "1"):
        with pytest.raises(ValueError, match="min_trades must be a whole number of 0 or more"):
            fastbt.top(table, 3, "sharpe", min_trades=bad)


def test_best_leaves_out_a_symbol_without_a_set_that_traded():
    flat = fastbt.load("GOOG").copy()
    flat[["open", "high", "low", "close"]] = 100.0  # no RSI crossing: nothing ever trades
    table = sweep({"GOOG": fastbt.load("GOOG"), "FLAT": flat}, "rsi", RSI_SOME_NEVER_TRADE)
    assert fastbt.best(table, "max_drawdown").symbol.tolist() == ["GOOG"]
    assert fastbt.best(table, "max_drawdown", min_trades=0).symbol.tolist() == ["GOOG", "FLAT"]


def test_resumed_sweep_counts_only_the_sets_it_computed(tmp_path):
    out = tmp_path / "run"
    first = sweep("GOOG", "ma_cross", GRID, out=out, chunk_size=30)
    for chunk_id in (1, 3):
        (out / f"part-{chunk_id:06d}.parquet").unlink()
    resumed = sweep("GOOG", "ma_cross", GRID, out=out, resume=True)
    info = resumed.attrs["sweep"]
    assert (info["n_rows"], info["n_computed"]) == (len(first), 60)
    assert info["n_resumed"] == math.ceil(len(first) / 30) - 2
    assert info["sets_per_second"] == pytest.approx(60 / info["seconds"])
    bars = len(fastbt.load("GOOG"))
    assert info["bar_evaluations_per_second"] == pytest.approx(60 * bars / info["seconds"])
    again = sweep("GOOG", "ma_cross", GRID, out=out, resume=True)
    info = again.attrs["sweep"]
    assert info["n_computed"] == 0
    assert info["sets_per_second"] is None and info["bar_evaluations_per_second"] is None
    saved = fastbt.load_sweep(out).attrs["sweep"]
    assert saved["n_computed"] == 0 and saved["sets_per_second"] is None


def test_unusable_out_directories_are_named(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(ValueError, match="is a file, not a directory"):
        sweep("GOOG", "ma_cross", {"fast": [2], "slow": [10]}, out=tmp_path / "file")
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "manifest.json").write_text("{not json")
    with pytest.raises(ValueError, match="unreadable sweep manifest"):
        sweep("GOOG", "ma_cross", {"fast": [2], "slow": [10]}, out=bad, resume=True)
