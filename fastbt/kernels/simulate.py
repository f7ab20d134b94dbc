"""Single-symbol, long-only portfolio simulation with streaming metrics.

Implements docs/execution.md: per bar, (1) fill an order decided on the previous
bar at this bar's open (``fill="next_open"``), (2) decide from this bar's signals
and fill now at the close (``fill="close"``) or queue it for the next open, (3)
close an open position on the last bar when ``close_at_end``, (4) mark to market.
Metrics are folded in as the loop goes; per-bar arrays and trade records are
kept only when ``record`` is true.
"""

import numpy as np

from fastbt.kernels.fills import affordable, buy_quantity, execution_price, fill_fee
from fastbt.kernels.jit import inline_kernel, kernel
from fastbt.kernels.metrics import (
    bar_stats_add,
    bar_stats_start,
    metrics_finish,
    trade_stats_add,
    trade_stats_start,
)

TRADE_FIELDS = (
    "entry_bar",
    "entry_price",
    "exit_bar",
    "exit_price",
    "qty",
    "entry_fee",
    "exit_fee",
    "pnl",
    "return",
)
N_TRADE_FIELDS = len(TRADE_FIELDS)

NO_ORDER = 0
BUY = 1
SELL = 2
NO_TRADE = (-1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)


@inline_kernel
def start_book(cash0):
    """(cash, qty, entry_bar, entry_price, entry_fee, total_fees, n_skipped) at the start."""
    return (cash0, 0.0, -1, 0.0, 0.0, 0.0, 0)


@inline_kernel
def decide(qty, entry, exit_):
    """Order implied by one bar's signals against the position as it is now."""
    if qty == 0.0 and entry and not exit_:
        return BUY
    if qty > 0.0 and exit_ and not entry:
        return SELL
    return NO_ORDER


@kernel
def execute(order, bar, price, book, rules, trade_stats):
    """Fill ``order`` at reference ``price``; return the book, closed trade and trade stats.

    ``book`` = (cash, qty, entry_bar, entry_price, entry_fee, total_fees, n_skipped);
    ``rules`` = (commission, fixed_fee, slippage, size, size_in_units, fractional,
    fill_at_close, close_at_end). The closed trade follows ``TRADE_FIELDS``; its
    ``entry_bar`` is -1 when no position was closed.
    """
    cash, qty, entry_bar, entry_price, entry_fee, total_fees, n_skipped = book
    commission, fixed_fee, slippage, size, size_in_units, fractional = rules[:6]
    closed = NO_TRADE
    if order == BUY:
        fill = execution_price(price, slippage, True)
        buy_qty = buy_quantity(cash, fill, commission, fixed_fee, size, size_in_units, fractional)
        fee = fill_fee(fill, buy_qty, commission, fixed_fee)
        cost = buy_qty * fill + fee
        if affordable(buy_qty, cost, cash):
            cash = max(cash - cost, 0.0)
            qty = buy_qty
            entry_bar = bar
            entry_price = fill
            entry_fee = fee
            total_fees += fee
        else:
            n_skipped += 1
    elif order == SELL:
        fill = execution_price(price, slippage, False)
        fee = fill_fee(fill, qty, commission, fixed_fee)
        cash = cash + qty * fill - fee
        total_fees += fee
        pnl = qty * (fill - entry_price) - (entry_fee + fee)
        trade_return = pnl / (qty * entry_price + entry_fee)
        trade_stats = trade_stats_add(trade_stats, pnl, trade_return)
        closed = (
            float(entry_bar),
            entry_price,
            float(bar),
            fill,
            qty,
            entry_fee,
            fee,
            pnl,
            trade_return,
        )
        qty = 0.0
    book = (cash, qty, entry_bar, entry_price, entry_fee, total_fees, n_skipped)
    return book, closed, trade_stats


