"""The reference engine: walk the bars one at a time, like a person would.

Each bar follows the steps of docs/execution.md ("Per bar"), one method each:
fill the pending market order at the open, check a pending entry order, check
the stops, decide from the signals, close out on the last bar if asked, mark to
market (and apply the ruin rule). Metrics come from the whole curve afterwards.
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd

from fastbt.options import RunOptions
from fastbt.reference.entry_orders import EntryOrder
from fastbt.reference.history import History
from fastbt.reference.metrics import equity_metrics, trade_metrics
from fastbt.reference.portfolio import LONG, SHORT, Portfolio
from fastbt.reference.stops import Stops
from fastbt.reference.strategies import ReferenceStrategy
from fastbt.strategies.signal_output import checked_signals

# What one bar's signal does, by direction and the position now (the table of
# docs/execution.md, "Shorts and reversals"); a missing key means nothing happens.
# "cancel" is an exit while flat: it cancels a pending entry order.
TRANSITIONS = {
    "long": {
        (None, "entry"): ("open", LONG),
        (None, "exit"): ("cancel", None),
        (LONG, "exit"): ("close", None),
    },
    "short": {
        (None, "entry"): ("open", SHORT),
        (None, "exit"): ("cancel", None),
        (SHORT, "exit"): ("close", None),
    },
    "both": {
        (None, "entry"): ("open", LONG),
        (None, "exit"): ("open", SHORT),
        (LONG, "exit"): ("reverse", SHORT),
        (SHORT, "entry"): ("reverse", LONG),
    },
}


@dataclass
class ReferenceRun:
    """Everything the reference engine produces for one backtest."""

    metrics: dict
    equity: np.ndarray
    cash: np.ndarray
    position: np.ndarray
    trades: list


@dataclass
class MarketOrder:
    """A market order: "open" (with its direction), "close" or "reverse";
    ``signal_close`` is the close of the bar that decided it (the stop anchor "signal_close")."""

    action: str
    direction: str | None
    signal_close: float


class ReferenceEngine:
    """The state of one backtest between bars, and one method per step of a bar."""

    def __init__(self, options: RunOptions, n_bars: int):
        self.options = options
        self.last = n_bars - 1
        self.portfolio = Portfolio(options)
        self.history = History()
        self.pending_market: MarketOrder | None = None
        self.entry_order: EntryOrder | None = None
        self.stops: Stops | None = None
        self.n_expired = 0
        self.ruined = False
        self.equity, self.cash, self.position = [], [], []

    # -- helpers ------------------------------------------------------------------

    def _exit_price(self, price: float, slipped: bool) -> float:
        """Exec price of closing the position at ``price``, with slippage or not."""
        if not slipped:
            return price
        return self.portfolio.exec_price(price, buying=self.portfolio.side == SHORT)

    def _close(self, bar: int, price: float, reason: str, slipped: bool = True) -> None:
        self.portfolio.exit(bar, self._exit_price(price, slipped), reason)
        self.stops = None

    def _arm_stops(self, signal_close: float, live_from: int) -> None:
        """Fresh stops for the position just opened (none when sl and tp are off)."""
        o = self.options
        if o.sl is None and o.tp is None:
            self.stops = None
            return
        trade = self.portfolio.open_trade
        anchor = signal_close if o.stop_anchor == "signal_close" else trade.entry_price
        self.stops = Stops(
            direction=trade.direction,
            anchor=anchor,
            live_from=live_from,
            sl=o.sl,
            tp=o.tp,
            trail=o.trail,
            trail_on=o.trail_on,
            sl_first=o.stop_priority == "sl_first",
        )

    def _open(self, bar: int, direction: str, price: float, signal_close: float, live_from: int):
        """A market entry at reference ``price`` (slippage applied)."""
        exec_price = self.portfolio.exec_price(price, buying=direction == LONG)
        if self.portfolio.enter(bar, direction, exec_price):
            self._arm_stops(signal_close, live_from)

    def _reverse(self, bar: int, price: float, signal_close: float, live_from: int) -> None:
        """Close leg then open leg at the same reference price; fresh levels after."""
        new_direction = SHORT if self.portfolio.side == LONG else LONG
        self.stops = None
        if self.options.reversal_fee == "per_order":
            opened = self.portfolio.reverse_per_order(bar, price)
        else:
            self._close(bar, price, "reverse")
            exec_price = self.portfolio.exec_price(price, buying=new_direction == LONG)
            opened = self.portfolio.enter(bar, new_direction, exec_price)
        if opened:
            self._arm_stops(signal_close, live_from)

    def _execute(self, order: MarketOrder, bar: int, price: float, stops_live_from: int) -> None:
        if order.action == "open":
            self._open(bar, order.direction, price, order.signal_close, stops_live_from)
        elif order.action == "close":
            self._close(bar, price, "signal")
        else:
            self._reverse(bar, price, order.signal_close, stops_live_from)

    # -- the steps of one bar -----------------------------------------------------

    def fill_pending_market_order(self, i: int) -> None:
        """Step 1: the market order decided on bar i-1 fills at ``open[i]``; a position
        opened here has its stops live from bar i (from i+1 without stop_on_fill_bar)."""
        order, self.pending_market = self.pending_market, None
        if order is None:
            return
        live_from = i if self.options.stop_on_fill_bar else i + 1
        self._execute(order, i, self.history.open[i], live_from)

    def check_entry_order(self, i: int) -> bool:
        """Step 2: expire, or try to fill, the pending limit/stop entry order.

        A filled position's stops are live from bar i+1, except a stop entry's
        take-profit on its fill bar. Returns whether a stop filled on this bar.
        """
        order = self.entry_order
        if order is None:
            return False
        if order.expired_before(i):
            self.n_expired += 1
            self.entry_order = None
            return False
        h = self.history
        price = order.fill_price(h.open[i], h.high[i], h.low[i])
        if price is None:
            return False
        self.entry_order = None
        exec_price = price
        if order.slipped:
            exec_price = self.portfolio.exec_price(price, buying=order.direction == LONG)
        if not self.portfolio.enter(i, order.direction, exec_price):
            return False
        self._arm_stops(order.signal_close, i + 1)
        if order.kind == "stop" and self.stops is not None:
            take_profit = self.stops.stop_entry_take_profit(h.open[i], h.high[i], h.low[i])
            if take_profit is not None:
                self._close(i, take_profit, "tp", slipped=self.options.stop_slippage == "both")
                return True
        return False

    def check_stops(self, i: int) -> bool:
        """Step 3: on a live bar, fill a stop that the bar reaches, else move the
        trailing extreme. Returns whether a stop filled."""
        stops = self.stops
        if stops is None or not stops.is_live(i):
            return False
        h = self.history
        hit = stops.check(h.open[i], h.high[i], h.low[i])
        if hit is None:
            stops.trail_after(h.high[i], h.low[i], h.close[i])
            return False
        reason, price = hit
        if reason == "sl":
            slipped = self.options.stop_slippage in ("sl_only", "both")
        else:
            slipped = self.options.stop_slippage == "both"
        self._close(i, price, reason, slipped)
        return True

    def decide(self, i: int, entry: bool, exit_: bool) -> None:
        """Step 4: act on bar i's signals against the position as it is now.

        Entry and exit together mean no decision. Entries from flat become entry
        orders when ``entry_order`` is limit/stop (replacing a pending one);
        everything else is a market order filled now at the close or at the next open.
        """
        if entry == exit_:
            return
        signal = "entry" if entry else "exit"
        action, direction = TRANSITIONS[self.options.direction].get(
            (self.portfolio.side, signal), (None, None)
        )
        if action is None:
            return
        if action == "cancel":
            self.entry_order = None
            return
        close = self.history.close[i]
        o = self.options
        if action == "open" and o.entry_order != "market":
            self.entry_order = EntryOrder.place(
                direction, o.entry_order, o.entry_offset, i, close, o.entry_expiry
            )
            return
        order = MarketOrder(action, direction, close)
        if o.fill == "close":
            self._execute(order, i, close, i + 1)
        elif i < self.last:
            self.pending_market = order

    def close_at_end(self, i: int) -> None:
        """Step 5: on the last bar, with close_at_end, close at ``close[i]``."""
        if i == self.last and self.options.close_at_end and self.portfolio.side is not None:
            self._close(i, self.history.close[i], "end")

    def mark_to_market(self, i: int) -> None:
        """Step 6: ``equity = cash + qty*close``; then the ruin rule: with
        on_ruin="liquidate" and equity <= 0 the position closes at ``close[i]`` and
        the account is closed (equity, cash and position read 0 from here on)."""
        close = self.history.close[i]
        equity = self.portfolio.equity(close)
        if self.options.on_ruin == "liquidate" and equity <= 0.0:
            if self.portfolio.side is not None:
                self._close(i, close, "ruin")
            self.ruined = True
            self.pending_market = None
            self.entry_order = None
        if self.ruined:
            self.record(0.0, 0.0, 0.0)
        else:
            self.record(equity, self.portfolio.cash, self.portfolio.qty)

    def record(self, equity: float, cash: float, position: float) -> None:
        self.equity.append(equity)
        self.cash.append(cash)
        self.position.append(position)

    # -- one bar ------------------------------------------------------------------

    def step(self, i: int, entry: bool, exit_: bool) -> None:
        """Bar i after the strategy has answered ``(entry, exit_)`` for it."""
        if self.ruined:
            self.record(0.0, 0.0, 0.0)
            return
        self.fill_pending_market_order(i)
        stop_filled = self.check_entry_order(i)
        stop_filled = self.check_stops(i) or stop_filled
        if not (stop_filled and self.options.stop_bar_signals == "drop"):
            self.decide(i, entry, exit_)
        self.close_at_end(i)
        self.mark_to_market(i)


def run_reference(
    bars: pd.DataFrame, strategy: ReferenceStrategy, options: RunOptions, periods_per_year: float
) -> ReferenceRun:
    """Backtest ``strategy`` on validated ``bars`` one bar at a time."""
    engine = ReferenceEngine(options, len(bars))
    history = engine.history
    source = f"{type(strategy).__name__}.generate_signals"
    for i, (timestamp, open_, high, low, close, volume) in enumerate(
        bars.itertuples(index=True, name=None)
    ):
        history.append(timestamp, open_, high, low, close, volume)
        entry, exit_ = checked_signals(strategy.generate_signals(history), source, bar=i)
        engine.step(i, entry, exit_)

    portfolio = engine.portfolio
    position = pd.Series(engine.position, index=bars.index)
    closed = [t for t in portfolio.trades if t.exit_bar is not None]
    metrics = equity_metrics(
        pd.Series(engine.equity, index=bars.index), position != 0.0, options.cash, periods_per_year
    )
    metrics["buy_and_hold_return"] = history.close[-1] / history.close[0] - 1.0
    metrics["total_fees"] = portfolio.total_fees
    metrics |= trade_metrics(
        pd.Series([t.pnl for t in closed], dtype="float64"),
        pd.Series([t.trade_return for t in closed], dtype="float64"),
    )
    metrics["n_skipped"] = portfolio.n_skipped
    metrics["n_long_trades"] = sum(t.direction == LONG for t in closed)
    metrics["n_short_trades"] = sum(t.direction == SHORT for t in closed)
    metrics["n_stop_exits"] = sum(t.exit_reason in ("sl", "tp") for t in closed)
    metrics["n_expired"] = engine.n_expired
    return ReferenceRun(
        metrics,
        np.array(engine.equity),
        np.array(engine.cash),
        np.array(engine.position),
        portfolio.trades,
    )
