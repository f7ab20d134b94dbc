"""The indicator library (docs/indicators.md): hand-computed values for every kind,
kernel == streaming reference bit for bit, agreement with pandas where the
definitions coincide, the undefined-input rule, and parameter errors."""

import math
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fastbt.indicators import INDICATORS, indicator_kind
from fastbt.kernels.indicators import rsi, sma

NAN = np.nan


def compute(name, *inputs, **params):
    """The kernel form: one array per output."""
    kind = indicator_kind(name)
    values = kind.resolve(params)
    arrays = [np.asarray(x, dtype=float) for x in inputs]
    return kind.compute(*arrays, *values)


def stream(name, *inputs, none_for_nan=False, **params):
    """The reference form fed bar by bar; None answers become NaN."""
    kind = indicator_kind(name)
    values = kind.resolve(params)
    reference = kind.reference(*values)
    columns = [np.asarray(x, dtype=float) for x in inputs]
    rows = []
    for t in range(len(columns[0])):
        bar = [float(c[t]) for c in columns]
        if none_for_nan:
            bar = [None if math.isnan(v) else v for v in bar]
        rows.append(reference.update(*bar))
    return tuple(
        np.array([NAN if row[j] is None else row[j] for row in rows], dtype=float)
        for j in range(len(kind.outputs))
    )


def both(name, *inputs, **params):
    """Kernel outputs, after checking that the reference gives the same bits."""
    fast = compute(name, *inputs, **params)
    slow = stream(name, *inputs, **params)
    for f, s in zip(fast, slow, strict=True):
        assert np.array_equal(f, s, equal_nan=True), (name, f, s)
    return fast


def same(actual, expected):
    np.testing.assert_allclose(actual, np.asarray(expected, dtype=float), rtol=1e-14, atol=1e-14)


# ---------------------------------------------------------------- hand-computed cases


def test_sma_window_3():
    # (1+2+3)/3 = 2, (2+3+4)/3 = 3, (3+4+5)/3 = 4
    (out,) = both("sma", [1, 2, 3, 4, 5], window=3)
    same(out, [NAN, NAN, 2, 3, 4])


def test_ema_is_seeded_by_the_sma_then_moves_by_alpha():
    # window 3: alpha = 2/(3+1) = 0.5; seed at bar 2 = (1+2+3)/3 = 2
    # bar 3: 2 + 0.5*(7 - 2) = 4.5; bar 4: 4.5 + 0.5*(1 - 4.5) = 2.75
    (out,) = both("ema", [1, 2, 3, 7, 1], window=3)
    same(out, [NAN, NAN, 2, 4.5, 2.75])


def test_ema_stays_exactly_on_a_flat_series_once_it_equals_it():
    # value + alpha * (x - value) adds exactly 0 when value == x: 2.5 is an exact seed
    (out,) = both("ema", [2.5] * 8, window=3)
    assert np.all(out[2:] == 2.5)


def test_wma_weights_the_newest_bar_most():
    # window 3, weights 1,2,3, denominator 3*4/2 = 6
    # bar 2: (1*1 + 2*2 + 3*3)/6 = 14/6; bar 3: (1*2 + 2*3 + 3*7)/6 = 29/6
    (out,) = both("wma", [1, 2, 3, 7], window=3)
    assert np.isnan(out[:2]).all()
    assert out[2] == 14 / 6 and out[3] == 29 / 6


