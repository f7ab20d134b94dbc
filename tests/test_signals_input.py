"""Signals from anywhere: ``fastbt.run(data, signals=...)`` equals the strategy run whose
signals are the same arrays, bit for bit; ``fastbt.sweep(data, signals=...)`` rows equal
single runs; every bad input is a ValueError naming the problem; verify refuses."""

import json
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fastbt
from fastbt.kernels.metrics import METRIC_NAMES
from fastbt.kernels.strategies import ma_cross_signals
from tests.helpers import make_bars, scripted
from tests.test_crosscheck_v2 import assert_engines_agree, signal_flags, stress_bars, v2_options

# Drawn bars and options often skip every order or look like splits; both are expected.
pytestmark = [
    pytest.mark.filterwarnings("ignore::fastbt.RunWarning"),
    pytest.mark.filterwarnings("ignore::fastbt.errors.DataWarning"),
]

BARS = fastbt.load("GOOG")
COLUMNS = [BARS[c].to_numpy() for c in ("open", "high", "low", "close", "volume")]
WINDOWS = [(5, 30), (10, 30), (10, 50), (20, 60), (3, 8)]


def ma_signals(fast: int, slow: int) -> tuple[np.ndarray, np.ndarray]:
    return ma_cross_signals(*COLUMNS, fast, slow)


def same_metrics(a: dict, b: dict) -> bool:
    """Equal bit for bit (NaN equals NaN)."""
    return all(
        a[k] == b[k] or (isinstance(a[k], float) and math.isnan(a[k]) and math.isnan(b[k]))
        for k in a
    )


def assert_same_run(result, expected):
    assert same_metrics(result.metrics, expected.metrics)
    pd.testing.assert_frame_equal(result.trades, expected.trades, check_exact=True)
    for series in ("equity", "cash", "position"):
        pd.testing.assert_series_equal(
            getattr(result, series), getattr(expected, series), check_exact=True
        )


OPTIONS = [
    {},
    {"direction": "both", "commission": 0.001, "slippage": 0.0005},
    {"direction": "short", "fill": "close", "fixed_fee": 1.0},
    {"direction": "both", "sl": 0.04, "tp": 0.1, "trail": True, "close_at_end": True},
    {"entry_order": "limit", "entry_offset": 0.01, "entry_expiry": 3},
]


@pytest.mark.parametrize("options", OPTIONS)
@pytest.mark.parametrize("as_series", [False, True])
def test_run_equals_the_strategy_with_the_same_signals(options, as_series):
    entry, exit_ = ma_signals(10, 30)
    if as_series:
        entry, exit_ = pd.Series(entry, index=BARS.index), pd.Series(exit_, index=BARS.index)
    result = fastbt.run(BARS, signals=(entry, exit_), **options)
    expected = fastbt.run(BARS, "ma_cross", fast=10, slow=30, **options)
    assert_same_run(result, expected)
    assert result.metrics["n_trades"] > 0
    assert result.strategy == "signals" and result.params == {}


def test_run_equals_the_reference_engine_on_the_same_flags():
    """Random flags on synthetic bars: the signal run equals a verified scripted
    strategy (fast == reference) carrying the same flags, in both directions."""
    bars = fastbt.synthetic(400, seed=3)
    rng = np.random.default_rng(7)
    entry, exit_ = rng.random(400) < 0.08, rng.random(400) < 0.08
    for direction in ("long", "both"):
        expected = fastbt.verify(bars, scripted(entry, exit_), direction=direction, sl=0.03)
        result = fastbt.run(bars, signals=(entry, exit_), direction=direction, sl=0.03)
        assert same_metrics(result.metrics, expected.metrics)
        pd.testing.assert_frame_equal(result.trades, expected.trades, check_exact=True)


