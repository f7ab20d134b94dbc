"""The reference engine for portfolios: several symbols, one cash, one bar at a time
(docs/portfolios.md).

Written from the rules, not for speed: each bar reads its orders (a weights row, or
each symbol's signals from its own reference strategy), forms the batch, sorts it
and executes the orders one by one. A short holds negative units; the cash backing
open shorts (twice their sale value) pays for no new position. Every formula follows the rules' order of
operations, so the kernel (written from the same rules) gives the same bits.
"""

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from fastbt.options import RunOptions
from fastbt.reference.entry_orders import EntryOrder
from fastbt.reference.metrics import equity_metrics, trade_metrics
from fastbt.reference.portfolio import LONG, SHORT, SIGN
from fastbt.reference.stops import Stops

MIN_UNITS = 1e-8


@dataclass
class Holding:
    """One symbol's position: units (negative when short), average entry price, entry
    fees, the bar of its first fill."""

    qty: float = 0.0
    entry_price: float = 0.0
    entry_fee: float = 0.0
    entry_bar: int = -1


@dataclass
class SellTrade:
    """One trade row: a sell or cover at the position's average entry price, or an open
    position."""

    symbol: int
    direction: str
    entry_bar: int
    entry_price: float
    qty: float
    entry_fee: float
    exit_bar: int | None = None
    exit_price: float | None = None
    exit_fee: float | None = None
    pnl: float | None = None
    trade_return: float | None = None
    exit_reason: str | None = None


@dataclass
class Order:
    """One order of a batch: ``units`` > 0 buys, < 0 sells (target weights); for a
    signal, ``target`` is the side the position goes to (1, -1, 0), its opening leg sized
    at its turn. ``estimate`` orders the batch."""

    symbol: int
    units: float | None
    estimate: float
    target: int = 0


