"""A plain-Python transcription of engine v2's execution rules, for the peer-match
harness while fastbt itself does not have them yet.

It covers what the peer scenarios use: market entries, directions long / short /
both with reversals (fee per leg or per order), percent or units sizing, whole or
fractional units, fills at the next open or at the close, stop-loss / take-profit /
trailing stop (on the high) anchored at the signal bar's close, the stop-loss tried
first, no stop slippage, stops live on an open fill bar, signals on a stop bar
honoured or dropped, and ruin (liquidate or continue). One bar follows the order of
fastbt's "per bar" rule: pending market order, stops, signals, mark to market, ruin.
It is a second reading of the rules, not fastbt: once ``fastbt.run`` takes ``like=``
the harness compares the peers with fastbt itself.
"""

import math

import numpy as np
import pandas as pd
from peers import CASH, TRADE_LAYOUT, Scenario, Trades, _frame

# The preset switches each peer's scenario runs with (the ``like=`` presets).
PRESETS = {
    "vectorbt": {"fill_at_close": True, "fractional": True, "per_order": True, "ruin": False},
    "backtesting.py": {
        "fill_at_close": False,
        "fractional": False,
        "per_order": False,
        "ruin": True,
    },
}


class Account:
    """Cash, the open position and the trade rows of one run."""

    def __init__(self, bars: pd.DataFrame, scenario: Scenario, preset: dict):
        self.o, self.h, self.l, self.c = (
            bars[k].to_numpy(dtype=float) for k in ("open", "high", "low", "close")
        )
        self.s = scenario
        self.p = preset
        self.cash = CASH
        self.side = 0  # +1 long, -1 short, 0 flat
        self.qty = 0.0
        self.rows: list[dict] = []
        self.pos: dict = {}

    # ------------------------------------------------------------- sizing
    def size(self, exec_price: float, cash: float) -> float:
        c, fee = self.s.commission, self.s.fixed_fee
        qty = self.s.units if self.s.units is not None else (cash - fee) / (exec_price * (1 + c))
        return qty if self.p["fractional"] else math.floor(qty)

    # ------------------------------------------------------------- legs
    def open(
        self, side: int, price: float, bar: int, signal_bar: int, live_from: int, qty=None, fee=None
    ):
        c, fixed = self.s.commission, self.s.fixed_fee
        if qty is None:
            qty = self.size(price, self.cash)
            fee = fixed + c * price * qty
            if qty <= 0 or qty * price + fee > self.cash * (1 + 1e-9):
                return
            self.cash = self.cash - qty * price - fee if side > 0 else self.cash + qty * price - fee
        anchor = self.c[signal_bar] if self.s.anchor == "signal_close" else price
        self.side, self.qty = side, qty
        self.pos = {
            "entry_bar": bar,
            "entry_price": price,
            "entry_fee": fee,
            "anchor": anchor,
            "extreme": anchor,
            "live_from": live_from,
        }

    def close(self, price: float, bar: int, fee=None):
        c, fixed = self.s.commission, self.s.fixed_fee
        qty, side = self.qty, self.side
        if fee is None:
            fee = fixed + c * price * qty
            self.cash = self.cash + qty * price - fee if side > 0 else self.cash - qty * price - fee
        p = self.pos
        self.rows.append(
            {
                "direction": float(side),
                "entry_bar": p["entry_bar"],
                "exit_bar": bar,
                "entry_price": p["entry_price"],
                "exit_price": price,
                "qty": qty,
                "fees": p["entry_fee"] + fee,
                "pnl": side * qty * (price - p["entry_price"]) - (p["entry_fee"] + fee),
            }
        )
        self.side, self.qty, self.pos = 0, 0.0, {}

    def reverse(self, side: int, price: float, bar: int, signal_bar: int, live_from: int):
        if not self.p["per_order"]:
            self.close(price, bar)
            self.open(side, price, bar, signal_bar, live_from)
            return
        c, fixed = self.s.commission, self.s.fixed_fee
        held = self.qty
        if self.s.units is not None:
            new = self.s.units
        elif side < 0:  # long -> short, one order
            new = (self.cash + held * price * (1 - c) - fixed) / (price * (1 + c))
        else:  # short -> long
            new = (self.cash - fixed) / (1 + c) / price - held
        total = fixed + c * price * (held + new)
        if side < 0:
            self.cash += (held + new) * price - total
        else:
            self.cash -= (held + new) * price + total
        self.close(price, bar, fee=total * held / (held + new))
        self.open(side, price, bar, signal_bar, live_from, qty=new, fee=total * new / (held + new))

    # ------------------------------------------------------------- a bar
    def stop_price(self, i: int) -> float:
        """The stop fill of bar i (sl tried first), or NaN; moves the trailing extreme."""
        s, side, p = self.s, self.side, self.pos
        o, h, low = self.o[i], self.h[i], self.l[i]
        ref = p["extreme"] if s.trail else p["anchor"]
        sl = math.nan if s.sl is None else ref * (1 - s.sl) if side > 0 else ref * (1 + s.sl)
        tp = (
            math.nan
            if s.tp is None
            else p["anchor"] * (1 + s.tp)
            if side > 0
            else p["anchor"] * (1 - s.tp)
        )
        if side > 0:
            hits = ((o <= sl, o), (low <= sl, sl), (o >= tp, o), (h >= tp, tp))
        else:
            hits = ((o >= sl, o), (h >= sl, sl), (o <= tp, o), (low <= tp, tp))
        for hit, price in hits:
            if hit:
                return price
        if s.trail:
            if s.trail_on == "close":
                h = low = self.c[i]
            p["extreme"] = max(p["extreme"], h) if side > 0 else min(p["extreme"], low)
        return math.nan

    def levels(self) -> tuple[float, float]:
        """(SL, TP) of the open position before any trailing; NaN when off."""
        s, side, anchor = self.s, self.side, self.pos["anchor"]
        sl = math.nan if s.sl is None else anchor * (1 - s.sl) if side > 0 else anchor * (1 + s.sl)
        tp = math.nan if s.tp is None else anchor * (1 + s.tp) if side > 0 else anchor * (1 - s.tp)
        return sl, tp

    def fill_entry_order(self, order: dict, i: int) -> bool:
        """Step 2: a pending limit/stop entry against bar i; True when it filled."""
        o, h, low = self.o[i], self.h[i], self.l[i]
        side, level, kind = order["side"], order["level"], order["kind"]
        buys_low = (side > 0) == (kind == "limit")  # long limit, short stop: wait for a fall
        if buys_low and low <= level:
            price = min(o, level)
        elif not buys_low and h >= level:
            price = max(o, level)
        else:
            return False
        self.open(side, price, i, order["bar"], i + 1)
        if self.side and kind == "stop" and self.s.tp is not None:
            sl, tp = self.levels()
            if side > 0 and h >= tp and not low <= sl:  # the one TP on the fill bar
                self.close(max(o, tp), i)
            elif side < 0 and low <= tp and not h >= sl:
                self.close(min(o, tp), i)
        return True

    def decide(self, entry: bool, exit_: bool) -> tuple[str, int] | None:
        """("open"|"close"|"reverse", side) for this bar's signals, or None."""
        if entry == exit_:
            return None
        d = self.s.direction
        if d == "long":
            return (
                ("open", 1)
                if self.side == 0 and entry
                else ("close", 0)
                if self.side > 0 and exit_
                else None
            )
        if d == "short":
            return (
                ("open", -1)
                if self.side == 0 and entry
                else ("close", 0)
                if self.side < 0 and exit_
                else None
            )
        side = 1 if entry else -1
        if self.side == 0:
            return ("open", side)
        return ("reverse", side) if self.side != side else None

    def execute(
        self, order: tuple[str, int], price: float, bar: int, signal_bar: int, live_from: int
    ):
        kind, side = order
        if kind == "open":
            self.open(side, price, bar, signal_bar, live_from)
        elif kind == "close":
            self.close(price, bar)
        else:
            self.reverse(side, price, bar, signal_bar, live_from)


