"""The ``compute`` kernels of the registered indicator kinds (fastbt/indicators/catalog.py).

Each takes whole input arrays and the kind's parameters and returns a tuple with
one float64 array per output. It applies its indicator separately to every run of
bars where all inputs are defined: a NaN input (the warm-up of an indicator
underneath, or a gap) makes the output NaN there and restarts the warm-up.
"""

import numpy as np

from fastbt.kernels.averages import ema, wma
from fastbt.kernels.dispersion import bbands, rolling_std, zscore
from fastbt.kernels.extremes import donchian, rolling_extreme
from fastbt.kernels.indicators import rsi, sma
from fastbt.kernels.jit import kernel
from fastbt.kernels.oscillators import macd, momentum, roc, rsi_wilder, stoch
from fastbt.kernels.ranges import atr, true_range
from fastbt.kernels.runs import all_defined, defined_runs

# One-series, one-window indicators, chosen by code (Numba cannot cache a kernel
# that receives another kernel as an argument).
SMA, EMA, WMA, RSI, RSI_WILDER, STD, ZSCORE, HIGHEST, LOWEST, ROC, MOMENTUM = range(11)
# High/low/close indicators with one window.
TRANGE, ATR, ATR_WILDER = range(3)


@kernel
def _windowed(code, run, window):
    """Indicator ``code`` of one run of defined values."""
    if code == SMA:
        return sma(run, window)
    if code == EMA:
        return ema(run, window)
    if code == WMA:
        return wma(run, window)
    if code == RSI:
        return rsi(run, window)
    if code == RSI_WILDER:
        return rsi_wilder(run, window)
    if code == STD:
        return rolling_std(run, window)
    if code == ZSCORE:
        return zscore(run, window)
    if code == HIGHEST:
        return rolling_extreme(run, window, True)
    if code == LOWEST:
        return rolling_extreme(run, window, False)
    if code == ROC:
        return roc(run, window)
    return momentum(run, window)


@kernel
def windowed(code, source, window):
    """Indicator ``code`` of ``source``, computed afresh on every run of defined values."""
    if all_defined(source):  # the usual case (a price column): one run, no copies
        return _windowed(code, source, window)
    out = np.full(source.shape[0], np.nan)
    starts, stops = defined_runs(~np.isnan(source))
    for r in range(starts.shape[0]):
        out[starts[r] : stops[r]] = _windowed(code, source[starts[r] : stops[r]], window)
    return out


@kernel
def _hlc_runs(high, low, close):
    return defined_runs(~(np.isnan(high) | np.isnan(low) | np.isnan(close)))


@kernel
def ranged(code, high, low, close, window):
    """True range (``window`` unused) or ATR of every run where high, low and close are defined."""
    if all_defined(high) and all_defined(low) and all_defined(close):
        if code == TRANGE:
            return true_range(high, low, close)
        return atr(high, low, close, window, code == ATR_WILDER)
    out = np.full(close.shape[0], np.nan)
    starts, stops = _hlc_runs(high, low, close)
    for r in range(starts.shape[0]):
        a, b = starts[r], stops[r]
        if code == TRANGE:
            out[a:b] = true_range(high[a:b], low[a:b], close[a:b])
        else:
            out[a:b] = atr(high[a:b], low[a:b], close[a:b], window, code == ATR_WILDER)
    return out


@kernel
def sma_kind(source, window):
    return (windowed(SMA, source, window),)


@kernel
def ema_kind(source, window):
    return (windowed(EMA, source, window),)


@kernel
def wma_kind(source, window):
    return (windowed(WMA, source, window),)


@kernel
def rsi_kind(source, window):
    return (windowed(RSI, source, window),)


@kernel
def rsi_wilder_kind(source, window):
    return (windowed(RSI_WILDER, source, window),)


@kernel
def std_kind(source, window):
    return (windowed(STD, source, window),)


@kernel
def zscore_kind(source, window):
    return (windowed(ZSCORE, source, window),)


@kernel
def highest_kind(source, window):
    return (windowed(HIGHEST, source, window),)


@kernel
def lowest_kind(source, window):
    return (windowed(LOWEST, source, window),)


@kernel
def roc_kind(source, window):
    return (windowed(ROC, source, window),)


@kernel
def momentum_kind(source, window):
    return (windowed(MOMENTUM, source, window),)


@kernel
def trange_kind(high, low, close):
    return (ranged(TRANGE, high, low, close, 1),)


@kernel
def atr_kind(high, low, close, window):
    return (ranged(ATR, high, low, close, window),)


@kernel
def atr_wilder_kind(high, low, close, window):
    return (ranged(ATR_WILDER, high, low, close, window),)


@kernel
def bbands_kind(source, window, k):
    if all_defined(source):
        return bbands(source, window, k)
    n = source.shape[0]
    middle, upper, lower = np.full(n, np.nan), np.full(n, np.nan), np.full(n, np.nan)
    starts, stops = defined_runs(~np.isnan(source))
    for r in range(starts.shape[0]):
        a, b = starts[r], stops[r]
        middle[a:b], upper[a:b], lower[a:b] = bbands(source[a:b], window, k)
    return middle, upper, lower


@kernel
def macd_kind(source, fast, slow, signal):
    if all_defined(source):
        return macd(source, fast, slow, signal)
    n = source.shape[0]
    line, signal_line, hist = np.full(n, np.nan), np.full(n, np.nan), np.full(n, np.nan)
    starts, stops = defined_runs(~np.isnan(source))
    for r in range(starts.shape[0]):
        a, b = starts[r], stops[r]
        line[a:b], signal_line[a:b], hist[a:b] = macd(source[a:b], fast, slow, signal)
    return line, signal_line, hist


@kernel
def donchian_kind(high, low, window):
    if all_defined(high) and all_defined(low):
        return donchian(high, low, window)
    n = high.shape[0]
    upper, lower, middle = np.full(n, np.nan), np.full(n, np.nan), np.full(n, np.nan)
    starts, stops = defined_runs(~(np.isnan(high) | np.isnan(low)))
    for r in range(starts.shape[0]):
        a, b = starts[r], stops[r]
        upper[a:b], lower[a:b], middle[a:b] = donchian(high[a:b], low[a:b], window)
    return upper, lower, middle


@kernel
def stoch_kind(high, low, close, window, d_window):
    if all_defined(high) and all_defined(low) and all_defined(close):
        return stoch(high, low, close, window, d_window)
    n = close.shape[0]
    k, d = np.full(n, np.nan), np.full(n, np.nan)
    starts, stops = _hlc_runs(high, low, close)
    for r in range(starts.shape[0]):
        a, b = starts[r], stops[r]
        k[a:b], d[a:b] = stoch(high[a:b], low[a:b], close[a:b], window, d_window)
    return k, d
