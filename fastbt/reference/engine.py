"""The reference engine: walk the bars one at a time, like a person would.

For each bar: reveal it to the strategy, fill yesterday's order at today's open,
ask the strategy, decide, fill at the close if that is the mode, close out on the
last bar if asked, mark to market. Metrics come from the whole curve afterwards.
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd

from fastbt.options import RunOptions
from fastbt.reference.history import History
from fastbt.reference.metrics import equity_metrics, trade_metrics
from fastbt.reference.portfolio import Portfolio
from fastbt.reference.strategies import ReferenceStrategy
from fastbt.strategies.signal_output import checked_signals


@dataclass
class ReferenceRun:
    """Everything the reference engine produces for one backtest."""

    metrics: dict
    equity: np.ndarray
    cash: np.ndarray
    position: np.ndarray
    trades: list


def _decide(portfolio: Portfolio, entry: bool, exit_: bool) -> str | None:
    """'buy', 'sell' or None from one bar's signals and the current position."""
    if not portfolio.is_long and entry and not exit_:
        return "buy"
    if portfolio.is_long and exit_ and not entry:
        return "sell"
    return None


def _fill(portfolio: Portfolio, order: str, bar: int, price: float) -> None:
    if order == "buy":
        portfolio.buy(bar, price)
    else:
        portfolio.sell(bar, price)


def run_reference(
    bars: pd.DataFrame, strategy: ReferenceStrategy, options: RunOptions, periods_per_year: float
) -> ReferenceRun:
    """Backtest ``strategy`` on validated ``bars`` one bar at a time."""
    portfolio = Portfolio(options)
    history = History()
    equity, cash, position = [], [], []
    pending = None
    rows = list(bars.itertuples(index=True, name=None))
    last = len(rows) - 1
    source = f"{type(strategy).__name__}.generate_signals"
    for i, (timestamp, open_, high, low, close, volume) in enumerate(rows):
        history.append(timestamp, open_, high, low, close, volume)
        if pending is not None:
            _fill(portfolio, pending, i, history.open[i])
            pending = None
        entry, exit_ = checked_signals(strategy.generate_signals(history), source, bar=i)
        order = _decide(portfolio, entry, exit_)
        if order is not None and options.fill == "close":
            _fill(portfolio, order, i, history.close[i])
        elif order is not None and i < last:
            pending = order
        if i == last and options.close_at_end and portfolio.is_long:
            portfolio.sell(i, history.close[i])
        equity.append(portfolio.equity(history.close[i]))
        cash.append(portfolio.cash)
        position.append(portfolio.qty)

    equity_series = pd.Series(equity, index=bars.index)
    closed = [t for t in portfolio.trades if t.exit_bar is not None]
    metrics = equity_metrics(
        equity_series, pd.Series(position, index=bars.index) > 0, options.cash, periods_per_year
    )
    metrics["buy_and_hold_return"] = history.close[-1] / history.close[0] - 1.0
    metrics["total_fees"] = portfolio.total_fees
    metrics |= trade_metrics(
        pd.Series([t.pnl for t in closed], dtype="float64"),
        pd.Series([t.trade_return for t in closed], dtype="float64"),
    )
    metrics["n_skipped"] = portfolio.n_skipped
    return ReferenceRun(
        metrics, np.array(equity), np.array(cash), np.array(position), portfolio.trades
    )
