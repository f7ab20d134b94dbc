"""Streaming metrics: O(1) state updated once per bar and once per closed trade.

The single-backtest kernel and the sweep kernel share these updates. Definitions follow docs/metrics.md; a metric
whose denominator is zero or whose sample is too small is NaN.
"""

import math
from collections import namedtuple

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
    "n_long_trades",
    "n_short_trades",
    "n_stop_exits",
    "n_expired",
    "skew",
    "kurtosis",
)

N_METRICS = len(METRIC_NAMES)
# SQN needs a spread of the trades' pnl: one below this share of the mean pnl is
# rounding noise (equal pnls summed in a different order), so SQN is NaN there.
PNL_NOISE = 1e-9
# Metrics against a benchmark (docs/metrics.md): computed only when one is given, and
# then after METRIC_NAMES in the kernels' metrics row.
BENCHMARK_METRICS = (
    "alpha",
    "beta",
    "tracking_error",
    "information_ratio",
    "correlation",
    "up_capture",
    "down_capture",
)
N_BENCHMARK_METRICS = len(BENCHMARK_METRICS)
# Metrics that are counts (whole numbers), reported as ints.
COUNT_METRICS = frozenset(
    {
        "max_drawdown_bars",
        "n_trades",
        "n_skipped",
        "n_long_trades",
        "n_short_trades",
        "n_stop_exits",
        "n_expired",
    }
)

# Running statistics travel as named tuples of floats, which stay in registers inside
# the hot loops (arrays would cost reference counting on every call).
# Per bar: bar returns r with their sums, drawdown (top: the last bar not below the
# peak, -1 for the start; max_run: the longest stretch below it that has ended), exposure, and the power sums
# s1..s4 of d = r - shift over the ``moves`` bars whose equity changed (shift: the
# first such r, so the sums stay near the spread of r rather than its level).
BarStats = namedtuple(
    "BarStats",
    (
        "bars",
        "prev_equity",
        "sum_r",
        "sum_r2",
        "sum_neg_r2",
        "peak",
        "trough",
        "max_dd",
        "top",
        "max_run",
        "exposed",
        "moves",
        "shift",
        "s1",
        "s2",
        "s3",
        "s4",
    ),
)
# Per bar, only when a risk-free series or a benchmark is given: sums of the excess
# return x = r - f (f the bar's risk-free rate; its spread from dx = x - x[0], so that a
# constant x, as with no trades, has exactly 0 spread) and of the benchmark return b, and
# the cross sums with the strategy's return r (r = 0 on a bar whose equity did not change).
RelStats = namedtuple(
    "RelStats",
    (
        "sum_f",
        "sum_x",
        "x_shift",
        "sum_dx",
        "sum_dx2",
        "sum_neg_x2",
        "sum_b",
        "sum_b2",
        "sum_rb",
        "sum_d",
        "sum_d2",
        "sum_r_up",
        "sum_b_up",
        "sum_r_down",
        "sum_b_down",
    ),
)
# Per closed trade.
TradeStats = namedtuple(
    "TradeStats",
    (
        "trades",
        "wins",
        "gross_profit",
        "gross_loss",
        "sum_return",
        "best_return",
        "worst_return",
        "pnl_mean",
        "pnl_m2",
        "longs",
        "stop_exits",
    ),
)


@kernel
def bar_stats_start(cash0):
    """Per-bar statistics before the first bar of a run starting with ``cash0``."""
    return BarStats(
        0.0, cash0, 0.0, 0.0, 0.0, cash0, cash0, 0.0, -1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0
    )


