"""Report charts: right axes, titles and series; numbers computed on every bar even
when drawing is thinned."""

import base64
import itertools
import pickle

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from matplotlib.collections import PathCollection, QuadMesh
from matplotlib.figure import Figure

import fastbt
from fastbt import report
from fastbt.report.downsample import MAX_LINE_POINTS, MAX_MARKERS, line_points, marker_points
from fastbt.strategies import Indicator
from tests.helpers import make_bars, scripted

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def goog():
    return fastbt.run("GOOG", "ma_cross", fast=10, slow=30, commission=0.001)


@pytest.fixture(scope="module")
def eurusd():
    return fastbt.run("EURUSD", "rsi", window=10)


def line(ax, label):
    matches = [x for x in ax.get_lines() if x.get_label() == label]
    assert len(matches) == 1, [x.get_label() for x in ax.get_lines()]
    return matches[0]


def scatter(ax, label_start):
    matches = [
        c
        for c in ax.collections
        if isinstance(c, PathCollection) and c.get_label().startswith(label_start)
    ]
    assert len(matches) == 1
    return matches[0]


def test_equity_chart_draws_equity_buy_and_hold_and_every_trade(goog):
    figure = report.equity_chart(goog)
    (ax,) = figure.axes
    assert ax.get_title() == "Equity: ma_cross(fast=10, slow=30) on GOOG"
    equity = line(ax, "strategy")
    np.testing.assert_array_equal(equity.get_ydata(), goog.equity.to_numpy())
    hold = line(ax, "buy and hold").get_ydata()
    close = goog.bars["close"].to_numpy()
    np.testing.assert_allclose(hold, 10_000 * close / close[0])
    assert hold[-1] / hold[0] - 1 == pytest.approx(goog.metrics["buy_and_hold_return"])
    entries = scatter(ax, "entry").get_offsets()
    assert len(entries) == len(goog.trades)
    np.testing.assert_allclose(
        entries[:, 1], goog.equity.to_numpy()[goog.trades["entry_bar"].to_numpy()]
    )
    assert len(scatter(ax, "exit").get_offsets()) == len(goog.closed_trades)


def test_drawdown_chart_bottoms_at_the_max_drawdown(goog):
    (ax,) = report.drawdown_chart(goog).axes
    assert ax.get_title().startswith("Drawdown: ma_cross")
    values = line(ax, "drawdown").get_ydata()
    assert len(values) == len(goog.equity)
    assert -values.min() == pytest.approx(goog.metrics["max_drawdown"], rel=1e-12)
    assert values.max() == 0.0


def test_returns_chart_counts_every_bar_in_the_market(goog):
    (ax,) = report.returns_chart(goog).axes
    assert ax.get_title().startswith("Bar returns")
    heights = sum(patch.get_height() for patch in ax.patches)
    returns = goog.equity.pct_change().dropna()
    assert heights == (returns != 0).sum()


def test_monthly_returns_compound_to_the_total_return(goog, eurusd):
    for result in (goog, eurusd):
        table = report.monthly_returns(result)
        assert list(table.columns) == list(range(1, 13))
        growth = np.nanprod(1 + table.to_numpy())
        assert growth - 1 == pytest.approx(result.metrics["total_return"], rel=1e-9)
    figure = report.monthly_returns_chart(goog)
    ax = figure.axes[0]
    assert ax.get_title().startswith("Monthly returns")
    assert [t.get_text() for t in ax.get_xticklabels()] == list(report.charts.MONTHS)
    (mesh,) = [c for c in ax.collections if isinstance(c, QuadMesh)]
    assert mesh.get_array().size == report.monthly_returns(goog).size


