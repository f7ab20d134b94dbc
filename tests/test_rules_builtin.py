"""The built-in strategies as rules: ``ma_cross`` and ``rsi`` equal their hand-written
forms bit for bit; the newer built-ins do what their descriptions say, in both engines.

The hand-written forms (``fastbt.kernels.strategies``, ``fastbt.reference.strategies``)
are the baseline the rule forms must reproduce.
"""

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fastbt
from fastbt.data.validate import bar_arrays
from fastbt.indicators import INDICATORS
from fastbt.kernels.strategies import ma_cross_signals, rsi_signals
from fastbt.reference.strategies import MaCross, Rsi
from tests.test_properties import price_bars

pytestmark = pytest.mark.filterwarnings("ignore::fastbt.RunWarning")

HANDWRITTEN = {
    "ma_cross": fastbt.Strategy(
        name="ma_cross_handwritten",
        description="the hand-written ma_cross",
        params=fastbt.get_strategy("ma_cross").params,
        signals=ma_cross_signals,
        reference=MaCross,
    ),
    "rsi": fastbt.Strategy(
        name="rsi_handwritten",
        description="the hand-written rsi",
        params=fastbt.get_strategy("rsi").params,
        signals=rsi_signals,
        reference=Rsi,
    ),
}


def test_ma_cross_and_rsi_are_rule_strategies():
    assert repr(fastbt.get_strategy("ma_cross").rules.rules[0][1]) == (
        "crosses_above(sma(close, fast), sma(close, slow))"
    )
    assert repr(fastbt.get_strategy("rsi").rules.rules[1][1]) == (
        "crosses_above(rsi(close, window), overbought)"
    )


def assert_identical(a, b):
    """Same metrics (bit for bit, NaN equal to NaN), trades and per-bar series."""
    assert pd.Series(a.metrics).equals(pd.Series(b.metrics))
    assert a.trades.equals(b.trades)
    for series in ("equity", "cash", "position"):
        assert getattr(a, series).equals(getattr(b, series))


@pytest.mark.parametrize(
    ("name", "params", "options"),
    [
        ("ma_cross", {"fast": 10, "slow": 30}, {}),
        ("ma_cross", {"fast": 3, "slow": 4}, {"commission": 0.001, "fill": "close"}),
        ("ma_cross", {"fast": 50, "slow": 200}, {"direction": "both", "sl": 0.05}),
        ("rsi", {"window": 14, "oversold": 30.0, "overbought": 70.0}, {}),
        ("rsi", {"window": 3, "oversold": 25.0, "overbought": 60.0}, {"direction": "short"}),
    ],
)
@pytest.mark.parametrize("symbol", ["GOOG", "EURUSD"])
def test_rule_built_ins_equal_the_hand_written_ones_on_sample_data(name, params, options, symbol):
    for engine in ("fast", "reference"):
        rule = fastbt.run(symbol, name, engine=engine, **params, **options)
        hand = fastbt.run(symbol, HANDWRITTEN[name], engine=engine, **params, **options)
        assert_identical(rule, hand)
        assert rule.metrics["n_trades"] > 0


@st.composite
def built_in_params(draw, n_bars):
    if draw(st.booleans()):
        fast = draw(st.integers(1, min(6, n_bars - 2)))
        return "ma_cross", {"fast": fast, "slow": draw(st.integers(fast + 1, n_bars - 1))}
    levels = st.sampled_from([0.0, 20.0, 25.0, 30.0, 50.0, 70.0, 75.0, 100.0])
    low, high = sorted(draw(st.lists(levels, min_size=2, max_size=2, unique=True)))
    return "rsi", {"window": draw(st.integers(2, 8)), "oversold": low, "overbought": high}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_rule_built_ins_equal_the_hand_written_ones_on_tie_heavy_data(data):
    bars = data.draw(price_bars(min_bars=3, max_bars=80))
    name, params = data.draw(built_in_params(len(bars)))
    arrays = bar_arrays(bars)
    columns = [arrays[c] for c in ("open", "high", "low", "close", "volume")]
    rule = fastbt.get_strategy(name)
    for got, want in zip(
        rule.signals(*columns, *params.values()),
        HANDWRITTEN[name].signals(*columns, *params.values()),
        strict=True,
    ):
        assert np.array_equal(got, want)
    fill = data.draw(st.sampled_from(["next_open", "close"]))
    reference = fastbt.run(bars, name, engine="reference", fill=fill, **params)
    baseline = fastbt.run(bars, HANDWRITTEN[name], engine="reference", fill=fill, **params)
    assert_identical(reference, baseline)