@dataclass
class SharedCash:
    """Cash shared by ``n_symbols`` holdings, the trade rows, and the counters."""

    options: RunOptions
    n_symbols: int
    partial: bool
    by_value: bool
    cash: float = field(init=False)
    holdings: list = field(init=False)
    stops: list = field(init=False)  # per symbol: Stops of the position, or None
    stopped_on: list = field(init=False)  # per symbol: bar a stop last filled, -1 never
    entry_orders: list = field(init=False)  # per symbol: pending EntryOrder, or None
    trades: list = field(default_factory=list)
    collateral: float = 0.0  # cash backing the open shorts: twice each one's sale value
    n_shorts: int = 0
    total_fees: float = 0.0
    n_skipped: int = 0
    n_expired: int = 0

    def __post_init__(self):
        self.cash = self.options.cash
        self.holdings = [Holding() for _ in range(self.n_symbols)]
        self.stops = [None] * self.n_symbols
        self.stopped_on = [-1] * self.n_symbols
        self.entry_orders = [None] * self.n_symbols

    def _fee(self, exec_price: float, qty: float) -> float:
        return self.options.fixed_fee + self.options.commission * exec_price * qty

    def _whole(self, qty: float) -> float:
        return qty if self.options.fractional else float(math.floor(qty))

    # -- fills ----------------------------------------------------------------------

    def free_cash(self) -> float:
        """The cash that may pay for, or back, a new position: the cash less the
        collateral of the open shorts (their proceeds, and as much again)."""
        return self.cash - self.collateral

    def _book_open(
        self, k: int, side: str, bar: int, qty: float, exec_price: float, fee: float
    ) -> None:
        h = self.holdings[k]
        held = abs(h.qty)
        if held == 0.0:
            h.entry_bar = bar
            h.entry_price = exec_price
        else:  # the average over the position's fills
            h.entry_price = (h.entry_price * held + qty * exec_price) / (held + qty)
        h.qty = SIGN[side] * (held + qty)
        h.entry_fee += fee
        if side == LONG:
            self.cash = max(self.cash - (qty * exec_price + fee), 0.0)
        else:  # a short sale's proceeds go to the cash, and lock twice its value
            self.cash = self.cash + qty * exec_price - fee
            self.collateral = self.collateral + 2.0 * qty * exec_price
            if held == 0.0:
                self.n_shorts += 1
        self.total_fees += fee

    def _exec(self, price: float, buying: bool, slippage=None) -> float:
        s = self.options.slippage if slippage is None else slippage
        return price * (1.0 + s) if buying else price * (1.0 - s)

    def open(self, k: int, side: str, bar: int, qty: float, price: float, slippage=None) -> None:
        """Buy (LONG) or sell short (SHORT): in full if the free cash pays for or backs it,
        else cut to all the free cash (``partial``) or skipped (``n_skipped``)."""
        o = self.options
        exec_price = self._exec(price, side == LONG, slippage)
        if qty > 0.0:
            free = self.free_cash()
            fee = self._fee(exec_price, qty)
            if qty * exec_price + fee <= free * (1.0 + 1e-9):
                self._book_open(k, side, bar, qty, exec_price, fee)
                return
            if self.partial:
                qty = self._whole(((free - o.fixed_fee) / (1.0 + o.commission)) / exec_price)
                if qty > MIN_UNITS:
                    self._book_open(k, side, bar, qty, exec_price, self._fee(exec_price, qty))
                    return
        self.n_skipped += 1

    def _book_close(
        self, k: int, bar: int, qty: float, exec_price: float, fee: float, reason: str
    ) -> None:
        """Take ``qty`` units off the position; one trade row at the average entry price.
        Emptying the position resets it and drops its stops."""
        h = self.holdings[k]
        direction = LONG if h.qty > 0.0 else SHORT
        size = abs(h.qty)
        entry_price = h.entry_price
        entry_fee = h.entry_fee * qty / size
        pnl = SIGN[direction] * qty * (exec_price - entry_price) - (entry_fee + fee)
        self.trades.append(
            SellTrade(
                symbol=k,
                direction=direction,
                entry_bar=h.entry_bar,
                entry_price=entry_price,
                qty=qty,
                entry_fee=entry_fee,
                exit_bar=bar,
                exit_price=exec_price,
                exit_fee=fee,
                pnl=pnl,
                trade_return=pnl / (qty * entry_price + entry_fee),
                exit_reason=reason,
            )
        )
        emptied = qty >= size
        if emptied:
            self.holdings[k] = Holding()
            self.stops[k] = None
        else:
            h.qty = SIGN[direction] * (size - qty)
            h.entry_fee -= entry_fee
        if direction == LONG:
            self.cash = self.cash + qty * exec_price - fee
        else:  # a cover pays, whatever the cash left, and frees its collateral
            self.cash = self.cash - qty * exec_price - fee
            self.n_shorts -= 1 if emptied else 0
            if self.n_shorts > 0:
                self.collateral = self.collateral - 2.0 * qty * entry_price
            else:
                self.collateral = 0.0
        self.total_fees += fee

    def close(self, k: int, bar: int, qty: float, price: float, reason: str, slippage=None):
        """Sell ``qty`` units of a long or cover them of a short: always executes."""
        exec_price = self._exec(price, self.holdings[k].qty < 0.0, slippage)
        self._book_close(k, bar, qty, exec_price, self._fee(exec_price, qty), reason)

    def close_all(self, bar: int, prices: list, reason: str) -> None:
        for k, h in enumerate(self.holdings):
            if h.qty != 0.0:
                self.close(k, bar, abs(h.qty), prices[k], reason)

    # -- one batch ------------------------------------------------------------------

    def target_orders(self, weights: list, prices: list, decided_on: int) -> list:
        """Orders towards target weights, sized from the bar value computed once."""
        value = self.cash
        for h, p in zip(self.holdings, prices, strict=True):
            value += h.qty * p
        orders = []
        for k, (w, h, p) in enumerate(zip(weights, self.holdings, prices, strict=True)):
            if math.isnan(w):
                continue
            delta = w * value / p - h.qty
            units = delta if delta > 0.0 else -min(h.qty, -delta)
            if not self.options.fractional:
                units = math.floor(units) if units > 0.0 else -math.floor(-units)
            if abs(units) >= MIN_UNITS:
                orders.append(Order(k, units, w * value - h.qty * p))
        return orders

    def signal_target(self, signal: float) -> int:
        """The side a signal takes the position to: 1 long, -1 short, 0 flat (the table
        of docs/execution.md, "Shorts and reversals")."""
        direction = self.options.direction
        if direction == "both":
            return 1 if signal > 0 else -1
        if signal > 0:
            return 1 if direction == "long" else -1
        return 0

    def signal_orders(self, signals: list, prices: list, decided_on: int) -> list:
        """Each symbol whose signal (+1 entry, -1 exit, 0 nothing), decided on bar
        ``decided_on``, moves its position to another side: an entry from flat, an exit,
        or a reversal. From flat with limit or stop entries there is no market order;
        with stop_bar_signals="drop" a symbol whose stop filled on that bar is left out.
        The estimate is the close leg's ``-qty*p`` plus the opening leg's
        ``side*size*cash`` (``side*size*p`` in units), cash before the batch."""
        o = self.options
        orders = []
        for k, (signal, h, p) in enumerate(zip(signals, self.holdings, prices, strict=True)):
            if signal == 0:
                continue
            if o.stop_bar_signals == "drop" and self.stopped_on[k] == decided_on:
                continue
            target = self.signal_target(signal)
            held = 1 if h.qty > 0.0 else (-1 if h.qty < 0.0 else 0)
            if target == held or (held == 0 and o.entry_order != "market"):
                continue
            estimate = -h.qty * p if held != 0 else 0.0
            if target != 0:
                per_unit = p if o.size_type == "units" else self.cash
                estimate += target * (o.size * per_unit)
            orders.append(Order(k, None, estimate, target))
        return orders

    def entry_units(self, side: str, price: float, free: float, slippage=None) -> float:
        """A signal entry's size from the free cash (v1 sizing at the side's exec price)."""
        o = self.options
        if o.size_type == "units":
            return self._whole(o.size)
        exec_price = self._exec(price, side == LONG, slippage)
        return self._whole((o.size * free - o.fixed_fee) / (exec_price * (1.0 + o.commission)))

    def open_entry(self, k: int, side: str, bar: int, price: float, slippage=None) -> None:
        self.open(
            k,
            side,
            bar,
            self.entry_units(side, price, self.free_cash(), slippage),
            price,
            slippage,
        )

    def reverse(self, k: int, bar: int, price: float) -> None:
        """Close the position and open the opposite one (docs/execution.md, "Shorts and
        reversals"); the new leg is sized from the free cash."""
        o = self.options
        h = self.holdings[k]
        new_side = SHORT if h.qty > 0.0 else LONG
        closed = abs(h.qty)
        if o.reversal_fee == "per_leg":
            self.close(k, bar, closed, price, "reverse")
            self.open_entry(k, new_side, bar, price)
            return
        c, fixed = o.commission, o.fixed_fee
        exec_price = self._exec(price, new_side == LONG)
        others = self.collateral  # the collateral of the other symbols' shorts
        if new_side == LONG:
            others -= 2.0 * closed * h.entry_price
        if new_side == SHORT:  # S = (cash + L*exec*(1-c) - F) / (exec*(1+c))
            sizing_cash = self.cash + closed * exec_price * (1.0 - c) - others
        else:  # S = (cash - F)/(1+c)/exec - L
            sizing_cash = self.cash - closed * exec_price * (1.0 + c) - others
        qty = self.entry_units(new_side, price, sizing_cash)
        if qty > 0.0:
            total_fee = fixed + c * exec_price * (closed + qty)
            open_fee = total_fee * qty / (closed + qty)
            if qty * exec_price + open_fee <= sizing_cash * (1.0 + 1e-9):
                close_fee = total_fee * closed / (closed + qty)
                self._book_close(k, bar, closed, exec_price, close_fee, "reverse")
                self._book_open(k, new_side, bar, qty, exec_price, open_fee)
                return
        self._book_close(k, bar, closed, exec_price, self._fee(exec_price, closed), "reverse")
        self.n_skipped += 1

    def execute(
        self, bar: int, orders: list, prices: list, signal_closes: list, live_from: int
    ) -> None:
        """Run a batch: by ascending estimate (ties in symbol order), or in symbol order.
        A signal entry that fills gets stops (when sl or tp is set) live from
        ``live_from``, anchored at its fill or at ``signal_closes``."""
        if self.by_value:
            orders = sorted(orders, key=lambda order: order.estimate)
        for order in orders:
            k = order.symbol
            if order.units is not None:
                if order.units < 0.0:
                    self.close(k, bar, -order.units, prices[k], "signal")
                else:
                    self.open(k, LONG, bar, order.units, prices[k])
                continue
            h = self.holdings[k]
            if h.qty == 0.0:
                self.open_entry(k, LONG if order.target > 0 else SHORT, bar, prices[k])
            elif order.target == 0:
                self.close(k, bar, abs(h.qty), prices[k], "signal")
                continue
            else:
                self.reverse(k, bar, prices[k])
            h = self.holdings[k]
            if h.qty != 0.0:
                self._arm(k, h.entry_price, signal_closes[k], live_from)

    def _arm(self, k: int, fill: float, signal_close: float, live_from: int) -> None:
        o = self.options
        if o.sl is None and o.tp is None:
            return
        self.stops[k] = Stops(
            direction=LONG if self.holdings[k].qty > 0.0 else SHORT,
            anchor=signal_close if o.stop_anchor == "signal_close" else fill,
            live_from=live_from,
            sl=o.sl,
            tp=o.tp,
            trail=o.trail,
            trail_on=o.trail_on,
            sl_first=o.stop_priority == "sl_first",
        )

    def fill_entry_orders(self, bar: int, opens: list, highs: list, lows: list) -> None:
        """Step 2, in symbol order: expire or fill each pending limit or stop entry order."""
        o = self.options
        for k, order in enumerate(self.entry_orders):
            if order is None:
                continue
            if order.expired_before(bar):
                self.n_expired += 1
                self.entry_orders[k] = None
                continue
            price = order.fill_price(opens[k], highs[k], lows[k])
            if price is None:
                continue
            self.entry_orders[k] = None
            slippage = o.slippage if order.slipped else 0.0
            self.open_entry(k, order.direction, bar, price, slippage)
            if self.holdings[k].qty == 0.0:
                continue
            self._arm(k, self.holdings[k].entry_price, order.signal_close, bar + 1)
            stops = self.stops[k]
            if order.kind == "stop" and stops is not None:
                take = stops.stop_entry_take_profit(opens[k], highs[k], lows[k])
                if take is not None:
                    tp_slippage = o.slippage if o.stop_slippage == "both" else 0.0
                    self.close(k, bar, abs(self.holdings[k].qty), take, "tp", tp_slippage)
                    self.stopped_on[k] = bar

    def place_entry_orders(self, bar: int, signals: list, closes: list) -> None:
        """Step 4 with limit or stop entries: from flat, a signal that leads to a position
        places (or replaces) the symbol's order, one that leads to none cancels it."""
        o = self.options
        for k, signal in enumerate(signals):
            if signal == 0 or self.holdings[k].qty != 0.0:
                continue
            if o.stop_bar_signals == "drop" and self.stopped_on[k] == bar:
                continue
            target = self.signal_target(signal)
            if target != 0:
                self.entry_orders[k] = EntryOrder.place(
                    LONG if target > 0 else SHORT,
                    o.entry_order,
                    o.entry_offset,
                    bar,
                    closes[k],
                    o.entry_expiry,
                )
            else:
                self.entry_orders[k] = None

    def check_stops(self, bar: int, opens: list, highs: list, lows: list, closes: list) -> None:
        """Step 3, in symbol order: a live stop the bar reaches closes the position."""
        o = self.options
        for k, stops in enumerate(self.stops):
            if stops is None or not stops.is_live(bar):
                continue
            hit = stops.check(opens[k], highs[k], lows[k])
            if hit is None:
                stops.trail_after(highs[k], lows[k], closes[k])
                continue
            reason, price = hit
            if reason == "sl":
                slipped = o.stop_slippage in ("sl_only", "both")
            else:
                slipped = o.stop_slippage == "both"
            slippage = o.slippage if slipped else 0.0
            self.close(k, bar, abs(self.holdings[k].qty), price, reason, slippage)
            self.stopped_on[k] = bar

    def equity(self, closes: list) -> float:
        value = self.cash
        for h, c in zip(self.holdings, closes, strict=True):
            value += h.qty * c
        return value


