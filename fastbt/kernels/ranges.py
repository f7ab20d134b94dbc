"""True range and average true range (simple and Wilder-smoothed).

Inputs are one run of bars where high, low and close are all defined; the
reference twins are in ``fastbt/reference/ranges.py``.
"""

import numpy as np

from fastbt.kernels.averages import wilder
from fastbt.kernels.indicators import rolling_mean
from fastbt.kernels.jit import kernel


@kernel
def true_range(high, low, close):
    """Largest of ``high - low``, ``|high - previous close|``, ``|low - previous close|``.

    Needs the previous close, so bar 0 is NaN. Compared in that order with
    strict ``>``, so equal candidates keep the earlier one.
    """
    n = close.shape[0]
    out = np.full(n, np.nan)
    for t in range(1, n):
        previous = close[t - 1]
        value = high[t] - low[t]
        up = abs(high[t] - previous)
        if up > value:
            value = up
        down = abs(low[t] - previous)
        if down > value:
            value = down
        out[t] = value
    return out


@kernel
def atr(high, low, close, window, wilder_smoothing):
    """Mean true range over ``window`` bars, simple or Wilder-smoothed; first value at bar ``window``."""
    n = close.shape[0]
    out = np.full(n, np.nan)
    if n < 2:
        return out
    ranges = true_range(high, low, close)[1:]
    if wilder_smoothing:
        out[1:] = wilder(ranges, window)
    else:
        out[1:] = rolling_mean(ranges, window)
    return out
