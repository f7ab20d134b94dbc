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
    "alpha",
    "tracking_error",
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


def json_default(value):
    """``json.dumps(default=...)`` for NumPy scalars (their Python value), else text."""
    return value.item() if hasattr(value, "item") else str(value)


# What each metric means, in a few words, for report tables (docs/metrics.md has the maths).
METRIC_DESCRIPTIONS = {
    "total_return": "final equity / starting cash - 1",
    "cagr": "compound annual growth rate (years = bars / periods per year)",
    "volatility": "annualised standard deviation of bar returns",
    "sharpe": "annualised mean / standard deviation of bar returns over the risk-free rate",
    "sortino": "like Sharpe, with the downside deviation (below the risk-free rate) only",
    "max_drawdown": "largest fall of equity from a running peak",
    "max_drawdown_bars": "longest stretch of bars below a previous peak",
    "calmar": "CAGR / max drawdown",
    "exposure": "share of bars ending with a position",
    "buy_and_hold_return": "last close / first close - 1",
    "total_fees": "commission and fixed fees paid, both legs",
    "n_trades": "closed round trips",
    "win_rate": "closed trades with positive pnl / closed trades",
    "profit_factor": "gross profit / gross loss of closed trades",
    "avg_trade_return": "mean return of closed trades",
    "best_trade_return": "best closed-trade return",
    "worst_trade_return": "worst closed-trade return",
    "expectancy": "mean pnl per closed trade (currency)",
    "sqn": "system quality number: sqrt(n) x mean pnl / std pnl",
    "n_skipped": "entries skipped (no cash or zero quantity)",
    "periods_per_year": "bars per year used to annualise",
    "n_long_trades": "closed long trades",
    "n_short_trades": "closed short trades",
    "n_stop_exits": "closed trades that exited at the stop-loss or take-profit",
    "n_expired": "entry orders that expired unfilled",
    "skew": "skewness of bar returns (biased moments; 0 for a symmetric spread)",
    "kurtosis": "kurtosis of bar returns (biased moments, not excess; normal = 3)",
    "alpha": "annualised return not explained by the benchmark (Jensen's alpha)",
    "beta": "OLS slope of bar returns on the benchmark's",
    "tracking_error": "annualised standard deviation of return - benchmark return",
    "information_ratio": "annualised mean / standard deviation of return - benchmark return",
    "correlation": "correlation of bar returns with the benchmark's",
    "up_capture": "strategy / benchmark return on bars the benchmark rose",
    "down_capture": "strategy / benchmark return on bars the benchmark fell",
}


def format_duration(bars: int, periods_per_year: float) -> str:
    """Bars as calendar time at ``periods_per_year`` bars a year: ``about 5.9 months``."""
    years = bars / periods_per_year
    if years >= 1:
        return f"about {years:.1f} years"
    if years * 12 >= 1:
        return f"about {years * 12:.1f} months"
    days = years * 365.25
    if days >= 1:
        return f"about {days:.1f} days"
    return f"about {days * 24:.1f} hours"