def simulate(peer: str, bars: pd.DataFrame, entry, exit_, scenario: Scenario) -> Trades:
    """The v2 rules with ``like=peer`` on the signals, in the harness layout."""
    preset = PRESETS[peer]
    acct = Account(bars, scenario, preset)
    n = len(bars)
    pending = None
    entry_order = None  # a pending limit/stop entry: side, kind, level, bar placed
    on_fill_bar = scenario.anchor == "signal_close"  # stops live on an open fill bar
    equity = CASH
    drop = preset["fill_at_close"]  # vectorbt: one order per bar, a stop drops the signals
    for i in range(n):
        if pending is not None:
            acct.execute(pending, acct.o[i], i, i - 1, i if on_fill_bar else i + 1)
            pending = None
        if entry_order is not None and acct.fill_entry_order(entry_order, i):
            entry_order = None
        stopped = False
        if acct.side and acct.pos["live_from"] <= i and (scenario.sl or scenario.tp):
            price = acct.stop_price(i)
            if not math.isnan(price):
                acct.close(price, i)
                stopped = True
        order = None if stopped and drop else acct.decide(bool(entry[i]), bool(exit_[i]))
        if scenario.entry_order != "market" and acct.side == 0:
            if order is not None and order[0] == "open":  # place, or replace the pending one
                o = scenario.entry_offset
                up = (order[1] > 0) == (scenario.entry_order == "stop")
                level = acct.c[i] * (1 + o) if up else acct.c[i] * (1 - o)
                entry_order = {
                    "side": order[1],
                    "kind": scenario.entry_order,
                    "level": level,
                    "bar": i,
                }
            elif exit_[i] and not entry[i]:
                entry_order = None  # an exit cancels it
            order = None
        if order is not None:
            if preset["fill_at_close"]:
                acct.execute(order, acct.c[i], i, i, i + 1)
            elif i < n - 1:
                pending = order
        equity = acct.cash + acct.side * acct.qty * acct.c[i]
        if preset["ruin"] and equity <= 0:
            if acct.side:
                acct.close(acct.c[i], i)
            equity = 0.0
            break
    rows = acct.rows
    if acct.side:
        p = acct.pos
        rows = [
            *rows,
            {
                "direction": float(acct.side),
                "entry_bar": p["entry_bar"],
                "exit_bar": -1,
                "entry_price": p["entry_price"],
                "exit_price": np.nan,
                "qty": acct.qty,
                "fees": p["entry_fee"],
                "pnl": np.nan,
            },
        ]
    columns = {name: [row[name] for row in rows] for name in TRADE_LAYOUT}
    return Trades("spec model", _frame(**columns), float(equity))