def test_rsi_simple_and_wilder_share_the_first_value_then_differ():
    # changes: +1, -0.5, +1, 0 ; window 2
    # bar 2: mean gain (1+0)/2 = 0.5, mean loss (0+0.5)/2 = 0.25, rs = 2 -> 100 - 100/3
    # simple bar 3: gains (0, 1) -> 0.5, losses (0.5, 0) -> 0.25 -> 100 - 100/3 again
    # simple bar 4: gains (1, 0) -> 0.5, losses (0, 0) -> 0 -> 100
    # wilder (alpha 1/2) bar 3: gain 0.5 + 0.5*(1 - 0.5) = 0.75, loss 0.25 + 0.5*(0 - 0.25) = 0.125
    #   rs = 6 -> 100 - 100/7; bar 4: gain 0.375, loss 0.0625, rs = 6 -> 100 - 100/7
    close = [1, 2, 1.5, 2.5, 2.5]
    (simple,) = both("rsi", close, window=2)
    (wilder,) = both("rsi_wilder", close, window=2)
    same(simple, [NAN, NAN, 100 - 100 / 3, 100 - 100 / 3, 100])
    same(wilder, [NAN, NAN, 100 - 100 / 3, 100 - 100 / 7, 100 - 100 / 7])
    assert simple[2] == wilder[2]


def test_rsi_wilder_is_100_without_losses():
    (out,) = both("rsi_wilder", [1, 1, 1, 2], window=2)
    same(out, [NAN, NAN, 100, 100])


def test_std_is_the_population_deviation_and_exactly_0_on_a_flat_window():
    # window 2: [1,3] mean 2 -> sqrt((1+1)/2) = 1; [3,3] -> 0; [3,6] mean 4.5 -> 1.5
    (out,) = both("std", [1, 3, 3, 6], window=2)
    same(out, [NAN, 1, 0, 1.5])
    # window 3 on 2,4,6: deviations -2,0,2 -> sqrt(8/3)
    (out,) = both("std", [2, 4, 6], window=3)
    same(out, [NAN, NAN, math.sqrt(8 / 3)])
    (flat,) = both("std", [0.1, 0.3, 0.3, 0.3, 0.3], window=3)
    assert flat[3] == 0.0 and flat[4] == 0.0


def test_bbands_are_the_sma_plus_minus_k_deviations():
    # window 2, k 2: middles 2, 3, 4.5; deviations 1, 0, 1.5
    middle, upper, lower = both("bbands", [1, 3, 3, 6], window=2, k=2.0)
    same(middle, [NAN, 2, 3, 4.5])
    same(upper, [NAN, 4, 3, 7.5])
    same(lower, [NAN, 0, 3, 1.5])


def test_zscore():
    # window 2: (3-2)/1 = 1; flat window -> 0; (6-4.5)/1.5 = 1
    (out,) = both("zscore", [1, 3, 3, 6], window=2)
    same(out, [NAN, 1, 0, 1])
    # window 3 on 1,2,6: mean 3, population std sqrt(14/3), z = 3 / sqrt(14/3)
    (out,) = both("zscore", [1, 2, 6], window=3)
    np.testing.assert_allclose(out[2], 3 / math.sqrt(14 / 3), rtol=1e-15)


def test_macd():
    # x = 1,2,3,7,1; fast 2 (alpha 2/3), slow 3 (alpha 1/2), signal 2 (alpha 2/3)
    # EMA2: bar1 1.5, bar2 1.5+2/3*1.5 = 2.5, bar3 2.5+2/3*4.5 = 5.5, bar4 5.5-2/3*4.5 = 2.5
    # EMA3: bar2 2, bar3 4.5, bar4 2.75
    # line: bar2 0.5, bar3 1.0, bar4 -0.25
    # signal: seed bar3 (0.5+1)/2 = 0.75, bar4 0.75 + 2/3*(-0.25-0.75) = 1/12
    line, signal, hist = both("macd", [1, 2, 3, 7, 1], fast=2, slow=3, signal=2)
    same(line, [NAN, NAN, 0.5, 1.0, -0.25])
    same(signal, [NAN, NAN, NAN, 0.75, 1 / 12])
    same(hist, [NAN, NAN, NAN, 0.25, -0.25 - 1 / 12])


HIGH = [10, 12, 9, 8.5]
LOW = [8, 11, 7, 8]
CLOSE = [9, 11.5, 8, 8]


def test_true_range():
    # bar 0: no previous close. bar 1: max(1, |12-9|, |11-9|) = 3
    # bar 2: max(2, |9-11.5|, |7-11.5|) = 4.5; bar 3: max(0.5, |8.5-8|, |8-8|) = 0.5
    (out,) = both("trange", HIGH, LOW, CLOSE)
    same(out, [NAN, 3, 4.5, 0.5])


