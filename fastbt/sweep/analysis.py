"""Reading sweep tables: best sets, top N, and 2-parameter pivots for heatmaps."""

import numpy as np
import pandas as pd

# Metrics where smaller is better; every other metric ranks larger first.
LOWER_IS_BETTER = {"max_drawdown", "max_drawdown_bars", "volatility", "total_fees", "n_skipped"}
# Sets with fewer closed trades are left out of rankings by default: a set that never
# trades has a drawdown, volatility and fees of 0 and would otherwise rank first on them.
MIN_TRADES = 1


def _check(table: pd.DataFrame, *columns: str) -> None:
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise ValueError(f"no column(s) {', '.join(missing)} in the sweep table")


def closed_trades(count: int) -> str:
    """``1 closed trade``, ``3 closed trades``."""
    return f"{count:,} closed trade{'' if count == 1 else 's'}"


def too_few_trades(min_trades: int) -> str:
    """What the sets below ``min_trades`` have: ``no closed trade``, ``fewer than 3 ...``."""
    return "no closed trade" if min_trades == 1 else f"fewer than {closed_trades(min_trades)}"


def traded(table: pd.DataFrame, min_trades: int = MIN_TRADES) -> pd.DataFrame:
    """The rows with at least ``min_trades`` closed trades (``n_trades``); 0 keeps all."""
    if (
        isinstance(min_trades, bool)
        or not isinstance(min_trades, int | np.integer)
        or min_trades < 0
    ):
        raise ValueError(f"min_trades must be a whole number of 0 or more, got {min_trades!r}")
    if min_trades == 0:
        return table
    _check(table, "n_trades")
    return table[table["n_trades"] >= min_trades]


def top(
    table: pd.DataFrame, n: int = 10, metric: str = "sharpe", min_trades: int = MIN_TRADES
) -> pd.DataFrame:
    """The ``n`` best rows by ``metric`` (NaN last; ties keep grid order) among the sets
    with at least ``min_trades`` closed trades."""
    _check(table, metric)
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    ascending = metric in LOWER_IS_BETTER
    ranked = traded(table, min_trades)
    return ranked.sort_values(metric, ascending=ascending, na_position="last", kind="stable").head(
        n
    )


def best(table: pd.DataFrame, metric: str = "sharpe", min_trades: int = MIN_TRADES) -> pd.DataFrame:
    """The best row per symbol by ``metric`` among the sets with at least ``min_trades``
    closed trades, symbols in the table's order (a symbol with no such set is absent)."""
    _check(table, metric, "symbol")
    firsts = top(table, len(table), metric, min_trades).drop_duplicates("symbol")
    order = {symbol: k for k, symbol in enumerate(pd.unique(table["symbol"]))}
    return firsts.sort_values("symbol", key=lambda s: s.map(order)).reset_index(drop=True)


def one_symbol(table: pd.DataFrame, symbol: str | None) -> pd.DataFrame:
    """The rows of ``symbol``; the whole table when it holds one symbol and none is named."""
    if symbol is None:
        symbols = table["symbol"].unique()
        if len(symbols) > 1:
            raise ValueError(f"the table holds {len(symbols)} symbols; pass symbol=")
        return table
    if symbol not in set(table["symbol"]):
        raise ValueError(f"symbol {symbol!r} is not in the sweep table")
    return table[table["symbol"] == symbol]


def pivot(
    table: pd.DataFrame,
    x: str,
    y: str,
    metric: str = "sharpe",
    symbol: str | None = None,
    min_trades: int = MIN_TRADES,
) -> pd.DataFrame:
    """``metric`` on a (y rows x x columns) grid, for a heatmap; one symbol at a time.

    Other parameters are averaged over when the grid has more than two, counting only
    the sets with at least ``min_trades`` closed trades; a cell without one is NaN.
    """
    _check(table, x, y, metric)
    rows = one_symbol(table, symbol)
    grid = traded(rows, min_trades).pivot_table(index=y, columns=x, values=metric, aggfunc="mean")
    # every (x, y) value of the symbol keeps its row and column, traded or not
    return grid.reindex(index=np.sort(rows[y].unique()), columns=np.sort(rows[x].unique()))
