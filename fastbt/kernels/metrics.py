"""Streaming metrics: O(1) state updated once per bar and once per closed trade.

The single-backtest kernel and the sweep kernel share these updates. Definitions follow docs/metrics.md; a metric
whose denominator is zero or whose sample is too small is NaN.
"""

import math

import numpy as np

from fastbt.kernels.jit import inline_kernel, kernel

METRIC_NAMES = (
    "total_return",
    "cagr",
    "volatility",
    "sharpe",
    "sortino",
    "max_drawdown",
    "max_drawdown_bars",
    "calmar",
    "exposure",
    "buy_and_hold_return",
    "total_fees",
    "n_trades",
    "win_rate",
    "profit_factor",
    "avg_trade_return",
    "best_trade_return",
    "worst_trade_return",
    "expectancy",
    "sqn",
    "n_skipped",
)

N_METRICS = len(METRIC_NAMES)
# Metrics that are counts (whole numbers), reported as ints.
COUNT_METRICS = frozenset({"max_drawdown_bars", "n_trades", "n_skipped"})

# Running statistics travel as tuples of floats, which stay in registers inside
# the hot loops (arrays would cost reference counting on every call).
# Per bar: (bars, prev_equity, sum_r, sum_r2, sum_neg_r2, peak, trough, max_dd, run,
# max_run, exposed). Per closed trade: (trades, wins, gross_profit, gross_loss,
# sum_return, best_return, worst_return, pnl_mean, pnl_m2).


@kernel
def bar_stats_start(cash0):
    """Per-bar statistics before the first bar of a run starting with ``cash0``."""
    return (0.0, cash0, 0.0, 0.0, 0.0, cash0, cash0, 0.0, 0.0, 0.0, 0.0)


@inline_kernel
def bar_stats_add(stats, equity, exposed):
    """Fold one bar's closing equity into the per-bar statistics.

    When equity did not change the return is exactly 0 and the drawdown is the
    same as before, so only the counters move (same bits, less work on flat bars).
    Drawdown keeps the lowest equity since the last peak and divides only when
    that stretch ends: 1 - E/peak is monotone in E, so the deepest bar of a
    stretch gives exactly the bits the per-bar maximum would.
    """
    bars, prev, sum_r, sum_r2, sum_neg, peak, trough, max_dd, run, max_run, exposed_bars = stats
    if equity != prev:
        r = equity / prev - 1.0
        sum_r += r
        sum_r2 += r * r
        if r < 0.0:
            sum_neg += r * r
        if equity > peak:
            max_dd = max(max_dd, 1.0 - trough / peak)
            peak = equity
            trough = equity
        elif equity < trough:
            trough = equity
    if equity < peak:
        run += 1.0
        if run > max_run:
            max_run = run
    else:
        run = 0.0
    if exposed:
        exposed_bars += 1.0
    return (
        bars + 1.0,
        equity,
        sum_r,
        sum_r2,
        sum_neg,
        peak,
        trough,
        max_dd,
        run,
        max_run,
        exposed_bars,
    )


@inline_kernel
def trade_stats_start():
    """Per-trade statistics before the first closed trade."""
    return (0.0, 0.0, 0.0, 0.0, 0.0, -np.inf, np.inf, 0.0, 0.0)


@inline_kernel
def trade_stats_add(stats, pnl, trade_return):
    """Fold one closed trade into the statistics (Welford update for the pnl spread)."""
    trades, wins, profit, loss, sum_return, best, worst, pnl_mean, pnl_m2 = stats
    trades += 1.0
    if pnl > 0.0:
        wins += 1.0
        profit += pnl
    elif pnl < 0.0:
        loss += pnl
    delta = pnl - pnl_mean
    pnl_mean += delta / trades
    pnl_m2 += delta * (pnl - pnl_mean)
    return (
        trades,
        wins,
        profit,
        loss,
        sum_return + trade_return,
        max(best, trade_return),
        min(worst, trade_return),
        pnl_mean,
        pnl_m2,
    )


@kernel
def _ratio(numerator, denominator):
    """numerator / denominator, NaN when the denominator is zero."""
    if denominator == 0.0:
        return np.nan
    return numerator / denominator


@kernel
def metrics_finish(
    bar_stats, trade_stats, cash0, first_close, last_close, periods_per_year, total_fees, n_skipped
):
    """Final metric values in the order of ``METRIC_NAMES``."""
    n, final_equity, sum_r, sum_r2, sum_neg, peak, trough, max_dd, _, max_run, exposed = bar_stats
    max_dd = max(max_dd, 1.0 - trough / peak)
    out = np.full(N_METRICS, np.nan)
    root_p = math.sqrt(periods_per_year)
    growth = final_equity / cash0
    cagr = growth ** (periods_per_year / n) - 1.0 if growth >= 0.0 else np.nan
    mean_r = sum_r / n
    std_r = np.nan
    if n >= 2.0:
        variance = (sum_r2 - sum_r * sum_r / n) / (n - 1.0)
        std_r = math.sqrt(max(variance, 0.0))
    downside = math.sqrt(sum_neg / n)

    out[0] = growth - 1.0
    out[1] = cagr
    out[2] = std_r * root_p
    out[3] = _ratio(mean_r, std_r) * root_p
    out[4] = _ratio(mean_r, downside) * root_p
    out[5] = max_dd
    out[6] = max_run
    out[7] = _ratio(cagr, max_dd)
    out[8] = exposed / n
    out[9] = last_close / first_close - 1.0
    out[10] = total_fees
    trades, wins, profit, loss, sum_return, best, worst, pnl_mean, pnl_m2 = trade_stats
    out[11] = trades
    if trades > 0.0:
        out[12] = wins / trades
        if loss < 0.0:
            out[13] = profit / abs(loss)
        elif profit > 0.0:
            out[13] = np.inf
        out[14] = sum_return / trades
        out[15] = best
        out[16] = worst
        out[17] = pnl_mean
    if trades >= 2.0:
        pnl_std = math.sqrt(pnl_m2 / (trades - 1.0))
        out[18] = _ratio(math.sqrt(trades) * pnl_mean, pnl_std)
    out[19] = n_skipped
    return out
