"""Fast == reference for portfolios under hypothesis: random universes, weights with
NaNs and zeros (symbols going flat), fees, slippage and every portfolio option; and
signal portfolios of a built-in strategy on every symbol, long, short or both ways."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import fastbt
from fastbt.portfolio import compare_portfolios
from tests.helpers import make_bars

pytestmark = pytest.mark.filterwarnings("ignore::fastbt.DataWarning")


@st.composite
def universes(draw, max_symbols=4, min_bars=3, max_bars=60):
    """Symbol -> bars on one daily index: random walks, some on a coarse tick."""
    n = draw(st.integers(min_bars, max_bars))
    k = draw(st.integers(1, max_symbols))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    data = {}
    for s in range(k):
        close = 50 * np.exp(np.cumsum(rng.normal(0, 0.03, n)))
        if draw(st.booleans()):
            close = np.maximum(np.round(close, 1), 0.1)
        open_ = np.concatenate(([close[0]], close[:-1])) * np.exp(rng.normal(0, 0.005, n))
        high = np.maximum(open_, close) * (1 + rng.uniform(0, 0.02, n))
        low = np.minimum(open_, close) * (1 - rng.uniform(0, 0.02, n))
        data[f"S{s}"] = make_bars(open_, close, high, low)
    return data


@st.composite
def weight_frames(draw, data):
    """Targets in [0, 1] with NaN rows/cells, zeros, and rows summing above 1."""
    symbols = list(data)
    index = data[symbols[0]].index
    cells = st.one_of(
        st.just(np.nan), st.just(0.0), st.floats(0, 1), st.sampled_from([0.25, 0.5, 1.0])
    )
    rows = draw(
        st.lists(
            st.one_of(
                st.just([np.nan] * len(symbols)),
                st.lists(cells, min_size=len(symbols), max_size=len(symbols)),
            ),
            min_size=len(index),
            max_size=len(index),
        )
    )
    return pd.DataFrame(rows, index=index, columns=symbols, dtype="float64")


options = st.fixed_dictionaries(
    {
        "cash": st.sampled_from([1000.0, 10_000.0, 37.5]),
        "commission": st.sampled_from([0.0, 0.001, 0.01]),
        "fixed_fee": st.sampled_from([0.0, 1.0, 5.0]),
        "slippage": st.sampled_from([0.0, 0.002]),
        "fill": st.sampled_from(["next_open", "close"]),
        "fractional": st.booleans(),
        "close_at_end": st.booleans(),
        "order_sequence": st.sampled_from(["value", "symbol"]),
        "partial": st.booleans(),
        "on_ruin": st.sampled_from(["liquidate", "continue"]),
    }
)


@given(st.data(), universes(), options)
def test_weights_fast_equals_reference(draw, data, run_options):
    weights = draw.draw(weight_frames(data))
    fast = fastbt.run_portfolio(data, weights=weights, engine="fast", **run_options)
    reference = fastbt.run_portfolio(data, weights=weights, engine="reference", **run_options)
    assert compare_portfolios(fast, reference) == []
    # Money is conserved: the contributions add up to the total return.
    assert (
        fast.contribution.sum() == pytest.approx(fast.metrics["total_return"], rel=1e-9, abs=1e-9)
        or fast.metrics["total_return"] == -1.0
    )


@given(st.data(), universes(min_bars=8), options)
def test_signal_portfolio_fast_equals_reference(draw, data, run_options):
    n = len(next(iter(data.values())))
    fast_window = draw.draw(st.integers(1, 3))
    slow_window = draw.draw(st.integers(fast_window + 1, min(fast_window + 4, n - 1)))
    size_type = draw.draw(st.sampled_from(["percent", "units"]))
    size = draw.draw(st.sampled_from([0.3, 0.5, 1.0] if size_type == "percent" else [1.0, 3.0]))
    stops = draw.draw(
        st.fixed_dictionaries(
            {},
            optional={
                "sl": st.sampled_from([0.01, 0.03]),
                "tp": st.sampled_from([0.02, 0.05]),
                "trail": st.booleans(),
                "trail_on": st.sampled_from(["high", "close"]),
                "stop_anchor": st.sampled_from(["fill", "signal_close"]),
                "stop_priority": st.sampled_from(["open_first", "sl_first"]),
                "stop_slippage": st.sampled_from(["sl_only", "none", "both"]),
                "stop_bar_signals": st.sampled_from(["honor", "drop"]),
                "stop_on_fill_bar": st.booleans(),
                "entry_order": st.sampled_from(["market", "limit", "stop"]),
                "entry_offset": st.sampled_from([0.0, 0.005, 0.02]),
                "entry_expiry": st.sampled_from([None, 1, 3]),
            },
        )
    )
    sides = {
        "direction": draw.draw(st.sampled_from(["long", "short", "both"])),
        "reversal_fee": draw.draw(st.sampled_from(["per_leg", "per_order"])),
    }
    kwargs = run_options | stops | sides | {"size": size, "size_type": size_type}
    args = {"strategy": "ma_cross", "fast": fast_window, "slow": slow_window}
    fast = fastbt.run_portfolio(data, engine="fast", **args, **kwargs)
    reference = fastbt.run_portfolio(data, engine="reference", **args, **kwargs)
    assert compare_portfolios(fast, reference) == []


@given(st.data(), universes(min_bars=6), options)
def test_momentum_rotation_fast_equals_reference(draw, data, run_options):
    n, k = len(next(iter(data.values()))), len(data)
    params = {
        "lookback": draw.draw(st.integers(1, n - 1)),
        "top_k": draw.draw(st.integers(1, k)),
        "rebalance": draw.draw(st.sampled_from(["D", "W", "M", 1, 2, 5])),
    }
    fast = fastbt.run_portfolio(data, "momentum_rotation", engine="fast", **params, **run_options)
    reference = fastbt.run_portfolio(
        data, "momentum_rotation", engine="reference", **params, **run_options
    )
    assert compare_portfolios(fast, reference) == []


@given(st.data(), universes())
def test_without_costs_a_rebalance_reaches_its_targets_exactly(draw, data):
    """No fees, full rebalances (a target for every symbol, summing to at most 1) filled at
    the close: after each one every symbol holds w * V (V: the equity, which the batch
    leaves unchanged). Sells come first, so no buy lacks cash (in symbol order one may)."""
    weights = draw.draw(weight_frames(data))
    weights = weights.where(weights.notna().all(axis=1), np.nan, axis=0)
    total = weights.fillna(0.0).sum(axis=1)
    weights = weights.div(total.where(total > 1.0, 1.0), axis=0)
    r = fastbt.run_portfolio(data, weights=weights, fill="close")
    values = r.values.to_numpy()
    held_before = np.vstack([np.zeros(len(data)), r.positions.to_numpy()[:-1]])
    close = r.close.to_numpy()
    value_before = np.concatenate(([r.options.cash], r.cash.to_numpy()[:-1]))
    value_before = value_before + (held_before * close).sum(axis=1)
    np.testing.assert_allclose(r.equity.to_numpy(), value_before, rtol=1e-12)
    target = weights.to_numpy() * r.equity.to_numpy()[:, None]
    aimed = ~np.isnan(target)
    np.testing.assert_allclose(values[aimed], target[aimed], rtol=1e-9, atol=1e-6)
    assert r.metrics["n_skipped"] == 0
