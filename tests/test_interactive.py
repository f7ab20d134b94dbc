"""Zoomable plotly charts (the optional ``interactive`` extra) in notebooks and reports."""

import sys

import numpy as np
import pandas as pd
import pytest

import fastbt
from fastbt import report
from tests.helpers import make_bars, scripted
from tests.test_report_html import Page


@pytest.fixture(scope="module")
def goog():
    return fastbt.run("GOOG", "ma_cross", fast=10, slow=30)


def test_without_plotly_the_error_names_the_extra(goog, monkeypatch):
    monkeypatch.setitem(sys.modules, "plotly", None)
    monkeypatch.setitem(sys.modules, "plotly.graph_objects", None)
    with pytest.raises(ImportError, match=r"pip install 'fastbt\[interactive\]'"):
        goog.plot("equity", interactive=True)
    with pytest.raises(ImportError, match="interactive"):
        report.render_html(goog, interactive=True)


plotly = pytest.importorskip("plotly")


def traces(figure) -> dict:
    return {trace.name: trace for trace in figure.data}


def test_equity_chart_draws_every_bar_and_buy_and_hold(goog):
    figure = goog.plot("equity", interactive=True)
    shown = traces(figure)
    assert list(shown) == ["strategy", "buy and hold"]
    np.testing.assert_array_equal(np.asarray(shown["strategy"].y), goog.equity.to_numpy())
    close = goog.bars["close"]
    np.testing.assert_allclose(
        np.asarray(shown["buy and hold"].y), (goog.options.cash * close / close.iloc[0])
    )
    assert pd.DatetimeIndex(shown["strategy"].x).equals(goog.equity.index)


def test_price_chart_marks_every_fill_and_draws_indicators_and_equity(goog):
    figure = goog.plot("price", interactive=True)
    shown = traces(figure)
    trades = goog.trades
    assert len(shown["entry (long)"].x) == len(trades)
    np.testing.assert_array_equal(np.asarray(shown["entry (long)"].y), trades["entry_price"])
    assert len(shown["exit: signal"].x) == int((goog.trades["exit_reason"] == "signal").sum())
    assert {"close", "strategy", "buy and hold"} <= set(shown)
    assert sum(name.lower().startswith("sma") for name in shown) == 2  # fast and slow
    # equity sits in the bottom panel, on the same time axis as the price
    assert shown["strategy"].yaxis != shown["close"].yaxis
    first = trades.iloc[0]
    assert shown["entry (long)"].text[0].startswith(f"trade 1: long {first['qty']:g} @")


def test_short_and_stop_exits_keep_their_own_markers():
    close = np.array([10, 10, 11, 12, 14, 15, 15, 14, 13, 12.0])  # a short stopped out
    bars = make_bars(close, close)
    result = fastbt.run(bars, scripted([1], [8], n=len(close)), direction="short", sl=0.15)
    shown = traces(result.plot("price", interactive=True))
    assert "entry (short)" in shown
    assert "exit: stop-loss" in shown
    assert shown["entry (short)"].marker.symbol == "triangle-down"


def test_unknown_interactive_kind_is_refused(goog):
    with pytest.raises(ValueError, match="interactive chart must be one of equity, price"):
        goog.plot("drawdown", interactive=True)


def test_interactive_report_inlines_plotly_once_and_fetches_nothing(goog):
    static = report.render_html(goog)
    page = report.render_html(goog, interactive=True)
    assert "<script" not in static
    assert page.count("plotly.js v") == 1  # the library's banner: inlined once
    assert "<script src=" not in page and 'src="http' not in page
    parsed = Page(page)
    shown = {image["alt"] for image in parsed.images}
    assert "Drawdown" in shown and "Equity and buy and hold" not in shown
    assert page.count('class="plotly-graph-div"') == 2


def test_an_interactive_page_is_refused_as_a_pdf(goog, tmp_path):
    page = report.render_html(goog, interactive=True)
    with pytest.raises(ValueError, match="without interactive=True"):
        report.write_pdf(page, tmp_path / "goog.pdf")
    assert not (tmp_path / "goog.pdf").exists()
