"""fastbt.walk_forward: the window schedule by hand, selection rules, both stitch modes
against independent runs, the summary recomputed from the window table, bad input,
the report and the ``fastbt walkforward`` command."""

import itertools
import math
import subprocess

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fastbt
from fastbt.report import render_html
from fastbt.report.walkforward import render_walkforward_html
from fastbt.walkforward import schedule
from fastbt.walkforward.select import choose, rank
from tests.helpers import make_bars, scripted
from tests.test_cli import assert_one_line_error, cli
from tests.test_cli_v2 import cli_in_process
from tests.test_custom_strategy import MOMENTUM

MA_GRID = {"fast": [5, 10, 20], "slow": [30, 50]}
MOMENTUM_GRID = {"lookback": [5, 20], "threshold": [0.0, 0.03]}
PERIODS = 252.0


@pytest.fixture(scope="module")
def bars():
    return fastbt.load("GOOG").iloc[:700]


def walk(data, strategy="ma_cross", grid=None, **kwargs):
    kwargs.setdefault("progress", False)
    kwargs.setdefault("is_bars", 200)
    kwargs.setdefault("oos_bars", 100)
    return fastbt.walk_forward(data, strategy, MA_GRID if grid is None else grid, **kwargs)


# --- schedule -------------------------------------------------------------------------


def bounds(windows):
    return [(w.is_start, w.is_end, w.oos_start, w.oos_end) for w in windows]


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        # rolling: is_end = k*4 + 8, oos 4 bars, stop once oos_start >= 20
        ({}, [(0, 8, 8, 12), (4, 12, 12, 16), (8, 16, 16, 20)]),
        ({"anchored": True}, [(0, 8, 8, 12), (0, 12, 12, 16), (0, 16, 16, 20)]),
        # gap 2: the third window (oos 18-22) runs past bar 20 and is dropped ...
        ({"gap": 2}, [(0, 8, 10, 14), (4, 12, 14, 18)]),
        # ... or kept cut at bar 20
        ({"gap": 2, "keep_partial": True}, [(0, 8, 10, 14), (4, 12, 14, 18), (8, 16, 18, 20)]),
        # step 6 > oos_bars: bars 12-13 are in no out-of-sample window
        ({"step": 6}, [(0, 8, 8, 12), (6, 14, 14, 18)]),
        # step 2 < oos_bars: overlapping windows
        (
            {"step": 2},
            [(0, 8, 8, 12), (2, 10, 10, 14), (4, 12, 12, 16), (6, 14, 14, 18), (8, 16, 16, 20)],
        ),
        (
            {"step": 2, "anchored": True, "keep_partial": True, "gap": 1},
            [
                (0, 8, 9, 13),
                (0, 10, 11, 15),
                (0, 12, 13, 17),
                (0, 14, 15, 19),
                (0, 16, 17, 20),
            ],  # then oos 19-20 would be one bar: a backtest needs two, so it is dropped
        ),
    ],
)
def test_schedule_matches_hand_computed_windows(kwargs, expected):
    windows = schedule(20, is_bars=8, oos_bars=4, **kwargs)
    assert bounds(windows) == expected
    assert [w.number for w in windows] == list(range(len(expected)))


@settings(max_examples=300, deadline=None)
@given(
    n_bars=st.integers(2, 60),
    is_bars=st.integers(2, 20),
    oos_bars=st.integers(2, 20),
    step=st.one_of(st.none(), st.integers(1, 25)),
    gap=st.integers(0, 5),
    anchored=st.booleans(),
    keep_partial=st.booleans(),
)
def test_schedule_properties(n_bars, is_bars, oos_bars, step, gap, anchored, keep_partial):
    """Every window follows the formulas, fits the data with at least 2 bars per part,
    and the schedule stops exactly where the next window would not fit."""
    options = dict(step=step, gap=gap, anchored=anchored, keep_partial=keep_partial)
    try:
        windows = schedule(n_bars, is_bars=is_bars, oos_bars=oos_bars, **options)
    except ValueError as error:
        assert "too few bars for one walk-forward window" in str(error)
        assert n_bars - (is_bars + gap) < (2 if keep_partial else oos_bars)
        return
    step = oos_bars if step is None else step

    def fits(k):
        oos_start = k * step + is_bars + gap
        full = oos_start + oos_bars <= n_bars
        return full or (keep_partial and n_bars - oos_start >= 2)

    for k, w in enumerate(windows):
        assert (w.number, w.is_end, w.oos_start) == (k, k * step + is_bars, w.is_end + gap)
        assert w.is_start == (0 if anchored else k * step)
        assert w.oos_end == min(w.oos_start + oos_bars, n_bars)
        assert w.oos_bars >= 2 and w.is_bars >= 2 and fits(k)
    assert not fits(len(windows))


