"""Shapes of raw bar tables that hold more than one series, resolved before validation.

Three layouts are recognised (docs/data.md): a long table with a ``symbol`` or
``ticker`` column, ``yf.download`` frames with (Price, Ticker) MultiIndex
columns, and an ``Adj Close`` column next to the raw prices. Each is either
resolved as asked (``symbol=``, ``adjust=``), or refused, or resolved with a
``DataWarning`` saying how; never silently.
"""

import warnings

import numpy as np
import pandas as pd

from fastbt.errors import DataWarning

_SYMBOL_COLUMNS = ("symbol", "ticker")
_ADJ_CLOSE_NAMES = ("adjclose", "adjustedclose")
_PRICE_NAMES = {"open", "high", "low", "close", "volume", "adj close", "adj_close", "price"}
_SHOWN = 10  # symbols named in a message


def _key(name) -> str:
    return str(name).strip().lower()


def _ticker_level(columns: pd.MultiIndex) -> int:
    """Level of ``yf.download`` columns naming tickers: the one called Ticker, else
    the one whose values are not price names."""
    names = [_key(name) for name in columns.names]
    if "ticker" in names:
        return names.index("ticker")
    if "price" in names:
        return 1 - names.index("price")
    top = {_key(value) for value in columns.get_level_values(0)}
    return 1 if top <= _PRICE_NAMES else 0


def _symbol_column(frame: pd.DataFrame):
    """The column named symbol or ticker (any case), or None."""
    return next((c for c in frame.columns if _key(c) in _SYMBOL_COLUMNS), None)


def symbols_in(frame: pd.DataFrame) -> list[str] | None:
    """Symbols of a multi-series table in order of appearance, or None if it has one series."""
    if isinstance(frame.columns, pd.MultiIndex):
        if frame.columns.nlevels != 2:
            raise ValueError(
                f"columns have {frame.columns.nlevels} levels; expected flat columns or the "
                "two levels (Price, Ticker) of yf.download"
            )
        level = frame.columns.get_level_values(_ticker_level(frame.columns))
        return [str(value) for value in dict.fromkeys(level)]
    column = _symbol_column(frame)
    if column is None:
        return None
    return [str(value) for value in dict.fromkeys(frame[column])]


def _listed(symbols: list[str]) -> str:
    shown = ", ".join(symbols[:_SHOWN])
    return shown + (f", ... ({len(symbols)} in all)" if len(symbols) > _SHOWN else "")


def pick_symbol(frame: pd.DataFrame, symbol: str | None) -> pd.DataFrame:
    """The rows (or columns) of one symbol, without the symbol column or level.

    A table holding several symbols is refused unless ``symbol`` picks one; the
    picked or only symbol goes to ``attrs["symbol"]``.
    """
    found = symbols_in(frame)
    if found is None:
        if symbol is not None:
            raise ValueError(
                f"symbol={symbol!r} was given but the data has no symbol or ticker column "
                "(nor yf.download ticker columns) to pick it from"
            )
        return frame
    if symbol is None:
        if len(found) > 1:
            raise ValueError(
                f"the data holds {len(found)} symbols ({_listed(found)}), which would be merged "
                f"into one series; pick one with symbol={found[0]!r} (CLI: --ticker {found[0]}), "
                "or store each as its own symbol with `fastbt data import FILE --split-symbols`"
            )
        symbol = found[0]
    matches = [name for name in found if name.upper() == str(symbol).upper()]
    if not matches:
        raise ValueError(f"symbol {symbol!r} is not in the data; its symbols: {_listed(found)}")
    if isinstance(frame.columns, pd.MultiIndex):
        level = _ticker_level(frame.columns)
        keep = frame.columns.get_level_values(level).astype(str) == matches[0]
        picked = frame.loc[:, keep].droplevel(level, axis=1)
    else:
        column = _symbol_column(frame)
        keep = frame[column].astype(str).to_numpy() == matches[0]
        picked = frame.loc[keep].drop(columns=column)
    picked.attrs = dict(frame.attrs) | {"symbol": matches[0]}
    return picked


def adj_close_column(frame: pd.DataFrame):
    """The ``Adj Close`` column (Adj Close, adj_close, Adjusted Close, ...), or None."""
    squeezed = {_key(c).replace(" ", "").replace("_", ""): c for c in frame.columns}
    return next((squeezed[name] for name in _ADJ_CLOSE_NAMES if name in squeezed), None)


def apply_adjustment(bars: pd.DataFrame, adj_close, adjust: bool | None) -> pd.DataFrame:
    """Raw or adjusted prices from numeric bars and the ``Adj Close`` values (or None).

    ``adjust=True`` scales open/high/low/close by adj_close/close (volume is kept);
    ``adjust=False`` keeps the raw prices. With an ``Adj Close`` column and
    ``adjust=None``, adjusted prices are used and a ``DataWarning`` says so.
    ``attrs["adjusted"]`` records the choice when there was one.
    """
    if adj_close is None:
        if adjust:
            raise ValueError(
                "adjust=True needs an 'Adj Close' column to scale the prices by; this data "
                "has none (drop adjust=True, CLI --adjust, to use its prices as they are)"
            )
        return bars
    if adjust is None:
        warnings.warn(
            "the data has an 'Adj Close' column: used adjusted prices (open/high/low/close "
            "scaled by Adj Close / Close); pass adjust=False (CLI: --no-adjust) for the raw "
            "prices, or adjust=True (CLI: --adjust) to choose adjusted ones without this note",
            DataWarning,
            stacklevel=4,
        )
        adjust = True
    if adjust:
        values = pd.to_numeric(adj_close, errors="coerce").to_numpy(dtype="float64")
        bad = np.flatnonzero(~(np.isfinite(values) & (values > 0)))
        if bad.size:
            raise ValueError(
                f"column {adj_close.name!r} at row {bad[0]}: {adj_close.iloc[bad[0]]!r} is not a "
                "positive number, so the prices cannot be adjusted (adjust=False, CLI "
                "--no-adjust, uses the raw prices)"
            )
        factor = values / bars["close"].to_numpy()
        bars = bars.copy()
        for name in ("open", "high", "low", "close"):
            bars[name] = bars[name].to_numpy() * factor
    bars.attrs["adjusted"] = adjust
    return bars