def test_price_chart_shows_the_strategys_indicators_and_fills(goog, eurusd):
    (ax,) = report.price_chart(goog).axes
    assert ax.get_title() == "Price and trades: ma_cross(fast=10, slow=30) on GOOG"
    expected = goog.bars["close"].rolling(10).mean().to_numpy()
    np.testing.assert_allclose(line(ax, "sma(close, 10)").get_ydata(), expected, equal_nan=True)
    assert len(line(ax, "sma(close, 30)").get_ydata()) == len(goog.bars)
    entries = scatter(ax, "entry").get_offsets()
    np.testing.assert_allclose(entries[:, 1], goog.trades["entry_price"])
    price, panel = report.price_chart(eurusd).axes  # RSI gets its own panel
    assert line(price, "close").get_ydata()[-1] == eurusd.bars["close"].iloc[-1]
    assert panel.get_ylabel() == "rsi(close, 10)"
    levels = sorted(x.get_ydata()[0] for x in panel.get_lines() if x.get_linestyle() == ":")
    assert levels == [30.0, 70.0]


def test_price_chart_needs_the_bars(goog):
    loaded = fastbt.Result.from_json(goog.to_json())
    with pytest.raises(ValueError, match="needs the bars"):
        report.price_chart(loaded)
    assert len(report.equity_chart(loaded).axes) == 1  # no buy-and-hold line, still drawn


def test_unregistered_strategy_gets_a_price_chart_without_indicators():
    bars = make_bars(np.linspace(10, 20, 40), np.linspace(10.5, 20.5, 40))
    result = fastbt.run(bars, scripted([2], [30], n=40))
    (ax,) = report.price_chart(result).axes
    assert [x.get_label() for x in ax.get_lines()] == ["close"]


def test_a_strategy_passed_as_an_object_draws_its_own_indicators():
    base = fastbt.get_strategy("ma_cross")
    mine = fastbt.Strategy(
        name="my_cross",  # not registered: fastbt.run gets the object
        description="ma_cross with one drawn line",
        params=base.params,
        signals=base.signals,
        reference=base.reference,
        constraints=base.constraints,
        indicators=lambda o, h, low, close, v, fast, slow: [Indicator("mine", close * 2)],
    )
    result = fastbt.run("GOOG", mine, fast=10, slow=30)
    (ax,) = report.price_chart(result).axes
    np.testing.assert_allclose(line(ax, "mine").get_ydata(), 2 * result.bars["close"])
    assert pickle.loads(pickle.dumps(result)).spec is None  # still picklable


def test_chart_by_name_and_outputs(goog, tmp_path):
    assert set(report.CHARTS) == {"equity", "drawdown", "returns", "monthly", "price"}
    with pytest.raises(ValueError, match="chart must be one of"):
        report.chart(goog, "candles")
    png = report.chart_png(goog, "drawdown")
    assert png.startswith(PNG_MAGIC)
    assert base64.b64decode(report.to_base64(png)) == png
    assert base64.b64decode(report.to_base64(report.chart(goog, "equity"))).startswith(PNG_MAGIC)
    svg = report.save(report.chart(goog, "returns"), tmp_path / "returns.svg")
    assert "<svg" in svg.read_text()
    with pytest.raises(ValueError, match=r"\.png, \.svg or \.pdf"):
        report.save(report.chart(goog, "returns"), tmp_path / "returns.gif")


@pytest.fixture(scope="module")
def million():
    bars = fastbt.synthetic(1_000_000, seed=3, freq="min")
    return fastbt.run(bars, "ma_cross", fast=20, slow=100)


def test_a_million_bars_draw_thinned_lines_and_markers(million):
    assert len(million.trades) > MAX_MARKERS
    (ax,) = report.equity_chart(million).axes
    drawn = line(ax, "strategy").get_ydata()
    assert len(drawn) <= MAX_LINE_POINTS + 4
    assert drawn.min() == million.equity.min() and drawn.max() == million.equity.max()
    entries = scatter(ax, "entry")
    assert len(entries.get_offsets()) == MAX_MARKERS
    assert f"of {len(million.trades):,} shown" in entries.get_label()
    (ax,) = report.drawdown_chart(million).axes
    assert -line(ax, "drawdown").get_ydata().min() == pytest.approx(million.metrics["max_drawdown"])
    for kind in ("returns", "monthly", "price"):
        assert isinstance(report.chart(million, kind), Figure)


