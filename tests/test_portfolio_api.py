"""run_portfolio's inputs and outputs: single-symbol equivalence with fastbt.run, data
that does not share an index, align, weight helpers, momentum_rotation by hand, result
round trips, and clear errors."""

import math

import numpy as np
import pandas as pd
import pytest

import fastbt
from fastbt.portfolio import compare_portfolios
from tests.helpers import make_bars

pytestmark = pytest.mark.filterwarnings("ignore::fastbt.DataWarning")


@pytest.mark.parametrize(
    "costs",
    [
        {},
        {"commission": 0.001, "fixed_fee": 2.0, "slippage": 0.001},
        {"commission": 0.002, "close_at_end": True},
    ],
)
def test_single_symbol_weights_one_zero_equal_the_single_run_at_the_close(costs):
    bars = fastbt.load("GOOG")
    columns = [bars[c].to_numpy() for c in ("open", "high", "low", "close", "volume")]
    entry, exit_ = fastbt.get_strategy("ma_cross").signals(*columns, 10, 30)
    weights = pd.DataFrame(
        {"GOOG": np.where(entry, 1.0, np.where(exit_, 0.0, np.nan))}, index=bars.index
    )
    single = fastbt.run(bars, "ma_cross", fast=10, slow=30, fill="close", **costs)
    portfolio = fastbt.run_portfolio({"GOOG": bars}, weights=weights, fill="close", **costs)
    assert single.metrics["n_trades"] > 10
    np.testing.assert_allclose(portfolio.equity, single.equity, rtol=1e-9)
    np.testing.assert_allclose(portfolio.cash, single.cash, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(portfolio.positions["GOOG"], single.position, rtol=1e-9)
    columns = ["entry_bar", "exit_bar", "status", "exit_reason", "direction"]
    pd.testing.assert_frame_equal(
        portfolio.trades[columns].reset_index(drop=True), single.trades[columns]
    )
    for column in ("entry_price", "exit_price", "qty", "entry_fee", "exit_fee", "pnl", "return"):
        # atol: the average entry price (gross cost / units) is the fill price to an ulp,
        # so a pnl of exactly 0 in the single run can be 1e-12 here.
        np.testing.assert_allclose(
            portfolio.trades[column], single.trades[column], rtol=1e-9, atol=1e-9
        )
    for name, value in single.metrics.items():
        assert portfolio.metrics[name] == pytest.approx(value, rel=1e-9, nan_ok=True), name


def test_symbols_on_different_timestamps_are_refused_naming_the_first_difference():
    a = make_bars([1, 2, 3, 4], [1, 2, 3, 4])
    b = a.drop(a.index[2])
    weights = pd.DataFrame(0.5, index=a.index, columns=["A", "B"])
    with pytest.raises(ValueError, match=r"symbol B differs from A first at 2024-01-03.*no bar"):
        fastbt.run_portfolio({"A": a, "B": b}, weights=weights)
    with pytest.raises(
        ValueError, match=r"symbol EURUSD differs from GOOG first at .*fastbt.align"
    ):
        fastbt.run_portfolio(["GOOG", "EURUSD"], strategy="ma_cross")


def test_a_panel_with_a_missing_bar_is_refused():
    a = make_bars([1, 2, 3], [1, 2, 3])
    nan_close = a["close"].to_numpy().copy()
    panel = fastbt.Panel(
        ("A", "B"),
        a.index,
        *(np.vstack([a[c].to_numpy(), a[c].to_numpy()]) for c in ("open", "high", "low")),
        np.vstack([a["close"].to_numpy(), np.where(np.arange(3) == 1, np.nan, nan_close)]),
        np.vstack([a["volume"].to_numpy()] * 2),
    )
    with pytest.raises(ValueError, match=r"symbol B has no bar at 2024-01-02"):
        fastbt.run_portfolio(panel, strategy="ma_cross", fast=1, slow=2)


def test_panel_input_equals_dict_input():
    data = fastbt.synthetic_universe(3, 80, seed=3)
    names = list(data)
    first = data[names[0]]
    arrays = [
        np.vstack([data[s][c].to_numpy() for s in names])
        for c in fastbt.Panel.__annotations__
        if c not in ("symbols", "index")
    ]
    panel = fastbt.Panel(tuple(names), first.index, *arrays)
    weights = fastbt.rebalance({names[0]: 0.6, names[2]: 0.4}, data, every=10)
    a = fastbt.run_portfolio(panel, weights=weights)
    b = fastbt.run_portfolio(data, weights=weights)
    assert compare_portfolios(a, b) == []


def test_align_inner_drops_and_ffill_fills_with_a_limit():
    index = pd.date_range("2024-01-01", periods=6, freq="D")
    a = make_bars(np.arange(1, 7), np.arange(1, 7) + 0.5)
    b = a.drop(index[[2, 3, 4]])  # a gap of three bars
    c = a.drop(index[0])  # starts a bar later
    inner = fastbt.align({"A": a, "B": b, "C": c}, how="inner")
    assert list(inner.data["A"].index) == list(index[[1, 5]])
    assert list(inner.dropped["A"]) == list(index[[0, 2, 3, 4]])
    assert list(inner.dropped["C"]) == list(index[[2, 3, 4]])
    assert "A: dropped 4 bar(s)" in inner.report()
    filled = fastbt.align({"A": a, "B": b, "C": c}, how="ffill", limit=2)
    # Bar 0 (C has none yet) and bar 4 (B's third missing bar, past the limit) go.
    assert list(filled.data["B"].index) == list(index[[1, 2, 3, 5]])
    assert list(filled.filled["B"]) == list(index[[2, 3]])
    row = filled.data["B"].loc[index[3]]
    assert row[["open", "high", "low", "close"]].tolist() == [2.5] * 4 and row["volume"] == 0.0
    assert list(filled.dropped["A"]) == list(index[[0, 4]])
    result = fastbt.run_portfolio(filled, strategy="ma_cross", fast=1, slow=2)
    assert len(result.equity) == 4
    with pytest.raises(ValueError, match="how must be 'inner' or 'ffill'"):
        fastbt.align({"A": a}, how="outer")


def test_rebalance_bars_first_bar_of_each_period_or_every_n():
    index = pd.bdate_range("2024-01-29", "2024-04-03")
    monthly = fastbt.portfolio.rebalance_bars(index, "M")
    assert list(index[monthly].strftime("%Y-%m-%d")) == [
        "2024-01-29",
        "2024-02-01",
        "2024-03-01",
        "2024-04-01",
    ]
    quarterly = fastbt.portfolio.rebalance_bars(index, "Q")
    assert list(index[quarterly].strftime("%Y-%m-%d")) == ["2024-01-29", "2024-04-01"]
    weekly = fastbt.portfolio.rebalance_bars(index, "W")
    assert all(d.weekday() == 0 for d in index[weekly])  # no holidays in bdate_range: Mondays
    assert np.flatnonzero(fastbt.portfolio.rebalance_bars(index, 7)).tolist()[:3] == [0, 7, 14]
    with pytest.raises(ValueError, match="rebalance schedule must be one of D, W, M, Q"):
        fastbt.portfolio.rebalance_bars(index, "Y")


def test_rebalance_static_vector_and_equal_weight_and_inverse_volatility():
    data = fastbt.synthetic_universe(3, 40, seed=1)
    names = list(data)
    static = fastbt.rebalance({names[1]: 0.7}, data, every=20)
    assert static.iloc[0].tolist() == [0.0, 0.7, 0.0]
    assert static.iloc[1].isna().all() and static.iloc[20].tolist() == [0.0, 0.7, 0.0]
    equal = fastbt.rebalance(fastbt.equal_weight, data, every="D")
    assert np.allclose(equal.to_numpy(), 1 / 3)
    inverse = fastbt.rebalance(fastbt.inverse_volatility(5), data, every=1)
    assert inverse.iloc[:5].isna().all().all() and inverse.iloc[5:].notna().all().all()
    returns = pd.DataFrame({s: data[s]["close"] for s in names}).pct_change()
    vol = returns.iloc[1:6].std(ddof=1)
    expected = (1 / vol) / (1 / vol).sum()
    assert inverse.iloc[5].to_numpy() == pytest.approx(expected.to_numpy(), rel=1e-12)
    with pytest.raises(ValueError, match="weights for symbols not in the data: ZZZ"):
        fastbt.rebalance({"ZZZ": 1.0}, data)


def test_momentum_rotation_by_hand():
    closes = {"A": [10, 11, 12, 12, 12], "B": [10, 12, 11, 13, 12], "C": [10, 9, 14, 14, 14]}
    data = {s: make_bars(c, c) for s, c in closes.items()}
    weights = fastbt.momentum_rotation(data, lookback=1, top_k=1, rebalance=1)
    nan = math.nan
    expected = [
        [nan, nan, nan],
        [0.0, 1.0, 0.0],  # B +20%
        [0.0, 0.0, 1.0],  # C +55%
        [0.0, 1.0, 0.0],  # B +18%
        [1.0, 0.0, 0.0],  # A and C flat, B down: tie A/C goes to A (symbol order)
    ]
    np.testing.assert_array_equal(weights.to_numpy(), expected)
    two = fastbt.momentum_rotation(data, lookback=2, top_k=2, rebalance=2)
    np.testing.assert_array_equal(two.iloc[2].to_numpy(), [0.5, 0.0, 0.5])
    assert two.iloc[3].isna().all()
    with pytest.raises(ValueError, match=r"'top_k' \(4\) must be at most the number of symbols"):
        fastbt.momentum_rotation(data, lookback=1, top_k=4)
    result = fastbt.verify_portfolio(
        data, "momentum_rotation", lookback=1, top_k=1, rebalance=1, fill="close"
    )
    assert result.positions["C"].iloc[2] > 0 and result.positions["A"].iloc[4] > 0


def test_result_round_trips_through_json_and_parquet(tmp_path):
    data = fastbt.synthetic_universe(3, 120, seed=2)
    weights = fastbt.rebalance(fastbt.equal_weight, data, every="W")
    result = fastbt.run_portfolio(data, weights=weights, commission=0.001, fixed_fee=1.0)
    assert (result.trades["status"] == "open").sum() == 3 and len(result.closed_trades) > 0
    for loaded in (
        fastbt.PortfolioResult.from_json(result.to_json()),
        fastbt.PortfolioResult.from_parquet(result.to_parquet(tmp_path / "p")),
    ):
        assert loaded.metrics == result.metrics
        assert (loaded.options, loaded.order_sequence, loaded.partial) == (
            result.options,
            result.order_sequence,
            result.partial,
        )
        pd.testing.assert_series_equal(loaded.equity, result.equity, check_freq=False)
        pd.testing.assert_series_equal(loaded.cash, result.cash, check_freq=False)
        pd.testing.assert_frame_equal(loaded.positions, result.positions, check_freq=False)
        pd.testing.assert_frame_equal(loaded.weights, result.weights, check_freq=False)
        pd.testing.assert_frame_equal(loaded.trades, result.trades)
        pd.testing.assert_series_equal(loaded.contribution, result.contribution)


def test_values_weights_and_contribution():
    data = {"A": make_bars([10, 10, 20], [10, 10, 20]), "B": make_bars([5, 5, 5], [5, 5, 5])}
    weights = pd.DataFrame(
        {"A": [0.5, math.nan, math.nan], "B": [0.5, math.nan, 0.0]}, index=data["A"].index
    )
    r = fastbt.run_portfolio(data, weights=weights, fill="close", cash=1000)
    assert r.values.iloc[2].tolist() == [1000.0, 0.0]
    assert r.weights.iloc[0].tolist() == [0.5, 0.5]
    assert r.weights.iloc[2].tolist() == pytest.approx([1000 / 1500, 0.0])
    assert r.contribution.to_dict() == pytest.approx({"A": 0.5, "B": 0.0})
    assert r.metrics["buy_and_hold_return"] == pytest.approx((2.0 + 1.0) / 2 - 1)
    assert r.metrics["exposure"] == 1.0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "give either weights= .* or strategy="),
        ({"strategy": "ma_cross", "weights": "W"}, "give either weights="),
        ({"weights": "W", "size_type": "percent"}, "size_type must be 'target_percent'"),
        ({"strategy": "ma_cross", "size_type": "target_percent"}, "needs weights="),
        ({"weights": "W", "sl": 0.1}, "sl: shorts, reversals, stops and entry orders apply"),
        ({"weights": "W", "entry_order": "limit"}, "entry_order: shorts, reversals, stops"),
        ({"weights": "W", "direction": "both"}, "direction: .*not to target weights .*long-only"),
        ({"weights": "W", "reversal_fee": "per_order"}, "reversal_fee: .*not to target weights"),
        (
            {"strategy": "momentum_rotation", "direction": "short"},
            "direction: .*not to target weights",
        ),
        ({"strategy": "ma_cross", "direction": "sideways"}, "direction must be one of"),
        ({"weights": "W", "order_sequence": "auto"}, "order_sequence must be one of value, symbol"),
        ({"weights": "W", "partial": 1}, "partial must be True or False"),
        ({"weights": "W", "lookback": 3}, "unknown option.*lookback"),
        ({"weights": "W", "size": 0.5}, "size does not apply to target weights"),
        (
            {"strategy": "momentum_rotation", "lookback": 5, "top_k": 3},
            r"'top_k' \(3\) must be at most",
        ),
        ({"strategy": "momentum_rotation", "rebalance": "Y"}, "rebalance schedule must be"),
    ],
)
def test_bad_arguments_are_named(kwargs, message):
    data = fastbt.synthetic_universe(2, 30, seed=0)
    if kwargs.get("weights") == "W":
        kwargs["weights"] = fastbt.rebalance(fastbt.equal_weight, data, every=5)
    with pytest.raises(ValueError, match=message):
        fastbt.run_portfolio(data, **kwargs)


