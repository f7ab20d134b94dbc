"""Property-based cross-checks: on generated prices, parameters and options, the
fast engine equals the reference engine (metrics to 1e-9, trades exactly).

Prices come on decimal ticks that binary floats cannot represent (0.1, 0.3, 0.01)
with flat stretches, plus full-precision random walks: ties between indicators
are common on the former and would expose any difference in arithmetic.
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import fastbt
from fastbt.compare import compare_results
from fastbt.kernels.indicators import rsi, sma
from fastbt.reference.indicators import RunningWindowMean, rsi_value
from tests.helpers import make_bars, scripted

# Runs where every buy is skipped warn (tests/test_skipped_buys.py); here they are just cases.
pytestmark = pytest.mark.filterwarnings("ignore::fastbt.RunWarning")


@st.composite
def price_bars(draw, min_bars=3, max_bars=150):
    """OHLC bars on a decimal tick (with flat runs) or a full-precision random walk."""
    n = draw(st.integers(min_bars, max_bars))
    if draw(st.booleans()):
        tick = draw(st.sampled_from([0.1, 0.3, 0.01, 0.05, 1.0]))
        steps = draw(st.lists(st.sampled_from([-2, -1, 0, 0, 0, 1, 2]), min_size=n, max_size=n))
        level = np.maximum(50 + np.cumsum(steps), 1)
        close = level * tick
        gap = np.array(draw(st.lists(st.sampled_from([-1, 0, 0, 1]), min_size=n, max_size=n)))
        open_ = np.maximum(np.concatenate(([level[0]], level[:-1])) + gap, 1) * tick
        wick = np.array(draw(st.lists(st.integers(0, 2), min_size=n, max_size=n)))
        high = np.maximum(open_, close) + wick * tick
        low = np.maximum(np.minimum(open_, close) - wick * tick, tick * 0.5)
    else:
        seed = draw(st.integers(0, 2**32 - 1))
        rng = np.random.default_rng(seed)
        close = 100 * np.exp(np.cumsum(rng.normal(0, draw(st.sampled_from([0.001, 0.02])), n)))
        open_ = np.concatenate(([close[0]], close[:-1])) * np.exp(rng.normal(0, 0.002, n))
        high = np.maximum(open_, close) * (1 + rng.uniform(0, 0.01, n))
        low = np.minimum(open_, close) * (1 - rng.uniform(0, 0.01, n))
    return make_bars(open_, close, high, low)


@st.composite
def strategy_and_params(draw, n_bars):
    if draw(st.booleans()):
        fast = draw(st.integers(1, min(6, n_bars - 2)))
        slow = draw(st.integers(fast + 1, min(fast + 12, n_bars - 1)))
        return "ma_cross", {"fast": fast, "slow": slow}
    levels = st.one_of(
        st.sampled_from([0.0, 20.0, 25.0, 30.0, 50.0, 70.0, 75.0, 80.0, 100.0]),
        st.floats(0, 100, allow_nan=False),
    )
    low, high = sorted(draw(st.lists(levels, min_size=2, max_size=2, unique=True)))
    return "rsi", {"window": draw(st.integers(2, 8)), "oversold": low, "overbought": high}


@st.composite
def run_options(draw):
    size_type = draw(st.sampled_from(["percent", "units"]))
    if size_type == "percent":
        size = draw(st.one_of(st.just(1.0), st.floats(0.05, 1.0)))
    else:
        size = draw(st.one_of(st.sampled_from([1.0, 10.0, 100.0]), st.floats(0.01, 500)))
    return {
        "cash": draw(st.sampled_from([100.0, 10_000.0, 1_000_000.0])),
        "fill": draw(st.sampled_from(["next_open", "close"])),
        "size": size,
        "size_type": size_type,
        "fractional": draw(st.booleans()),
        "commission": draw(st.one_of(st.sampled_from([0.0, 0.001, 0.01]), st.floats(0, 0.02))),
        "fixed_fee": draw(st.one_of(st.sampled_from([0.0, 1.0, 7.5]), st.floats(0, 10))),
        "slippage": draw(st.one_of(st.sampled_from([0.0, 0.001]), st.floats(0, 0.02))),
        "close_at_end": draw(st.booleans()),
    }


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_fast_engine_equals_reference_engine(data):
    bars = data.draw(price_bars())
    strategy, params = data.draw(strategy_and_params(len(bars)))
    options = data.draw(run_options())
    fast = fastbt.run(bars, strategy, engine="fast", **options, **params)
    reference = fastbt.run(bars, strategy, engine="reference", **options, **params)
    event(
        f"closed trades: {min(fast.metrics['n_trades'], 3)}{'+' if fast.metrics['n_trades'] >= 3 else ''}"
    )
    event(f"skipped orders: {fast.metrics['n_skipped'] > 0}")
    assert compare_results(fast, reference) == []
    assert fast.trades["entry_bar"].tolist() == reference.trades["entry_bar"].tolist()
    assert fast.trades["exit_bar"].tolist() == reference.trades["exit_bar"].tolist()


def _reference_window_means(values, window):
    running = RunningWindowMean(window)
    out = []
    for i, value in enumerate(values):
        running.add(float(value))
        out.append(running.at(i))
    return out


def _as_array(values):
    return np.array([np.nan if v is None else v for v in values])


@given(bars=price_bars(min_bars=2, max_bars=80), window=st.integers(1, 10))
def test_sma_kernel_has_the_reference_bits(bars, window):
    close = bars["close"].to_numpy()
    expected = _as_array(_reference_window_means(close, window))
    np.testing.assert_array_equal(sma(close, window), expected)


@given(bars=price_bars(min_bars=2, max_bars=80), window=st.integers(2, 10))
def test_rsi_kernel_has_the_reference_bits(bars, window):
    close = bars["close"].to_numpy()
    change = np.concatenate(([0.0], np.diff(close)))
    gains = _reference_window_means(np.maximum(change, 0.0), window)
    losses = _reference_window_means(np.maximum(-change, 0.0), window)
    expected = _as_array(
        [
            rsi_value(g, loss) if i >= window else None
            for i, (g, loss) in enumerate(zip(gains, losses, strict=True))
        ]
    )
    np.testing.assert_array_equal(rsi(close, window), expected)


@st.composite
def signal_flags(draw, n):
    """Entry and exit flags per bar: often both at once, entries while long, exits while flat."""
    bar = st.sampled_from(draw(st.sampled_from(["-ex+", "-----ex+", "--e+", "-exx+"])))
    marks = draw(st.lists(bar, min_size=n, max_size=n))
    entry = [m in "e+" for m in marks]
    exit_ = [m in "x+" for m in marks]
    return entry, exit_


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_fast_engine_equals_reference_engine_on_random_signals(data):
    """Signals no built-in produces ("+": entry and exit on one bar), through a
    strategy whose both forms replay the same arrays, in every fill and size mode."""
    bars = data.draw(price_bars())
    entry, exit_ = data.draw(signal_flags(len(bars)))
    strategy = scripted(entry, exit_)
    options = data.draw(run_options())
    fast = fastbt.run(bars, strategy, engine="fast", **options)
    reference = fastbt.run(bars, strategy, engine="reference", **options)
    conflicts = int(np.sum(np.logical_and(entry, exit_)))
    event(f"bars with both signals: {'0' if conflicts == 0 else '1+'}")
    event(f"closed trades: {'0' if fast.metrics['n_trades'] == 0 else '1+'}")
    assert compare_results(fast, reference) == []
    assert fast.trades["entry_bar"].tolist() == reference.trades["entry_bar"].tolist()
    assert fast.trades["exit_bar"].tolist() == reference.trades["exit_bar"].tolist()