def test_the_window_table_carries_the_schedule_and_its_timestamps(bars):
    wf = walk(bars, gap=5, step=150, keep_partial=True)
    expected = bounds(schedule(700, is_bars=200, oos_bars=100, gap=5, step=150, keep_partial=True))
    table = wf.windows
    assert (
        list(zip(table.is_start, table.is_end, table.oos_start, table.oos_end, strict=True))
        == expected
    )
    index = bars.index
    assert list(table.oos_first) == [index[s] for s in table.oos_start]
    assert list(table.oos_last) == [index[e - 1] for e in table.oos_end]
    assert list(table.is_last) == [index[e - 1] for e in table.is_end]
    assert (table.oos_bars == table.oos_end - table.oos_start).all()


# --- selection ------------------------------------------------------------------------


def test_choose_takes_the_first_best_set_and_counts_nan_as_worst():
    assert choose([1.0, 3.0, 3.0, 2.0], [5, 5, 5, 5], "sharpe", 0) == 1  # first of a tie
    assert choose([np.nan, -5.0, np.nan], [1, 1, 1], "sharpe", 0) == 1  # NaN below any number
    assert choose([np.nan, np.nan], [1, 1], "sharpe", 0) == 0  # all NaN: the first
    assert choose([0.3, 0.1, 0.2], [9, 9, 9], "max_drawdown", 0) == 1  # lower is better
    assert choose([9.0, 1.0, 2.0], [0, 3, 3], "sharpe", 2) == 2  # set 0 trades too little
    assert choose([9.0, 1.0], [0, 1], "sharpe", 2) is None


def test_rank_is_ascending_with_ties_averaged_and_nan_lowest():
    values = [0.5, np.nan, 0.5, 0.9, -1.0]
    assert rank(values, 3, "sharpe") == 5.0
    assert rank(values, 0, "sharpe") == 3.5  # tie of two at places 3 and 4
    assert rank(values, 1, "sharpe") == 1.0  # NaN below -1
    assert rank([0.1, 0.2], 0, "max_drawdown") == 2.0


# --- independent runs ----------------------------------------------------------------


def sma(close, window):
    """The defined arithmetic of the SPEC: left-to-right prefix sum, window mean."""
    prefix = np.concatenate([[0.0], np.cumsum(close)])
    out = np.full(len(close), np.nan)
    out[window - 1 :] = (prefix[window:] - prefix[:-window]) / window
    return out


def ma_cross_flags(close, fast, slow):
    f, s = sma(close, fast), sma(close, slow)
    entry, exit_ = np.zeros(len(close), bool), np.zeros(len(close), bool)
    entry[1:] = (f[1:] > s[1:]) & (f[:-1] <= s[:-1])
    exit_[1:] = (f[1:] < s[1:]) & (f[:-1] >= s[:-1])
    return entry, exit_


def momentum_flags(close, lookback, threshold):
    entry, exit_ = np.zeros(len(close), bool), np.zeros(len(close), bool)
    change = close[lookback:] / close[:-lookback] - 1.0
    entry[lookback:], exit_[lookback:] = change > threshold, change < -threshold
    return entry, exit_


FLAGS = {"ma_cross": ma_cross_flags, MOMENTUM.name: momentum_flags}


