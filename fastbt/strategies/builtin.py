"""The built-in strategies: ``ma_cross`` and ``rsi`` (docs/strategies.md)."""

from fastbt.kernels.strategies import ma_cross_signals, rsi_signals
from fastbt.reference.strategies import MaCross, Rsi
from fastbt.strategies.spec import Param, Strategy


def _check_ma_cross(values: dict, n_bars: int) -> None:
    if not values["fast"] < values["slow"]:
        raise ValueError(
            f"parameter 'fast' must be below 'slow', got fast={values['fast']} slow={values['slow']}"
        )
    if not values["slow"] < n_bars:
        raise ValueError(
            f"parameter 'slow' must be below the number of bars ({n_bars}), got {values['slow']}"
        )


def _check_rsi(values: dict, n_bars: int) -> None:
    if not values["oversold"] < values["overbought"]:
        raise ValueError(
            "parameter 'oversold' must be below 'overbought', got "
            f"oversold={values['oversold']:g} overbought={values['overbought']:g}"
        )


MA_CROSS = Strategy(
    name="ma_cross",
    description="Long while the fast SMA of close is above the slow SMA (enter/exit on crosses)",
    params=(
        Param("fast", int, 50, minimum=1, doc="fast moving-average window, bars"),
        Param("slow", int, 200, minimum=2, doc="slow moving-average window, bars"),
    ),
    signals=ma_cross_signals,
    reference=MaCross,
    check=_check_ma_cross,
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
    check=_check_rsi,
)

BUILTIN = (MA_CROSS, RSI)
