"""Jitted signal functions of the built-in strategies (docs/strategies.md).

Signature shared by every strategy's fast form:
``signals(open, high, low, close, volume, *params) -> (entry, exit)`` with boolean
arrays as long as the bars. A signal at bar i uses bars 0..i only.
"""

import numpy as np

from fastbt.kernels.indicators import prefix_sum, rsi, window_mean_at
from fastbt.kernels.jit import kernel
from fastbt.kernels.signals import crosses, crossover_level


@kernel
def ma_cross_signals(open_, high, low, close, volume, fast, slow):
    """Enter when SMA(fast) crosses above SMA(slow); exit when it crosses below.

    One pass over a shared prefix sum: both averages are computed on the fly with
    the same arithmetic as ``window_mean``. Both must be defined on the previous
    bar (i - 1 >= slow - 1, as fast < slow) before a cross can fire.
    """
    n = close.shape[0]
    prefix = prefix_sum(close)
    entry = np.zeros(n, dtype=np.bool_)
    exit_ = np.zeros(n, dtype=np.bool_)
    if slow >= n:
        return entry, exit_
    f_prev = window_mean_at(prefix, slow - 1, fast)
    s_prev = window_mean_at(prefix, slow - 1, slow)
    for i in range(slow, n):
        f_now = window_mean_at(prefix, i, fast)
        s_now = window_mean_at(prefix, i, slow)
        entry[i] = crosses(f_prev, f_now, s_prev, s_now, True)
        exit_[i] = crosses(f_prev, f_now, s_prev, s_now, False)
        f_prev = f_now
        s_prev = s_now
    return entry, exit_


@kernel
def rsi_signals(open_, high, low, close, volume, window, oversold, overbought):
    """Enter when RSI crosses below ``oversold``; exit when it crosses above ``overbought``."""
    values = rsi(close, window)
    return crossover_level(values, oversold, False), crossover_level(values, overbought, True)