def segment_run(bars, strategy, params, start, stop, **options):
    """A plain fastbt.run on bars start:stop whose signals are those of the whole history
    up to ``stop``, none on the segment's first bar (the documented warm-up rule)."""
    entry, exit_ = FLAGS[strategy](bars["close"].to_numpy()[:stop], **params)
    entry, exit_ = entry[start:stop].copy(), exit_[start:stop].copy()
    entry[0] = exit_[0] = False
    return fastbt.run(
        bars.iloc[start:stop], scripted(entry, exit_), periods_per_year=PERIODS, **options
    )


def grid_sets(grid):
    names = list(grid)
    return [
        dict(zip(names, values, strict=True))
        for values in pd.MultiIndex.from_product(list(grid.values())).tolist()
    ]


def sharpe(result):
    value = result.metrics["sharpe"]
    return -math.inf if math.isnan(value) else value


@pytest.mark.parametrize(
    ("strategy", "grid"),
    [("ma_cross", MA_GRID), (MOMENTUM, MOMENTUM_GRID)],
    ids=["fused", "set-by-set"],
)
def test_reset_windows_equal_independent_runs_from_the_previous_equity(bars, strategy, grid):
    wf = walk(bars, strategy, grid, commission=0.001)
    name = fastbt.get_strategy(strategy).name
    sets = grid_sets(grid)
    cash = 10_000.0
    for row in wf.windows.itertuples():
        # in sample: every set from the initial cash; the first best Sharpe is chosen
        is_runs = [
            segment_run(bars, name, p, row.is_start, row.is_end, commission=0.001) for p in sets
        ]
        scores = [sharpe(r) for r in is_runs]
        assert row.set == int(np.argmax(scores))
        assert {k: getattr(row, k) for k in grid} == sets[row.set]
        assert row.is_sharpe == pytest.approx(is_runs[row.set].metrics["sharpe"], rel=1e-9)
        assert row.is_return == pytest.approx(is_runs[row.set].metrics["total_return"], rel=1e-9)
        # out of sample: every set from the stitched equity, closed at the window's end
        oos_runs = [
            segment_run(
                bars,
                name,
                p,
                row.oos_start,
                row.oos_end,
                cash=cash,
                close_at_end=True,
                commission=0.001,
            )
            for p in sets
        ]
        chosen = oos_runs[row.set]
        window_equity = wf.result.equity.loc[row.oos_first : row.oos_last]
        np.testing.assert_allclose(window_equity.to_numpy(), chosen.equity.to_numpy(), rtol=1e-12)
        assert row.oos_return == pytest.approx(chosen.metrics["total_return"], rel=1e-9, abs=1e-15)
        assert row.oos_n_trades == chosen.metrics["n_trades"]
        oos_scores = pd.Series([sharpe(r) for r in oos_runs])
        assert row.oos_rank == oos_scores.rank(method="average").iloc[row.set]
        assert row.n_sets == len(sets)
        assert wf.result.position.loc[row.oos_last] == 0  # closed at the window's last bar
        cash = chosen.equity.iloc[-1]
    assert wf.result.equity.iloc[-1] == pytest.approx(cash, rel=1e-12)


def test_reset_stitched_result_has_the_metrics_of_its_curve(bars):
    wf = walk(bars)
    result = wf.result
    equity = result.equity.to_numpy()
    returns = np.diff(np.concatenate([[10_000.0], equity])) / np.concatenate(
        [[10_000.0], equity[:-1]]
    )
    assert len(result.equity) == (wf.windows.oos_end - wf.windows.oos_start).sum()
    assert result.metrics["total_return"] == pytest.approx(equity[-1] / 10_000.0 - 1, rel=1e-12)
    expected_sharpe = returns.mean() / returns.std(ddof=1) * math.sqrt(PERIODS)
    assert result.metrics["sharpe"] == pytest.approx(expected_sharpe, rel=1e-9)
    assert result.metrics["n_trades"] == wf.windows.oos_n_trades.sum()
    close = bars["close"].iloc[wf.windows.oos_start.iloc[0] : wf.windows.oos_end.iloc[-1]]
    assert result.metrics["buy_and_hold_return"] == pytest.approx(
        close.iloc[-1] / close.iloc[0] - 1, rel=1e-12
    )
    trades = result.trades
    assert (trades.status == "closed").all()  # each window closes its position
    # bar numbers count bars of the stitched curve
    index = result.equity.index
    assert (trades.exit_time.to_numpy() == index[trades.exit_bar.to_numpy("int64")]).all()
    assert (trades.entry_time.to_numpy() == index[trades.entry_bar.to_numpy("int64")]).all()


