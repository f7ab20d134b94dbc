"""Portfolio simulation: K symbols sharing one cash balance (docs/portfolios.md).

The orders of a bar (at the opens, or at the closes) run as one batch: the bar
value is computed once, the orders are sized from it (target weights) or from
the signals, sorted (sells first, then buys from the smallest) and executed one
by one against the cash left. Each symbol's position keeps its size, average entry
price and entry fees, so a sell writes one average-cost trade row in O(1).

The orders array (bars x symbols) holds target weights (NaN: no order) or, for
signal portfolios, +1 entry, -1 exit, NaN nothing. Signal portfolios may go short
(``direction``): a short holds negative units, its sale credits the cash, and the cash
that backs open shorts (twice their sale value) does not pay for new positions.
"""

from collections import namedtuple

import numpy as np

from fastbt.kernels.fills import (
    N_TRADE_FIELDS,
    TRADE_FIELDS,
    affordable,
    execution_price,
    fill_fee,
    order_quantity,
)
from fastbt.kernels.jit import inline_kernel, kernel
from fastbt.kernels.metrics import (
    bar_stats_add,
    bar_stats_start,
    metrics_finish,
    trade_stats_add,
    trade_stats_start,
)
from fastbt.kernels.rules import (
    BOTH,
    EXIT_END,
    EXIT_REVERSE,
    EXIT_RUIN,
    EXIT_SIGNAL,
    EXIT_SL,
    EXIT_TP,
    LIMIT,
    MARKET,
    STOP,
)
from fastbt.kernels.simulate import NO_ORDER, entry_order
from fastbt.kernels.stops import (
    NEVER,
    NO_HIT,
    Stops,
    arm_stops,
    check_stops,
    fill_bar_take_profit,
    trail_stops,
)

PORTFOLIO_TRADE_FIELDS = (*TRADE_FIELDS, "symbol")
N_PORTFOLIO_TRADE_FIELDS = len(PORTFOLIO_TRADE_FIELDS)
MIN_UNITS = 1e-8  # an order of fewer units is no order (docs/portfolios.md)
_ROW_TYPE = (0.0,) * N_PORTFOLIO_TRADE_FIELDS  # types the kernel's list of trade rows

# Per-symbol state, arrays of length K changed in place: units held (negative when
# short), average entry price, entry fees still attached, bar of the first fill; the
# position's stops (``kernels.stops.Stops``, field by field) and the bar on which a
# stop last filled (-1: never).
Holdings = namedtuple(
    "Holdings",
    (
        "qty",
        "entry_price",
        "entry_fee",
        "entry_bar",
        "sl_level",
        "tp_level",
        "extreme",
        "live_from",
        "stopped_on",
        "order_kind",
        "order_side",
        "order_level",
        "order_last_bar",
        "order_signal_close",
    ),
)
# The shared account between orders. collateral: the cash backing the open shorts,
# twice the sale value of each (its proceeds and as much again); n_shorts: how many
# are open (the last one closed resets collateral to exactly 0).
Account = namedtuple(
    "Account", ("cash", "collateral", "n_shorts", "total_fees", "n_skipped", "n_expired")
)


@inline_kernel
def start_holdings(n_symbols):
    """No position in any symbol."""
    return Holdings(
        np.zeros(n_symbols),
        np.zeros(n_symbols),
        np.zeros(n_symbols),
        np.full(n_symbols, -1),
        np.full(n_symbols, np.nan),
        np.full(n_symbols, np.nan),
        np.full(n_symbols, np.nan),
        np.full(n_symbols, NEVER),
        np.full(n_symbols, -1),
        np.full(n_symbols, NO_ORDER),
        np.zeros(n_symbols, np.int64),
        np.zeros(n_symbols),
        np.full(n_symbols, NEVER),
        np.zeros(n_symbols),
    )


@inline_kernel
def stops_of(holdings, k):
    """Symbol ``k``'s stops as a ``Stops``."""
    return Stops(
        holdings.sl_level[k], holdings.tp_level[k], holdings.extreme[k], holdings.live_from[k]
    )


@inline_kernel
def set_stops(holdings, k, stops):
    holdings.sl_level[k] = stops.sl_level
    holdings.tp_level[k] = stops.tp_level
    holdings.extreme[k] = stops.extreme
    holdings.live_from[k] = stops.live_from


