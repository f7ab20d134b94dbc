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

# Per-bar statistics travel as a tuple (kept in registers inside the loop):
# (bars, prev_equity, sum_r, sum_r2, sum_neg_r2, peak, max_dd, run, max_run, exposed)
# Per-trade statistics are rare and live in a small array, indexed below.
_TRADES = 0
_WINS = 1
_GROSS_PROFIT = 2
_GROSS_LOSS = 3
_SUM_TRADE_RETURN = 4
_BEST_RETURN = 5
_WORST_RETURN = 6
_PNL_MEAN = 7
_PNL_M2 = 8
_TRADE_STATE_SIZE = 9


@kernel
def bar_stats_start(cash0):
    """Per-bar statistics before the first bar of a run starting with ``cash0``."""
    return (0.0, cash0, 0.0, 0.0, 0.0, cash0, 0.0, 0.0, 0.0, 0.0)


@inline_kernel
def bar_stats_add(stats, equity, exposed):
    """Fold one bar's closing equity into the per-bar statistics.

    When equity did not change the return is exactly 0 and the drawdown is the
    same as before, so only the counters move (same bits, less work on flat bars).
    """
    bars, prev, sum_r, sum_r2, sum_neg, peak, max_dd, run, max_run, exposed_bars = stats
    if equity != prev:
        r = equity / prev - 1.0
        sum_r += r
        sum_r2 += r * r
        if r < 0.0:
            sum_neg += r * r
        if equity > peak:
            peak = equity
        drawdown = 1.0 - equity / peak
        if drawdown > max_dd:
            max_dd = drawdown
    if equity < peak:
        run += 1.0
        if run > max_run:
            max_run = run
    else:
        run = 0.0
    if exposed:
        exposed_bars += 1.0
    return (bars + 1.0, equity, sum_r, sum_r2, sum_neg, peak, max_dd, run, max_run, exposed_bars)


@kernel
def trade_stats_start():
    """Per-trade statistics before the first closed trade."""
    state = np.zeros(_TRADE_STATE_SIZE)
    state[_BEST_RETURN] = -np.inf
    state[_WORST_RETURN] = np.inf
    return state


@kernel
def trade_stats_add(state, pnl, trade_return):
    """Fold one closed trade into the state (Welford update for the pnl spread)."""
    state[_TRADES] += 1.0
    if pnl > 0.0:
        state[_WINS] += 1.0
        state[_GROSS_PROFIT] += pnl
    elif pnl < 0.0:
        state[_GROSS_LOSS] += pnl
    state[_SUM_TRADE_RETURN] += trade_return
    state[_BEST_RETURN] = max(state[_BEST_RETURN], trade_return)
    state[_WORST_RETURN] = min(state[_WORST_RETURN], trade_return)
    delta = pnl - state[_PNL_MEAN]
    state[_PNL_MEAN] += delta / state[_TRADES]
    state[_PNL_M2] += delta * (pnl - state[_PNL_MEAN])


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
    n, final_equity, sum_r, sum_r2, sum_neg, _, max_dd, _, max_run, exposed_bars = bar_stats
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
    out[8] = exposed_bars / n
    out[9] = last_close / first_close - 1.0
    out[10] = total_fees
    state = trade_stats
    trades = state[_TRADES]
    out[11] = trades
    if trades > 0.0:
        out[12] = state[_WINS] / trades
        loss = abs(state[_GROSS_LOSS])
        if loss > 0.0:
            out[13] = state[_GROSS_PROFIT] / loss
        elif state[_GROSS_PROFIT] > 0.0:
            out[13] = np.inf
        out[14] = state[_SUM_TRADE_RETURN] / trades
        out[15] = state[_BEST_RETURN]
        out[16] = state[_WORST_RETURN]
        out[17] = state[_PNL_MEAN]
    if trades >= 2.0:
        pnl_std = math.sqrt(state[_PNL_M2] / (trades - 1.0))
        out[18] = _ratio(math.sqrt(trades) * state[_PNL_MEAN], pnl_std)
    out[19] = n_skipped
    return out
