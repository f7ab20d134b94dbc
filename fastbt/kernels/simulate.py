"""Single-symbol simulation with streaming metrics: ``bar_step`` and ``simulate``.

Implements docs/execution.md, "Per bar": (1) fill the market order decided on the
previous bar at this open, (2) fill a pending limit or stop entry order, (3) check
the stops, (4) decide from this bar's signals (fill at the close, queue for the next
open, or place an entry order), (5) close at the end, (6) mark to market and apply
the ruin rule. ``bar_step`` is the one per-bar implementation; the sweep kernels
call it too. Metrics are folded in as the loop goes; per-bar arrays and trade rows
are kept only when ``record`` is true.
"""

import math
from collections import namedtuple

import numpy as np

from fastbt.kernels.fills import (
    N_TRADE_FIELDS,
    TRADE_FIELDS,
    close_account,
    close_position,
    expire_order,
    open_position,
    reverse_position,
    start_book,
)
from fastbt.kernels.jit import inline_kernel, kernel
from fastbt.kernels.metrics import (
    bar_stats_add,
    bar_stats_start,
    metrics_finish,
    rel_stats_add,
    rel_stats_start,
    relative_finish,
    trade_stats_add,
    trade_stats_start,
)
from fastbt.kernels.rules import (
    BOTH,
    EXIT_END,
    EXIT_RUIN,
    EXIT_SIGNAL,
    EXIT_SL,
    EXIT_TP,
    LIMIT,
    MARKET,
    STOP,
)
from fastbt.kernels.stops import (
    NEVER,
    NO_HIT,
    arm_stops,
    check_stops,
    fill_bar_take_profit,
    no_stops,
    trail_stops,
)

__all__ = ["N_TRADE_FIELDS", "TRADE_FIELDS", "bar_step", "simulate"]

# The pending order: kind NO_ORDER, MARKET (side: the position it leads to, 1, -1 or 0
# for flat) or LIMIT/STOP (an entry order of side 1 or -1 at ``level``, live until
# ``last_bar``). signal_close: the close of the bar that decided it.
Order = namedtuple("Order", ("kind", "side", "level", "last_bar", "signal_close"))
NO_ORDER = -1
# A closed-trade row meaning "no trade".
NO_TRADE = (-1.0,) + (0.0,) * (N_TRADE_FIELDS - 1)


@inline_kernel
def empty_log():
    """The closed-trade log before any trade: ``(last, previous)``."""
    return (NO_TRADE, NO_TRADE)


@inline_kernel
def no_order():
    """Nothing pending."""
    return Order(NO_ORDER, 0, 0.0, NEVER, 0.0)


@inline_kernel
def entry_order(side, bar, close, rules):
    """Limit or stop entry order of ``side`` placed on ``bar``, its level offset from ``close``.

    A long limit and a short stop sit below the close, the other two above it.
    """
    below = (side > 0) == (rules.entry_order == LIMIT)
    offset = -rules.entry_offset if below else rules.entry_offset
    last_bar = bar + rules.entry_expiry if rules.entry_expiry >= 0 else NEVER
    return Order(rules.entry_order, side, close * (1.0 + offset), last_bar, close)


@inline_kernel
def count_trade(trade, log, stats):
    """Fold ``trade`` (entry_bar -1: none) into the statistics and the ``log`` of the
    last two closed trades ``(last, previous)``."""
    if trade[0] < 0.0:
        return log, stats
    stop_exit = trade[10] == EXIT_SL or trade[10] == EXIT_TP
    return (trade, log[0]), trade_stats_add(stats, trade[7], trade[8], trade[9] > 0.0, stop_exit)


@inline_kernel
def _side(qty):
    """1 long, -1 short, 0 flat."""
    return 1 if qty > 0.0 else (-1 if qty < 0.0 else 0)


@inline_kernel
def _anchor(book, signal_close, rules):
    """Reference price of a new position's levels: its fill, or the signal bar's close."""
    return signal_close if rules.anchor_signal_close else book.entry_price


@inline_kernel
def fill_market(target, bar, price, signal_close, live_from, book, rules):
    """Fill a market order that takes the position to side ``target`` at ``price``: close,
    open, or reverse. Returns ``(book, stops, closed trade)``; a new position gets fresh
    stops live from ``live_from``."""
    trade = NO_TRADE
    if book.qty != 0.0:
        if target == 0:
            book, trade = close_position(book, bar, price, rules.slippage, EXIT_SIGNAL, rules)
        else:
            book, trade = reverse_position(book, bar, price, rules)
    else:
        book = open_position(book, target, bar, price, rules.slippage, rules)
    if book.qty == 0.0:
        return book, no_stops(), trade
    return book, arm_stops(target, _anchor(book, signal_close, rules), live_from, rules), trade