def test_continuous_equals_slices_of_the_full_history_run(bars):
    wf = walk(bars, stitch="continuous")
    stitched = wf.result.equity
    scale_from = 10_000.0
    for row in wf.windows.itertuples():
        full = fastbt.run(bars, "ma_cross", fast=row.fast, slow=row.slow, periods_per_year=PERIODS)
        piece = full.equity.iloc[row.oos_start - 1 : row.oos_end].to_numpy()
        expected = scale_from * piece[1:] / piece[0]
        window = stitched.loc[row.oos_first : row.oos_last].to_numpy()
        np.testing.assert_allclose(window, expected, rtol=1e-12)
        assert row.oos_return == pytest.approx(piece[-1] / piece[0] - 1, rel=1e-9, abs=1e-15)
        exits = full.closed_trades.exit_bar.astype("int64")
        assert row.oos_n_trades == ((exits >= row.oos_start) & (exits < row.oos_end)).sum()
        scale_from = window[-1]


def test_continuous_counts_fees_and_skipped_orders_by_the_bars_of_the_windows(bars):
    """One set, windows tiling bars 100-700: the stitched curve is the full run from
    bar 100 on, scaled by 10,000 / equity[99]; fills and skipped buys of bars 0-99 are
    not the walk-forward's."""
    options = {"size_type": "units", "size": 50, "commission": 0.001}
    wf = walk(
        bars, grid={"fast": [10], "slow": [30]}, is_bars=100, oos_bars=100,
        stitch="continuous", **options,
    )  # fmt: skip
    full = fastbt.run(bars, "ma_cross", fast=10, slow=30, periods_per_year=PERIODS, **options)
    before = fastbt.run(bars.iloc[:100], "ma_cross", fast=10, slow=30, **options)
    assert full.metrics["n_skipped"] > before.metrics["n_skipped"]  # 50 units cost too much
    assert wf.result.metrics["n_skipped"] == full.metrics["n_skipped"] - before.metrics["n_skipped"]
    scale = 10_000.0 / full.equity.iloc[99]
    np.testing.assert_allclose(wf.result.equity, full.equity.iloc[100:] * scale, rtol=1e-12)
    trades = full.trades
    fees = trades.entry_fee[trades.entry_bar >= 100].sum()
    fees += trades.exit_fee[trades.exit_bar.astype("float64") >= 100].sum()
    assert wf.result.metrics["total_fees"] == pytest.approx(fees * scale, rel=1e-12)
    # the trades closed from bar 100 on, money scaled alike
    closed = full.closed_trades
    closed = closed[closed.exit_bar.astype("int64") >= 100]
    assert wf.result.metrics["n_trades"] == len(closed)
    np.testing.assert_allclose(wf.result.trades.pnl, closed.pnl * scale, rtol=1e-12)


def test_overlapping_windows_are_reported_but_not_stitched(bars):
    wf = walk(bars, step=50)
    assert wf.result is None
    assert "overlap" in wf.note and "step >= oos_bars" in wf.note
    # oos_start 200, 250, ..., 600; the next (650-750) runs past bar 700 and is dropped
    assert wf.windows.oos_start.tolist() == list(range(200, 601, 50))
    assert wf.windows.oos_end.max() == 700
    # each window from the initial cash
    np.testing.assert_allclose(wf.windows.oos_profit, 10_000.0 * wf.windows.oos_return)
    assert "not stitched" in repr(wf)
    page = render_walkforward_html(wf)
    assert "not stitched" in page and "Chosen parameters over time" in page