def test_atr_simple_and_wilder():
    # window 2: bar 2 (3 + 4.5)/2 = 3.75; simple bar 3 (4.5 + 0.5)/2 = 2.5
    # wilder bar 3: 3.75 + 0.5*(0.5 - 3.75) = 2.125
    (simple,) = both("atr", HIGH, LOW, CLOSE, window=2)
    (wilder,) = both("atr_wilder", HIGH, LOW, CLOSE, window=2)
    same(simple, [NAN, NAN, 3.75, 2.5])
    same(wilder, [NAN, NAN, 3.75, 2.125])


def test_highest_and_lowest_include_the_current_bar():
    x = [1, 3, 2, 2, 0]
    same(both("highest", x, window=3)[0], [NAN, NAN, 3, 3, 2])
    same(both("lowest", x, window=3)[0], [NAN, NAN, 1, 2, 0])


def test_donchian():
    upper, lower, middle = both("donchian", [2, 4, 3], [1, 2, 0], window=2)
    same(upper, [NAN, 4, 4])
    same(lower, [NAN, 1, 0])
    same(middle, [NAN, 2.5, 2])


def test_stoch():
    # window 2: bar 1 hh 12 ll 8 -> (11-8)/4*100 = 75; bar 2 hh 12 ll 9 -> 1.5/3*100 = 50
    # bar 3 hh 11 ll 10 -> 0; %D window 2: (75+50)/2 = 62.5, (50+0)/2 = 25
    k, d = both("stoch", [10, 12, 11, 11], [8, 9, 10, 10], [9, 11, 10.5, 10], window=2, d_window=2)
    same(k, [NAN, 75, 50, 0])
    same(d, [NAN, NAN, 62.5, 25])


def test_stoch_is_50_on_a_zero_range():
    k, _ = both("stoch", [5, 5, 5], [5, 5, 5], [5, 5, 5], window=2, d_window=1)
    same(k, [NAN, 50, 50])


def test_roc_and_momentum():
    # window 2: (5-4)/4*100 = 25, (4-5)/5*100 = -20, (0-5)/5*100 = -100, (1-4)/4*100 = -75
    x = [4, 5, 5, 4, 0, 1]
    same(both("roc", x, window=2)[0], [NAN, NAN, 25, -20, -100, -75])
    same(both("momentum", x, window=2)[0], [NAN, NAN, 1, -1, -5, -3])


def test_roc_is_undefined_where_the_earlier_value_is_0():
    same(both("roc", [0, 1, 2], window=1)[0], [NAN, NAN, 100])


# ------------------------------------------------------- consistency between kinds


def test_registered_sma_and_rsi_are_the_strategy_kernels_bit_for_bit():
    x = 100 + np.cumsum(np.random.default_rng(3).normal(0, 1, 400))
    for window in (1, 2, 7, 50):
        assert np.array_equal(compute("sma", x, window=window)[0], sma(x, window), equal_nan=True)
    for window in (2, 14):
        assert np.array_equal(compute("rsi", x, window=window)[0], rsi(x, window), equal_nan=True)


def test_seeds_and_middles_share_the_sma_bits():
    x = np.round(100 + np.cumsum(np.random.default_rng(4).normal(0, 1, 300)), 2)
    for w in (3, 10, 20):
        mean = compute("sma", x, window=w)[0]
        assert compute("ema", x, window=w)[0][w - 1] == mean[w - 1]
        assert np.array_equal(compute("bbands", x, window=w, k=2.0)[0], mean, equal_nan=True)
        assert compute("rsi_wilder", x, window=w)[0][w] == compute("rsi", x, window=w)[0][w]
        assert (
            compute("atr_wilder", x + 1, x - 1, x, window=w)[0][w]
            == (compute("atr", x + 1, x - 1, x, window=w)[0][w])
        )