def test_bad_weights_are_named():
    data = fastbt.synthetic_universe(2, 30, seed=0)
    names = list(data)
    bad = fastbt.rebalance(fastbt.equal_weight, data, every=5)
    bad.iloc[5, 1] = 1.5
    with pytest.raises(ValueError, match=rf"weights must be in \[0, 1\].*{names[1]} at .* 1.5"):
        fastbt.run_portfolio(data, weights=bad)
    with pytest.raises(ValueError, match=f"missing: {names[1]}"):
        fastbt.run_portfolio(data, weights=bad[[names[0]]])
    with pytest.raises(ValueError, match="it has no row for"):
        fastbt.run_portfolio(data, weights=bad.iloc[1:])


def test_verify_portfolio_names_every_difference(monkeypatch):
    """A reference engine that loses one unit of cash on bar 3 is caught and described."""
    from fastbt.portfolio import engine

    data = fastbt.synthetic_universe(2, 40, seed=5)
    weights = fastbt.rebalance(fastbt.equal_weight, data, every=10)
    assert fastbt.verify_portfolio(data, weights=weights).metrics["n_trades"] > 0
    honest = engine.run_shared_cash

    def off_by_one(*args, **kwargs):
        run = honest(*args, **kwargs)
        run.equity[3:] -= 1.0
        return run

    monkeypatch.setattr(engine, "run_shared_cash", off_by_one)
    with pytest.raises(fastbt.VerificationError) as caught:
        fastbt.verify_portfolio(data, weights=weights)
    message = str(caught.value)
    assert "disagree on 1 point(s)" in message
    assert "equity differs at 37 bar(s), first at bar 3" in message
    with pytest.raises(ValueError, match="do not pass engine="):
        fastbt.verify_portfolio(data, weights=weights, engine="fast")


