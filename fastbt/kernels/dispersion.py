"""Rolling population standard deviation, Bollinger bands and z-score.

The deviation of a window is computed in two passes over the window, around its
newest value (no running sums of squares, which cancel catastrophically), so a
flat window gives exactly 0. Inputs are one run of defined values (no NaN);
the reference twins are in ``fastbt/reference/dispersion.py``.
"""

import numpy as np

from fastbt.kernels.indicators import rolling_mean
from fastbt.kernels.jit import kernel


@kernel
def window_deviations(x, window):
    """``(shift, std)`` of every full window ``x[t-window+1..t]`` (index ``t - window + 1``)
    around its newest value ``x[t]``.

    ``shift`` is the mean of ``x[k] - x[t]`` (so the window mean is ``x[t] + shift``)
    and ``std`` the population standard deviation (divisor ``window``). Each window's
    two sums run oldest value first from 0.0; the loops step through the windows side
    by side (one value of each per step), so every window gets the same operations in
    the same order as summing it alone, and the CPU does many windows at once.
    """
    m = max(x.shape[0] - window + 1, 0)
    newest = x[window - 1 :]
    total = np.zeros(m)
    for j in range(window):
        for q in range(m):
            total[q] = total[q] + (x[q + j] - newest[q])
    shift = total / window
    squares = np.zeros(m)
    for j in range(window):
        for q in range(m):
            d = (x[q + j] - newest[q]) - shift[q]
            squares[q] = squares[q] + d * d
    return shift, np.sqrt(squares / window)


@kernel
def rolling_std(x, window):
    """Population standard deviation of the last ``window`` values; NaN during warm-up."""
    out = np.full(x.shape[0], np.nan)
    out[window - 1 :] = window_deviations(x, window)[1]
    return out


@kernel
def bbands(x, window, k):
    """``(middle, upper, lower)``: the SMA and the SMA +- ``k`` standard deviations."""
    n = x.shape[0]
    middle = rolling_mean(x, window)
    upper = np.full(n, np.nan)
    lower = np.full(n, np.nan)
    std = window_deviations(x, window)[1]
    for t in range(window - 1, n):
        spread = k * std[t - window + 1]
        upper[t] = middle[t] + spread
        lower[t] = middle[t] - spread
    return middle, upper, lower


@kernel
def zscore(x, window):
    """``(x[t] - mean) / std`` over the last ``window`` values, as ``-shift / std``; 0 when std is 0."""
    n = x.shape[0]
    out = np.full(n, np.nan)
    shift, std = window_deviations(x, window)
    for t in range(window - 1, n):
        s, d = shift[t - window + 1], std[t - window + 1]
        out[t] = 0.0 if d == 0.0 else -s / d
    return out