@inline_kernel
def _side(qty):
    """1 long, -1 short, 0 flat."""
    return 1 if qty > 0.0 else (-1 if qty < 0.0 else 0)


@inline_kernel
def free_cash(account):
    """The cash that may pay for, or back, a new position: the cash less the collateral
    of the open shorts (all of it in a long-only run)."""
    return account.cash - account.collateral


@inline_kernel
def _skipped(account):
    """The account with one more order skipped."""
    return Account(
        account.cash,
        account.collateral,
        account.n_shorts,
        account.total_fees,
        account.n_skipped + 1,
        account.n_expired,
    )


@inline_kernel
def _book_open(holdings, account, k, side, bar, qty, fill, fee):
    """Add ``qty`` units of side ``side`` (a buy, or a short sale from flat) of symbol ``k``
    at ``fill``; returns the account."""
    held = abs(holdings.qty[k])
    if held == 0.0:
        holdings.entry_bar[k] = bar
        holdings.entry_price[k] = fill
    else:
        holdings.entry_price[k] = (holdings.entry_price[k] * held + qty * fill) / (held + qty)
    holdings.qty[k] = side * (held + qty)
    holdings.entry_fee[k] += fee
    if side > 0:
        return Account(
            max(account.cash - (qty * fill + fee), 0.0),
            account.collateral,
            account.n_shorts,
            account.total_fees + fee,
            account.n_skipped,
            account.n_expired,
        )
    return Account(
        account.cash + qty * fill - fee,
        account.collateral + 2.0 * qty * fill,
        account.n_shorts + (1 if held == 0.0 else 0),
        account.total_fees + fee,
        account.n_skipped,
        account.n_expired,
    )


@inline_kernel
def open_units(holdings, account, k, side, bar, qty, price, slippage, rules, partial):
    """Buy (``side`` 1) or sell short (-1) ``qty`` units of ``k`` at reference ``price``:
    in full if the free cash pays for it or, for a short, backs it (1e-9 tolerance), else
    cut to all the free cash (``partial``) or skipped."""
    fill = execution_price(price, slippage, side > 0)
    if qty > 0.0:
        free = free_cash(account)
        fee = fill_fee(fill, qty, rules.commission, rules.fixed_fee)
        if qty * fill + fee <= free * (1.0 + 1e-9):
            return _book_open(holdings, account, k, side, bar, qty, fill, fee)
        if partial:
            qty = ((free - rules.fixed_fee) / (1.0 + rules.commission)) / fill
            if not rules.fractional:
                qty = np.floor(qty)
            if qty > MIN_UNITS:
                fee = fill_fee(fill, qty, rules.commission, rules.fixed_fee)
                return _book_open(holdings, account, k, side, bar, qty, fill, fee)
    return _skipped(account)


@inline_kernel
def buy(holdings, account, k, bar, qty, price, slippage, rules, partial):
    """Buy ``qty`` units of ``k`` (see ``open_units``)."""
    return open_units(holdings, account, k, 1, bar, qty, price, slippage, rules, partial)


@inline_kernel
def _closed(holdings, account, k, bar, qty, fill, fee, reason):
    """Take ``qty`` units off symbol ``k``'s position (a sell of a long, a cover of a
    short) at ``fill`` with ``fee``; returns the account and the trade row (average entry
    price, pro-rata entry fees). Emptying the position resets it and its stops."""
    side = 1.0 if holdings.qty[k] > 0.0 else -1.0
    size = abs(holdings.qty[k])
    entry_price = holdings.entry_price[k]
    entry_fee = holdings.entry_fee[k] * qty / size
    pnl = side * qty * (fill - entry_price) - (entry_fee + fee)
    trade = (
        float(holdings.entry_bar[k]),
        entry_price,
        float(bar),
        fill,
        qty,
        entry_fee,
        fee,
        pnl,
        pnl / (qty * entry_price + entry_fee),
        side,
        float(reason),
        float(k),
    )
    emptied = qty >= size
    if emptied:
        holdings.qty[k] = 0.0
        holdings.entry_price[k] = 0.0
        holdings.entry_fee[k] = 0.0
        set_stops(holdings, k, Stops(np.nan, np.nan, np.nan, NEVER))
    else:
        holdings.qty[k] = side * (size - qty)
        holdings.entry_fee[k] -= entry_fee
    if side > 0.0:
        account = Account(
            account.cash + qty * fill - fee,
            account.collateral,
            account.n_shorts,
            account.total_fees + fee,
            account.n_skipped,
            account.n_expired,
        )
        return account, trade
    n_shorts = account.n_shorts - (1 if emptied else 0)
    collateral = account.collateral - 2.0 * qty * entry_price if n_shorts > 0 else 0.0
    account = Account(
        account.cash - qty * fill - fee,
        collateral,
        n_shorts,
        account.total_fees + fee,
        account.n_skipped,
        account.n_expired,
    )
    return account, trade