@pytest.mark.parametrize(
    "options",
    [
        {"size": 0.5, "commission": 0.001, "fixed_fee": 1.0},
        {"fill": "close", "sl": 0.03, "tp": 0.08, "slippage": 0.001},
        {"sl": 0.05, "trail": True, "stop_on_fill_bar": False, "commission": 0.002},
        {"like": "vectorbt", "sl": 0.04, "tp": 0.05, "trail": True, "trail_on": "close"},
        {
            "sl": 0.02,
            "tp": 0.03,
            "stop_priority": "sl_first",
            "stop_slippage": "both",
            "stop_anchor": "signal_close",
            "slippage": 0.002,
            "close_at_end": True,
        },
        {"entry_order": "limit", "entry_offset": 0.01, "entry_expiry": 3, "commission": 0.001},
        {"entry_order": "stop", "entry_offset": 0.005, "tp": 0.02, "sl": 0.03, "slippage": 0.001},
        {
            "entry_order": "stop",
            "entry_offset": 0.01,
            "tp": 0.01,
            "fill": "close",
            "stop_bar_signals": "drop",
            "stop_anchor": "signal_close",
        },
        {"direction": "both", "commission": 0.001, "fixed_fee": 1.0, "size": 0.7},
        {"direction": "both", "reversal_fee": "per_order", "fixed_fee": 2.0, "commission": 0.002},
        {"direction": "both", "fill": "close", "sl": 0.03, "tp": 0.05, "slippage": 0.001},
        {"direction": "short", "sl": 0.04, "trail": True, "close_at_end": True},
        {"direction": "short", "entry_order": "limit", "entry_offset": 0.01, "entry_expiry": 3},
        {"direction": "both", "entry_order": "stop", "entry_offset": 0.005, "tp": 0.02},
        {"direction": "both", "size_type": "units", "size": 5, "fractional": False},
        {"direction": "both", "like": "vectorbt", "fixed_fee": 1.0, "commission": 0.001},
    ],
)
def test_single_symbol_strategy_portfolio_equals_the_single_run(options):
    """One symbol, one strategy: the portfolio is the single run, stops, shorts and
    reversals included."""
    bars = fastbt.load("GOOG")
    single = fastbt.run(bars, "ma_cross", fast=5, slow=20, **options)
    portfolio = fastbt.run_portfolio({"GOOG": bars}, "ma_cross", fast=5, slow=20, **options)
    assert single.metrics["n_trades"] > 20
    if "sl" in options:
        assert single.metrics["n_stop_exits"] > 5
    if "entry_expiry" in options:
        assert single.metrics["n_expired"] > 5
    if "direction" in options:
        assert single.metrics["n_short_trades"] > 5
    np.testing.assert_allclose(portfolio.equity, single.equity, rtol=1e-9)
    np.testing.assert_allclose(portfolio.positions["GOOG"], single.position, rtol=1e-9)
    columns = ["entry_bar", "exit_bar", "status", "exit_reason", "direction"]
    pd.testing.assert_frame_equal(
        portfolio.trades[columns].reset_index(drop=True), single.trades[columns]
    )
    for column in ("entry_price", "exit_price", "qty", "entry_fee", "exit_fee", "pnl", "return"):
        # atol: the average entry price (gross cost / units) is the fill price to an ulp,
        # so a pnl of exactly 0 in the single run can be 1e-12 here.
        np.testing.assert_allclose(
            portfolio.trades[column], single.trades[column], rtol=1e-9, atol=1e-9
        )
    for name, value in single.metrics.items():
        assert portfolio.metrics[name] == pytest.approx(value, rel=1e-9, nan_ok=True), name
