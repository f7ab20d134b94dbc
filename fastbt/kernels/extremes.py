"""Rolling highest and lowest values, and Donchian channels built on them.

Inputs are one run of defined values (no NaN); the reference twins are in
``fastbt/reference/extremes.py``. No arithmetic happens except the channel's
middle line, so only the choice among equal values could differ: both forms
pick the newest of equal extremes.
"""

import numpy as np

from fastbt.kernels.jit import kernel


@kernel
def rolling_extreme(x, window, highest):
    """Largest (``highest``) or smallest value of the last ``window`` values; NaN in warm-up.

    A queue of bar indices with strictly decreasing (increasing) values: O(n) for any window.
    """
    n = x.shape[0]
    out = np.full(n, np.nan)
    queue = np.empty(n, dtype=np.int64)
    head = 0
    tail = 0
    for t in range(n):
        value = x[t]
        while tail > head and (
            x[queue[tail - 1]] <= value if highest else x[queue[tail - 1]] >= value
        ):
            tail -= 1
        queue[tail] = t
        tail += 1
        if queue[head] <= t - window:
            head += 1
        if t >= window - 1:
            out[t] = x[queue[head]]
    return out


@kernel
def donchian(high, low, window):
    """``(upper, lower, middle)``: highest high, lowest low, and ``(upper + lower) / 2``."""
    upper = rolling_extreme(high, window, True)
    lower = rolling_extreme(low, window, False)
    return upper, lower, (upper + lower) / 2.0