@inline_kernel
def sell(holdings, account, k, bar, qty, price, slippage, reason, rules):
    """Sell ``qty`` units of a long, or cover ``qty`` units of a short, of ``k`` at
    reference ``price`` (always executes, whatever the cash); returns the account and
    the trade row."""
    fill = execution_price(price, slippage, holdings.qty[k] < 0.0)
    fee = fill_fee(fill, qty, rules.commission, rules.fixed_fee)
    return _closed(holdings, account, k, bar, qty, fill, fee, reason)


@inline_kernel
def _record(trade, trades, stats, record):
    """Fold a trade row into the statistics, and keep it when recording."""
    if record:
        trades.append(trade)
    stop_exit = trade[10] == EXIT_SL or trade[10] == EXIT_TP
    return trade_stats_add(stats, trade[7], trade[8], trade[9] > 0.0, stop_exit)


@inline_kernel
def signal_target(signal, rules):
    """The side a signal (+1 entry, -1 exit) takes the position to (docs/execution.md,
    "Shorts and reversals"): 1 long, -1 short, 0 flat."""
    if rules.direction == BOTH:
        return 1 if signal > 0.0 else -1
    return rules.direction if signal > 0.0 else 0


@inline_kernel
def batch_orders(row, prices, holdings, cash, targets, decided_on, rules):
    """The orders of one batch, before execution: ``(symbols, units, estimates)``.

    Targets: ``delta = w*V/p - qty`` with V computed once; units > 0 buy, < 0 sell.
    Signals (decided on bar ``decided_on``): units is the side the position goes to (1
    long, -1 short, 0 flat); an opening leg is sized at its turn from the cash then.
    The estimate is the close leg's ``-qty*p`` plus the opening leg's ``side*size*cash``
    (``side*size*p`` in units). With ``stop_bar_signals="drop"`` the signals of a symbol
    whose stop filled on that bar are ignored.
    """
    n = row.shape[0]
    value = cash
    if targets:
        for k in range(n):
            value += holdings.qty[k] * prices[k]
    symbols = np.empty(n, np.int64)
    units = np.empty(n)
    estimates = np.empty(n)
    count = 0
    for k in range(n):
        w = row[k]
        if np.isnan(w):
            continue
        held = holdings.qty[k]
        if not targets and rules.drop_stop_bar_signals and holdings.stopped_on[k] == decided_on:
            continue
        if targets:
            delta = w * value / prices[k] - held
            amount = delta if delta > 0.0 else -min(held, -delta)
            if not rules.fractional:
                amount = np.floor(amount) if amount > 0.0 else -np.floor(-amount)
            if abs(amount) < MIN_UNITS:
                continue
            estimate = w * value - held * prices[k]
        else:
            target = signal_target(w, rules)
            side = _side(held)
            if target == side or (side == 0 and rules.entry_order != MARKET):
                continue
            amount = float(target)
            estimate = 0.0
            if side != 0:
                estimate = -held * prices[k]
            if target != 0:
                estimate += target * rules.size * (prices[k] if rules.size_in_units else cash)
        symbols[count] = k
        units[count] = amount
        estimates[count] = estimate
        count += 1
    return symbols[:count], units[:count], estimates[:count]


