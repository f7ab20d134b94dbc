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


@inline_kernel
def decide(qty, entry, exit_):
    """Order implied by one bar's signals against the position as it is now."""
    if qty == 0.0 and entry and not exit_:
        return BUY
    if qty > 0.0 and exit_ and not entry:
        return SELL
    return NO_ORDER


@kernel
def execute(order, bar, price, book, costs, trade_stats):
    """Fill ``order`` at reference ``price``; return the new book and the closed trade.

    ``book`` = (cash, qty, entry_bar, entry_price, entry_fee, total_fees, n_skipped);
    ``costs`` = (commission, fixed_fee, slippage, size, size_in_units, fractional).
    The closed trade follows ``TRADE_FIELDS``; its ``entry_bar`` is -1 when no
    position was closed.
    """
    cash, qty, entry_bar, entry_price, entry_fee, total_fees, n_skipped = book
    commission, fixed_fee, slippage, size, size_in_units, fractional = costs
    closed = (-1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
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
        trade_stats_add(trade_stats, pnl, trade_return)
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
    return (cash, qty, entry_bar, entry_price, entry_fee, total_fees, n_skipped), closed


@kernel
def _fill(order, bar, price, book, costs, trade_stats, trades, n_recorded):
    """``execute``, keeping the closed trade as row ``n_recorded`` when ``trades`` has rows."""
    book, closed = execute(order, bar, price, book, costs, trade_stats)
    if closed[0] >= 0.0 and trades.shape[0] > 0:
        for k in range(N_TRADE_FIELDS):
            trades[n_recorded, k] = closed[k]
        n_recorded += 1
    return book, n_recorded


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

    costs = (commission, fixed_fee, slippage, size, size_in_units, fractional)
    book = (cash0, 0.0, -1, 0.0, 0.0, 0.0, 0)
    bar_stats = bar_stats_start(cash0)
    trade_stats = trade_stats_start()
    pending = NO_ORDER

    for i in range(n):
        if pending != NO_ORDER:
            book, n_recorded = _fill(
                pending, i, open_[i], book, costs, trade_stats, trades, n_recorded
            )
            pending = NO_ORDER
        order = decide(book[1], entry[i], exit_[i])
        if order != NO_ORDER and fill_at_close:
            book, n_recorded = _fill(
                order, i, close[i], book, costs, trade_stats, trades, n_recorded
            )
        elif order != NO_ORDER and i + 1 < n:
            pending = order
        if close_at_end and i == n - 1 and book[1] > 0.0:
            book, n_recorded = _fill(
                SELL, i, close[i], book, costs, trade_stats, trades, n_recorded
            )

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
