"""A long-only portfolio updated one fill at a time (docs/execution.md, "Fills").

Every formula is written exactly as the contract states it, in the same order
of operations as the kernels, so both paths produce the same floating-point bits.
"""

import math
from dataclasses import dataclass, field

from fastbt.options import RunOptions


@dataclass
class Trade:
    """One round trip; exit fields stay None while the position is open."""

    entry_bar: int
    entry_price: float
    qty: float
    entry_fee: float
    exit_bar: int | None = None
    exit_price: float | None = None
    exit_fee: float | None = None
    pnl: float | None = None
    trade_return: float | None = None


@dataclass
class Portfolio:
    """Cash, an optional open position, and the trades so far."""

    options: RunOptions
    cash: float = field(init=False)
    qty: float = 0.0
    total_fees: float = 0.0
    n_skipped: int = 0
    trades: list = field(default_factory=list)

    def __post_init__(self):
        self.cash = self.options.cash

    @property
    def is_long(self) -> bool:
        return self.qty > 0.0

    def _fee(self, exec_price: float, qty: float) -> float:
        return self.options.fixed_fee + self.options.commission * exec_price * qty

    def buy(self, bar: int, price: float) -> None:
        """Buy at reference ``price`` (slippage added) if the order is affordable."""
        o = self.options
        exec_price = price * (1.0 + o.slippage)
        if o.size_type == "units":
            qty = o.size
        else:
            qty = (o.size * self.cash - o.fixed_fee) / (exec_price * (1.0 + o.commission))
        if not o.fractional:
            qty = float(math.floor(qty))
        fee = self._fee(exec_price, qty)
        cost = qty * exec_price + fee
        if not (qty > 0.0 and cost <= self.cash * (1.0 + 1e-9)):
            self.n_skipped += 1
            return
        self.cash = max(self.cash - cost, 0.0)
        self.qty = qty
        self.total_fees += fee
        self.trades.append(Trade(bar, exec_price, qty, fee))

    def sell(self, bar: int, price: float) -> None:
        """Sell the whole position at reference ``price`` (slippage deducted); always fills."""
        trade = self.trades[-1]
        exec_price = price * (1.0 - self.options.slippage)
        fee = self._fee(exec_price, self.qty)
        self.cash = self.cash + self.qty * exec_price - fee
        self.total_fees += fee
        trade.exit_bar = bar
        trade.exit_price = exec_price
        trade.exit_fee = fee
        trade.pnl = self.qty * (exec_price - trade.entry_price) - (trade.entry_fee + fee)
        trade.trade_return = trade.pnl / (self.qty * trade.entry_price + trade.entry_fee)
        self.qty = 0.0

    def equity(self, close: float) -> float:
        """Cash plus the position marked at ``close``."""
        return self.cash + self.qty * close
