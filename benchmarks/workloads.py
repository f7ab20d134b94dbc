"""Data and kernel calls shared by ``test_bench_core.py`` and ``bench_core.py``.

Every workload is one ``ma_cross`` backtest (fast=10, slow=50) with fastbt's
default options unless a caller says otherwise.
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd

import fastbt
from fastbt.kernels.simulate import simulate
from fastbt.kernels.strategies import ma_cross_signals
from fastbt.periods import infer_periods_per_year

FAST, SLOW = 10, 50
CASH = 10_000.0
N_BARS = 1_000_000
SLICE_BARS = 20_000

# One-minute bars: 390 a trading day, 252 days a year. ``synthetic`` scales its
# per-bar volatility by this; with its default of 252 (daily bars) a million
# one-minute bars drift to prices near 1e59 and peers reject the tiny orders.
MINUTE_PERIODS = 252 * 390


def synthetic_bars(n_bars: int = N_BARS) -> pd.DataFrame:
    """GBM one-minute OHLCV bars (seed 0); ``freq="min"`` keeps 1e6 timestamps in range."""
    return fastbt.synthetic(n_bars, seed=0, freq="min", periods_per_year=MINUTE_PERIODS)


def ns_per_bar(seconds: float, n_bars: int) -> float:
    """Seconds for a whole backtest as nanoseconds per bar."""
    return seconds * 1e9 / n_bars


@dataclass(frozen=True)
class KernelInputs:
    """What ``fastbt.run`` hands the kernels: contiguous float64 columns and periods/year."""

    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    volume: np.ndarray
    periods_per_year: float

    @classmethod
    def from_bars(cls, bars: pd.DataFrame) -> "KernelInputs":
        """Columns as ``fastbt.engine`` prepares them (validation and inference done here, untimed)."""
        bars = fastbt.load(bars)
        columns = (
            np.ascontiguousarray(bars[c].to_numpy(dtype="float64"))
            for c in ("open", "high", "low", "close", "volume")
        )
        return cls(*columns, periods_per_year=infer_periods_per_year(bars.index))

    def __len__(self) -> int:
        return self.close.shape[0]

    def signals(self) -> tuple[np.ndarray, np.ndarray]:
        """Entry and exit booleans of ``ma_cross`` (jitted)."""
        return ma_cross_signals(self.open, self.high, self.low, self.close, self.volume, FAST, SLOW)

    def simulate(self, entry, exit_, *, fill_at_close=False, fractional=True, record=True):
        """The simulation kernel alone on given signals, other options at fastbt's defaults."""
        fill = "close" if fill_at_close else "next_open"
        rules = fastbt.RunOptions(fill=fill, fractional=fractional, cash=CASH).rules()
        return simulate(
            self.open,
            self.high,
            self.low,
            self.close,
            entry,
            exit_,
            CASH,
            rules,
            self.periods_per_year,
            record,
            None,
        )

    def backtest(self, **options):
        """Signals plus simulation: ``fastbt.run``'s fast path without pandas around it."""
        entry, exit_ = self.signals()
        return self.simulate(entry, exit_, **options)
