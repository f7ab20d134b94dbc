"""Indicators with the arithmetic the contract fixes (docs/strategies.md, "Indicator arithmetic").

Window means use a left-to-right float64 prefix sum ``cs[k+1] = cs[k] + x[k]`` and
``(cs[i+1] - cs[i+1-w]) / w``. The reference path repeats exactly these operations,
so crossovers of nearly equal values resolve identically in both paths.
"""

import numpy as np

from fastbt.kernels.jit import inline_kernel, kernel


@kernel
def prefix_sum(x):
    """``cs[0] = 0, cs[k+1] = cs[k] + x[k]``, summed left to right in float64."""
    n = x.shape[0]
    prefix = np.empty(n + 1)
    total = 0.0
    prefix[0] = 0.0
    for k in range(n):
        total = total + x[k]
        prefix[k + 1] = total
    return prefix


@inline_kernel
def window_mean_at(prefix, i, window):
    """Mean of values i-window+1..i from a ``prefix_sum`` (caller ensures i >= window-1)."""
    return (prefix[i + 1] - prefix[i + 1 - window]) / window


@kernel
def window_mean(prefix, window):
    """Mean of the last ``window`` values at each bar from a ``prefix_sum``; NaN in warm-up."""
    n = prefix.shape[0] - 1
    out = np.full(n, np.nan)
    for i in range(window - 1, n):
        out[i] = window_mean_at(prefix, i, window)
    return out


@kernel
def rolling_mean(x, window):
    """Mean of the last ``window`` values at each bar; NaN during warm-up."""
    return window_mean(prefix_sum(x), window)


@kernel
def sma(close, window):
    """Simple moving average of close over ``window`` bars."""
    return rolling_mean(close, window)


@kernel
def rsi(close, window):
    """RSI with simple rolling means of gains and losses; 100 when the mean loss is 0.

    Gains and losses are defined from bar 1 (bar 0 contributes an exact 0 to the
    prefix sums), so the first defined value is at bar ``window``.
    """
    n = close.shape[0]
    gains = np.zeros(n)
    losses = np.zeros(n)
    for i in range(1, n):
        change = close[i] - close[i - 1]
        gains[i] = max(change, 0.0)
        losses[i] = max(-change, 0.0)
    avg_gain = rolling_mean(gains, window)
    avg_loss = rolling_mean(losses, window)
    out = np.full(n, np.nan)
    for i in range(window, n):
        if avg_loss[i] == 0.0:
            out[i] = 100.0
        else:
            out[i] = 100.0 - 100.0 / (1.0 + avg_gain[i] / avg_loss[i])
    return out