@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None, max_examples=40)
@given(data=st.data())
def test_signal_runs_equal_both_engines_on_tie_heavy_bars(data):
    """Any flags, any run option: the signal run is the scripted strategy's fast run bit
    for bit, and that run agrees with the reference engine."""
    bars = data.draw(stress_bars())
    entry, exit_ = (np.asarray(f, dtype=bool) for f in data.draw(signal_flags(len(bars))))
    options = data.draw(v2_options())
    result = fastbt.run(bars, signals=(entry, exit_), **options)
    strategy = scripted(entry, exit_)
    assert_same_run(result, fastbt.run(bars, strategy, **options))
    assert_engines_agree(result, fastbt.run(bars, strategy, engine="reference", **options))


@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None, max_examples=15)
@given(data=st.data())
def test_sweep_rows_equal_signal_runs_on_tie_heavy_bars(data):
    bars = data.draw(stress_bars(min_bars=5))
    variants = [data.draw(signal_flags(len(bars))) for _ in range(data.draw(st.integers(1, 4)))]
    entry = np.column_stack([np.asarray(e, dtype=bool) for e, _ in variants])
    exit_ = np.column_stack([np.asarray(x, dtype=bool) for _, x in variants])
    options = data.draw(v2_options())
    levels = {name: options.pop(name) for name in ("sl", "tp") if options.get(name) is not None}
    grid = {name: [None, value] for name, value in levels.items()}
    table = sweep(bars, signals=(entry, exit_), grid=grid, chunk_size=3, **options)
    for _, row in table.iterrows():
        set_levels = {k: None if math.isnan(row[k]) else row[k] for k in grid}
        k = row.signals
        result = fastbt.run(bars, signals=(entry[:, k], exit_[:, k]), **set_levels, **options)
        assert same_metrics({m: row[m] for m in METRIC_NAMES}, result.metrics)


def test_hand_computed_short_round_trip():
    """Short sale at bar 1's close (10), cover at bar 3's close (8): 100 units, pnl 200."""
    bars = make_bars([10, 10, 9, 8, 8], [10, 10, 9, 8, 8])
    entry = np.array([False, True, False, False, False])
    exit_ = np.array([False, False, False, True, False])
    result = fastbt.run(bars, signals=(entry, exit_), direction="short", fill="close", cash=1000)
    trade = result.trades.iloc[0]
    assert (trade.entry_bar, trade.exit_bar, trade.direction) == (1, 3, "short")
    assert trade.qty == 100.0 and trade.pnl == 200.0
    assert result.equity.iloc[-1] == 1200.0


def test_result_of_signals_exports_and_reports(tmp_path):
    entry, exit_ = ma_signals(5, 30)
    result = fastbt.run(BARS, signals=(entry, exit_))
    back = fastbt.Result.from_json(result.to_json())
    assert back.strategy == "signals" and back.params == {}
    assert same_metrics(back.metrics, result.metrics)
    loaded = fastbt.Result.from_parquet(result.to_parquet(tmp_path / "run"))
    assert loaded.strategy == "signals" and len(loaded.trades) == len(result.trades)
    assert (result.to_csv(tmp_path / "csv") / "trades.csv").exists()
    from fastbt.report import chart_png, render_html

    assert chart_png(result, "price")[:4] == b"\x89PNG"
    assert chart_png(loaded, "price")[:4] == b"\x89PNG"
    assert "signals" in render_html(result)


def test_verify_and_the_reference_engine_refuse_signals():
    entry, exit_ = ma_signals(5, 30)
    with pytest.raises(ValueError, match=r"cannot be verified.*reference engine"):
        fastbt.verify(BARS, signals=(entry, exit_))
    with pytest.raises(ValueError, match="fast engine only"):
        fastbt.run(BARS, signals=(entry, exit_), engine="reference")


# --- validation -------------------------------------------------------------------

N = len(BARS)
GOOD = np.zeros(N, dtype=bool)
INDEX = BARS.index


def _series(values, index=INDEX):
    return pd.Series(values, index=index)


