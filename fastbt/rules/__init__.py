"""Rule strategies: describe entry and exit once, from prices, indicators and
parameters; fastbt derives the fast form, the reference form and the fused sweep.

    from fastbt.rules import close, sma, crosses_above, crosses_below, param
    fast, slow = param("fast", 10, 1, 500), param("slow", 30, 2, 1000)
    cross = fastbt.Strategy.from_rules(
        "my_cross",
        entry=crosses_above(sma(close, fast), sma(close, slow)),
        exit=crosses_below(sma(close, fast), sma(close, slow)),
        constraints=["fast < slow"],
    )

Every registered indicator kind (``fastbt.indicators``) is importable from here
by its name, e.g. ``from fastbt.rules import bbands``.
"""

from fastbt.indicators import INDICATORS
from fastbt.rules.json_form import strategy_from_json, strategy_to_json
from fastbt.rules.language import (
    close,
    crosses_above,
    crosses_below,
    high,
    indicator,
    low,
    open_,
    param,
    shift,
    volume,
)
from fastbt.rules.nodes import Node
from fastbt.rules.strategy import strategy

__all__ = [
    "Node",
    "close",
    "crosses_above",
    "crosses_below",
    "high",
    "indicator",
    "low",
    "open_",
    "param",
    "shift",
    "strategy",
    "strategy_from_json",
    "strategy_to_json",
    "volume",
]


def __getattr__(name: str):
    """``fastbt.rules.<kind>``: the call builder of any registered indicator kind;
    ``fastbt.rules.open`` is the open price (``open_`` avoids Python's ``open``)."""
    if name == "open":
        return open_
    if name in INDICATORS:
        return indicator(name)
    raise AttributeError(
        f"module 'fastbt.rules' has no attribute '{name}' "
        f"(indicators: {', '.join(sorted(INDICATORS))})"
    )


def __dir__():
    return sorted([*__all__, "open", *INDICATORS])