# -- built-ins on indicator kinds from the indicator library -----------------------------


def _needs(*kinds):
    missing = [k for k in kinds if k not in INDICATORS]
    return pytest.mark.skipif(
        bool(missing),
        reason=f"enabled at merge: needs indicator kind(s) {', '.join(missing)}",
    )


def _outputs(kind: str, *args):
    return INDICATORS[kind].compute(*args)


def _crossings(a, b, above):
    out = np.zeros(len(a), dtype=bool)
    for i in range(1, len(a)):
        now = a[i] > b[i] if above else a[i] < b[i]
        before = a[i - 1] <= b[i - 1] if above else a[i - 1] >= b[i - 1]
        out[i] = now and before
    return out


def _goog():
    arrays = bar_arrays(fastbt.load("GOOG"))
    return arrays, [arrays[c] for c in ("open", "high", "low", "close", "volume")]


@_needs("bbands")
def test_bb_revert_buys_below_the_lower_band_and_sells_above_the_middle():
    arrays, columns = _goog()
    close = arrays["close"]
    outputs = dict(
        zip(INDICATORS["bbands"].outputs, _outputs("bbands", close, 20, 2.0), strict=True)
    )
    entry, exit_ = fastbt.get_strategy("bb_revert").signals(*columns, 20, 2.0)
    assert np.array_equal(entry, _crossings(close, outputs["lower"], above=False))
    assert np.array_equal(exit_, _crossings(close, outputs["middle"], above=True))
    assert entry.any()
    fastbt.verify("GOOG", "bb_revert", window=20, k=2.0, commission=0.001)


@_needs("macd")
def test_macd_cross_follows_the_line_over_the_signal():
    arrays, columns = _goog()
    outputs = dict(
        zip(INDICATORS["macd"].outputs, _outputs("macd", arrays["close"], 12, 26, 9), strict=True)
    )
    entry, exit_ = fastbt.get_strategy("macd_cross").signals(*columns, 12, 26, 9)
    assert np.array_equal(entry, _crossings(outputs["line"], outputs["signal"], above=True))
    assert np.array_equal(exit_, _crossings(outputs["line"], outputs["signal"], above=False))
    assert entry.any()
    fastbt.verify("GOOG", "macd_cross", commission=0.001)
    with pytest.raises(ValueError, match="fast < slow"):
        fastbt.run("GOOG", "macd_cross", fast=30, slow=20)


@_needs("donchian")
def test_donchian_breakout_compares_close_with_the_previous_channel():
    arrays, columns = _goog()
    upper = dict(
        zip(
            INDICATORS["donchian"].outputs,
            _outputs("donchian", arrays["high"], arrays["low"], 20),
            strict=True,
        )
    )["upper"]
    lower = dict(
        zip(
            INDICATORS["donchian"].outputs,
            _outputs("donchian", arrays["high"], arrays["low"], 10),
            strict=True,
        )
    )["lower"]
    entry, exit_ = fastbt.get_strategy("donchian_breakout").signals(*columns, 20, 10)
    close = arrays["close"]
    with np.errstate(invalid="ignore"):
        assert np.array_equal(entry[1:], close[1:] > upper[:-1])
        assert np.array_equal(exit_[1:], close[1:] < lower[:-1])
    assert not entry[0] and entry.any()
    fastbt.verify("GOOG", "donchian_breakout", commission=0.001)


@_needs("rsi_wilder")
def test_rsi_wilder_crosses_its_levels():
    arrays, columns = _goog()
    (values,) = _outputs("rsi_wilder", arrays["close"], 14)
    entry, exit_ = fastbt.get_strategy("rsi_wilder").signals(*columns, 14, 30.0, 70.0)
    assert np.array_equal(entry, _crossings(values, np.full(len(values), 30.0), above=False))
    assert np.array_equal(exit_, _crossings(values, np.full(len(values), 70.0), above=True))
    fastbt.verify("GOOG", "rsi_wilder", commission=0.001)