RUN_ERRORS = [
    ({"strategy": "ma_cross", "signals": (GOOD, GOOD)}, "either a strategy or signals"),
    ({}, "give a strategy .* or signals"),
    ({"signals": (GOOD, GOOD), "fast": 10}, "no strategy parameters, got fast"),
    ({"signals": GOOD}, "pair \\(entry, exit\\), got ndarray"),
    ({"signals": (GOOD, GOOD, GOOD)}, "pair \\(entry, exit\\), got 3 items"),
    ({"signals": (GOOD[:-1], GOOD)}, f"entry has {N - 1:,} rows but the data has {N:,} bars"),
    ({"signals": (GOOD, np.zeros((N, 2), bool))}, "exit has shape .*1-D array or Series"),
    ({"signals": (GOOD.astype(int), GOOD)}, "entry holds int64 values, not booleans.*entry == 1"),
    (
        {"signals": (GOOD, np.where(np.arange(N) == 7, np.nan, 0.0))},
        f"exit has NaN at bar 7 \\({INDEX[7]}\\).*fillna\\(False\\)",
    ),
    ({"signals": (GOOD.astype(float), GOOD)}, "entry holds float64 values.*> 0.5"),
    (
        {"signals": (_series(GOOD), _series(pd.array([True] * (N - 1) + [None])))},
        "exit has a missing value at bar",
    ),
    (
        {"signals": (_series(GOOD, INDEX[::-1]), GOOD)},
        f"index of entry differs from the data's \\(at position 0: {INDEX[-1]} in entry",
    ),
    (
        {"signals": (_series(GOOD[:-1], INDEX[:-1]), GOOD)},
        f"entry ends at {INDEX[-2]}, the data continues from {INDEX[-1]}.*not aligned",
    ),
    (
        {"signals": (GOOD, _series(GOOD).reset_index(drop=True))},
        "index of exit is a RangeIndex.*exit.to_numpy\\(\\)",
    ),
    (
        {"signals": (_series(GOOD, INDEX.tz_localize("UTC")), GOOD)},
        "time zone UTC, the data's None.*tz_localize\\(None\\)",
    ),
    (
        {"signals": (pd.DataFrame({"a": GOOD}, index=INDEX), GOOD)},
        "entry is a DataFrame.*fastbt.sweep",
    ),
    ({"signals": (GOOD, GOOD), "engine": "reference"}, "fast engine only"),
]


@pytest.mark.parametrize(("kwargs", "message"), RUN_ERRORS)
def test_run_errors_name_the_problem(kwargs, message):
    with pytest.raises(ValueError, match=message):
        fastbt.run(BARS, **kwargs)


def test_a_shifted_series_is_refused_not_aligned():
    """A Series on other timestamps (here one bar later) is an error naming the first
    differing timestamp, never silently reindexed."""
    shifted = _series(GOOD, INDEX + pd.Timedelta(days=1))
    with pytest.raises(ValueError, match=f"at position 0: {shifted.index[0]} in exit"):
        fastbt.run(BARS, signals=(GOOD, shifted))


# --- sweeps over signal variants ----------------------------------------------------


def signal_frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    pairs = {f"ma{f}-{s}": ma_signals(f, s) for f, s in WINDOWS}
    entry = pd.DataFrame({k: v[0] for k, v in pairs.items()}, index=INDEX)
    exit_ = pd.DataFrame({k: v[1] for k, v in pairs.items()}, index=INDEX)
    return entry, exit_


def sweep(*args, **kwargs):
    kwargs.setdefault("progress", False)
    return fastbt.sweep(*args, **kwargs)


def metrics_of(table: pd.DataFrame) -> np.ndarray:
    return table[list(METRIC_NAMES)].to_numpy(dtype=float)


@pytest.mark.parametrize("options", [{}, {"direction": "both", "commission": 0.001}])
def test_sweep_rows_equal_single_runs(options):
    entry, exit_ = signal_frames()
    table = sweep(BARS, signals=(entry, exit_), grid={"sl": [None, 0.05]}, **options)
    assert list(table["signals"]) == [c for c in entry.columns for _ in range(2)]
    assert list(table.columns[:3]) == ["symbol", "signals", "sl"]
    for _, row in table.iterrows():
        sl = None if math.isnan(row.sl) else row.sl
        result = fastbt.run(
            BARS, signals=(entry[row.signals], exit_[row.signals]), sl=sl, **options
        )
        assert same_metrics({k: row[k] for k in METRIC_NAMES}, result.metrics), row.signals
    # and the same sets as the strategy sweep computing those signals itself
    for k, (f, s) in enumerate(WINDOWS):
        strategy_row = sweep(BARS, "ma_cross", {"fast": [f], "slow": [s]}, **options)
        assert np.array_equal(
            metrics_of(strategy_row), metrics_of(table.iloc[[2 * k]]), equal_nan=True
        )


