"""Rich display without a kernel: what IPython's formatters make of fastbt's objects,
the HTML summaries, Result.plot, plot_sweep and the progress bar class."""

import base64
import re

import pytest
import tqdm

import fastbt
from fastbt import report
from fastbt.formatting import format_metric
from fastbt.progress import bar_class, in_jupyter_kernel, progress_bar
from tests.helpers import make_bars, scripted

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def goog():
    return fastbt.run("GOOG", "ma_cross", fast=10, slow=30)


@pytest.fixture(scope="module")
def table():
    grid = {"fast": [5, 10, 15], "slow": [20, 30]}
    return fastbt.sweep("GOOG", "ma_cross", grid, progress=False, n_jobs=1)


def images(page: str) -> list[bytes]:
    return [base64.b64decode(b) for b in re.findall(r"data:image/png;base64,([^'\"]+)", page)]


def test_ipython_formats_charts_as_png_without_pyplot(goog):
    formatter = pytest.importorskip("IPython.core.formatters").DisplayFormatter()
    for figure in (goog.plot("equity"), report.chart(goog, "monthly")):
        data, _ = formatter.format(figure)
        assert data["image/png"].startswith(PNG_MAGIC)


def test_result_html_shows_headline_metrics_and_an_equity_png(goog):
    page = goog._repr_html_()
    assert "Backtest: ma_cross(fast=10, slow=30) on GOOG" in page
    for name in ("total_return", "sharpe", "max_drawdown", "n_trades"):
        assert f"<td>{name}</td><td class='num'>{format_metric(name, goog.metrics[name])}" in page
    (png,) = images(page)
    assert png.startswith(PNG_MAGIC)


def test_result_html_escapes_names():
    bars = make_bars([10.0] * 5 + [11.0] * 5, [10.0] * 5 + [11.0] * 5)
    bars.attrs["symbol"] = "<b>X&Y</b>"
    page = fastbt.run(bars, scripted([1], [6], n=10))._repr_html_()
    assert "<b>X&Y</b>" not in page and "&lt;b&gt;X&amp;Y&lt;/b&gt;" in page


def test_plot_returns_each_chart_and_refuses_unknown_kinds(goog):
    for kind in report.CHARTS:
        assert goog.plot(kind).axes[0].get_title() == report.chart(goog, kind).axes[0].get_title()
    with pytest.raises(ValueError, match="chart must be one of equity"):
        goog.plot("candles")


def test_plot_sweep_is_the_sweep_heatmap(table):
    figure = fastbt.plot_sweep(table, "fast", "slow", "sharpe")
    assert figure.axes[0].get_title() == "sharpe by fast and slow: ma_cross on GOOG"
    assert figure._repr_png_().startswith(PNG_MAGIC)


def test_sweep_summary_shows_counts_best_set_top_sets_and_heatmap(table):
    summary = fastbt.sweep_summary(table, "sharpe", top_n=3)
    page = summary._repr_html_()
    best = fastbt.best(table, "sharpe").iloc[0]
    assert f"fast={best['fast']} slow={best['slow']}: sharpe" in page
    assert "<td>parameter sets run</td><td class='num'>6</td>" in page
    assert "Top 3 by sharpe" in page and len(summary.top()) == 3
    assert len(images(page)) == 1
    assert repr(summary).startswith("<SweepSummary strategy: ma_cross; symbols: GOOG")


def test_sweep_summary_refuses_bad_input(table):
    with pytest.raises(ValueError, match="metric must be one of"):
        fastbt.sweep_summary(table, "sharp")
    with pytest.raises(ValueError, match="empty"):
        fastbt.sweep_summary(table.iloc[:0])


def test_outside_a_kernel_progress_is_the_text_bar():
    assert not in_jupyter_kernel()
    assert bar_class() is tqdm.std.tqdm
    with progress_bar(total=3, disable=True) as bar:
        assert isinstance(bar, tqdm.std.tqdm)
