"""The built-in strategies, written as rules (docs/strategies.md).

``ma_cross`` and ``rsi`` give the same bits as their earlier hand-written forms
(tests/test_rules_builtin.py), and sweep on the generated fused kernels of
``fastbt.rules.fused`` as fast as on the hand-written one (benchmarks/bench_rules.py). A built-in whose indicator kinds are not registered
in this installation is left out rather than failing at import.
"""

from fastbt.indicators import INDICATORS
from fastbt.rules import close, crosses_above, crosses_below, high, indicator, low, param, shift
from fastbt.strategies.spec import Constraint, Strategy

sma = indicator("sma")
rsi = indicator("rsi")


def _ma_cross() -> Strategy:
    fast = param("fast", 50, 1, doc="fast moving-average window, bars")
    slow = param("slow", 200, 2, doc="slow moving-average window, bars")
    return Strategy.from_rules(
        "ma_cross",
        description="Long while the fast SMA of close is above the slow SMA (enter/exit on crosses)",
        entry=crosses_above(sma(close, fast), sma(close, slow)),
        exit=crosses_below(sma(close, fast), sma(close, slow)),
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
    )


def _level_constraint() -> Constraint:
    return Constraint(
        lambda v, n: v["oversold"] < v["overbought"],
        "parameter 'oversold' must be below 'overbought', got "
        "oversold={oversold:g} overbought={overbought:g}",
    )


def _rsi_rule(name: str, kind: str, description: str) -> Strategy:
    """Buy when the RSI of ``kind`` crosses below oversold, sell when it crosses above overbought."""
    value = indicator(kind)(close, param("window", 14, 2, doc="RSI window, bars"))
    return Strategy.from_rules(
        name,
        description=description,
        entry=crosses_below(value, param("oversold", 30.0, 0, 100, doc="entry level")),
        exit=crosses_above(value, param("overbought", 70.0, 0, 100, doc="exit level")),
        constraints=(_level_constraint(),),
    )


def _rsi() -> Strategy:
    return _rsi_rule(
        "rsi", "rsi", "Buy when RSI crosses below oversold, sell when it crosses above overbought"
    )


def _rsi_wilder() -> Strategy:
    return _rsi_rule(
        "rsi_wilder",
        "rsi_wilder",
        "Like rsi with Wilder's smoothing: buy below oversold, sell above overbought",
    )


def _bb_revert() -> Strategy:
    window, k = param("window", 20, 2, doc="band window, bars"), param("k", 2.0, 0.5, 4.0)
    bands = indicator("bbands")(close, window, k)
    return Strategy.from_rules(
        "bb_revert",
        description="Buy when close crosses below the lower Bollinger band, sell when it "
        "crosses back above the middle band",
        entry=crosses_below(close, bands.lower),
        exit=crosses_above(close, bands.middle),
    )


def _macd_cross() -> Strategy:
    fast, slow = param("fast", 12, 1, doc="fast EMA, bars"), param("slow", 26, 2, doc="slow EMA")
    macd = indicator("macd")(close, fast, slow, param("signal", 9, 1, doc="signal EMA, bars"))
    return Strategy.from_rules(
        "macd_cross",
        description="Buy when the MACD line crosses above its signal line, sell when it "
        "crosses below",
        entry=crosses_above(macd.line, macd.signal),
        exit=crosses_below(macd.line, macd.signal),
        constraints=["fast < slow"],
    )


def _donchian_breakout() -> Strategy:
    entry_window = param("window", 20, 1, doc="breakout channel, bars")
    exit_window = param("exit_window", 10, 1, doc="exit channel, bars")
    donchian = indicator("donchian")
    return Strategy.from_rules(
        "donchian_breakout",
        description="Buy when close is above the previous bars' highest high, sell when "
        "it is below the previous bars' lowest low (shorter exit channel)",
        entry=close > shift(donchian(high, low, entry_window).upper, 1),
        exit=close < shift(donchian(high, low, exit_window).lower, 1),
    )


# Each built-in with the indicator kinds it needs.
_BUILDERS = (
    (_ma_cross, ("sma",)),
    (_rsi, ("rsi",)),
    (_rsi_wilder, ("rsi_wilder",)),
    (_bb_revert, ("bbands",)),
    (_macd_cross, ("macd",)),
    (_donchian_breakout, ("donchian",)),
)

BUILTIN = tuple(build() for build, kinds in _BUILDERS if all(kind in INDICATORS for kind in kinds))