def test_sweep_array_layouts_and_chunks_give_the_same_table():
    """C- and Fortran-ordered arrays, a DataFrame, a shared 1-D exit, any chunk size."""
    entry, exit_ = signal_frames()
    by_frame = sweep(BARS, signals=(entry, exit_))
    c_order = np.ascontiguousarray(entry.to_numpy())
    f_order = np.asfortranarray(exit_.to_numpy())
    for chunk_size in (None, 2):
        table = sweep(BARS, signals=(c_order, f_order), chunk_size=chunk_size)
        assert list(table["signals"]) == list(range(len(WINDOWS)))
        assert np.array_equal(metrics_of(table), metrics_of(by_frame), equal_nan=True)
    shared_exit = exit_.iloc[:, 0]
    shared = sweep(BARS, signals=(entry, shared_exit), chunk_size=3)
    for k, name in enumerate(entry.columns):
        result = fastbt.run(BARS, signals=(entry[name], shared_exit))
        assert same_metrics({m: shared.iloc[k][m] for m in METRIC_NAMES}, result.metrics)


def test_sweep_signal_columns_are_read_in_place():
    """A DataFrame's bool block (Fortran-ordered) reaches the kernel without a copy."""
    from fastbt.strategies.external import signals_strategy

    entry, exit_ = signal_frames()
    table = signals_strategy((entry, exit_), INDEX, many=True).signals
    assert np.shares_memory(table.entry, entry.to_numpy())
    assert table.entry.flags.c_contiguous and not table.entry.flags.writeable


def test_sweep_out_resume_and_changed_signals(tmp_path):
    entry, exit_ = signal_frames()
    out = tmp_path / "sweep"
    first = sweep(BARS, signals=(entry, exit_), out=out, chunk_size=2)
    again = sweep(BARS, signals=(entry, exit_), out=out, resume=True)
    pd.testing.assert_frame_equal(first, again)
    assert again.attrs["sweep"]["n_computed"] == 0
    back = fastbt.load_sweep(out)
    assert list(back["signals"]) == list(entry.columns)
    changed = entry.copy()
    changed.iloc[100, 0] = not changed.iloc[100, 0]
    with pytest.raises(ValueError, match="holds a different sweep"):
        sweep(BARS, signals=(changed, exit_), out=out, resume=True)


SWEEP_ERRORS = [
    (
        lambda e, x: {"signals": (e, x.iloc[:, :3])},
        "entry has 5 variants \\(columns\\) but exit has 3",
    ),
    (
        lambda e, x: {"signals": (e, x[x.columns[::-1]])},
        "different columns \\(column 0: 'ma5-30' in entry, 'ma3-8' in exit\\)",
    ),
    (
        lambda e, x: {"signals": (e.set_axis(["a", "a", "b", "c", "d"], axis=1), x.iloc[:, 0])},
        "column name 'a' twice",
    ),
    (lambda e, x: {"signals": (e.iloc[:, :0], x.iloc[:, 0])}, "entry has no columns"),
    (
        lambda e, x: {"signals": (e.astype(int), x)},
        "entry\\['ma5-30'\\] holds int64 values, not booleans",
    ),
    (lambda e, x: {"signals": (e, x), "grid": {"fast": [5]}}, "grid may hold only sl, tp"),
    (lambda e, x: {"signals": (e, x), "strategy": "ma_cross"}, "either a strategy or signals"),
    (lambda e, x: {"signals": (e.iloc[:-1], x)}, "index of entry differs"),
    (
        lambda e, x: {"signals": (e.to_numpy()[None], x)},
        "entry has shape \\(1, .*2-D array or DataFrame",
    ),
]