@given(arrays(np.float64, st.integers(1, 30_000), elements=st.floats(-1e6, 1e6)))
def test_line_points_keep_ends_and_extremes(values):
    keep = line_points(values, limit=400)
    assert keep[0] == 0 and keep[-1] == len(values) - 1
    assert np.all(np.diff(keep) > 0)
    assert len(keep) <= max(len(values) if len(values) <= 400 else 0, 400 + 4)
    assert values[keep].min() == values.min() and values[keep].max() == values.max()


def test_marker_points_spread_evenly_and_keep_the_ends():
    positions = np.arange(10_000) * 3
    kept = marker_points(positions, limit=100)
    assert len(kept) == 100 and kept[0] == 0 and kept[-1] == positions[-1]
    assert np.array_equal(marker_points(positions[:50], limit=100), positions[:50])


@pytest.fixture(scope="module")
def table():
    grid = {"fast": range(2, 20), "slow": range(5, 40, 3)}
    return fastbt.sweep(["GOOG", "EURUSD"], "ma_cross", grid, progress=False)


def test_sweep_heatmap_is_the_pivot_of_the_metric(table):
    figure = report.sweep_heatmap(table, "fast", "slow", "sharpe", symbol="GOOG")
    ax = figure.axes[0]
    assert ax.get_title() == "sharpe by fast and slow: ma_cross on GOOG"
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("fast", "slow")
    (mesh,) = [c for c in ax.collections if isinstance(c, QuadMesh)]
    grid = fastbt.pivot(table, "fast", "slow", "sharpe", symbol="GOOG")
    drawn = np.ma.filled(mesh.get_array(), np.nan).reshape(grid.shape)
    np.testing.assert_array_equal(drawn, grid.to_numpy())
    with pytest.raises(ValueError, match="pass symbol="):
        report.sweep_heatmap(table, "fast", "slow")


def test_metric_distribution_counts_every_finite_set(table):
    (ax,) = report.metric_distribution(table, "total_return").axes
    assert ax.get_title() == "Distribution of total_return across sets"
    heights = sum(patch.get_height() for patch in ax.patches)
    values = table["total_return"].to_numpy()
    values = values[np.isfinite(values)]
    low, high = np.percentile(values, [0.5, 99.5])
    inside = int(((values >= low) & (values <= high)).sum())
    assert heights == inside
    title = ax.get_legend().get_title().get_text()
    assert title.startswith(f"{len(values):,} sets")
    assert f"{len(values) - inside:,} beyond the 0.5-99.5% range" in title
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels[:2] == ["GOOG", "EURUSD"]
    with pytest.raises(ValueError, match="no column"):
        report.metric_distribution(table, "nope")


@pytest.mark.parametrize("value", [0.0, 1.0335313699727091, -250.0])
def test_metric_distribution_of_equal_values_has_a_readable_axis(value):
    table = pd.DataFrame({"symbol": ["X"] * 3, "sharpe": [value] * 3})  # or a one-row sweep
    (ax,) = report.metric_distribution(table).axes
    low, high = ax.get_xlim()
    assert low < value < high and high - low >= 0.01
    assert sum(patch.get_height() for patch in ax.patches) == 3


def test_charts_leave_pyplot_and_the_global_style_alone(goog):
    import matplotlib
    import matplotlib.pyplot as plt

    before = dict(matplotlib.rcParams)
    report.equity_chart(goog)
    assert plt.get_fignums() == []
    assert dict(matplotlib.rcParams) == before


def test_dollar_signs_in_names_are_text_not_mathtext():
    bars = make_bars(np.linspace(10, 20, 40), np.linspace(10.5, 20.5, 40))
    bars.attrs["symbol"] = "P$\\FRAC$"  # e.g. from a file named p$\frac$.parquet
    result = fastbt.run(bars, scripted([2], [30], n=40))
    for kind in report.CHARTS:
        assert report.chart_png(result, kind).startswith(PNG_MAGIC), kind
    assert report.equity_chart(result).axes[0].get_title().endswith("on P$\\FRAC$")
    bars.attrs["symbol"] = "A$\\B$"
    table = fastbt.sweep(
        {"A$\\B$": bars}, "ma_cross", {"fast": [2, 3], "slow": [5, 8]}, progress=False
    )
    for figure in (report.sweep_heatmap(table, "fast", "slow"), report.metric_distribution(table)):
        assert report.to_png(figure).startswith(PNG_MAGIC)


