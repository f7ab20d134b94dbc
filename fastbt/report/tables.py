"""Tables of one backtest (docs/metrics.md, "Tables"): returns by calendar year and
month, the worst drawdowns, and turnover. Each is computed from the equity curve
and the trade table, on every bar, in the calendar of the index's own time zone."""

import numpy as np
import pandas as pd

DRAWDOWN_COLUMNS = (
    "start",
    "trough",
    "recovery",
    "depth",
    "peak_equity",
    "trough_equity",
    "length",
    "duration",
)


def _period_returns(result, keys: list) -> pd.Series:
    """Return of each calendar period that has bars: its last equity over the previous
    period's last equity (the starting cash for the first), minus 1."""
    equity = result.equity
    last = pd.Series(equity.to_numpy(dtype="float64")).groupby(keys).last()
    previous = last.shift(1)
    previous.iloc[0] = result.options.cash
    return last / previous - 1.0


def monthly_returns(result) -> pd.DataFrame:
    """Calendar-month returns as a years x months (1..12) table; the first month is
    measured from the starting cash, months without bars are NaN."""
    index = result.equity.index
    table = _period_returns(result, [index.year, index.month]).unstack()
    table = table.reindex(columns=range(1, 13))
    table.index.name, table.columns.name = "year", "month"
    return table


def _traded_notional(result) -> pd.Series:
    """|qty| x fill price of every fill (entries, and the exits of closed trades),
    indexed by the fill's bar time."""
    trades = result.trades
    closed = trades[trades["status"] == "closed"]
    entries = pd.Series(
        (trades["qty"] * trades["entry_price"]).to_numpy(dtype="float64"),
        index=pd.DatetimeIndex(trades["entry_time"]),
    )
    exits = pd.Series(
        (closed["qty"] * closed["exit_price"]).to_numpy(dtype="float64"),
        index=pd.DatetimeIndex(closed["exit_time"]),
    )
    return pd.concat([entries, exits]).abs()


def turnover(result) -> float:
    """How many times a year the strategy trades its equity, one way:
    ``sum(|qty| * fill price) / 2 / mean(equity) / (N / P)`` (docs/metrics.md)."""
    equity = result.equity.to_numpy(dtype="float64")
    years = len(equity) / result.metrics["periods_per_year"]
    return float(_traded_notional(result).sum() / 2.0 / np.mean(equity) / years)


def yearly_returns(result) -> pd.DataFrame:
    """One row per calendar year with bars: ``return`` (last equity of the year over
    the last of the year before, the starting cash for the first, minus 1) and
    ``turnover`` (the year's traded notional / 2 / the mean equity of its bars; not
    annualised, so a part year shows what happened in it)."""
    index = result.equity.index
    returns = _period_returns(result, [index.year])
    notional = _traded_notional(result)
    traded = notional.groupby(notional.index.year).sum()
    mean_equity = pd.Series(result.equity.to_numpy(dtype="float64")).groupby(index.year).mean()
    table = pd.DataFrame(
        {
            "return": returns,
            "turnover": traded.reindex(returns.index, fill_value=0.0) / 2.0 / mean_equity,
        }
    )
    table.index.name = "year"
    return table


def _first_lows(equity: np.ndarray, below: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Per run of ``below`` bars (beginning at ``starts``), the position of its lowest
    equity, the first one when equal; array operations, no loop over the runs."""
    if len(starts) == 0:
        return np.empty(0, dtype=np.int64)
    positions = np.flatnonzero(below)  # the runs, one after another
    values = equity[positions]
    lows = np.minimum.reduceat(values, np.searchsorted(positions, starts))
    run = np.searchsorted(starts, positions, side="right") - 1
    lowest = values == lows[run]
    _, first = np.unique(run[lowest], return_index=True)
    return positions[lowest][first]


def drawdowns(result, top: int | None = 5) -> pd.DataFrame:
    """The ``top`` deepest drawdowns (all of them with None), deepest first.

    A drawdown is a run of bars with equity below its running peak (which starts at
    the starting cash): ``start`` is its first bar below the peak, ``trough`` the bar
    of its lowest equity, ``recovery`` the first bar back at or above the peak (NaT
    if equity never got back), ``depth`` is ``1 - trough_equity / peak_equity``,
    ``length`` the bars below the peak (``recovery`` excluded) and ``duration`` the
    time from ``start`` to ``recovery`` (NaT if not recovered). The deepest has the
    ``max_drawdown`` metric as depth; the longest has ``max_drawdown_bars`` as length.
    """
    if top is not None and (isinstance(top, bool) or not isinstance(top, int) or top < 1):
        raise ValueError(f"top must be a whole number of 1 or more (or None for all), got {top!r}")
    equity = result.equity.to_numpy(dtype="float64")
    index = result.equity.index
    peak = np.maximum.accumulate(np.concatenate([[result.options.cash], equity]))[1:]
    below = equity < peak
    edges = np.diff(np.concatenate([[False], below, [False]]).astype(np.int8))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    troughs = _first_lows(equity, below, starts)
    recovered = ends < len(equity)
    recovery = pd.DatetimeIndex(index[np.minimum(ends, len(equity) - 1)]).where(recovered)
    table = pd.DataFrame(
        {
            "start": index[starts],
            "trough": index[troughs],
            "recovery": recovery,
            "depth": 1.0 - equity[troughs] / peak[starts],
            "peak_equity": peak[starts],
            "trough_equity": equity[troughs],
            "length": (ends - starts).astype(np.int64),
        }
    )
    table["duration"] = table["recovery"] - table["start"]
    table = (
        table[list(DRAWDOWN_COLUMNS)]
        .sort_values("depth", ascending=False, kind="stable")
        .reset_index(drop=True)
    )
    return table if top is None else table.head(top)