@pytest.mark.parametrize(("make", "message"), SWEEP_ERRORS)
def test_sweep_errors_name_the_problem(make, message):
    entry, exit_ = signal_frames()
    with pytest.raises(ValueError, match=message):
        sweep(BARS, **make(entry, exit_))


def test_sweep_of_signals_takes_one_symbol():
    entry, exit_ = signal_frames()
    with pytest.raises(ValueError, match="one data source's bars, got 2"):
        sweep({"A": BARS, "B": BARS}, signals=(entry, exit_))


# --- the CLI: fastbt run SOURCE --signals FILE.csv -----------------------------------


def cli(capsys, *args) -> tuple[int, str, str]:
    from fastbt.cli import main

    try:
        code = main(list(args))
    except SystemExit as exit_:
        code = exit_.code
    out, err = capsys.readouterr()
    return code, out, err


def write_signals(path, index, entry, exit_) -> str:
    pd.DataFrame({"date": index.strftime("%Y-%m-%d"), "entry": entry, "exit": exit_}).to_csv(
        path, index=False
    )
    return str(path)


def test_cli_run_with_a_signals_file_equals_the_library(tmp_path, capsys):
    entry, exit_ = ma_signals(10, 30)
    path = write_signals(tmp_path / "s.csv", INDEX, entry.astype(int), exit_)  # 1/0 and True/False
    code, out, err = cli(capsys, "run", "GOOG", "--signals", path, "--direction", "both", "--json")
    assert code == 0, err
    expected = fastbt.run(BARS, signals=(entry, exit_), direction="both")
    assert out.strip() == json.dumps(
        expected.to_dict(series=False) | {"n_trades": expected.metrics["n_trades"]},
        allow_nan=False,
    )


def test_cli_signal_errors_are_one_line_exit_2(tmp_path, capsys):
    entry, exit_ = ma_signals(10, 30)
    good = write_signals(tmp_path / "good.csv", INDEX, entry, exit_)
    late = write_signals(tmp_path / "late.csv", INDEX[1:], entry[1:], exit_[1:])
    words = np.where(exit_, "yes", "no")
    bad = write_signals(tmp_path / "bad.csv", INDEX, entry, words)
    no_exit = tmp_path / "no_exit.csv"
    pd.DataFrame({"date": INDEX, "entry": entry}).to_csv(no_exit, index=False)
    cases = [
        (("run", "GOOG", "--signals", str(no_exit)), "no column(s) exit"),
        (("run", "GOOG", "--signals", late), f"at position 0: {INDEX[1]} in entry"),
        (("run", "GOOG", "--signals", bad), "column 'exit' at row 0 (2004-08-19 00:00:00) is 'no'"),
        (("run", "GOOG", "--signals", str(tmp_path / "none.csv")), "does not exist"),
        (("run", "GOOG", "--signals", good, "-s", "rsi"), "either a strategy or signals"),
        (("run", "GOOG", "--signals", good, "-p", "fast=3"), "no strategy parameters"),
        (("verify", "GOOG", "--signals", good), "cannot be verified"),
    ]
    for args, fragment in cases:
        code, out, err = cli(capsys, *args)
        assert code == 2 and out == "", args
        assert err.count("\n") == 1 and fragment in err, err


def test_sweep_report_labels_variants_by_column_name():
    """The sweep report's heatmap of signals x sl has the column names as ticks."""
    from fastbt.report import render_sweep_html, sweep_heatmap

    entry, exit_ = signal_frames()
    table = sweep(BARS, signals=(entry, exit_), grid={"sl": [0.02, 0.05]})
    figure = sweep_heatmap(table, "signals", "sl", "sharpe")
    ticks = [t.get_text() for t in figure.axes[0].get_xticklabels()]
    assert sorted(ticks) == sorted(entry.columns)
    assert "ma10-30" in render_sweep_html(table, "sharpe", 3)
