"""Target-weight frames: rebalancing schedules and the built-in weightings
(docs/portfolios.md, "Weight helpers")."""

from collections.abc import Callable

import numpy as np
import pandas as pd

from fastbt.portfolio.universe import universe

CALENDAR = ("D", "W", "M", "Q")


def check_every(every) -> str | int:
    """A rebalancing schedule: one of D, W, M, Q, or a whole number of bars >= 1."""
    if isinstance(every, str) and every in CALENDAR:
        return every
    if isinstance(every, int | np.integer) and not isinstance(every, bool) and every >= 1:
        return int(every)
    raise ValueError(
        f"rebalance schedule must be one of {', '.join(CALENDAR)} (first bar of each day, week, "
        f"month, quarter) or a whole number of bars >= 1, got {every!r}"
    )


def period_key(stamp: pd.Timestamp, every: str) -> tuple:
    """The calendar period a timestamp falls in (D: day, W: ISO week, M: month, Q: quarter)."""
    if every == "D":
        return (stamp.year, stamp.month, stamp.day)
    if every == "W":
        year, week, _ = stamp.isocalendar()
        return (year, week)
    if every == "M":
        return (stamp.year, stamp.month)
    return (stamp.year, (stamp.month - 1) // 3)


def rebalance_bars(index: pd.DatetimeIndex, every) -> np.ndarray:
    """Which bars rebalance: the first bar of each calendar period (bar 0 included), or
    bars 0, n, 2n, ... for a whole number n. "D" on daily bars is every bar."""
    every = check_every(every)
    n = len(index)
    if isinstance(every, int):
        return np.arange(n) % every == 0
    if every == "D":
        keys = index.year * 10_000 + index.month * 100 + index.day
    elif every == "W":
        calendar = index.isocalendar()
        keys = calendar["year"].to_numpy() * 100 + calendar["week"].to_numpy()
    elif every == "M":
        keys = index.year * 12 + index.month
    else:
        keys = index.year * 4 + (index.month - 1) // 3
    keys = np.asarray(keys, dtype="int64")
    first = np.ones(n, dtype=bool)
    first[1:] = keys[1:] != keys[:-1]
    return first


def equal_weight(close: pd.DataFrame) -> pd.DataFrame:
    """1/K in every symbol on every bar."""
    return pd.DataFrame(1.0 / close.shape[1], index=close.index, columns=close.columns)


def inverse_volatility(lookback: int) -> Callable[[pd.DataFrame], pd.DataFrame]:
    """Weights proportional to 1 / the sample std (ddof 1) of the last ``lookback`` bar
    returns, summing to 1; NaN (no order) until ``lookback`` returns exist."""
    if isinstance(lookback, bool) or not isinstance(lookback, int | np.integer) or lookback < 2:
        raise ValueError(f"lookback must be a whole number of bars >= 2, got {lookback!r}")

    def weights(close: pd.DataFrame) -> pd.DataFrame:
        inverse = 1.0 / close.pct_change().rolling(int(lookback)).std(ddof=1)
        return inverse.div(inverse.sum(axis=1, skipna=False), axis=0)

    weights.__name__ = f"inverse_volatility({lookback})"
    return weights


def rebalance(target, data, every="M") -> pd.DataFrame:
    """The weights frame for ``run_portfolio``: ``target`` on the rebalance bars of
    ``every``, NaN (no order) on every other bar.

    ``target``: a dict or Series of symbol -> weight (symbols left out get 0), or a
    function of the closes (a bars x symbols DataFrame) returning weights for every bar.
    ``data``: anything ``run_portfolio`` accepts.
    """
    bars = universe(data)
    close = bars.close_frame()
    if callable(target):
        frame = target(close)
        if not isinstance(frame, pd.DataFrame) or frame.shape != close.shape:
            raise ValueError(
                f"the weights function must return a DataFrame shaped like the closes "
                f"{close.shape} (bars x symbols), got {getattr(frame, 'shape', type(frame).__name__)}"
            )
        frame = frame.astype("float64")
    else:
        vector = pd.Series(target, dtype="float64")
        unknown = [s for s in vector.index if s not in bars.symbols]
        if unknown:
            raise ValueError(
                f"weights for symbols not in the data: {', '.join(map(str, unknown))} "
                f"(the data has {', '.join(bars.symbols)})"
            )
        vector = vector.reindex(list(bars.symbols), fill_value=0.0)
        frame = pd.DataFrame(
            np.tile(vector.to_numpy(), (len(close), 1)), index=close.index, columns=close.columns
        )
    mask = rebalance_bars(close.index, every)
    return frame.where(pd.Series(mask, index=close.index), axis=0)
