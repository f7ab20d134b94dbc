"""Field-by-field comparison of two PortfolioResults, for ``verify_portfolio`` and the
tests, with the tolerances of ``fastbt.compare`` (docs/verification.md)."""

import pandas as pd

# The single-run comparison's tolerances and trade columns, so the two cannot drift apart.
from fastbt.compare import _CURRENCY_METRICS, _TRADE_EXACT, _TRADE_FLOATS, _same, close_enough
from fastbt.portfolio.result import PortfolioResult


def _series_diffs(label: str, a: pd.Series, b: pd.Series, scale: float) -> list[str]:
    bad = [
        i
        for i, (x, y) in enumerate(zip(a, b, strict=True))
        if not close_enough(float(x), float(y), scale)
    ]
    if not bad:
        return []
    i = bad[0]
    return [
        f"{label} differs at {len(bad)} bar(s), first at bar {i} ({a.index[i]}): "
        f"fast={float(a.iloc[i])!r} reference={float(b.iloc[i])!r}"
    ]


def compare_portfolios(fast: PortfolioResult, reference: PortfolioResult) -> list[str]:
    """Every difference between two results of the same portfolio backtest: metrics,
    equity, cash, each symbol's position, and every trade field, as readable lines."""
    cash = fast.options.cash
    diffs = []
    for name, value in fast.metrics.items():
        other = reference.metrics.get(name)
        scale = cash if name in _CURRENCY_METRICS else 1.0
        if other is None or not close_enough(float(value), float(other), scale):
            diffs.append(f"metric {name}: fast={value!r} reference={other!r}")
    diffs += _series_diffs("equity", fast.equity, reference.equity, cash)
    diffs += _series_diffs("cash", fast.cash, reference.cash, cash)
    for symbol in fast.symbols:
        diffs += _series_diffs(
            f"position {symbol}", fast.positions[symbol], reference.positions[symbol], cash
        )
    if len(fast.trades) != len(reference.trades):
        diffs.append(f"trade count: fast={len(fast.trades)} reference={len(reference.trades)}")
        return diffs
    for k in range(len(fast.trades)):
        x, y = fast.trades.iloc[k], reference.trades.iloc[k]
        for column in ("symbol", *_TRADE_EXACT):
            if not _same(x[column], y[column]):
                diffs.append(f"trade {k} {column}: fast={x[column]!r} reference={y[column]!r}")
        for column in _TRADE_FLOATS:
            if not close_enough(float(x[column]), float(y[column]), cash):
                diffs.append(f"trade {k} {column}: fast={x[column]!r} reference={y[column]!r}")
    return diffs