def test_min_trades_skips_sets_with_too_few_in_sample_trades(bars):
    plain = walk(bars)
    strict = walk(bars, min_trades=2)
    assert (strict.windows.is_n_trades >= 2).all()
    assert (plain.windows.is_n_trades < 2).any()  # so the rule changed a choice
    assert (plain.windows.is_sharpe >= strict.windows.is_sharpe).all()


def test_objective_chooses_by_another_metric(bars):
    wf = walk(bars, objective="max_drawdown")
    sets = grid_sets(MA_GRID)
    for row in wf.windows.itertuples():
        drawdowns = [
            segment_run(bars, "ma_cross", p, row.is_start, row.is_end).metrics["max_drawdown"]
            for p in sets
        ]
        assert row.set == int(np.argmin(drawdowns))
        assert row.is_objective == row.is_max_drawdown


# --- summary --------------------------------------------------------------------------


@pytest.mark.parametrize("stitch", ["reset", "continuous"])
def test_summary_recomputed_from_the_window_table(bars, stitch):
    wf = walk(bars, stitch=stitch)
    rows = wf.windows.to_dict("records")
    oos = sum(r["oos_return"] * 252 / r["oos_bars"] for r in rows) / len(rows)
    ins = sum(r["is_return"] * 252 / r["is_bars"] for r in rows) / len(rows)
    s = wf.summary
    assert s["n_windows"] == len(rows) == 5
    if ins > 0:
        assert s["wfe"] == pytest.approx(oos / ins)
    else:
        assert math.isnan(s["wfe"])
    assert s["profitable_windows"] == sum(r["oos_return"] > 0 for r in rows) / len(rows)
    # profit in money on the stitched curve: equity at the window's end minus at its start
    ends = [wf.result.equity.loc[r["oos_last"]] for r in rows]
    starts = [10_000.0, *ends[:-1]]
    profits = [e - b for b, e in zip(starts, ends, strict=True)]
    np.testing.assert_allclose(wf.windows.oos_profit, profits, rtol=1e-9)
    total = sum(profits)
    if total > 0:
        assert s["largest_window_profit_share"] == pytest.approx(max(profits) / total)
    else:
        assert math.isnan(s["largest_window_profit_share"])
    changes = sum(a["set"] != b["set"] for a, b in itertools.pairwise(rows))
    assert s["n_set_changes"] == changes
    assert s["set_change_rate"] == changes / (len(rows) - 1)


def test_wfe_is_nan_when_in_sample_returns_are_not_positive():
    from fastbt.walkforward.result import summarize

    table = pd.DataFrame(
        {
            "is_return": [-0.1, 0.05],
            "is_bars": [100, 100],
            "oos_return": [0.02, 0.01],
            "oos_bars": [50, 50],
            "oos_profit": [200.0, 100.0],
            "set": [0, 0],
        }
    )
    s = summarize(table, 252.0)
    assert math.isnan(s["wfe"])  # in-sample mean -0.025 * 252 / 100 < 0
    table["is_return"] = [0.1, 0.1]
    s = summarize(table, 252.0)
    assert s["wfe"] == pytest.approx((0.015 * 252 / 50) / (0.1 * 252 / 100))
    assert s["largest_window_profit_share"] == pytest.approx(200 / 300)
    assert s["n_set_changes"] == 0