@inline_kernel
def bar_step(i, last, open_i, close_i, entry, exit_, book, pending, rules, trade_stats):
    """Steps 1-3 of one bar; return ``(book, pending, closed, trade_stats)``.

    (1) fill the order queued on the previous bar at this open, (2) decide from
    this bar's signals and fill at the close or queue for the next open, (3) on
    the last bar with ``close_at_end``, sell at the close. At most one trade can
    close within a bar, so one ``closed`` row (entry_bar -1 if none) suffices.
    The caller marks to market (step 4).
    """
    fill_at_close, close_at_end = rules[6], rules[7]
    closed = NO_TRADE
    if pending != NO_ORDER:
        book, closed, trade_stats = execute(pending, i, open_i, book, rules, trade_stats)
        pending = NO_ORDER
    order = decide(book[1], entry, exit_)
    if order != NO_ORDER and fill_at_close:
        book, at_close, trade_stats = execute(order, i, close_i, book, rules, trade_stats)
        if at_close[0] >= 0.0:
            closed = at_close
    elif order != NO_ORDER and i < last:
        pending = order
    if close_at_end and i == last and book[1] > 0.0:
        book, closed, trade_stats = execute(SELL, i, close_i, book, rules, trade_stats)
    return book, pending, closed, trade_stats


@kernel
def simulate(
    open_,
    close,
    entry,
    exit_,
    cash0,
    commission,
    fixed_fee,
    slippage,
    fill_at_close,
    size,
    size_in_units,
    fractional,
    close_at_end,
    periods_per_year,
    record,
):
    """Run one backtest; return ``(metrics, equity, cash, position, trades)``.

    ``metrics`` follows ``METRIC_NAMES``. With ``record`` false the per-bar arrays
    have length 0 and ``trades`` has 0 rows; the metrics are the same either way.
    ``trades`` rows follow ``TRADE_FIELDS``; a position still open at the end is
    the last row, with ``exit_bar`` -1 and NaN exit fields.
    """
    n = close.shape[0]
    keep = n if record else 0
    equity_out = np.empty(keep)
    cash_out = np.empty(keep)
    position_out = np.empty(keep)
    # Entry bars strictly increase and each trade exits after it enters (except on
    # the last bar), so n // 2 + 1 rows always suffice.
    trades = np.empty((n // 2 + 2 if record else 0, N_TRADE_FIELDS))
    n_recorded = 0

    rules = (
        commission,
        fixed_fee,
        slippage,
        size,
        size_in_units,
        fractional,
        fill_at_close,
        close_at_end,
    )
    book = start_book(cash0)
    bar_stats = bar_stats_start(cash0)
    trade_stats = trade_stats_start()
    pending = NO_ORDER

    for i in range(n):
        book, pending, closed, trade_stats = bar_step(
            i, n - 1, open_[i], close[i], entry[i], exit_[i], book, pending, rules, trade_stats
        )
        if record and closed[0] >= 0.0:
            for k in range(N_TRADE_FIELDS):
                trades[n_recorded, k] = closed[k]
            n_recorded += 1
        cash, qty = book[0], book[1]
        equity = cash + qty * close[i]
        bar_stats = bar_stats_add(bar_stats, equity, qty > 0.0)
        if record:
            equity_out[i] = equity
            cash_out[i] = cash
            position_out[i] = qty

    cash, qty, entry_bar, entry_price, entry_fee, total_fees, n_skipped = book
    if record and qty > 0.0:
        trades[n_recorded, :] = np.nan
        trades[n_recorded, 0] = entry_bar
        trades[n_recorded, 1] = entry_price
        trades[n_recorded, 2] = -1.0
        trades[n_recorded, 4] = qty
        trades[n_recorded, 5] = entry_fee
        n_recorded += 1

    metrics = metrics_finish(
        bar_stats,
        trade_stats,
        cash0,
        close[0],
        close[n - 1],
        periods_per_year,
        total_fees,
        n_skipped,
    )
    return metrics, equity_out, cash_out, position_out, trades[:n_recorded].copy()