@dataclass
class PortfolioRun:
    """Everything the reference portfolio engine produces."""

    metrics: dict
    equity: np.ndarray
    cash: np.ndarray
    positions: np.ndarray
    trades: list


def run_shared_cash(
    open_: np.ndarray,
    high: np.ndarray,
    low: np.ndarray,
    close: np.ndarray,
    decide,
    targets: bool,
    options: RunOptions,
    partial: bool,
    order_sequence: str,
    periods_per_year: float,
) -> PortfolioRun:
    """Walk the bars (arrays are bars x symbols). ``decide(i)`` answers bar i's orders as a
    list per symbol (weights with NaN, or signals +1/-1/0) after seeing bars 0..i."""
    n, n_symbols = close.shape
    book = SharedCash(options, n_symbols, partial, order_sequence == "value")
    pending = None
    ruined = False
    equity, cash, positions = [], [], []
    for i in range(n):
        if ruined:
            equity.append(0.0)
            cash.append(0.0)
            positions.append([0.0] * n_symbols)
            continue
        opens, highs, lows, closes = ([float(v) for v in a[i]] for a in (open_, high, low, close))
        make_orders = book.target_orders if targets else book.signal_orders
        if pending is not None:  # 1. the batch decided on the previous bar, at the opens
            live_from = i if options.stop_on_fill_bar else i + 1
            signal_closes = [float(v) for v in close[i - 1]]
            book.execute(i, make_orders(pending, opens, i - 1), opens, signal_closes, live_from)
            pending = None
        book.fill_entry_orders(i, opens, highs, lows)  # 2.
        book.check_stops(i, opens, highs, lows, closes)  # 3.
        decided = decide(i)  # 4. this bar's orders
        if not targets and options.entry_order != "market":
            book.place_entry_orders(i, decided, closes)
        if options.fill == "close":
            book.execute(i, make_orders(decided, closes, i), closes, closes, i + 1)
        elif i < n - 1:
            pending = decided
        if options.close_at_end and i == n - 1:  # 5.
            book.close_all(i, closes, "end")
        value = book.equity(closes)  # 6.
        if value <= 0.0 and options.on_ruin == "liquidate":
            book.close_all(i, closes, "ruin")
            book.cash = book.collateral = 0.0
            book.n_shorts = 0
            value = 0.0
            ruined = True
        equity.append(value)
        cash.append(book.cash)
        positions.append([h.qty for h in book.holdings])
    for k, h in enumerate(book.holdings):
        if h.qty != 0.0:
            direction = LONG if h.qty > 0.0 else SHORT
            book.trades.append(
                SellTrade(k, direction, h.entry_bar, h.entry_price, abs(h.qty), h.entry_fee)
            )
    positions = np.array(positions, dtype="float64").reshape(n, n_symbols)
    metrics = portfolio_metrics(
        np.array(equity), positions, close, book, options.cash, periods_per_year
    )
    return PortfolioRun(metrics, np.array(equity), np.array(cash), positions, book.trades)


