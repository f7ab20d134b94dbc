"""Metrics from the full equity curve and trade list, with pandas (docs/metrics.md).

Written from the definitions, not for speed; the kernels must agree with this.
"""

import math

import numpy as np
import pandas as pd

from fastbt.kernels.metrics import PNL_NOISE


def _ratio(numerator: float, denominator: float) -> float:
    """numerator / denominator, NaN when the denominator is zero."""
    return float("nan") if denominator == 0 else numerator / denominator


def _sqn(closed_pnl: pd.Series) -> float:
    """``sqrt(n) * mean / std`` of the closed pnls; NaN with fewer than 2 or a spread that
    is rounding noise (``PNL_NOISE`` of the mean or less)."""
    n = len(closed_pnl)
    if n < 2:
        return float("nan")
    mean, std = closed_pnl.mean(), closed_pnl.std(ddof=1)
    if not std > PNL_NOISE * abs(mean):
        return float("nan")
    return math.sqrt(n) * mean / std


def longest_run(flags: pd.Series) -> int:
    """Length of the longest run of consecutive True values."""
    run_id = (~flags).cumsum()
    lengths = flags.groupby(run_id).sum()
    return int(lengths.max()) if len(lengths) else 0


def equity_metrics(
    equity: pd.Series, exposed: pd.Series, cash0: float, periods_per_year: float
) -> dict:
    """Return, risk and drawdown metrics of an equity curve."""
    n = len(equity)
    previous = equity.shift(1, fill_value=cash0)
    # A bar on which equity did not change returns 0, also when it stays at 0 after ruin.
    returns = (equity / previous - 1.0).where(equity != previous, 0.0)
    mean = returns.mean()
    std = returns.std(ddof=1)
    downside = math.sqrt((returns.clip(upper=0.0) ** 2).mean())
    root_p = math.sqrt(periods_per_year)
    growth = equity.iloc[-1] / cash0
    cagr = float(np.float64(growth) ** (periods_per_year / n) - 1.0) if growth >= 0 else math.nan
    peak = equity.cummax().clip(lower=cash0)
    drawdown = 1.0 - equity / peak
    max_drawdown = float(drawdown.max())
    return {
        "total_return": growth - 1.0,
        "cagr": cagr,
        "volatility": std * root_p,
        "sharpe": _ratio(mean, std) * root_p,
        "sortino": _ratio(mean, downside) * root_p,
        "max_drawdown": max_drawdown,
        "max_drawdown_bars": longest_run(equity < peak),
        "calmar": _ratio(cagr, max_drawdown),
        "exposure": float(exposed.mean()),
    } | return_moments(returns)


def return_moments(returns: pd.Series) -> dict:
    """Skew ``m3/m2^1.5`` and raw kurtosis ``m4/m2^2`` from the biased central moments
    of the bar returns; NaN when ``m2`` is 0."""
    deviation = returns - returns.mean()
    m2 = (deviation**2).mean()
    m3 = (deviation**3).mean()
    m4 = (deviation**4).mean()
    return {"skew": _ratio(m3, m2**1.5), "kurtosis": _ratio(m4, m2**2)}


def trade_metrics(closed_pnl: pd.Series, closed_returns: pd.Series) -> dict:
    """Statistics over closed trades; NaN where there are too few trades."""
    n = len(closed_pnl)
    nan = math.nan
    if n == 0:
        return dict.fromkeys(
            (
                "win_rate",
                "profit_factor",
                "avg_trade_return",
                "best_trade_return",
                "worst_trade_return",
                "expectancy",
                "sqn",
            ),
            nan,
        ) | {"n_trades": 0}
    gross_profit = closed_pnl[closed_pnl > 0].sum()
    gross_loss = abs(closed_pnl[closed_pnl < 0].sum())
    if gross_loss > 0:
        profit_factor = gross_profit / gross_loss
    else:
        profit_factor = math.inf if gross_profit > 0 else nan
    return {
        "n_trades": n,
        "win_rate": float((closed_pnl > 0).mean()),
        "profit_factor": profit_factor,
        "avg_trade_return": closed_returns.mean(),
        "best_trade_return": closed_returns.max(),
        "worst_trade_return": closed_returns.min(),
        "expectancy": closed_pnl.mean(),
        "sqn": _sqn(closed_pnl),
    }


def relative_metrics(
    equity: pd.Series, cash0: float, periods_per_year: float, rf: np.ndarray, bench: np.ndarray
) -> dict:
    """Sharpe and Sortino of the excess returns ``r - rf`` and the benchmark metrics against
    the benchmark's bar returns ``bench`` (per-bar arrays), straight from the definitions."""
    previous = equity.shift(1, fill_value=cash0)
    r = (equity / previous - 1.0).where(equity != previous, 0.0).to_numpy()
    x = r - rf
    d = r - bench
    n = len(r)
    root_p = math.sqrt(periods_per_year)
    nan = math.nan
    # std is shift-invariant; taking x[0] off first gives exactly 0 for a constant x.
    std_x = np.std(x - x[0], ddof=1) if n >= 2 else nan
    downside = math.sqrt(np.mean(np.minimum(x, 0.0) ** 2))
    cov = np.sum((r - r.mean()) * (bench - bench.mean())) / (n - 1) if n >= 2 else nan
    var_b = np.var(bench, ddof=1) if n >= 2 else nan
    var_r = np.var(r, ddof=1) if n >= 2 else nan
    beta = _ratio(cov, var_b)
    std_d = np.std(d, ddof=1) if n >= 2 else nan
    up, down = bench > 0, bench < 0
    excess = {  # with every rate 0, x is r and equity_metrics has them already
        "sharpe": _ratio(x.mean(), std_x) * root_p,
        "sortino": _ratio(x.mean(), downside) * root_p,
    }
    return (excess if rf.any() else {}) | {
        "alpha": (x.mean() - beta * np.mean(bench - rf)) * periods_per_year,
        "beta": beta,
        "tracking_error": std_d * root_p,
        "information_ratio": _ratio(d.mean(), std_d) * root_p,
        "correlation": _ratio(cov, math.sqrt(var_r * var_b)),
        "up_capture": _ratio(r[up].sum(), bench[up].sum()),
        "down_capture": _ratio(r[down].sum(), bench[down].sum()),
    }