def test_metric_distribution_of_a_single_set_says_one_set():
    single = fastbt.sweep("GOOG", "ma_cross", {"fast": [10], "slow": [30]}, progress=False)
    (ax,) = report.metric_distribution(single, "sharpe").axes
    assert ax.get_legend().get_title().get_text() == "1 set"


def visible_ticks(axis) -> list:
    return [t for t in axis.get_ticklabels() if t.get_text()]


def test_heatmap_float_ticks_are_short_distinct_and_do_not_overlap():
    oversold = np.arange(0.5, 40, 0.4)  # 99 values, several with float noise
    assert repr(oversold[6]) != repr(round(oversold[6], 1))
    table = fastbt.sweep(
        "GOOG", "rsi", {"window": range(5, 105), "oversold": oversold}, progress=False
    )
    figure = report.sweep_heatmap(table, "oversold", "window", min_trades=0)
    figure.canvas.draw()
    renderer = figure.canvas.get_renderer()
    ax = figure.axes[0]
    for axis, values, along in ((ax.xaxis, oversold, 0), (ax.yaxis, range(5, 105), 1)):
        ticks = visible_ticks(axis)
        assert 5 <= len(ticks) <= 30, len(ticks)
        labels = [t.get_text() for t in ticks]
        assert len(set(labels)) == len(labels)
        for tick in ticks:  # the label of the value in the cell it marks, no longer than needed
            value = values[int(tick.get_position()[along])]
            assert tick.get_text() == f"{round(value, 1):g}"
        boxes = sorted((t.get_window_extent(renderer) for t in ticks), key=lambda b: b.x0 + b.y0)
        for first, second in itertools.pairwise(boxes):
            assert not first.overlaps(second), (first, second)


def test_tick_labels_use_the_fewest_digits_that_keep_values_apart():
    assert report.sweep_charts.tick_labels([2.8999999999999995, 3.0, 3.1]) == ["2.9", "3", "3.1"]
    assert report.sweep_charts.tick_labels([1.0001, 1.0002]) == ["1.0001", "1.0002"]
    assert report.sweep_charts.tick_labels(np.array([5, 10, 20])) == ["5", "10", "20"]
    assert report.sweep_charts.tick_labels([0.25, 1e-05]) == ["0.25", "1e-05"]


def cell_collection(ax, label):
    from matplotlib.collections import PatchCollection

    (collection,) = [
        c for c in ax.collections if isinstance(c, PatchCollection) and c.get_label() == label
    ]
    return collection


def cells_of(collection) -> set:
    return {tuple(int(v) for v in path.vertices.min(axis=0)) for path in collection.get_paths()}


def test_heatmap_shows_rejected_and_never_traded_sets_differently():
    from matplotlib.colors import to_hex

    # oversold 65 >= overbought 60 is rejected; a 30-bar RSI never falls to 10 or 20 on GOOG
    grid = {"window": [30], "oversold": [10.0, 20.0, 65.0], "overbought": [60.0, 70.0]}
    table = fastbt.sweep("GOOG", "rsi", grid, progress=False)
    assert len(table) == 5 and table.attrs["sweep"]["n_invalid"] == 1
    never = table[table.n_trades == 0]
    assert set(never.oversold) == {10.0, 20.0} and len(never) == 4
    for metric in ("sharpe", "max_drawdown"):  # NaN, and 0 (a value that would colour)
        figure = report.sweep_heatmap(table, "oversold", "overbought", metric)
        ax = figure.axes[0]
        rejected = cell_collection(ax, "rejected by the strategy's rules")
        untraded = cell_collection(ax, "no closed trade")
        # cells are (column, row): oversold 10/20/65 -> 0/1/2; overbought 60/70 -> 0/1
        assert cells_of(rejected) == {(2, 0)}
        assert cells_of(untraded) == {(0, 0), (1, 0), (0, 1), (1, 1)}
        assert rejected.get_hatch() and not untraded.get_hatch()
        assert to_hex(rejected.get_facecolor()[0]) == "#ffffff"
        assert to_hex(untraded.get_facecolor()[0]) == "#8c8c8c"
        (mesh,) = [c for c in ax.collections if isinstance(c, QuadMesh)]
        uncoloured = np.ma.getmaskarray(mesh.get_array()).reshape(2, 3)
        np.testing.assert_array_equal(uncoloured, [[True, True, True], [True, True, False]])
        legend = [t.get_text() for t in figure.legends[0].get_texts()]
        assert legend == ["rejected by the strategy's rules (1)", "no closed trade (4)"]
    figure = report.sweep_heatmap(table, "oversold", "overbought", "max_drawdown", min_trades=0)
    assert [t.get_text() for t in figure.legends[0].get_texts()] == [
        "rejected by the strategy's rules (1)"
    ]
    (mesh,) = [c for c in figure.axes[0].collections if isinstance(c, QuadMesh)]
    assert np.ma.getmaskarray(mesh.get_array()).sum() == 1  # drawdown 0 coloured when asked


