"""The built-in strategies: ``ma_cross`` and ``rsi`` (docs/strategies.md)."""

from fastbt.kernels.indicators import rsi, sma
from fastbt.kernels.strategies import ma_cross_signals, rsi_signals
from fastbt.reference.strategies import MaCross, Rsi
from fastbt.strategies.spec import Constraint, Indicator, Param, Strategy
from fastbt.strategies.sweep_inputs import ma_cross_sweep_inputs, rsi_sweep_inputs


def _ma_cross_indicators(open_, high, low, close, volume, fast, slow):
    return [
        Indicator(f"SMA({fast})", sma(close, fast)),
        Indicator(f"SMA({slow})", sma(close, slow)),
    ]


def _rsi_indicators(open_, high, low, close, volume, window, oversold, overbought):
    return [Indicator(f"RSI({window})", rsi(close, window), False, (oversold, overbought))]


MA_CROSS = Strategy(
    name="ma_cross",
    description="Long while the fast SMA of close is above the slow SMA (enter/exit on crosses)",
    params=(
        Param("fast", int, 50, minimum=1, doc="fast moving-average window, bars"),
        Param("slow", int, 200, minimum=2, doc="slow moving-average window, bars"),
    ),
    signals=ma_cross_signals,
    reference=MaCross,
    constraints=(
        Constraint(
            lambda v, n: v["fast"] < v["slow"],
            "parameter 'fast' must be below 'slow', got fast={fast} slow={slow}",
        ),
        Constraint(
            lambda v, n: v["slow"] < n,
            "parameter 'slow' must be below the number of bars ({n_bars}), got {slow}",
        ),
    ),
    sweep_inputs=ma_cross_sweep_inputs,
    indicators=_ma_cross_indicators,
)

RSI = Strategy(
    name="rsi",
    description="Buy when RSI crosses below oversold, sell when it crosses above overbought",
    params=(
        Param("window", int, 14, minimum=2, doc="RSI window, bars"),
        Param("oversold", float, 30.0, minimum=0, maximum=100, doc="entry level"),
        Param("overbought", float, 70.0, minimum=0, maximum=100, doc="exit level"),
    ),
    signals=rsi_signals,
    reference=Rsi,
    constraints=(
        Constraint(
            lambda v, n: v["oversold"] < v["overbought"],
            "parameter 'oversold' must be below 'overbought', got "
            "oversold={oversold:g} overbought={overbought:g}",
        ),
    ),
    sweep_inputs=rsi_sweep_inputs,
    indicators=_rsi_indicators,
)

BUILTIN = (MA_CROSS, RSI)