@inline_kernel
def entry_units(cash, side, price, slippage, rules):
    """Units of a signal entry of ``side`` sized from ``cash`` now (percent of cash, or
    units), at the buy or short-sale execution price."""
    fill = execution_price(price, slippage, side > 0)
    return order_quantity(
        cash,
        fill,
        rules.commission,
        rules.fixed_fee,
        rules.size,
        rules.size_in_units,
        rules.fractional,
    )


@inline_kernel
def _any_order(row):
    """Whether a row of the orders array holds any order (not all NaN)."""
    for k in range(row.shape[0]):  # noqa: SIM110  (a plain loop: no allocation in the kernel)
        if not np.isnan(row[k]):
            return True
    return False


@inline_kernel
def open_entry(holdings, account, k, side, bar, price, slippage, rules, partial):
    """A signal entry of ``side``: sized from the free cash now, then bought or sold short."""
    qty = entry_units(free_cash(account), side, price, slippage, rules)
    return open_units(holdings, account, k, side, bar, qty, price, slippage, rules, partial)


@inline_kernel
def reverse(holdings, account, k, bar, price, rules, partial, out):
    """Close symbol ``k``'s position and open the opposite one at reference ``price``
    (docs/execution.md, "Shorts and reversals"). ``per_leg``: a close, then an entry
    sized from the free cash after it. ``per_order``: one order paying the fixed fee once,
    the new leg sized from the free cash as if the close leg paid no fixed fee, the fee
    split between the legs in proportion to size; a new leg the cash cannot back is
    skipped and the close leg fills alone with its own fee."""
    trades, stats, record = out[0], out[1], out[2]
    side = 1 if holdings.qty[k] > 0.0 else -1
    if not rules.reversal_per_order:
        account, trade = sell(
            holdings,
            account,
            k,
            bar,
            abs(holdings.qty[k]),
            price,
            rules.slippage,
            EXIT_REVERSE,
            rules,
        )
        stats = _record(trade, trades, stats, record)
        account = open_entry(
            holdings, account, k, -side, bar, price, rules.slippage, rules, partial
        )
        return account, stats
    c, fixed = rules.commission, rules.fixed_fee
    fill = execution_price(price, rules.slippage, side < 0)
    closed = abs(holdings.qty[k])
    others = account.collateral  # the collateral of the other symbols' shorts
    if side < 0:
        others -= 2.0 * closed * holdings.entry_price[k]
    if side > 0:
        sizing_cash = account.cash + closed * fill * (1.0 - c) - others
    else:
        sizing_cash = account.cash - closed * fill * (1.0 + c) - others
    qty = order_quantity(
        sizing_cash, fill, c, fixed, rules.size, rules.size_in_units, rules.fractional
    )
    if qty > 0.0:
        total_fee = fixed + c * fill * (closed + qty)
        open_fee = total_fee * qty / (closed + qty)
        if affordable(qty, qty * fill + open_fee, sizing_cash):
            close_fee = total_fee * closed / (closed + qty)
            account, trade = _closed(
                holdings, account, k, bar, closed, fill, close_fee, EXIT_REVERSE
            )
            stats = _record(trade, trades, stats, record)
            return _book_open(holdings, account, k, -side, bar, qty, fill, open_fee), stats
    account, trade = _closed(
        holdings, account, k, bar, closed, fill, fill_fee(fill, closed, c, fixed), EXIT_REVERSE
    )
    stats = _record(trade, trades, stats, record)
    return _skipped(account), stats


@inline_kernel
def run_batch(
    bar, decided_on, row, prices, holdings, account, targets, by_value, partial, rules, out
):
    """Execute one batch of orders (docs/portfolios.md, "One batch of orders"), decided on
    bar ``decided_on``; a signal entry's stops are live from ``live_from`` in ``out``."""
    trades, stats, record, signal_closes, live_from = out
    if not _any_order(row):
        return account, stats
    symbols, units, estimates = batch_orders(
        row, prices, holdings, account.cash, targets, decided_on, rules
    )
    order = np.argsort(estimates, kind="mergesort") if by_value else np.arange(symbols.shape[0])
    for j in order:
        k = symbols[j]
        if targets:
            if units[j] < 0.0:
                account, trade = sell(
                    holdings,
                    account,
                    k,
                    bar,
                    -units[j],
                    prices[k],
                    rules.slippage,
                    EXIT_SIGNAL,
                    rules,
                )
                stats = _record(trade, trades, stats, record)
            else:
                account = buy(
                    holdings, account, k, bar, units[j], prices[k], rules.slippage, rules, partial
                )
            continue
        target = int(units[j])
        if holdings.qty[k] == 0.0:
            account = open_entry(
                holdings, account, k, target, bar, prices[k], rules.slippage, rules, partial
            )
        elif target == 0:
            account, trade = sell(
                holdings,
                account,
                k,
                bar,
                abs(holdings.qty[k]),
                prices[k],
                rules.slippage,
                EXIT_SIGNAL,
                rules,
            )
            stats = _record(trade, trades, stats, record)
            continue
        else:
            account, stats = reverse(
                holdings, account, k, bar, prices[k], rules, partial, (trades, stats, record)
            )
        if holdings.qty[k] != 0.0:
            _arm(holdings, k, signal_closes[k], live_from, rules)
    return account, stats