def portfolio_metrics(equity, positions, close, book, cash0, periods_per_year) -> dict:
    """Section 4 metrics on the portfolio equity (exposure: any position; buy and hold:
    the equal-weight average of the symbols' growth)."""
    index = pd.RangeIndex(len(equity))
    exposed = pd.Series((positions != 0.0).any(axis=1), index=index)
    metrics = equity_metrics(pd.Series(equity, index=index), exposed, cash0, periods_per_year)
    growth = 0.0
    for k in range(close.shape[1]):
        growth += close[-1, k] / close[0, k]
    metrics["buy_and_hold_return"] = growth / close.shape[1] - 1.0
    metrics["total_fees"] = book.total_fees
    closed = [t for t in book.trades if t.exit_bar is not None]
    metrics |= trade_metrics(
        pd.Series([t.pnl for t in closed], dtype="float64"),
        pd.Series([t.trade_return for t in closed], dtype="float64"),
    )
    metrics["n_skipped"] = book.n_skipped
    metrics["n_long_trades"] = sum(t.direction == LONG for t in closed)
    metrics["n_short_trades"] = sum(t.direction == SHORT for t in closed)
    metrics["n_stop_exits"] = sum(t.exit_reason in ("sl", "tp") for t in closed)
    metrics["n_expired"] = book.n_expired
    return metrics