def test_heatmap_cells_without_a_finite_value_have_their_own_look():
    from matplotlib.colors import to_hex

    grid = {"window": [14, 20, 30], "oversold": [10.0, 20.0, 25.0, 30.0]}
    table = fastbt.sweep("GOOG", "rsi", grid, progress=False)
    winners_only = table[np.isinf(table.profit_factor)]  # every closed trade won
    assert len(winners_only) >= 1 and (winners_only.n_trades >= 1).all()
    ax = report.sweep_heatmap(table, "window", "oversold", "profit_factor").axes[0]
    infinite = cell_collection(ax, "no finite profit_factor")
    columns, rows = {14: 0, 20: 1, 30: 2}, {10.0: 0, 20.0: 1, 25.0: 2, 30.0: 3}
    cells = zip(winners_only.window, winners_only.oversold, strict=True)
    assert cells_of(infinite) == {(columns[w], rows[o]) for w, o in cells}
    assert to_hex(infinite.get_facecolor()[0]) == "#dcdcdc" and not infinite.get_hatch()


def caption(figure) -> str:
    return figure._supxlabel.get_text()


def test_heatmap_caption_states_the_aggregation_and_the_colour_clipping():
    grid = {"window": [5, 14, 30], "oversold": [20.0, 30.0], "overbought": [60.0, 70.0, 80.0]}
    table = fastbt.sweep("GOOG", "rsi", grid, progress=False)
    figure = report.sweep_heatmap(table, "window", "oversold", "sharpe")
    traded = table[table.n_trades >= 1]
    means = traded.groupby(["oversold", "window"]).sharpe.mean().unstack("window")
    (mesh,) = [c for c in figure.axes[0].collections if isinstance(c, QuadMesh)]
    drawn = np.ma.filled(mesh.get_array(), np.nan).reshape(means.shape)
    np.testing.assert_allclose(drawn, means.to_numpy(), rtol=1e-12)
    values = means.to_numpy()[np.isfinite(means.to_numpy())]
    low, high = np.percentile(values, [2, 98])
    assert mesh.get_clim() == (low, high)
    beyond = int(((values < low) | (values > high)).sum())
    assert caption(figure) == (
        "Each cell: the mean sharpe over overbought (3 values) of the sets with at least "
        "1 closed trade.\n"
        f"Colours span the cells' 2nd-98th percentile, {low:.4g} to {high:.4g}; "
        f"{beyond} cells beyond take the end colours. Outlined: the best cell."
    )
    two = fastbt.sweep("GOOG", "ma_cross", {"fast": [5, 10], "slow": [20, 30]}, progress=False)
    text = caption(report.sweep_heatmap(two, "fast", "slow", "total_return", min_trades=3))
    assert text.startswith(
        "Each cell: total_return of the one set with that fast and slow, "
        "if it has at least 3 closed trades.\nColours span"
    )