@inline_kernel
def fill_entry_order(order, bar, open_, high, low, book, rules):
    """Step 2: fill a live limit or stop entry order touched by this bar, or expire it.

    Returns ``(book, stops, order, closed trade)``. Stops are live from the next bar,
    except that a stop entry takes its profit on the fill bar when the bar reaches the
    take-profit and never the stop-loss (the closed trade).
    """
    stops = no_stops()
    if bar > order.last_bar:
        return expire_order(book), stops, no_order(), NO_TRADE
    below = (order.side > 0) == (order.kind == LIMIT)
    if below and low <= order.level:
        price = min(open_, order.level)
    elif not below and high >= order.level:
        price = max(open_, order.level)
    else:
        return book, stops, order, NO_TRADE
    slippage = rules.slippage if order.kind == STOP else 0.0
    book = open_position(book, order.side, bar, price, slippage, rules)
    if book.qty == 0.0:
        return book, stops, no_order(), NO_TRADE
    stops = arm_stops(order.side, _anchor(book, order.signal_close, rules), bar + 1, rules)
    if order.kind == STOP:
        take = fill_bar_take_profit(stops, order.side > 0, open_, high, low)
        if not math.isnan(take):
            slippage = rules.slippage if rules.slip_tp else 0.0
            book, trade = close_position(book, bar, take, slippage, EXIT_TP, rules)
            return book, no_stops(), no_order(), trade
    return book, stops, no_order(), NO_TRADE


@inline_kernel
def bar_step(i, last, open_, high, low, close, entry, exit_, book, stops, order, rules, stats, log):
    """Steps 1-6 of bar ``i``; returns ``(book, stops, order, trade_stats, equity, log)``.

    ``book``, ``stops`` and ``order`` are the state carried from bar to bar. Closed
    trades are folded into ``trade_stats`` and ``log`` keeps the last two as rows of
    ``TRADE_FIELDS`` (``empty_log()`` to start). A bar closes at most two: one that
    starts in a position opens at most one more (at the open or at the close), and one
    that starts flat at most two (an entry order, then a reversal at the close); so a
    recording caller finds every trade of the bar in ``log``. A caller that only wants
    metrics ignores ``log`` and Numba drops it (a per-bar row would cost ~2x).
    """
    if book.ruined:
        return book, stops, order, stats, 0.0, log
    # A quiet bar (no signal, nothing pending, no live stops, not the last bar, equity
    # above zero) goes through steps 1-6 changing nothing but the equity: most bars of a
    # sweep are quiet, and returning here makes a fused sweep a third faster.
    equity = book.cash + book.qty * close
    idle = not (entry or exit_) and order.kind == NO_ORDER and i < stops.live_from
    if idle and i < last and equity > 0.0:
        return book, stops, order, stats, equity, log
    stop_filled = False
    # 1-2. Pending orders (a market order and an entry order are never both pending).
    if order.kind == MARKET:
        live_from = i if rules.stop_on_fill_bar else i + 1
        book, stops, trade = fill_market(
            order.side, i, open_, order.signal_close, live_from, book, rules
        )
        log, stats = count_trade(trade, log, stats)
        order = no_order()
    elif order.kind != NO_ORDER:
        book, stops, order, trade = fill_entry_order(order, i, open_, high, low, book, rules)
        log, stats = count_trade(trade, log, stats)
        stop_filled = trade[0] >= 0.0
    # 3. Stops.
    if i >= stops.live_from:
        long = book.qty > 0.0
        reason, price = check_stops(stops, long, open_, high, low, rules.sl_first)
        if reason != NO_HIT:
            slips = rules.slip_sl if reason == EXIT_SL else rules.slip_tp
            slippage = rules.slippage if slips else 0.0
            book, trade = close_position(book, i, price, slippage, reason, rules)
            log, stats = count_trade(trade, log, stats)
            stops = no_stops()
            stop_filled = True
        elif rules.trail:
            stops = trail_stops(stops, long, high, low, close, rules)
    # 4. Signals: both or neither means no decision.
    if entry != exit_ and not (stop_filled and rules.drop_stop_bar_signals):
        if rules.direction == BOTH:
            target = 1 if entry else -1
        else:
            target = rules.direction if entry else 0
        held = _side(book.qty)
        if held == 0 and rules.entry_order != MARKET:
            # From flat, entry orders: place (replacing any pending one) or cancel.
            order = entry_order(target, i, close, rules) if target != 0 else no_order()
        elif target != held:
            if rules.fill_at_close:
                book, stops, trade = fill_market(target, i, close, close, i + 1, book, rules)
                log, stats = count_trade(trade, log, stats)
            elif i < last:
                order = Order(MARKET, target, 0.0, NEVER, close)
    # 5. Close at the end.
    if rules.close_at_end and i == last and book.qty != 0.0:
        book, trade = close_position(book, i, close, rules.slippage, EXIT_END, rules)
        log, stats = count_trade(trade, log, stats)
        stops = no_stops()
    # 6. Mark to market; ruin closes the account.
    equity = book.cash + book.qty * close
    if equity <= 0.0 and not rules.ruin_continue:
        if book.qty != 0.0:
            book, trade = close_position(book, i, close, rules.slippage, EXIT_RUIN, rules)
            log, stats = count_trade(trade, log, stats)
        return close_account(book), no_stops(), no_order(), stats, 0.0, log
    return book, stops, order, stats, equity, log


