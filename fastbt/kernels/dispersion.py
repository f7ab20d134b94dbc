"""Rolling population standard deviation, Bollinger bands and z-score.

The deviation of a window is computed in two passes over the window, around its
newest value (no running sums of squares, which cancel catastrophically), so a
flat window gives exactly 0. Inputs are one run of defined values (no NaN);
the reference twins are in ``fastbt/reference/dispersion.py``.
"""

import numpy as np

from fastbt.kernels.indicators import rolling_mean
from fastbt.kernels.jit import inline_kernel, kernel


@inline_kernel
def window_deviation(x, t, window):
    """``(shift, std)`` of ``x[t-window+1..t]`` around its newest value ``x[t]``.

    ``shift`` is the mean of ``x[k] - x[t]`` (so the window mean is ``x[t] + shift``)
    and ``std`` the population standard deviation (divisor ``window``).
    """
    newest = x[t]
    total = 0.0
    for k in range(t - window + 1, t + 1):
        total = total + (x[k] - newest)
    shift = total / window
    squares = 0.0
    for k in range(t - window + 1, t + 1):
        d = (x[k] - newest) - shift
        squares = squares + d * d
    return shift, np.sqrt(squares / window)


@kernel
def rolling_std(x, window):
    """Population standard deviation of the last ``window`` values; NaN during warm-up."""
    n = x.shape[0]
    out = np.full(n, np.nan)
    for t in range(window - 1, n):
        out[t] = window_deviation(x, t, window)[1]
    return out


@kernel
def bbands(x, window, k):
    """``(middle, upper, lower)``: the SMA and the SMA +- ``k`` standard deviations."""
    n = x.shape[0]
    middle = rolling_mean(x, window)
    upper = np.full(n, np.nan)
    lower = np.full(n, np.nan)
    for t in range(window - 1, n):
        spread = k * window_deviation(x, t, window)[1]
        upper[t] = middle[t] + spread
        lower[t] = middle[t] - spread
    return middle, upper, lower


@kernel
def zscore(x, window):
    """``(x[t] - mean) / std`` over the last ``window`` values, as ``-shift / std``; 0 when std is 0."""
    n = x.shape[0]
    out = np.full(n, np.nan)
    for t in range(window - 1, n):
        shift, std = window_deviation(x, t, window)
        out[t] = 0.0 if std == 0.0 else -shift / std
    return out