@inline_kernel
def _arm(holdings, k, signal_close, live_from, rules):
    """Fresh stops for symbol ``k``'s new position (anchor: its fill or the signal close)."""
    anchor = signal_close if rules.anchor_signal_close else holdings.entry_price[k]
    side = 1 if holdings.qty[k] > 0.0 else -1
    set_stops(holdings, k, arm_stops(side, anchor, live_from, rules))


@inline_kernel
def fill_entry_orders(bar, open_, high, low, holdings, account, rules, partial, out):
    """Step 2, in symbol order: expire a pending limit or stop entry order whose last live
    bar has passed, or fill one the bar reaches, sized from the free cash now. A filled
    position's stops are live from the next bar, except a stop entry's take-profit on
    its own fill bar (docs/execution.md, "Entry orders")."""
    trades, stats, record = out[0], out[1], out[2]
    for k in range(open_.shape[0]):
        kind = holdings.order_kind[k]
        if kind == NO_ORDER:
            continue
        if bar > holdings.order_last_bar[k]:
            holdings.order_kind[k] = NO_ORDER
            account = Account(
                account.cash,
                account.collateral,
                account.n_shorts,
                account.total_fees,
                account.n_skipped,
                account.n_expired + 1,
            )
            continue
        side = holdings.order_side[k]
        level = holdings.order_level[k]
        below = (side > 0) == (kind == LIMIT)
        if below and low[k] <= level:
            price = min(open_[k], level)
        elif not below and high[k] >= level:
            price = max(open_[k], level)
        else:
            continue
        slippage = rules.slippage if kind == STOP else 0.0
        holdings.order_kind[k] = NO_ORDER
        account = open_entry(holdings, account, k, side, bar, price, slippage, rules, partial)
        if holdings.qty[k] == 0.0:
            continue
        _arm(holdings, k, holdings.order_signal_close[k], bar + 1, rules)
        if kind == STOP:
            take = fill_bar_take_profit(stops_of(holdings, k), side > 0, open_[k], high[k], low[k])
            if not np.isnan(take):
                tp_slippage = rules.slippage if rules.slip_tp else 0.0
                account, trade = sell(
                    holdings,
                    account,
                    k,
                    bar,
                    abs(holdings.qty[k]),
                    take,
                    tp_slippage,
                    EXIT_TP,
                    rules,
                )
                stats = _record(trade, trades, stats, record)
                holdings.stopped_on[k] = bar
    return account, stats


@inline_kernel
def place_entry_orders(bar, row, close, holdings, rules):
    """Step 4 with limit or stop entries: from flat, an entry signal (or, with direction
    "both", an exit signal) places or replaces the symbol's entry order; a signal that
    leads to no position cancels it."""
    for k in range(row.shape[0]):
        signal = row[k]
        if np.isnan(signal) or holdings.qty[k] != 0.0:
            continue
        if rules.drop_stop_bar_signals and holdings.stopped_on[k] == bar:
            continue
        target = signal_target(signal, rules)
        if target != 0:
            order = entry_order(target, bar, close[k], rules)
            holdings.order_kind[k] = order.kind
            holdings.order_side[k] = target
            holdings.order_level[k] = order.level
            holdings.order_last_bar[k] = order.last_bar
            holdings.order_signal_close[k] = order.signal_close
        else:
            holdings.order_kind[k] = NO_ORDER


