"""Oscillators: Wilder's RSI, MACD, stochastic %K/%D, rate of change and momentum.

Inputs are one run of defined values (no NaN); the reference twins are in
``fastbt/reference/oscillators.py``. (The simple RSI is ``indicators.rsi``.)
"""

import numpy as np

from fastbt.kernels.averages import ema, wilder
from fastbt.kernels.extremes import rolling_extreme
from fastbt.kernels.indicators import rolling_mean
from fastbt.kernels.jit import inline_kernel, kernel


@inline_kernel
def rsi_from_means(avg_gain, avg_loss):
    """``100 - 100 / (1 + avg_gain / avg_loss)``, and 100 when ``avg_loss`` is 0."""
    if avg_loss == 0.0:
        return 100.0
    return 100.0 - 100.0 / (1.0 + avg_gain / avg_loss)


@kernel
def rsi_wilder(x, window):
    """RSI with Wilder-smoothed gains and losses (seeded by their simple means); first at bar ``window``."""
    n = x.shape[0]
    out = np.full(n, np.nan)
    if n < 2:
        return out
    gains = np.zeros(n - 1)
    losses = np.zeros(n - 1)
    for t in range(1, n):
        change = x[t] - x[t - 1]
        if change > 0.0:
            gains[t - 1] = change
        elif change < 0.0:
            losses[t - 1] = -change
    avg_gain = wilder(gains, window)
    avg_loss = wilder(losses, window)
    for t in range(window, n):
        out[t] = rsi_from_means(avg_gain[t - 1], avg_loss[t - 1])
    return out


@kernel
def macd(x, fast, slow, signal):
    """``(line, signal, hist)``: EMA(fast) - EMA(slow), the EMA(signal) of that line, their difference.

    The line is defined from bar ``slow - 1`` (fast < slow); the signal EMA is seeded
    by the mean of the first ``signal`` line values, so it starts at ``slow + signal - 2``.
    """
    n = x.shape[0]
    line = ema(x, fast) - ema(x, slow)
    signal_line = np.full(n, np.nan)
    if n >= slow:
        signal_line[slow - 1 :] = ema(line[slow - 1 :], signal)
    return line, signal_line, line - signal_line


@kernel
def stoch(high, low, close, window, d_window):
    """``(k, d)``: ``(close - lowest low) / (highest high - lowest low) * 100`` over ``window``
    bars (50 when the range is 0), and ``d`` the SMA of ``k`` over ``d_window`` bars."""
    n = close.shape[0]
    highest = rolling_extreme(high, window, True)
    lowest = rolling_extreme(low, window, False)
    k = np.full(n, np.nan)
    d = np.full(n, np.nan)
    for t in range(window - 1, n):
        span = highest[t] - lowest[t]
        k[t] = 50.0 if span == 0.0 else (close[t] - lowest[t]) / span * 100.0
    if n >= window:
        d[window - 1 :] = rolling_mean(k[window - 1 :], d_window)
    return k, d


@kernel
def roc(x, window):
    """``(x[t] - x[t-window]) / x[t-window] * 100``; NaN where ``x[t-window]`` is 0."""
    n = x.shape[0]
    out = np.full(n, np.nan)
    for t in range(window, n):
        base = x[t - window]
        if base != 0.0:
            out[t] = (x[t] - base) / base * 100.0
    return out


@kernel
def momentum(x, window):
    """``x[t] - x[t-window]``, from bar ``window``."""
    n = x.shape[0]
    out = np.full(n, np.nan)
    for t in range(window, n):
        out[t] = x[t] - x[t - window]
    return out
