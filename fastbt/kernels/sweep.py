"""Fused sweep kernels: one pass per parameter set over shared indicator tables.

A set's entry and exit are crossings of two series, each a row of a table
(moving averages, RSI values, or constant levels: a table whose rows repeat one
value, stored once with a zero stride). The
indicator tables are computed once and only read here; each set then runs the
simulation of ``simulate.bar_step`` with the streaming metrics, keeping no
per-bar arrays. A set may also have its own ``sl``, ``tp`` and ``entry_offset``
(the other rules are shared). Sets run in parallel on Numba threads.
"""

import numpy as np
from numba import njit, prange

from fastbt._numba_cache import CACHE_ENABLED
from fastbt.kernels.blocks import first_segment, segment_done
from fastbt.kernels.indicators import prefix_sum, rsi, window_mean
from fastbt.kernels.jit import inline_kernel, kernel
from fastbt.kernels.metrics import (
    N_BENCHMARK_METRICS,
    N_METRICS,
    bar_stats_add,
    bar_stats_start,
    rel_stats_add,
    rel_stats_start,
    trade_stats_start,
)
from fastbt.kernels.rules import Rules
from fastbt.kernels.signals import crosses
from fastbt.kernels.simulate import bar_step, empty_log, no_order, no_stops, run_metrics, start_book

parallel_kernel = njit(cache=CACHE_ENABLED, nogil=True, error_model="numpy", parallel=True)


@kernel
def moving_average_table(close, windows):
    """Row k: SMA of close over ``windows[k]`` (one prefix sum shared by all rows)."""
    prefix = prefix_sum(close)
    table = np.empty((windows.shape[0], close.shape[0]))
    for k in range(windows.shape[0]):
        table[k] = window_mean(prefix, windows[k])
    return table


@kernel
def rsi_table(close, windows):
    """Row k: RSI of close over ``windows[k]``."""
    table = np.empty((windows.shape[0], close.shape[0]))
    for k in range(windows.shape[0]):
        table[k] = rsi(close, windows[k])
    return table


@inline_kernel
def with_levels(rules, sl, tp, entry_offset):
    """``rules`` with a set's own ``sl``, ``tp`` and ``entry_offset``."""
    return Rules(
        rules.commission,
        rules.fixed_fee,
        rules.slippage,
        rules.size,
        rules.size_in_units,
        rules.fractional,
        rules.fill_at_close,
        rules.close_at_end,
        rules.direction,
        sl,
        tp,
        rules.trail,
        rules.trail_on_close,
        rules.anchor_signal_close,
        rules.sl_first,
        rules.slip_sl,
        rules.slip_tp,
        rules.drop_stop_bar_signals,
        rules.stop_on_fill_bar,
        rules.entry_order,
        entry_offset,
        rules.entry_expiry,
        rules.reversal_per_order,
        rules.ruin_continue,
    )


@kernel
def run_crossings(
    open_,
    high,
    low,
    close,
    entry_a,
    entry_b,
    entry_above,
    exit_a,
    exit_b,
    exit_above,
    rules,
    cash0,
    periods_per_year,
    relative,
    ends,
    blocks_out,
):
    """One backtest whose entry is ``entry_a`` crossing ``entry_b`` (above or below) and
    whose exit is ``exit_a`` crossing ``exit_b``; returns the metrics row (``relative`` as
    in ``simulate``).

    The bars fall into segments ending at ``ends`` (``blocks.segment_ends``); at the end
    of each segment but the first, that block's (count, mean, M2) of the bar returns goes
    to row j-1 of ``blocks_out``, from the change of the running sums since the
    segment began (one comparison per bar, no other per-bar work).
    """
    n = close.shape[0]
    book = start_book(cash0)
    stops = no_stops()
    order = no_order()
    bar_stats = bar_stats_start(cash0)
    stats = trade_stats_start()
    rel = rel_stats_start()
    # Each series' previous value is carried over from the last bar (NaN before bar 0,
    # which never crosses).
    ea_prev = eb_prev = xa_prev = xb_prev = np.nan
    segments = first_segment(ends)
    log = empty_log()  # closed trades are counted, not recorded
    for i in range(n):
        ea, eb = entry_a[i], entry_b[i]
        xa, xb = exit_a[i], exit_b[i]
        entry = crosses(ea_prev, ea, eb_prev, eb, entry_above)
        exit_ = crosses(xa_prev, xa, xb_prev, xb, exit_above)
        ea_prev, eb_prev, xa_prev, xb_prev = ea, eb, xa, xb
        book, stops, order, stats, equity, log = bar_step(
            i,
            n - 1,
            open_[i],
            high[i],
            low[i],
            close[i],
            entry,
            exit_,
            book,
            stops,
            order,
            rules,
            stats,
            log,
        )
        if relative is not None:  # pruned at compile time when None
            rel = rel_stats_add(
                rel, i == 0, bar_stats.prev_equity, equity, relative[0, i], relative[1, i]
            )
        bar_stats = bar_stats_add(bar_stats, equity, book.qty != 0.0)
        if i + 1 == segments.end:
            segments = segment_done(
                segments, bar_stats.sum_r, bar_stats.sum_r2, ends, blocks_out, n
            )
    return run_metrics(bar_stats, stats, rel, book, cash0, close, periods_per_year, relative)


@inline_kernel
def metrics_width(relative):
    """Length of a metrics row: with ``relative`` the benchmark metrics follow."""
    if relative is not None:
        return N_METRICS + N_BENCHMARK_METRICS
    return N_METRICS


@parallel_kernel
def sweep_crossings(
    open_,
    high,
    low,
    close,
    entry_a,
    entry_a_rows,
    entry_b,
    entry_b_rows,
    entry_above,
    exit_a,
    exit_a_rows,
    exit_b,
    exit_b_rows,
    exit_above,
    sl,
    tp,
    entry_offset,
    rules,
    cash0,
    periods_per_year,
    relative,
    ends,
    blocks_out,
):
    """Metrics (sets x ``metrics_width(relative)``) for every set k, whose series are row
    ``*_rows[k]`` of the matching table and whose levels are ``sl[k]``, ``tp[k]`` (NaN:
    off) and ``entry_offset[k]``. Segments end at ``ends``; set k's block statistics go
    to ``blocks_out[k]`` (sets x S x 3; S = 0 when blocks are off)."""
    n_sets = entry_a_rows.shape[0]
    out = np.empty((n_sets, metrics_width(relative)))
    for k in prange(n_sets):
        out[k] = run_crossings(
            open_,
            high,
            low,
            close,
            entry_a[entry_a_rows[k]],
            entry_b[entry_b_rows[k]],
            entry_above,
            exit_a[exit_a_rows[k]],
            exit_b[exit_b_rows[k]],
            exit_above,
            with_levels(rules, sl[k], tp[k], entry_offset[k]),
            cash0,
            periods_per_year,
            relative,
            ends,
            blocks_out[k],
        )
    return out
