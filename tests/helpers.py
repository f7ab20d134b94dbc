"""Builders shared by the tests: small bar frames and strategies with scripted signals."""

from typing import ClassVar

import numpy as np
import pandas as pd

import fastbt


def make_bars(open_, close, high=None, low=None, start="2024-01-01", freq="D") -> pd.DataFrame:
    """OHLCV frame from opens and closes; high/low default to the body's extremes."""
    open_ = np.asarray(open_, dtype=float)
    close = np.asarray(close, dtype=float)
    high = np.maximum(open_, close) if high is None else np.asarray(high, dtype=float)
    low = np.minimum(open_, close) if low is None else np.asarray(low, dtype=float)
    index = pd.date_range(start, periods=len(close), freq=freq)
    return pd.DataFrame(
        {"open": open_, "high": high, "low": low, "close": close, "volume": 1000.0}, index=index
    )


class _Scripted(fastbt.ReferenceStrategy):
    """Reference form of a scripted strategy: reads the signal lists bar by bar."""

    entries: ClassVar[list] = []
    exits: ClassVar[list] = []

    def generate_signals(self, history):
        i = len(history) - 1
        return self.entries[i], self.exits[i]


def scripted(entries, exits, n=None) -> fastbt.Strategy:
    """A strategy whose signals are given bar indices (or boolean lists), in both engines."""

    def to_flags(spec):
        if n is not None and all(isinstance(x, int | np.integer) for x in spec):
            flags = np.zeros(n, dtype=bool)
            flags[list(spec)] = True
            return flags
        return np.asarray(spec, dtype=bool)

    entry, exit_ = to_flags(entries), to_flags(exits)
    reference = type(
        "ScriptedReference", (_Scripted,), {"entries": entry.tolist(), "exits": exit_.tolist()}
    )
    return fastbt.Strategy(
        name="scripted",
        description="fixed signals for tests",
        params=(),
        signals=lambda *arrays: (entry, exit_),
        reference=reference,
    )