# entry_bar, entry_price, exit_bar, exit_price, qty, entry_fee, exit_fee, pnl, return,
# direction (+1/-1), exit_reason (code; NaN while open): one trade per kind of marker.
V2_ROWS = [
    [10, 1.0, 20, 1.1, 1, 0, 0, 0.1, 0.1, 1, 0],  # long, signal
    [20, 1.1, 30, 1.2, 1, 0, 0, -0.1, -0.09, -1, 1],  # short, reversed
    [30, 1.2, 40, 1.14, 1, 0, 0, -0.06, -0.05, 1, 2],  # long, stop-loss
    [50, 1.3, 60, 1.17, 1, 0, 0, 0.13, 0.1, -1, 3],  # short, take-profit
    [70, 1.0, 80, 1.05, 1, 0, 0, 0.05, 0.05, 1, 3],  # long, take-profit
    [90, 1.0, 95, 0.5, 1, 0, 0, 0.5, 0.5, -1, 5],  # short, ruin
    [100, 1.0, 2147, 1.3, 1, 0, 0, 0.3, 0.3, 1, 4],  # long, end
    [2100, 1.0, -1, np.nan, 1, 0, np.nan, np.nan, np.nan, -1, np.nan],  # short, open
]


def v2_result(goog, trail: bool = False):
    """GOOG's bars and series with hand-made long/short trades of every exit reason."""
    import dataclasses

    from fastbt.result import trades_frame

    rows = np.array(V2_ROWS, dtype="float64")
    options = dataclasses.replace(goog.options, direction="both", sl=0.05, trail=trail)
    return dataclasses.replace(goog, options=options, trades=trades_frame(rows, goog.equity.index))


def test_price_chart_marks_short_entries_apart_and_exits_by_reason(goog):
    result = v2_result(goog)
    (ax,) = report.price_chart(result).axes
    trades = result.trades
    long_entries, short_entries = scatter(ax, "entry (long)"), scatter(ax, "entry (short)")
    for marks, side in ((long_entries, "long"), (short_entries, "short")):
        chosen = trades[trades["direction"] == side]
        np.testing.assert_array_equal(marks.get_offsets()[:, 1], chosen["entry_price"])
    assert not np.array_equal(
        long_entries.get_paths()[0].vertices, short_entries.get_paths()[0].vertices
    )
    assert not np.array_equal(long_entries.get_facecolor(), short_entries.get_facecolor())
    expected = {
        "signal": [1.1],
        "reverse": [1.2],
        "stop-loss": [1.14],
        "take-profit": [1.17, 1.05],
        "ruin": [0.5],
        "end": [1.3],
    }
    for label, prices in expected.items():
        np.testing.assert_array_equal(scatter(ax, f"exit: {label}").get_offsets()[:, 1], prices)
    drawn = [c.get_label() for c in ax.collections if c.get_label().startswith("exit")]
    assert sorted(drawn) == sorted(f"exit: {label}" for label in expected)  # open: no exit
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert {"entry (long)", "entry (short)", "exit: take-profit"} <= set(legend)


def test_a_trailing_runs_stop_loss_exits_are_marked_as_trailing(goog):
    (ax,) = report.price_chart(v2_result(goog, trail=True)).axes
    np.testing.assert_array_equal(scatter(ax, "exit: trailing stop").get_offsets()[:, 1], [1.14])
    assert not [c for c in ax.collections if c.get_label() == "exit: stop-loss"]


def test_trade_list_shows_direction_and_exit_reason(goog):
    from fastbt.report.html import trade_list

    first, _, _ = trade_list(v2_result(goog, trail=True).trades, clock=False, trail=True)
    assert [t["direction"] for t in first] == ["long", "short"] * 4
    assert [t["exit_reason"] for t in first] == [
        "signal",
        "reverse",
        "trailing stop",
        "take-profit",
        "take-profit",
        "ruin",
        "end",
        "",
    ]
    page = report.render_html(v2_result(goog))
    assert "<th>direction</th><th>exit reason</th><th>status</th>" in page
    assert "<td>short</td><td>take-profit</td><td>closed</td>" in page