def test_a_hand_computed_walk_forward():
    """Nine bars, a threshold strategy filled at the close: every number by hand."""
    close = [10.0, 11.0, 12.0, 13.0, 12.0, 13.0, 14.0, 13.0, 15.0]
    bars = make_bars(close, close)
    level = fastbt.Strategy(
        name="above_level",
        description="long while close is above a level",
        params=(fastbt.Param("level", float, 0.0),),
        signals=lambda o, h, l, c, v, level: (c > level, c <= level),  # noqa: E741
        reference=MOMENTUM.reference,  # not used: walk_forward runs the fast engine
    )
    wf = fastbt.walk_forward(
        bars,
        level,
        {"level": [100.0, 5.0]},
        is_bars=4,
        oos_bars=3,
        keep_partial=True,
        fill="close",
        objective="total_return",
        progress=False,
        periods_per_year=252,
    )
    # window 0: in sample 0-4, out of sample 4-7; window 1: 3-7 and 7-9 (partial)
    assert bounds_of(wf) == [(0, 4, 4, 7), (3, 7, 7, 9)]
    # level 100 never trades (return 0). Level 5 is always long but a segment's first bar
    # gives no signal: in sample 0-4 it buys at bar 1's close (11) and ends at 13; in
    # sample 3-7 it buys at bar 4 (12) and ends at 14. Both times level 5 wins.
    assert list(wf.windows.level) == [5.0, 5.0]
    assert wf.windows.is_return.tolist() == pytest.approx([13 / 11 - 1, 14 / 12 - 1])
    # out of sample 4-7: buys at bar 5 (13), closed at bar 6's close (14); out of sample
    # 7-9: buys at bar 8's close (15) and closes there at the end: a trade of pnl 0
    assert wf.windows.oos_return.tolist() == pytest.approx([14 / 13 - 1, 0.0])
    assert wf.windows.oos_n_trades.tolist() == [1, 1]
    assert wf.result.equity.tolist() == pytest.approx(
        [10_000.0, 10_000.0, 10_000 * 14 / 13, 10_000 * 14 / 13, 10_000 * 14 / 13]
    )
    assert wf.result.metrics["total_return"] == pytest.approx(14 / 13 - 1)
    # WFE: mean out-of-sample return per bar over mean in-sample return per bar
    oos = ((14 / 13 - 1) / 3 + 0 / 2) / 2
    ins = ((13 / 11 - 1) / 4 + (14 / 12 - 1) / 4) / 2
    assert wf.summary["wfe"] == pytest.approx(oos / ins)
    assert wf.summary["profitable_windows"] == 0.5
    assert wf.summary["largest_window_profit_share"] == 1.0
    assert wf.summary["n_set_changes"] == 0


def bounds_of(wf):
    t = wf.windows
    return list(zip(t.is_start, t.is_end, t.oos_start, t.oos_end, strict=True))


# --- bad input ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "fragments"),
    [
        ({"is_bars": 1}, ("is_bars must be 2 or more", "at least 2 bars")),
        ({"oos_bars": -5}, ("oos_bars must be 2 or more",)),
        ({"is_bars": 2.5}, ("is_bars must be a whole number",)),
        ({"gap": -1}, ("gap must be 0 or more", "use 0")),
        ({"step": 0}, ("step must be 1 or more", "omit it")),
        ({"is_bars": 650}, ("too few bars for one walk-forward window", "700", "keep_partial")),
        ({"objective": "profit"}, ("objective must be a metric", "sharpe")),
        ({"grid": {}}, ("grid is empty",)),
        ({"min_trades": -1}, ("min_trades must be a whole number of 0 or more",)),
        ({"min_trades": 50}, ("min_trades=50: no parameter set", "window 0", "lower min_trades")),
        ({"stitch": "chain"}, ("stitch must be one of reset, continuous",)),
        ({"cash": -1}, ("cash",)),
        ({"data": ["GOOG", "EURUSD"]}, ("one symbol",)),
        ({"backend": "dask"}, ("backend='dask' needs scheduler=",)),
        ({"backend": "spark"}, ("backend must be one of loky, dask",)),
    ],
)
def test_bad_input_is_a_clear_value_error(bars, kwargs, fragments):
    kwargs = {"data": bars, **kwargs}
    with pytest.raises(ValueError) as error:
        walk(**kwargs)
    for fragment in fragments:
        assert fragment in str(error.value)


# --- export, repr, report -------------------------------------------------------------


