"""Moving averages beyond the SMA: exponential (EMA and Wilder's) and linearly weighted.

Every function takes one run of defined float64 values (no NaN) and returns an
array of the same length, NaN during warm-up. The reference twins in
``fastbt/reference/averages.py`` perform the same operations in the same order.
"""

import numpy as np

from fastbt.kernels.jit import kernel


@kernel
def smoothed(x, window, alpha):
    """Exponential smoothing seeded by the mean of the first ``window`` values.

    ``value = (x[0] + ... + x[window-1]) / window`` at bar ``window - 1`` (summed
    left to right from 0.0, the same bits as the SMA there), then
    ``value = value + alpha * (x[t] - value)`` at every later bar.
    """
    n = x.shape[0]
    out = np.full(n, np.nan)
    if n < window:
        return out
    total = 0.0
    for t in range(window):
        total = total + x[t]
    value = total / window
    out[window - 1] = value
    for t in range(window, n):
        value = value + alpha * (x[t] - value)
        out[t] = value
    return out


@kernel
def ema(x, window):
    """EMA with ``alpha = 2 / (window + 1)``, seeded by the SMA of the first ``window`` values."""
    return smoothed(x, window, 2.0 / (window + 1.0))


@kernel
def wilder(x, window):
    """Wilder's smoothing: ``alpha = 1 / window``, seeded by the SMA of the first ``window`` values."""
    return smoothed(x, window, 1.0 / window)


@kernel
def wma(x, window):
    """Linearly weighted mean of the last ``window`` values (weights 1..window, newest heaviest).

    ``(1*x[t-w+1] + 2*x[t-w+2] + ... + w*x[t]) / (w * (w + 1.0) / 2.0)``, the
    numerator summed oldest first from 0.0, for every ``t >= window - 1``.
    """
    n = x.shape[0]
    out = np.full(n, np.nan)
    denominator = window * (window + 1.0) / 2.0
    for t in range(window - 1, n):
        numerator = 0.0
        for j in range(1, window + 1):
            numerator = numerator + j * x[t - window + j]
        out[t] = numerator / denominator
    return out
