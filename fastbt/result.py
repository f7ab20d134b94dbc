"""``Result``: what one backtest returns, as pandas objects on the data's index."""

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from fastbt import exports
from fastbt.kernels.rules import EXIT_REASONS
from fastbt.options import RunOptions
from fastbt.trade_layout import DIRECTIONS, RAW_TRADE_FIELDS

if TYPE_CHECKING:
    from fastbt.strategies import Strategy

TRADE_COLUMNS = (
    "entry_bar",
    "entry_time",
    "entry_price",
    "exit_bar",
    "exit_time",
    "exit_price",
    "qty",
    "entry_fee",
    "exit_fee",
    "fees",
    "pnl",
    "return",
    "bars_held",
    "direction",
    "exit_reason",
    "status",
)


def _labels(codes: np.ndarray, names: dict) -> pd.arrays.ArrowStringArray:
    """String column naming each code (NaN: missing), without a Python loop over trades."""
    keys = np.array(sorted(names), dtype=np.float64)
    table = np.array([names[k] for k in sorted(names)] + [None], dtype=object)
    at = np.searchsorted(keys, codes)
    known = (at < len(keys)) & (keys[np.minimum(at, len(keys) - 1)] == codes)
    return pd.array(table[np.where(known, at, len(keys))], dtype="str")


def trades_frame(rows: np.ndarray, index: pd.DatetimeIndex) -> pd.DataFrame:
    """Trade table from raw rows laid out as ``RAW_TRADE_FIELDS`` (exit_bar -1 = still open)."""
    rows = np.asarray(rows, dtype="float64")
    raw = pd.DataFrame(rows.reshape(-1, len(RAW_TRADE_FIELDS)), columns=list(RAW_TRADE_FIELDS))
    is_open = raw["exit_bar"].to_numpy() < 0
    entry_bar = raw["entry_bar"].to_numpy().astype("int64")
    exit_bar = pd.array(np.where(is_open, 0, raw["exit_bar"]).astype("int64"), dtype="Int64")
    exit_bar[is_open] = pd.NA
    exit_time = index[np.where(is_open, 0, raw["exit_bar"]).astype("int64")].where(~is_open)
    frame = pd.DataFrame(
        {
            "entry_bar": entry_bar,
            "entry_time": index[entry_bar].array,
            "entry_price": raw["entry_price"],
            "exit_bar": exit_bar,
            "exit_time": exit_time.array,
            "exit_price": raw["exit_price"],
            "qty": raw["qty"],
            "entry_fee": raw["entry_fee"],
            "exit_fee": raw["exit_fee"],
            "fees": raw["entry_fee"] + raw["exit_fee"].fillna(0.0),
            "pnl": raw["pnl"],
            "return": raw["return"],
            "bars_held": (exit_bar - entry_bar),
            "direction": _labels(raw["direction"].to_numpy(), DIRECTIONS),
            "exit_reason": _labels(raw["exit_reason"].to_numpy(), dict(enumerate(EXIT_REASONS))),
            "status": np.where(is_open, "open", "closed"),
        }
    )
    return frame[list(TRADE_COLUMNS)]


def _format(value) -> str:
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return f"{value:.4g}" if isinstance(value, float) else str(value)


@dataclass(frozen=True, repr=False)
class Result:
    """One backtest: metrics (docs/metrics.md), per-bar series and the trade table."""

    strategy: str
    params: dict
    options: RunOptions
    metrics: dict
    equity: pd.Series
    cash: pd.Series
    position: pd.Series
    trades: pd.DataFrame
    symbol: str | None = None
    engine: str = "fast"
    extra: dict = field(default_factory=dict)
    bars: pd.DataFrame | None = field(default=None, compare=False)
    # The strategy that ran (charts draw its indicators); None when loaded from a file.
    spec: "Strategy | None" = field(default=None, compare=False)

    def to_dict(self, series: bool = True) -> dict:
        """JSON-safe dict (non-finite numbers as None); ``series=False`` leaves out
        the per-bar series."""
        return exports.result_to_dict(self, series)

    def to_json(self, series: bool = True, indent: int | None = None) -> str:
        """Standard JSON (NaN and inf as null); ``Result.from_json`` reads it back."""
        return exports.result_to_json(self, series, indent)

    @classmethod
    def from_json(cls, text: str) -> "Result":
        return exports.result_from_json(cls, text)

    @classmethod
    def from_dict(cls, payload: dict) -> "Result":
        return exports.result_from_dict(cls, payload)

    def to_parquet(self, directory) -> Path:
        """Save into ``directory`` (metadata JSON + Parquet series, trades and bars);
        ``Result.from_parquet`` and ``fastbt report`` read it back."""
        return exports.result_to_parquet(self, directory)

    @classmethod
    def from_parquet(cls, directory) -> "Result":
        return exports.result_from_parquet(cls, directory)

    def to_csv(self, directory) -> Path:
        """metrics.csv, equity.csv and trades.csv in ``directory`` (for spreadsheets)."""
        return exports.result_to_csv(self, directory)

    @property
    def closed_trades(self) -> pd.DataFrame:
        return self.trades[self.trades["status"] == "closed"]

    # Notebook display, charts and tables (docs/reports.md); matplotlib loads on first use.
    def _repr_html_(self) -> str:
        from fastbt.display import result_html

        return result_html(self)

    def plot(self, kind: str = "equity", interactive: bool = False):
        """The chart ``kind`` (equity, drawdown, price, returns, monthly): a matplotlib
        Figure, or with ``interactive=True`` a zoomable plotly Figure (equity or price;
        needs the ``interactive`` extra)."""
        if interactive:
            from fastbt.report.interactive import interactive_chart

            return interactive_chart(self, kind)
        from fastbt.report.charts import chart

        return chart(self, kind)

    def yearly_returns(self) -> pd.DataFrame:
        """Return and turnover per calendar year (docs/metrics.md, "Tables")."""
        from fastbt.report.tables import yearly_returns

        return yearly_returns(self)

    def monthly_returns(self) -> pd.DataFrame:
        """Calendar-month returns, years x months 1..12 (docs/metrics.md, "Tables")."""
        from fastbt.report.tables import monthly_returns

        return monthly_returns(self)

    def drawdowns(self, top: int | None = 5) -> pd.DataFrame:
        """The ``top`` deepest drawdowns with start, trough, recovery and length
        (docs/metrics.md, "Tables"); ``top=None`` for all of them."""
        from fastbt.report.tables import drawdowns

        return drawdowns(self, top)

    def turnover(self) -> float:
        """Traded notional per year over mean equity, one way (docs/metrics.md)."""
        from fastbt.report.tables import turnover

        return turnover(self)

    def __getstate__(self) -> dict:
        """Pickle without ``spec``: a strategy built from lambdas cannot be pickled."""
        return self.__dict__ | {"spec": None}

    def __repr__(self) -> str:
        params = " ".join(f"{k}={v}" for k, v in self.params.items())
        shown = ("total_return", "sharpe", "max_drawdown", "n_trades")
        metrics = ", ".join(f"{k}={_format(self.metrics[k])}" for k in shown)
        where = f" on {self.symbol}" if self.symbol else ""
        span = f"{len(self.equity)} bars {self.equity.index[0]} .. {self.equity.index[-1]}"
        return f"<Result {self.strategy}({params}){where}, {span}: {metrics} [{self.engine}]>"