@inline_kernel
def bar_stats_add(stats, equity, exposed):
    """Fold one bar's closing equity into the per-bar statistics.

    When equity did not change the return is exactly 0 and the drawdown is the
    same as before, so only the counters move (same bits, less work on flat bars).
    Drawdown keeps the lowest equity since the last peak and divides only when
    that stretch ends: 1 - E/peak is monotone in E, so the deepest bar of a
    stretch gives exactly the bits the per-bar maximum would. Likewise the length
    of a stretch below the peak is taken when it ends (``longest_underwater`` adds
    the one still running at the end), so a bar in drawdown costs one comparison.
    """
    (
        bars,
        prev,
        sum_r,
        sum_r2,
        sum_neg,
        peak,
        trough,
        max_dd,
        top,
        max_run,
        exposed_bars,
        moves,
        shift,
        s1,
        s2,
        s3,
        s4,
    ) = stats
    if equity != prev:
        r = equity / prev - 1.0
        sum_r += r
        sum_r2 += r * r
        sum_neg += r * r if r < 0.0 else 0.0  # + 0.0 keeps the bits (sum_neg is >= +0.0)
        if moves == 0.0:
            shift = r
        moves += 1.0
        d = r - shift
        d2 = d * d
        s1 += d
        s2 += d2
        s3 += d2 * d
        s4 += d2 * d2
        # Selects, not branches: whether a bar makes a new peak or a new trough is a coin
        # toss the CPU mispredicts (a tenth of a fused sweep's time); the same values.
        new_peak = equity > peak
        dd = 1.0 - trough / peak
        max_dd = max(max_dd, dd) if new_peak else max_dd
        trough = equity if new_peak or equity < trough else trough
        peak = equity if new_peak else peak
    at_peak = not equity < peak
    max_run = max(max_run, bars - top - 1.0) if at_peak else max_run
    top = bars if at_peak else top
    exposed_bars += 1.0 if exposed else 0.0
    return BarStats(
        bars + 1.0,
        equity,
        sum_r,
        sum_r2,
        sum_neg,
        peak,
        trough,
        max_dd,
        top,
        max_run,
        exposed_bars,
        moves,
        shift,
        s1,
        s2,
        s3,
        s4,
    )


@inline_kernel
def rel_stats_start():
    """Relative statistics before the first bar."""
    return RelStats(0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)


@inline_kernel
def rel_stats_add(stats, first, prev_equity, equity, f, b):
    """Fold one bar (``first``: bar 0) into the relative statistics: ``f`` its risk-free
    rate, ``b`` the benchmark's return (scalars: the caller reads its arrays)."""
    r = equity / prev_equity - 1.0 if equity != prev_equity else 0.0
    x = r - f
    shift = x if first else stats.x_shift
    dx = x - shift
    d = r - b
    sum_neg_x2 = stats.sum_neg_x2 + x * x if x < 0.0 else stats.sum_neg_x2
    up = b > 0.0
    down = b < 0.0
    return RelStats(
        stats.sum_f + f,
        stats.sum_x + x,
        shift,
        stats.sum_dx + dx,
        stats.sum_dx2 + dx * dx,
        sum_neg_x2,
        stats.sum_b + b,
        stats.sum_b2 + b * b,
        stats.sum_rb + r * b,
        stats.sum_d + d,
        stats.sum_d2 + d * d,
        stats.sum_r_up + r if up else stats.sum_r_up,
        stats.sum_b_up + b if up else stats.sum_b_up,
        stats.sum_r_down + r if down else stats.sum_r_down,
        stats.sum_b_down + b if down else stats.sum_b_down,
    )


@inline_kernel
def longest_underwater(stats):
    """Most consecutive bars below the running peak, the stretch still open at the end included."""
    return max(stats.max_run, stats.bars - 1.0 - stats.top)


@inline_kernel
def trade_stats_start():
    """Per-trade statistics before the first closed trade."""
    return TradeStats(0.0, 0.0, 0.0, 0.0, 0.0, -np.inf, np.inf, 0.0, 0.0, 0.0, 0.0)


@inline_kernel
def trade_stats_add(stats, pnl, trade_return, is_long, stop_exit):
    """Fold one closed trade into the statistics (Welford update for the pnl spread)."""
    trades, wins, profit, loss, sum_return, best, worst, pnl_mean, pnl_m2, longs, stops = stats
    trades += 1.0
    if pnl > 0.0:
        wins += 1.0
        profit += pnl
    elif pnl < 0.0:
        loss += pnl
    delta = pnl - pnl_mean
    pnl_mean += delta / trades
    pnl_m2 += delta * (pnl - pnl_mean)
    return TradeStats(
        trades,
        wins,
        profit,
        loss,
        sum_return + trade_return,
        max(best, trade_return),
        min(worst, trade_return),
        pnl_mean,
        pnl_m2,
        longs + 1.0 if is_long else longs,
        stops + 1.0 if stop_exit else stops,
    )


@kernel
def _ratio(numerator, denominator):
    """numerator / denominator, NaN when the denominator is zero."""
    if denominator == 0.0:
        return np.nan
    return numerator / denominator


@kernel
def _sample_variance(total, squares, n):
    """``(sum(v^2) - sum(v)^2 / n) / (n - 1)`` floored at 0; NaN when n < 2."""
    if n < 2.0:
        return np.nan
    return max((squares - total * total / n) / (n - 1.0), 0.0)


