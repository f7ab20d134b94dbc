"""Reading sweep tables: best sets, top N, and 2-parameter pivots for heatmaps."""

import pandas as pd

# Metrics where smaller is better; every other metric ranks larger first.
LOWER_IS_BETTER = {"max_drawdown", "max_drawdown_bars", "volatility", "total_fees", "n_skipped"}


def _check(table: pd.DataFrame, *columns: str) -> None:
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise ValueError(f"no column(s) {', '.join(missing)} in the sweep table")


def top(table: pd.DataFrame, n: int = 10, metric: str = "sharpe") -> pd.DataFrame:
    """The ``n`` best rows by ``metric`` (NaN last; ties keep grid order)."""
    _check(table, metric)
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    ascending = metric in LOWER_IS_BETTER
    return table.sort_values(metric, ascending=ascending, na_position="last", kind="stable").head(n)


def best(table: pd.DataFrame, metric: str = "sharpe") -> pd.DataFrame:
    """The best row per symbol by ``metric``, symbols in the table's order."""
    _check(table, metric, "symbol")
    firsts = top(table, len(table), metric).drop_duplicates("symbol")
    order = {symbol: k for k, symbol in enumerate(pd.unique(table["symbol"]))}
    return firsts.sort_values("symbol", key=lambda s: s.map(order)).reset_index(drop=True)


def pivot(
    table: pd.DataFrame, x: str, y: str, metric: str = "sharpe", symbol: str | None = None
) -> pd.DataFrame:
    """``metric`` on a (y rows x x columns) grid, for a heatmap; one symbol at a time.

    Other parameters are averaged over when the grid has more than two.
    """
    _check(table, x, y, metric)
    if symbol is None:
        symbols = table["symbol"].unique()
        if len(symbols) > 1:
            raise ValueError(f"the table holds {len(symbols)} symbols; pass symbol=")
    else:
        if symbol not in set(table["symbol"]):
            raise ValueError(f"symbol {symbol!r} is not in the sweep table")
        table = table[table["symbol"] == symbol]
    return table.pivot_table(index=y, columns=x, values=metric, aggfunc="mean")