# ------------------------------------------------------------- undefined inputs


@pytest.mark.parametrize("name", sorted(INDICATORS))
def test_leading_nan_delays_the_indicator_as_if_the_series_began_later(name):
    kind = indicator_kind(name)
    rng = np.random.default_rng(5)
    x = np.round(20 + np.cumsum(rng.normal(0, 0.5, 60)), 1)
    data = {"source": x, "close": x, "high": x + 0.3, "low": x - 0.4}
    inputs = [data[i] for i in kind.inputs]
    params = {"window": 4, "d_window": 2, "fast": 2, "slow": 5, "signal": 3, "k": 2.0}
    params = {p.name: params[p.name] for p in kind.params}
    late = [np.concatenate((np.full(7, NAN), a)) for a in inputs]
    for undelayed, delayed in zip(
        compute(name, *inputs, **params), both(name, *late, **params), strict=True
    ):
        assert np.isnan(delayed[:7]).all()
        assert np.array_equal(delayed[7:], undelayed, equal_nan=True)


def test_an_undefined_value_restarts_the_warm_up():
    # sma window 2 over 1, 2, NaN, 4, 6: the gap at bar 2 restarts: bar 3 is warm-up again
    (out,) = both("sma", [1, 2, NAN, 4, 6], window=2)
    same(out, [NAN, 1.5, NAN, NAN, 5])
    # stoch needs all three inputs: a NaN high at bar 1 restarts it
    k, _ = both("stoch", [3, NAN, 3, 4], [1, 1, 1, 1], [2, 2, 2, 3], window=2, d_window=1)
    same(k, [NAN, NAN, NAN, 200 / 3])


def test_none_and_nan_inputs_are_the_same_to_the_reference():
    x = [NAN, 1, 2, NAN, 4, 6, 5, 7]
    cases = {"ema": {"window": 2}, "macd": {"fast": 1, "slow": 2, "signal": 2}, "zscore": {}}
    for name, params in cases.items():
        as_nan = stream(name, x, **params)
        as_none = stream(name, x, none_for_nan=True, **params)
        assert all(
            np.array_equal(a, b, equal_nan=True) for a, b in zip(as_nan, as_none, strict=True)
        )


@pytest.mark.parametrize("name", sorted(INDICATORS))
def test_empty_input_and_windows_longer_than_the_data(name):
    kind = indicator_kind(name)
    huge = {"window": 10**12, "d_window": 10**12, "fast": 10**12, "slow": 10**12 + 1}
    params = {p.name: huge.get(p.name, p.default) for p in kind.params}
    x = np.arange(1.0, 31.0)
    outputs = both(name, *([x] * len(kind.inputs)), **params)
    if kind.params:
        assert all(np.isnan(o).all() for o in outputs)
    empty = compute(name, *([np.empty(0)] * len(kind.inputs)), **params)
    assert [o.shape for o in empty] == [(0,)] * len(kind.outputs)


# --------------------------------------------- kernel == reference, property-based


@st.composite
def series(draw, n):
    """Prices on a decimal tick with flat runs, or a full-precision random walk."""
    if draw(st.booleans()):
        tick = draw(st.sampled_from([0.1, 0.3, 0.01, 0.05, 1.0]))
        steps = draw(st.lists(st.sampled_from([-2, -1, 0, 0, 0, 1, 2]), min_size=n, max_size=n))
        return np.maximum(50 + np.cumsum(steps), 1) * tick
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    return 100 * np.exp(np.cumsum(rng.normal(0, draw(st.sampled_from([0.001, 0.02])), n)))


@st.composite
def bars(draw):
    """Close, high and low, each with its own optional NaN prefix, and an optional gap."""
    n = draw(st.integers(1, 90))
    close = draw(series(n))
    tick = draw(st.sampled_from([0.0, 0.1, 0.01]))
    wicks = np.array(draw(st.lists(st.integers(0, 3), min_size=n, max_size=n)), dtype=float)
    data = {"close": close, "high": close + wicks * tick, "low": close - wicks[::-1] * tick}
    for name in data:
        data[name] = data[name].copy()
        data[name][: draw(st.integers(0, min(n, 12)))] = NAN
    if draw(st.booleans()):
        at = draw(st.integers(0, n - 1))
        data[draw(st.sampled_from(sorted(data)))][at : at + draw(st.integers(1, 3))] = NAN
    data["source"] = data["close"]
    return data


