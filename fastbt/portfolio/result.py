"""``PortfolioResult``: what one portfolio backtest returns (docs/portfolios.md, "Results")."""

import math
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from fastbt.options import RunOptions
from fastbt.result import TRADE_COLUMNS, trades_frame
from fastbt.trade_layout import RAW_TRADE_FIELDS

PORTFOLIO_TRADE_COLUMNS = ("symbol", *TRADE_COLUMNS)


def portfolio_trades_frame(rows: np.ndarray, index: pd.DatetimeIndex, symbols) -> pd.DataFrame:
    """Trade table from raw rows (``RAW_TRADE_FIELDS`` then the symbol's position)."""
    rows = np.asarray(rows, dtype="float64").reshape(-1, len(RAW_TRADE_FIELDS) + 1)
    frame = trades_frame(rows[:, :-1], index)
    names = pd.array([symbols[int(k)] for k in rows[:, -1]], dtype="str")
    frame.insert(0, "symbol", names)
    return frame


@dataclass(frozen=True, repr=False)
class PortfolioResult:
    """One portfolio backtest: metrics, per-bar equity and cash, per-symbol positions,
    the closes they are valued at, and the trade table with symbols (built from the raw
    ``trade_rows`` on first use)."""

    strategy: str
    params: dict
    options: RunOptions
    order_sequence: str
    partial: bool
    size_type: str
    metrics: dict
    equity: pd.Series
    cash: pd.Series
    positions: pd.DataFrame
    close: pd.DataFrame
    trade_rows: np.ndarray = field(repr=False, compare=False)
    engine: str = "fast"
    extra: dict = field(default_factory=dict)

    @cached_property
    def trades(self) -> pd.DataFrame:
        """One row per sell (average cost) and per position still held (docs/portfolios.md)."""
        return portfolio_trades_frame(self.trade_rows, self.equity.index, self.symbols)

    @property
    def symbols(self) -> tuple[str, ...]:
        return tuple(self.positions.columns)

    @property
    def values(self) -> pd.DataFrame:
        """Value held in each symbol at each bar's close."""
        return self.positions * self.close

    @property
    def weights(self) -> pd.DataFrame:
        """Weights held at each close: value / equity (NaN where equity is 0)."""
        return self.values.div(self.equity.where(self.equity != 0.0), axis=0)

    @property
    def contribution(self) -> pd.Series:
        """Each symbol's pnl (closed rows, plus open positions marked at the last close,
        fees included) as a share of the starting cash; sums to total_return."""
        last = self.close.iloc[-1]
        trades = self.trades
        closed = trades[trades["status"] == "closed"].groupby("symbol")["pnl"].sum()
        held = trades[trades["status"] == "open"].set_index("symbol")
        unrealised = held["qty"] * (last.reindex(held.index) - held["entry_price"])
        unrealised -= held["entry_fee"]
        total = pd.Series(0.0, index=pd.Index(self.symbols, name="symbol"))
        total = total.add(closed, fill_value=0.0).add(unrealised, fill_value=0.0)
        return (total / self.options.cash).reindex(list(self.symbols)).rename("contribution")

    @property
    def closed_trades(self) -> pd.DataFrame:
        return self.trades[self.trades["status"] == "closed"]

    def to_dict(self) -> dict:
        from fastbt.portfolio import exports

        return exports.portfolio_to_dict(self)

    def to_json(self, indent: int | None = None) -> str:
        """Standard JSON (NaN and inf as null); ``PortfolioResult.from_json`` reads it back."""
        from fastbt.portfolio import exports

        return exports.portfolio_to_json(self, indent)

    @classmethod
    def from_json(cls, text: str) -> "PortfolioResult":
        from fastbt.portfolio import exports

        return exports.portfolio_from_json(cls, text)

    def to_parquet(self, directory) -> Path:
        """Save into ``directory`` (metadata JSON + Parquet series, positions, closes, trades)."""
        from fastbt.portfolio import exports

        return exports.portfolio_to_parquet(self, directory)

    @classmethod
    def from_parquet(cls, directory) -> "PortfolioResult":
        from fastbt.portfolio import exports

        return exports.portfolio_from_parquet(cls, directory)

    def _repr_html_(self) -> str:
        from fastbt.report.portfolio import portfolio_summary_html

        return portfolio_summary_html(self)

    def __repr__(self) -> str:
        shown = ("total_return", "sharpe", "max_drawdown", "n_trades")
        metrics = ", ".join(
            f"{k}={v:.4g}" if isinstance(v, float) and math.isfinite(v) else f"{k}={v}"
            for k, v in ((k, self.metrics[k]) for k in shown)
        )
        span = f"{len(self.equity)} bars {self.equity.index[0]} .. {self.equity.index[-1]}"
        return (
            f"<PortfolioResult {self.strategy} on {len(self.symbols)} symbols, {span}: "
            f"{metrics} [{self.engine}]>"
        )