@inline_kernel
def check_all_stops(bar, open_, high, low, close, holdings, account, rules, out):
    """Step 3, in symbol order: a live stop the bar reaches closes the whole position
    (exit reason sl or tp); otherwise a trailing stop follows the bar."""
    trades, stats, record = out[0], out[1], out[2]
    for k in range(open_.shape[0]):
        if holdings.qty[k] == 0.0 or bar < holdings.live_from[k]:
            continue
        stops = stops_of(holdings, k)
        long = holdings.qty[k] > 0.0
        reason, price = check_stops(stops, long, open_[k], high[k], low[k], rules.sl_first)
        if reason != NO_HIT:
            slips = rules.slip_sl if reason == EXIT_SL else rules.slip_tp
            slippage = rules.slippage if slips else 0.0
            account, trade = sell(
                holdings, account, k, bar, abs(holdings.qty[k]), price, slippage, reason, rules
            )
            stats = _record(trade, trades, stats, record)
            holdings.stopped_on[k] = bar
        elif rules.trail:
            set_stops(holdings, k, trail_stops(stops, long, high[k], low[k], close[k], rules))
    return account, stats


@inline_kernel
def sell_all(bar, prices, holdings, account, reason, rules, out):
    """Close every position at ``prices``, in symbol order (close at end, ruin)."""
    trades, stats, record = out[0], out[1], out[2]
    for k in range(prices.shape[0]):
        if holdings.qty[k] != 0.0:
            account, trade = sell(
                holdings,
                account,
                k,
                bar,
                abs(holdings.qty[k]),
                prices[k],
                rules.slippage,
                reason,
                rules,
            )
            stats = _record(trade, trades, stats, record)
    return account, stats


@kernel
def simulate_portfolio(
    open_,
    high,
    low,
    close,
    orders,
    targets,
    cash0,
    rules,
    by_value,
    partial,
    periods_per_year,
    record,
):
    """Run one portfolio backtest (arrays are bars x symbols); return
    ``(metrics, equity, cash, positions, trades)``.

    ``targets``: ``orders`` holds target weights, else signals (+1, -1, NaN).
    ``by_value``: order_sequence "value", else "symbol". With ``record`` false the
    per-bar arrays and the trade rows are empty; the metrics are the same. Trade
    rows follow ``PORTFOLIO_TRADE_FIELDS``; positions held at the end come last,
    one row each with ``exit_bar`` -1 and NaN exit fields.
    """
    return portfolio_pass(
        open_,
        high,
        low,
        close,
        orders,
        None,
        0,
        None,
        targets,
        cash0,
        rules,
        by_value,
        partial,
        periods_per_year,
        record,
    )