@st.composite
def params_for(draw, kind):
    values = {}
    for p in kind.params:
        if p.kind is float:
            values[p.name] = draw(st.sampled_from([0.0, 0.5, 1.0, 2.0, 2.5]) | st.floats(0, 4))
        else:
            values[p.name] = draw(st.integers(int(p.minimum), int(p.minimum) + 12))
    if kind.name == "macd":
        values["slow"] = values["fast"] + draw(st.integers(1, 10))
    return values


@pytest.mark.parametrize("name", sorted(INDICATORS))
@settings(max_examples=40, deadline=None)
@given(data=bars(), draw=st.data())
def test_kernel_equals_reference_bit_for_bit(name, data, draw):
    kind = indicator_kind(name)
    params = draw.draw(params_for(kind))
    inputs = [data[i] for i in kind.inputs]
    fast = compute(name, *inputs, **params)
    slow = stream(name, *inputs, none_for_nan=draw.draw(st.booleans()), **params)
    for output, f, s in zip(kind.outputs, fast, slow, strict=True):
        assert f.dtype == np.float64 and f.shape == inputs[0].shape
        assert np.array_equal(f, s, equal_nan=True), output


# ------------------------------------------------ agreement with pandas definitions


def _walk(n=600, seed=7):
    return pd.Series(100 * np.exp(np.cumsum(np.random.default_rng(seed).normal(0, 0.01, n))))


def _close(actual, expected, scale=1.0):
    """Equal to 1e-12, relative, or absolute on the ``scale`` of the prices."""
    expected = np.asarray(expected, dtype=float)
    np.testing.assert_allclose(actual, expected, rtol=1e-12, atol=1e-12 * scale)


def _seeded_ewm(x: pd.Series, window: int, alpha: float) -> pd.Series:
    """pandas ewm(adjust=False) started from the mean of the first ``window`` values."""
    seeded = x.iloc[window - 1 :].copy()
    seeded.iloc[0] = x.iloc[:window].mean()
    smooth = seeded.ewm(alpha=alpha, adjust=False).mean()
    return pd.concat([pd.Series(NAN, index=x.index[: window - 1]), smooth])


@pytest.mark.parametrize("window", [2, 14, 50])
def test_matches_pandas_rolling(window):
    x = _walk()
    _close(compute("sma", x, window=window)[0], x.rolling(window).mean())
    # pandas' rolling std (a running Welford update) drifts by up to ~1e-9 relative; NumPy's
    # per-window std is the accurate value of the same (population) definition.
    windows = np.lib.stride_tricks.sliding_window_view(x.to_numpy(), window)
    std = pd.Series(np.concatenate((np.full(window - 1, NAN), windows.std(axis=1))))
    ours = compute("std", x, window=window)[0]
    _close(ours, std)
    np.testing.assert_allclose(ours, x.rolling(window).std(ddof=0), rtol=1e-8)
    mean = x.rolling(window).mean()
    # x - mean cancels: any library's z-score is good to about 1e-16 * x / std only (ours is
    # the more exact one: window 2 gives exactly +-1), so compare z * std with x - mean.
    z = compute("zscore", x, window=window)[0]
    _close(z * std, x - mean, scale=x.abs().max())
    middle, upper, lower = compute("bbands", x, window=window, k=1.5)
    _close(middle, mean)
    _close(upper, mean + 1.5 * std)
    _close(lower, mean - 1.5 * std)
    weights = np.arange(1.0, window + 1)
    wma = x.rolling(window).apply(lambda v: np.dot(v, weights) / weights.sum(), raw=True)
    _close(compute("wma", x, window=window)[0], wma)
    assert np.array_equal(compute("highest", x, window=window)[0], x.rolling(window).max(), True)
    assert np.array_equal(compute("lowest", x, window=window)[0], x.rolling(window).min(), True)
    assert np.array_equal(compute("momentum", x, window=window)[0], x.diff(window), True)
    _close(compute("roc", x, window=window)[0], x.pct_change(window) * 100)


