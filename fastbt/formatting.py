"""Human-readable metric values, shared by the CLI and reports."""

import math

from fastbt.kernels.metrics import COUNT_METRICS

_PERCENT = {
    "total_return",
    "cagr",
    "volatility",
    "max_drawdown",
    "exposure",
    "buy_and_hold_return",
    "win_rate",
    "avg_trade_return",
    "best_trade_return",
    "worst_trade_return",
}
_MONEY = {"total_fees", "expectancy"}


def format_metric(name: str, value) -> str:
    """``12.34%`` for fractions, ``1,234.56`` for money, ``1.234`` for ratios."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if isinstance(value, float) and math.isinf(value):
        return "inf" if value > 0 else "-inf"
    if name in COUNT_METRICS:
        return f"{int(value):,}"
    if name in _PERCENT:
        return f"{100 * value:.2f}%"
    if name in _MONEY:
        return f"{value:,.2f}"
    if name == "periods_per_year":
        return f"{value:g}"
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def metrics_table(metrics: dict) -> str:
    """Two aligned columns: metric name and formatted value."""
    width = max(len(name) for name in metrics)
    return "\n".join(
        f"{name:<{width}}  {format_metric(name, v):>12}" for name, v in metrics.items()
    )


def json_safe(value):
    """Replace non-finite floats with None, recursively, so JSON stays standard."""
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