@kernel
def portfolio_pass(
    open_,
    high,
    low,
    close,
    orders,
    ranks,
    top_k,
    rebalance,
    targets,
    cash0,
    rules,
    by_value,
    partial,
    periods_per_year,
    record,
):
    """The one per-bar portfolio simulation behind ``simulate_portfolio`` and the
    momentum-rotation sweep. The orders of bar j are ``orders[j]``, or (``orders`` None)
    they are momentum rotation's target weights built from ``ranks[j]`` (the
    symbols by trailing return, best first; -1 in column 0 before the lookback),
    ``top_k`` and the ``rebalance`` bar mask, exactly as ``momentum_weights`` would
    write row j. One of ``orders`` and ``ranks`` is None; Numba compiles only the
    branch of the other."""
    n, n_symbols = close.shape
    rotation_row = np.full(n_symbols, np.nan)
    rotation_row_empty = True
    keep = n if record else 0
    equity_out = np.zeros(keep)
    cash_out = np.zeros(keep)
    positions_out = np.zeros((keep, n_symbols))
    trades = [_ROW_TYPE]
    trades.pop()
    holdings = start_holdings(n_symbols)
    account = Account(cash0, 0.0, 0, 0.0, 0, 0)
    bar_stats = bar_stats_start(cash0)
    stats = trade_stats_start()
    ruined = False
    has_stops = not (np.isnan(rules.sl) and np.isnan(rules.tp))
    entry_orders = not targets and rules.entry_order != MARKET
    for i in range(n):
        if ruined:
            bar_stats = bar_stats_add(bar_stats, 0.0, False)
            continue
        # The orders decided on bar j: run at this bar's opens (j = i - 1) or closes.
        j = i if rules.fill_at_close else max(i - 1, 0)
        if orders is not None:
            row = orders[j]
        if ranks is not None:
            row = rotation_row
            if rebalance[j] and ranks[j, 0] >= 0:
                for r in range(n_symbols):
                    row[ranks[j, r]] = 1.0 / top_k if r < top_k else 0.0
                rotation_row_empty = False
            elif not rotation_row_empty:
                row[:] = np.nan
                rotation_row_empty = True
        # 1. The batch decided on the previous bar, at the opens.
        if not rules.fill_at_close and i > 0:
            live_from = i if rules.stop_on_fill_bar else i + 1
            account, stats = run_batch(
                i,
                i - 1,
                row,
                open_[i],
                holdings,
                account,
                targets,
                by_value,
                partial,
                rules,
                (trades, stats, record, close[i - 1], live_from),
            )
        # 2. Pending limit or stop entry orders, in symbol order.
        if entry_orders:
            account, stats = fill_entry_orders(
                i,
                open_[i],
                high[i],
                low[i],
                holdings,
                account,
                rules,
                partial,
                (trades, stats, record),
            )
        # 3. Stops, in symbol order.
        if has_stops:
            account, stats = check_all_stops(
                i,
                open_[i],
                high[i],
                low[i],
                close[i],
                holdings,
                account,
                rules,
                (trades, stats, record),
            )
        # 4. This bar's entry orders placed or cancelled; its batch, at the closes.
        if orders is not None:  # noqa: SIM102  (Numba prunes only a lone `is None` test)
            if entry_orders:
                place_entry_orders(i, orders[i], close[i], holdings, rules)
        if rules.fill_at_close:
            account, stats = run_batch(
                i,
                i,
                row,
                close[i],
                holdings,
                account,
                targets,
                by_value,
                partial,
                rules,
                (trades, stats, record, close[i], i + 1),
            )
        if rules.close_at_end and i == n - 1:
            account, stats = sell_all(
                i, close[i], holdings, account, EXIT_END, rules, (trades, stats, record)
            )
        equity = account.cash
        exposed = False
        for k in range(n_symbols):
            equity += holdings.qty[k] * close[i, k]
            exposed = exposed or holdings.qty[k] != 0.0
        if equity <= 0.0 and not rules.ruin_continue:
            account, stats = sell_all(
                i, close[i], holdings, account, EXIT_RUIN, rules, (trades, stats, record)
            )
            account = Account(0.0, 0.0, 0, account.total_fees, account.n_skipped, account.n_expired)
            equity = 0.0
            exposed = False
            ruined = True
        bar_stats = bar_stats_add(bar_stats, equity, exposed)
        if record:
            equity_out[i] = equity
            cash_out[i] = account.cash
            positions_out[i] = holdings.qty
    growth = 0.0
    for k in range(n_symbols):
        growth += close[n - 1, k] / close[0, k]
    metrics = metrics_finish(
        bar_stats,
        stats,
        cash0,
        1.0,
        growth / n_symbols,
        periods_per_year,
        account.total_fees,
        account.n_skipped,
        account.n_expired,
    )
    rows = np.empty((len(trades) + (n_symbols if record else 0), N_PORTFOLIO_TRADE_FIELDS))
    for r in range(len(trades)):
        for f in range(N_PORTFOLIO_TRADE_FIELDS):
            rows[r, f] = trades[r][f]
    count = len(trades)
    if record:
        for k in range(n_symbols):
            if holdings.qty[k] != 0.0:
                rows[count, :] = np.nan
                rows[count, 0] = holdings.entry_bar[k]
                rows[count, 1] = holdings.entry_price[k]
                rows[count, 2] = -1.0
                rows[count, 4] = abs(holdings.qty[k])
                rows[count, 5] = holdings.entry_fee[k]
                rows[count, 9] = 1.0 if holdings.qty[k] > 0.0 else -1.0
                rows[count, N_TRADE_FIELDS] = k
                count += 1
    return metrics, equity_out, cash_out, positions_out, rows[:count].copy()
