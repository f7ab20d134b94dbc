"""Cash, one long or short position, and the trades so far, updated one fill at a time
(docs/execution.md, "Fills" and "Shorts and reversals").

Every formula is written exactly as the rules state it, in the same order of
operations, so the kernels (written from the same rules) produce the same bits.
Quantities in trades are positive; the position ``qty`` is signed (negative when short).
"""

import math
from dataclasses import dataclass, field

from fastbt.options import RunOptions

LONG = "long"
SHORT = "short"
SIGN = {LONG: 1.0, SHORT: -1.0}


@dataclass
class Trade:
    """One round trip; exit fields stay None while the position is open."""

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
class Portfolio:
    """Cash, an optional open position (signed ``qty``), and the trades so far."""

    options: RunOptions
    cash: float = field(init=False)
    qty: float = 0.0
    total_fees: float = 0.0
    n_skipped: int = 0
    trades: list = field(default_factory=list)

    def __post_init__(self):
        self.cash = self.options.cash

    @property
    def side(self) -> str | None:
        """LONG, SHORT, or None when flat."""
        if self.qty > 0.0:
            return LONG
        if self.qty < 0.0:
            return SHORT
        return None

    @property
    def open_trade(self) -> Trade:
        return self.trades[-1]

    # -- prices, fees and sizes ------------------------------------------------------

    def exec_price(self, price: float, buying: bool) -> float:
        """A buy pays ``p*(1+s)``, a sell receives ``p*(1-s)``."""
        if buying:
            return price * (1.0 + self.options.slippage)
        return price * (1.0 - self.options.slippage)

    def _fee(self, exec_price: float, qty: float) -> float:
        """``F + c * exec_price * qty``."""
        return self.options.fixed_fee + self.options.commission * exec_price * qty

    def size(self, exec_price: float, cash: float) -> float:
        """Units for a new position: a share of ``cash`` fees included, or fixed units;
        floored to whole units unless fractional."""
        o = self.options
        if o.size_type == "units":
            qty = o.size
        else:
            qty = (o.size * cash - o.fixed_fee) / (exec_price * (1.0 + o.commission))
        if not o.fractional:
            qty = float(math.floor(qty))
        return qty

    # -- booking one leg -----------------------------------------------------------

    def _book_entry(self, bar: int, direction: str, exec_price: float, qty: float, fee: float):
        """Open a position already known to be affordable / collateralised."""
        if direction == LONG:
            cost = qty * exec_price + fee
            self.cash = max(self.cash - cost, 0.0)
            self.qty = qty
        else:
            self.cash = self.cash + qty * exec_price - fee
            self.qty = -qty
        self.total_fees += fee
        self.trades.append(Trade(direction, bar, exec_price, qty, fee))

    def _book_exit(self, bar: int, exec_price: float, fee: float, reason: str) -> None:
        """Close the whole position at ``exec_price``; always executes."""
        trade = self.open_trade
        qty = trade.qty
        # A sale credits the proceeds, a cover debits the cost; then the fee is paid.
        if trade.direction == LONG:
            self.cash = self.cash + qty * exec_price - fee
        else:
            self.cash = self.cash - qty * exec_price - fee
        self.total_fees += fee
        sign = SIGN[trade.direction]
        trade.exit_bar = bar
        trade.exit_price = exec_price
        trade.exit_fee = fee
        trade.exit_reason = reason
        trade.pnl = sign * qty * (exec_price - trade.entry_price) - (trade.entry_fee + fee)
        trade.trade_return = trade.pnl / (qty * trade.entry_price + trade.entry_fee)
        self.qty = 0.0

    # -- orders ---------------------------------------------------------------------

    def enter(self, bar: int, direction: str, exec_price: float) -> bool:
        """Open ``direction`` at ``exec_price`` sized from the cash now; False (and
        ``n_skipped``) when the size is not positive or cash does not cover it.

        A long must be paid for; a short must be collateralised at 100%; both test
        ``qty*exec + fee`` against the cash with the 1e-9 tolerance.
        """
        qty = self.size(exec_price, self.cash)
        fee = self._fee(exec_price, qty)
        if not (qty > 0.0 and qty * exec_price + fee <= self.cash * (1.0 + 1e-9)):
            self.n_skipped += 1
            return False
        self._book_entry(bar, direction, exec_price, qty, fee)
        return True

    def exit(self, bar: int, exec_price: float, reason: str) -> None:
        """Close the whole position at ``exec_price`` with a normal fill's fee."""
        self._book_exit(bar, exec_price, self._fee(exec_price, self.open_trade.qty), reason)

    def reverse_per_order(self, bar: int, price: float) -> bool:
        """Reverse as ONE order paying the fixed fee once (``reversal_fee="per_order"``).

        The new leg is sized, by the normal sizing rule, from the cash the close leg
        would leave without a fixed fee; the order's total fee is split between the
        two trades in proportion to size. If the new leg cannot be opened the order
        is a plain close (its fee ``F + c*exec*L``) and the leg counts in ``n_skipped``.
        Returns whether the new leg opened.
        """
        c = self.options.commission
        closing = self.open_trade
        new_direction = SHORT if closing.direction == LONG else LONG
        exec_price = self.exec_price(price, buying=new_direction == LONG)
        closed_qty = closing.qty
        if closing.direction == LONG:
            cash2 = self.cash + closed_qty * exec_price * (1.0 - c)
        else:
            cash2 = self.cash - closed_qty * exec_price * (1.0 + c)
        new_qty = self.size(exec_price, cash2)
        if new_qty > 0.0:
            total = self.options.fixed_fee + c * exec_price * (closed_qty + new_qty)
            close_fee = total * closed_qty / (closed_qty + new_qty)
            open_fee = total * new_qty / (closed_qty + new_qty)
            if not new_qty * exec_price + open_fee > cash2 * (1.0 + 1e-9):
                self._book_exit(bar, exec_price, close_fee, "reverse")
                self._book_entry(bar, new_direction, exec_price, new_qty, open_fee)
                return True
        self._book_exit(bar, exec_price, self._fee(exec_price, closed_qty), "reverse")
        self.n_skipped += 1
        return False

    def equity(self, close: float) -> float:
        """Cash plus the signed position marked at ``close``."""
        return self.cash + self.qty * close