def test_repr_frame_csv_and_report(bars, tmp_path):
    wf = walk(bars)
    assert repr(wf).startswith("<WalkForward ma_cross on GOOG: 5 windows")
    frame = wf.to_frame()
    assert frame.attrs["walk_forward"]["summary"] == wf.summary
    frame.loc[0, "fast"] = -1
    assert wf.windows.loc[0, "fast"] != -1  # a copy
    wf.to_csv(tmp_path / "w.csv")
    back = pd.read_csv(tmp_path / "w.csv")
    assert back["oos_return"].tolist() == pytest.approx(wf.windows["oos_return"].tolist())
    page = render_walkforward_html(wf)
    for text in (
        "Walk-forward: ma_cross on GOOG",
        "walk-forward efficiency",
        "Chosen parameters over time",
        "Stitched out-of-sample metrics",
    ):
        assert text in page
    assert page.count("<tr>") >= len(wf.windows) + 1
    # the stitched Result is an ordinary one: its report, JSON round trip
    assert "Price, indicators and trades" in render_html(wf.result)
    back = fastbt.Result.from_json(wf.result.to_json())
    assert back.strategy == "walk-forward ma_cross"
    assert back.metrics == pytest.approx(wf.result.metrics, nan_ok=True)


# --- command --------------------------------------------------------------------------

COMMAND = (
    "walkforward",
    "GOOG",
    "-g",
    "fast=5:30:10",
    "-g",
    "slow=40:80:20",
    "--is-bars",
    "504",
    "--oos-bars",
    "252",
    "--no-progress",
)


def test_command_prints_the_windows_and_summary_and_writes_files(capsys, tmp_path):
    report, table = tmp_path / "wf.html", tmp_path / "w.csv"
    done = cli_in_process(capsys, *COMMAND, "--report", str(report), "--csv", str(table))
    assert done.returncode == 0, done.stderr
    wf = fastbt.walk_forward(
        "GOOG",
        "ma_cross",
        {"fast": [5, 15, 25], "slow": [40, 60]},
        is_bars=504,
        oos_bars=252,
        progress=False,
    )
    assert repr(wf) in done.stdout
    assert "walk-forward efficiency (WFE)" in done.stdout
    assert f"{len(wf.windows)} windows" in done.stdout
    pd.testing.assert_series_equal(
        pd.read_csv(table)["oos_return"], wf.windows["oos_return"], check_exact=False, rtol=1e-12
    )
    assert "Chosen parameters over time" in report.read_text()


@pytest.mark.parametrize(
    ("flags", "fragments"),
    [
        (("--is-bars", "0"), ("is_bars must be 2 or more",)),
        (("--gap", "-2"), ("gap must be 0 or more",)),
        (("--step", "0"), ("step must be 1 or more",)),
        (("--objective", "pnl"), ("objective must be a metric",)),
        (("--stitch", "glue"), ("--stitch", "invalid choice")),
        (("--oos-bars", "x"), ("--oos-bars", "invalid int")),
        (("--is-bars", "100000"), ("too few bars for one walk-forward window",)),
        (("--min-trades", "500"), ("min_trades=500",)),
        (("--csv", "w.txt"), ("--csv must name a .csv file",)),
    ],
)
def test_command_bad_input_is_one_line_exit_2(capsys, flags, fragments):
    assert_one_line_error(cli_in_process(capsys, *COMMAND, *flags), *fragments)


def test_command_needs_a_grid(capsys):
    done = cli_in_process(capsys, "walkforward", "GOOG", "--is-bars", "504", "--oos-bars", "126")
    assert_one_line_error(done, "give the parameter grid with -g")


def test_console_script_end_to_end():
    done = cli(*COMMAND, "--stitch", "continuous")
    assert done.returncode == 0, done.stderr
    assert "stitch=continuous" in done.stdout and "stitched:" in done.stdout
    assert_one_line_error(cli(*COMMAND, "--is-bars", "-1"), "is_bars must be 2 or more")
    assert isinstance(done, subprocess.CompletedProcess)


def test_dask_backend_gives_the_local_walk_forward(bars):
    distributed = pytest.importorskip("distributed", reason="needs the dask extra")
    local = walk(bars, chunk_size=2)
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=1, processes=True, host="127.0.0.1",
        dashboard_address=None,
    ) as cluster:  # fmt: skip
        remote = walk(bars, chunk_size=2, backend="dask", scheduler=cluster.scheduler_address)
    pd.testing.assert_frame_equal(remote.windows, local.windows)
    pd.testing.assert_series_equal(remote.result.equity, local.result.equity)