@inline_kernel
def _store_row(trades, row, trade):
    """Write ``trade`` as row ``row``; return the next row."""
    for k in range(N_TRADE_FIELDS):
        trades[row, k] = trade[k]
    return row + 1


@inline_kernel
def run_metrics(bar_stats, stats, rel, book, cash0, close, periods_per_year, relative):
    """The metrics row of a finished run (single runs and sweep sets alike): ``METRIC_NAMES``,
    then ``BENCHMARK_METRICS`` when ``relative`` is given."""
    metrics = metrics_finish(
        bar_stats,
        stats,
        cash0,
        close[0],
        close[close.shape[0] - 1],
        periods_per_year,
        book.total_fees,
        book.n_skipped,
        book.n_expired,
    )
    if relative is not None:
        return relative_finish(metrics, bar_stats, rel, periods_per_year)
    return metrics


@kernel
def simulate(
    open_, high, low, close, entry, exit_, cash0, rules, periods_per_year, record, relative
):
    """Run one backtest under ``rules`` (a ``Rules``); return
    ``(metrics, equity, cash, position, trades)``.

    ``metrics`` follows ``METRIC_NAMES``. With ``record`` false the per-bar arrays
    have length 0 and ``trades`` has 0 rows; the metrics are the same either way.
    ``trades`` rows follow ``TRADE_FIELDS``; a position still open at the end is
    the last row, with ``exit_bar`` -1 and NaN exit fields. ``relative``: None, or a
    (2, bars) array of each bar's risk-free rate and benchmark return; then Sharpe and
    Sortino use the excess returns and ``metrics`` ends with ``BENCHMARK_METRICS``. Being
    None compiles that work out of the loop.
    """
    # Two compiled loops: without recording (None), the trade rows bar_step hands
    # back are dead code and cost nothing per bar.
    if record:
        return _simulate(
            open_, high, low, close, entry, exit_, cash0, rules, periods_per_year, True, relative
        )
    return _simulate(
        open_, high, low, close, entry, exit_, cash0, rules, periods_per_year, None, relative
    )


@kernel
def _simulate(
    open_, high, low, close, entry, exit_, cash0, rules, periods_per_year, recording, relative
):
    """``simulate``; ``recording`` is True or None, a type so that Numba compiles the
    recording code in or out."""
    n = close.shape[0]
    keep = 0
    if recording is not None:
        keep = n
    equity_out = np.empty(keep)
    cash_out = np.empty(keep)
    position_out = np.empty(keep)
    # Each row is a position opened. A bar opens at most one, except when an entry
    # order fills and the position reverses at the close; that bar ends in a position,
    # and before the next such bar one must end flat without opening any. So n + 1
    # rows always suffice.
    trades = np.empty((n + 1 if keep > 0 else 0, N_TRADE_FIELDS))

    book = start_book(cash0)
    stops = no_stops()
    order = no_order()
    bar_stats = bar_stats_start(cash0)
    stats = trade_stats_start()
    rel = rel_stats_start()
    n_recorded = 0
    log = empty_log()
    for i in range(n):
        book, stops, order, stats, equity, log = bar_step(
            i,
            n - 1,
            open_[i],
            high[i],
            low[i],
            close[i],
            entry[i],
            exit_[i],
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
        if recording is not None:
            new = int(stats.trades) - n_recorded  # trades closed on this bar: 0, 1 or 2
            if new > 1:
                n_recorded = _store_row(trades, n_recorded, log[1])
            if new > 0:
                n_recorded = _store_row(trades, n_recorded, log[0])
            equity_out[i] = equity
            cash_out[i] = book.cash
            position_out[i] = book.qty

    rows = n_recorded
    if recording is not None and book.qty != 0.0:
        trades[rows, :] = np.nan
        trades[rows, 0] = book.entry_bar
        trades[rows, 1] = book.entry_price
        trades[rows, 2] = -1.0
        trades[rows, 4] = abs(book.qty)
        trades[rows, 5] = book.entry_fee
        trades[rows, 9] = 1.0 if book.qty > 0.0 else -1.0
        rows += 1

    metrics = run_metrics(bar_stats, stats, rel, book, cash0, close, periods_per_year, relative)
    return metrics, equity_out, cash_out, position_out, trades[:rows].copy()