@pytest.mark.parametrize("window", [2, 14, 50])
def test_matches_pandas_ewm_after_the_sma_seed(window):
    x = _walk()
    _close(compute("ema", x, window=window)[0], _seeded_ewm(x, window, 2 / (window + 1)))
    change = x.diff().iloc[1:]
    gain = _seeded_ewm(change.clip(lower=0), window, 1 / window)
    loss = _seeded_ewm((-change).clip(lower=0), window, 1 / window)
    expected = pd.concat([pd.Series([NAN]), 100 - 100 / (1 + gain / loss)])
    _close(compute("rsi_wilder", x, window=window)[0], expected)


def test_macd_matches_pandas_ewm_after_the_sma_seed():
    x = _walk()
    line, signal, hist = compute("macd", x, fast=12, slow=26, signal=9)
    expected = _seeded_ewm(x, 12, 2 / 13) - _seeded_ewm(x, 26, 2 / 27)
    _close(line, expected)
    tail = _seeded_ewm(expected.iloc[25:], 9, 2 / 10)
    _close(signal[25:], tail)
    _close(hist, line - signal)


def test_atr_and_stoch_match_pandas():
    close = _walk()
    rng = np.random.default_rng(8)
    high = close * (1 + rng.uniform(0, 0.01, len(close)))
    low = close * (1 - rng.uniform(0, 0.01, len(close)))
    previous = close.shift()
    tr = pd.concat([high - low, (high - previous).abs(), (low - previous).abs()], axis=1).max(
        axis=1, skipna=False
    )
    assert np.array_equal(compute("trange", high, low, close)[0], tr, equal_nan=True)
    _close(compute("atr", high, low, close, window=14)[0], tr.rolling(14).mean())
    hh, ll = high.rolling(14).max(), low.rolling(14).min()
    k = (close - ll) / (hh - ll) * 100
    ours_k, ours_d = compute("stoch", high, low, close, window=14, d_window=3)
    _close(ours_k, k)
    _close(ours_d, k.rolling(3).mean())


# ------------------------------------------------------------------ bad parameters


@pytest.mark.parametrize(
    ("name", "params", "message"),
    [
        ("sma", {"window": 0}, "parameter 'window' must be >= 1, got 0"),
        ("ema", {"window": 2.5}, "parameter 'window' must be a whole number"),
        ("rsi_wilder", {"window": 1}, "parameter 'window' must be >= 2"),
        ("std", {"window": 1}, "parameter 'window' must be >= 2"),
        ("bbands", {"k": -1.0}, "parameter 'k' must be >= 0"),
        ("bbands", {"k": float("nan")}, "parameter 'k'"),
        ("macd", {"fast": 26, "slow": 26}, "parameter 'fast' must be below 'slow'"),
        ("macd", {"signal": 0}, "parameter 'signal' must be >= 1"),
        ("stoch", {"d_window": 0}, "parameter 'd_window' must be >= 1"),
        (
            "roc",
            {"lookback": 3},
            "indicator 'roc' has no parameter(s) lookback (parameters: window)",
        ),
        ("trange", {"window": 3}, "(parameters: none)"),
    ],
)
def test_bad_parameters_name_the_parameter(name, params, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        indicator_kind(name).resolve(params)


def test_unknown_kind_and_output_are_named():
    with pytest.raises(ValueError, match=r"unknown indicator 'bollinger'.*bbands"):
        indicator_kind("bollinger")
    with pytest.raises(ValueError, match="no output 'mid' \\(outputs: middle, upper, lower\\)"):
        indicator_kind("bbands").output_index("mid")
