"""The built-in indicator kinds (docs/indicators.md).

Each kind pairs a ``compute`` kernel from ``fastbt/kernels/indicator_kinds.py`` with
a streaming twin from ``fastbt/reference``; ``restarting`` gives the twin the
kernels' rule for undefined inputs (the warm-up starts again after one).
"""

from fastbt.indicators.registry import IndicatorKind, register
from fastbt.kernels import indicator_kinds as k
from fastbt.reference.averages import Ema, Sma, Wma
from fastbt.reference.dispersion import Bbands, Std, Zscore
from fastbt.reference.extremes import Donchian, Highest, Lowest
from fastbt.reference.oscillators import Macd, Momentum, Roc, Rsi, RsiWilder, Stoch
from fastbt.reference.ranges import Atr, AtrWilder, TrueRange
from fastbt.reference.restart import restarting
from fastbt.strategies.spec import Constraint, Param

SOURCE = ("source",)
HLC = ("high", "low", "close")
VALUE = ("value",)


def _window(default: int, minimum: int, name: str = "window", doc: str = "window, bars") -> Param:
    return Param(name, int, default, minimum=minimum, doc=doc)


def _kind(name, description, inputs, params, outputs, compute, reference, overlay, constraints=()):
    return register(
        IndicatorKind(
            name=name,
            description=description,
            inputs=inputs,
            params=params,
            outputs=outputs,
            compute=compute,
            reference=restarting(reference, len(outputs)),
            overlay=overlay,
            constraints=constraints,
        )
    )


SMA = _kind("sma", "simple moving average", SOURCE, (_window(20, 1),), VALUE, k.sma_kind, Sma, True)
EMA = _kind(
    "ema",
    "exponential moving average, alpha = 2/(window+1), seeded by the SMA of the first window values",
    SOURCE,
    (_window(20, 1),),
    VALUE,
    k.ema_kind,
    Ema,
    True,
)
WMA = _kind(
    "wma",
    "linearly weighted moving average, weights 1..window (newest heaviest)",
    SOURCE,
    (_window(20, 1),),
    VALUE,
    k.wma_kind,
    Wma,
    True,
)
RSI = _kind(
    "rsi",
    "relative strength index, simple means of gains and losses",
    SOURCE,
    (_window(14, 2),),
    VALUE,
    k.rsi_kind,
    Rsi,
    False,
)
RSI_WILDER = _kind(
    "rsi_wilder",
    "relative strength index, Wilder-smoothed gains and losses (alpha = 1/window)",
    SOURCE,
    (_window(14, 2),),
    VALUE,
    k.rsi_wilder_kind,
    RsiWilder,
    False,
)
STD = _kind(
    "std",
    "rolling population standard deviation",
    SOURCE,
    (_window(20, 2),),
    VALUE,
    k.std_kind,
    Std,
    False,
)
BBANDS = _kind(
    "bbands",
    "Bollinger bands: SMA and SMA +- k population standard deviations",
    SOURCE,
    (_window(20, 2), Param("k", float, 2.0, minimum=0.0, doc="band width, standard deviations")),
    ("middle", "upper", "lower"),
    k.bbands_kind,
    Bbands,
    True,
)
ZSCORE = _kind(
    "zscore",
    "(value - window mean) / window population standard deviation; 0 on a flat window",
    SOURCE,
    (_window(20, 2),),
    VALUE,
    k.zscore_kind,
    Zscore,
    False,
)
MACD = _kind(
    "macd",
    "MACD: EMA(fast) - EMA(slow), its EMA(signal), and their difference",
    SOURCE,
    (
        _window(12, 1, "fast", "fast EMA window, bars"),
        _window(26, 2, "slow", "slow EMA window, bars"),
        _window(9, 1, "signal", "signal EMA window, bars"),
    ),
    ("line", "signal", "hist"),
    k.macd_kind,
    Macd,
    False,
    (
        Constraint(
            lambda v, n_bars: v["fast"] < v["slow"],
            "parameter 'fast' must be below 'slow', got fast={fast} slow={slow}",
        ),
    ),
)
TRANGE = _kind(
    "trange",
    "true range: max(high - low, |high - previous close|, |low - previous close|)",
    HLC,
    (),
    VALUE,
    k.trange_kind,
    TrueRange,
    False,
)
ATR = _kind(
    "atr",
    "average true range, simple mean",
    HLC,
    (_window(14, 1),),
    VALUE,
    k.atr_kind,
    Atr,
    False,
)
ATR_WILDER = _kind(
    "atr_wilder",
    "average true range, Wilder-smoothed (alpha = 1/window)",
    HLC,
    (_window(14, 1),),
    VALUE,
    k.atr_wilder_kind,
    AtrWilder,
    False,
)
HIGHEST = _kind(
    "highest",
    "highest value of the last window bars (this bar included)",
    SOURCE,
    (_window(20, 1),),
    VALUE,
    k.highest_kind,
    Highest,
    True,
)
LOWEST = _kind(
    "lowest",
    "lowest value of the last window bars (this bar included)",
    SOURCE,
    (_window(20, 1),),
    VALUE,
    k.lowest_kind,
    Lowest,
    True,
)
DONCHIAN = _kind(
    "donchian",
    "Donchian channel: highest high, lowest low (this bar included) and their midpoint",
    ("high", "low"),
    (_window(20, 1),),
    ("upper", "lower", "middle"),
    k.donchian_kind,
    Donchian,
    True,
)
STOCH = _kind(
    "stoch",
    "stochastic oscillator: %K = close within the window's low-high range (percent), %D = SMA of %K",
    HLC,
    (_window(14, 1), _window(3, 1, "d_window", "%D window, bars")),
    ("k", "d"),
    k.stoch_kind,
    Stoch,
    False,
)
ROC = _kind(
    "roc",
    "rate of change in percent: (value - value window bars ago) / value window bars ago * 100",
    SOURCE,
    (_window(10, 1),),
    VALUE,
    k.roc_kind,
    Roc,
    False,
)
MOMENTUM = _kind(
    "momentum",
    "momentum: value - value window bars ago",
    SOURCE,
    (_window(10, 1),),
    VALUE,
    k.momentum_kind,
    Momentum,
    False,
)
