"""Jitted signal functions of the built-in strategies (docs/strategies.md).

Signature shared by every strategy's fast form:
``signals(open, high, low, close, volume, *params) -> (entry, exit)`` with boolean
arrays as long as the bars. A signal at bar i uses bars 0..i only.
"""

from fastbt.kernels.indicators import prefix_sum, rsi, window_mean
from fastbt.kernels.jit import kernel
from fastbt.kernels.signals import crossover, crossover_level


@kernel
def ma_cross_signals(open_, high, low, close, volume, fast, slow):
    """Enter when SMA(fast) crosses above SMA(slow); exit when it crosses below."""
    prefix = prefix_sum(close)  # shared by both averages
    fast_ma = window_mean(prefix, fast)
    slow_ma = window_mean(prefix, slow)
    return crossover(fast_ma, slow_ma, True), crossover(fast_ma, slow_ma, False)


@kernel
def rsi_signals(open_, high, low, close, volume, window, oversold, overbought):
    """Enter when RSI crosses below ``oversold``; exit when it crosses above ``overbought``."""
    values = rsi(close, window)
    return crossover_level(values, oversold, False), crossover_level(values, overbought, True)