@kernel
def relative_finish(metrics, bar_stats, rel, periods_per_year):
    """``metrics`` (``METRIC_NAMES``) with Sharpe and Sortino of the excess returns (kept
    as they are when every rate is 0: then x = r), followed by ``BENCHMARK_METRICS``."""
    n = bar_stats.bars
    root_p = math.sqrt(periods_per_year)
    out = np.full(N_METRICS + N_BENCHMARK_METRICS, np.nan)
    out[:N_METRICS] = metrics
    mean_x = rel.sum_x / n
    if rel.sum_f != 0.0:
        std_x = math.sqrt(_sample_variance(rel.sum_dx, rel.sum_dx2, n))
        out[3] = _ratio(mean_x, std_x) * root_p
        out[4] = _ratio(mean_x, math.sqrt(rel.sum_neg_x2 / n)) * root_p
    var_r = _sample_variance(bar_stats.sum_r, bar_stats.sum_r2, n)
    var_b = _sample_variance(rel.sum_b, rel.sum_b2, n)
    var_d = _sample_variance(rel.sum_d, rel.sum_d2, n)
    cov = np.nan
    if n >= 2.0:
        cov = (rel.sum_rb - bar_stats.sum_r * rel.sum_b / n) / (n - 1.0)
    beta = _ratio(cov, var_b)
    std_d = math.sqrt(var_d)
    k = N_METRICS
    out[k] = (mean_x - beta * (rel.sum_b - rel.sum_f) / n) * periods_per_year
    out[k + 1] = beta
    out[k + 2] = std_d * root_p
    out[k + 3] = _ratio(rel.sum_d / n, std_d) * root_p
    out[k + 4] = _ratio(cov, math.sqrt(var_r * var_b))
    out[k + 5] = _ratio(rel.sum_r_up, rel.sum_b_up)
    out[k + 6] = _ratio(rel.sum_r_down, rel.sum_b_down)
    return out


@kernel
def _skew_kurtosis(stats):
    """Biased ``m3/m2^1.5`` and ``m4/m2^2`` of the bar returns from the shifted power
    sums; the bars without a move have r = 0, so d = -shift."""
    n = stats.bars
    still = n - stats.moves
    d0 = -stats.shift
    mean = (stats.s1 + still * d0) / n
    p2 = (stats.s2 + still * d0 * d0) / n
    p3 = (stats.s3 + still * d0 * d0 * d0) / n
    p4 = (stats.s4 + still * (d0 * d0) * (d0 * d0)) / n
    m2 = p2 - mean * mean
    if not m2 > 0.0:
        return np.nan, np.nan
    m3 = p3 - 3.0 * mean * p2 + 2.0 * mean * mean * mean
    m4 = p4 - 4.0 * mean * p3 + 6.0 * mean * mean * p2 - 3.0 * (mean * mean) * (mean * mean)
    return m3 / m2**1.5, m4 / (m2 * m2)


@kernel
def metrics_finish(
    bar_stats,
    trade_stats,
    cash0,
    first_close,
    last_close,
    periods_per_year,
    total_fees,
    n_skipped,
    n_expired,
):
    """Final metric values in the order of ``METRIC_NAMES``."""
    n, final_equity = bar_stats.bars, bar_stats.prev_equity
    sum_r, sum_r2, sum_neg = bar_stats.sum_r, bar_stats.sum_r2, bar_stats.sum_neg_r2
    max_dd = max(bar_stats.max_dd, 1.0 - bar_stats.trough / bar_stats.peak)
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
    out[6] = longest_underwater(bar_stats)
    out[7] = _ratio(cagr, max_dd)
    out[8] = bar_stats.exposed / n
    out[9] = last_close / first_close - 1.0
    out[10] = total_fees
    t = trade_stats
    trades = t.trades
    out[11] = trades
    if trades > 0.0:
        out[12] = t.wins / trades
        if t.gross_loss < 0.0:
            out[13] = t.gross_profit / abs(t.gross_loss)
        elif t.gross_profit > 0.0:
            out[13] = np.inf
        out[14] = t.sum_return / trades
        out[15] = t.best_return
        out[16] = t.worst_return
        out[17] = t.pnl_mean
    if trades >= 2.0:
        pnl_std = math.sqrt(t.pnl_m2 / (trades - 1.0))
        if pnl_std > PNL_NOISE * abs(t.pnl_mean):
            out[18] = math.sqrt(trades) * t.pnl_mean / pnl_std
    out[19] = n_skipped
    out[20] = t.longs
    out[21] = trades - t.longs
    out[22] = t.stop_exits
    out[23] = n_expired
    out[24], out[25] = _skew_kurtosis(bar_stats)
    return out
