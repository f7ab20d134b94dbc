"""Field-by-field comparison of two Results, used by ``fastbt.verify`` and the tests.

Money and metrics agree to 1e-9 relative (with an absolute floor of 1e-12, scaled
by the starting cash for currency amounts, so values that cancel to about zero
compare sensibly); trade counts and bar indices agree exactly.
"""

import math

import numpy as np
import pandas as pd

from fastbt.result import Result

RELATIVE = 1e-9
ABSOLUTE = 1e-12
_CURRENCY_METRICS = {"total_fees", "expectancy"}
_TRADE_FLOATS = ("entry_price", "exit_price", "qty", "entry_fee", "exit_fee", "pnl", "return")
_TRADE_EXACT = ("entry_bar", "exit_bar", "direction", "exit_reason", "status")


def _show(value) -> str:
    """A number as plain Python would print it (no numpy type wrappers)."""
    return repr(value.item() if isinstance(value, np.generic) else value)


def _same(a, b) -> bool:
    """Exactly equal; missing (an open trade's exit bar or reason) matches only missing."""
    if pd.isna(a) or pd.isna(b):
        return bool(pd.isna(a) and pd.isna(b))
    return bool(a == b)


def close_enough(a: float, b: float, scale: float = 1.0) -> bool:
    """Equal within tolerance; NaN matches NaN and infinities must match exactly."""
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if math.isinf(a) or math.isinf(b):
        return a == b
    return math.isclose(a, b, rel_tol=RELATIVE, abs_tol=ABSOLUTE * scale)


def compare_results(fast: Result, reference: Result) -> list[str]:
    """Every difference between two results of the same backtest, as readable lines."""
    cash = fast.options.cash
    diffs = []
    for name, value in fast.metrics.items():
        other = reference.metrics.get(name)
        scale = cash if name in _CURRENCY_METRICS else 1.0
        if other is None or not close_enough(float(value), float(other), scale):
            diffs.append(f"metric {name}: fast={_show(value)} reference={_show(other)}")
    for label, a, b in (
        ("equity", fast.equity, reference.equity),
        ("cash", fast.cash, reference.cash),
        ("position", fast.position, reference.position),
    ):
        bad = [
            i
            for i, (x, y) in enumerate(zip(a, b, strict=True))
            if not close_enough(float(x), float(y), cash)
        ]
        if bad:
            i = bad[0]
            diffs.append(
                f"{label} differs at {len(bad)} bar(s), first at bar {i} "
                f"({a.index[i]}): fast={_show(a.iloc[i])} reference={_show(b.iloc[i])}"
            )
    if len(fast.trades) != len(reference.trades):
        diffs.append(f"trade count: fast={len(fast.trades)} reference={len(reference.trades)}")
        return diffs
    for k in range(len(fast.trades)):
        x, y = fast.trades.iloc[k], reference.trades.iloc[k]
        for column in _TRADE_EXACT:
            if not _same(x[column], y[column]):
                diffs.append(
                    f"trade {k} {column}: fast={_show(x[column])} reference={_show(y[column])}"
                )
        for column in _TRADE_FLOATS:
            if not close_enough(float(x[column]), float(y[column]), cash):
                diffs.append(
                    f"trade {k} {column}: fast={_show(x[column])} reference={_show(y[column])}"
                )
    return diffs
