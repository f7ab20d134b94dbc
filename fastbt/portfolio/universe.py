"""Several symbols on one timestamp index: reading them, checking the index, aligning.

A portfolio needs every symbol's bars on the same timestamps (docs/portfolios.md,
"Data"). ``universe`` refuses anything else, naming the first symbol and timestamp
that differ; ``align`` makes data agree and says what it dropped or filled.
"""

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from fastbt.data.load import load
from fastbt.data.validate import COLUMNS
from fastbt.periods import infer_periods_per_year
from fastbt.storage import Panel

_ALIGN_HINT = "align them first with fastbt.align(data, how='inner') or how='ffill'"


@dataclass(frozen=True)
class Universe:
    """Validated bars of several symbols, as (bars x symbols) C-contiguous float64 arrays.

    Prepared once (``fastbt.universe``), it serves many runs; what every run needs from
    it (the symbols as columns, the closes as a frame, periods per year) is built once.
    """

    symbols: tuple[str, ...]
    index: pd.DatetimeIndex
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    volume: np.ndarray

    @cached_property
    def columns(self) -> pd.Index:
        return pd.Index(self.symbols)

    @cached_property
    def _close_frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.close, index=self.index, columns=self.columns)

    def close_frame(self) -> pd.DataFrame:
        """The closes as a frame; a shallow copy, so writing to it copies (pandas'
        copy-on-write) instead of changing the universe or other results."""
        return self._close_frame.copy(deep=False)

    @cached_property
    def periods_per_year(self) -> float:
        """Inferred from the bar spacing (docs/metrics.md)."""
        return infer_periods_per_year(self.index)


def _frames(data, load_options: dict) -> dict[str, pd.DataFrame]:
    """Validated bars by symbol from a list of symbols or a dict of symbol -> source."""
    if isinstance(data, dict):
        items = data.items()
    elif isinstance(data, list | tuple) and all(isinstance(s, str) for s in data):
        items = ((s, s) for s in data)
    else:
        raise ValueError(
            "portfolio data must be a list of symbols, a dict of symbol -> bars (DataFrame "
            f"or file), or a fastbt.Panel; got {type(data).__name__}"
        )
    frames = {}
    for symbol, source in items:
        symbol = str(symbol)
        if symbol in frames:
            raise ValueError(f"symbol {symbol} is given twice; give each symbol once")
        try:
            frames[symbol] = load(source, **load_options)
        except ValueError as error:
            raise ValueError(f"symbol {symbol}: {error}") from None
    if not frames:
        raise ValueError("portfolio data has no symbols; give at least one")
    return frames


def _first_difference(index: pd.DatetimeIndex, reference: pd.DatetimeIndex):
    """The earliest timestamp in one index but not the other, and which one has it."""
    if (index.tz is None) != (reference.tz is None):
        return None, "time zone"
    extra = index.difference(reference)
    missing = reference.difference(index)
    first_extra = extra[0] if len(extra) else None
    first_missing = missing[0] if len(missing) else None
    if first_missing is None or (first_extra is not None and first_extra < first_missing):
        return first_extra, "extra"
    return first_missing, "missing"


def check_same_index(frames: dict[str, pd.DataFrame]) -> pd.DatetimeIndex:
    """The shared index, or a ValueError naming the first symbol and timestamp that differ."""
    names = list(frames)
    reference = frames[names[0]].index
    for name in names[1:]:
        index = frames[name].index
        if index.equals(reference):
            continue
        stamp, kind = _first_difference(index, reference)
        if kind == "time zone":
            problem = f"its timestamps are {'naive' if index.tz is None else 'time-zone aware'}"
            problem += f" and those of {names[0]} are not"
        elif kind == "extra":
            problem = f"it has a bar at {stamp} and {names[0]} has none"
        else:
            problem = f"it has no bar at {stamp} and {names[0]} has one"
        raise ValueError(
            f"portfolio symbols must share one timestamp index: symbol {name} differs from "
            f"{names[0]} first at {stamp} ({problem}); {_ALIGN_HINT}"
        )
    return reference


def _from_panel(panel: Panel) -> Universe:
    missing = np.isnan(panel.close) | np.isnan(panel.open)
    if missing.any():
        k, i = np.argwhere(missing)[np.argmin(np.argwhere(missing)[:, 1])]
        raise ValueError(
            f"portfolio symbols must share one timestamp index: symbol {panel.symbols[k]} "
            f"has no bar at {panel.index[i]}; {_ALIGN_HINT}"
        )
    arrays = {c: np.ascontiguousarray(getattr(panel, c).T, dtype="float64") for c in COLUMNS}
    return Universe(tuple(panel.symbols), panel.index, **arrays)


def universe(data, load_options: dict | None = None) -> Universe:
    """A ``Universe`` from a list of symbols, a dict of symbol -> bars, a ``Panel`` or a
    ``Universe`` (returned as it is)."""
    if isinstance(data, Universe):
        return data
    if isinstance(data, Panel):
        return _from_panel(data)
    if isinstance(data, Alignment):
        data = data.data
    frames = _frames(data, load_options or {})
    index = check_same_index(frames)
    arrays = {
        c: np.ascontiguousarray(
            np.column_stack([f[c].to_numpy("float64") for f in frames.values()])
        )
        for c in COLUMNS
    }
    return Universe(tuple(frames), index, **arrays)


@dataclass(frozen=True)
class Alignment:
    """What ``align`` made: ``data`` (symbol -> bars on one index), and per symbol the
    timestamps of its bars that were ``dropped`` and the timestamps ``filled``."""

    data: dict
    dropped: dict
    filled: dict
    how: str

    def report(self) -> str:
        """One line per symbol that lost or gained bars, or a line saying none did."""
        lines = []
        for symbol in self.data:
            dropped, filled = self.dropped[symbol], self.filled[symbol]
            parts = []
            if len(dropped):
                parts.append(f"dropped {len(dropped)} bar(s) ({_span(dropped)})")
            if len(filled):
                parts.append(f"filled {len(filled)} bar(s) ({_span(filled)})")
            if parts:
                lines.append(f"{symbol}: " + ", ".join(parts))
        n = len(next(iter(self.data.values())))
        head = f"aligned {len(self.data)} symbols on {n} timestamps ({self.how})"
        return "\n".join([head, *(lines or ["nothing dropped or filled"])])


def _span(stamps: pd.DatetimeIndex) -> str:
    return str(stamps[0]) if len(stamps) == 1 else f"{stamps[0]} .. {stamps[-1]}"


def align(data, how: str = "inner", limit: int | None = None, **load_options) -> Alignment:
    """Put several symbols on one timestamp index (docs/portfolios.md, "Data").

    ``how="inner"``: keep the timestamps every symbol has. ``how="ffill"``: the union of
    timestamps; a missing bar repeats the previous close as open, high, low and close
    with volume 0, at most ``limit`` bars in a row (None: no cap); timestamps that still
    miss a bar (before a symbol starts, or past the limit) are dropped for all symbols.
    """
    if how not in ("inner", "ffill"):
        raise ValueError(f"how must be 'inner' or 'ffill', got {how!r}")
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
        raise ValueError(f"limit must be a whole number of bars >= 1 or None, got {limit!r}")
    if how == "inner" and limit is not None:
        raise ValueError("limit applies to how='ffill' only; leave it out with how='inner'")
    frames = _frames(data, load_options)
    stamps = [f.index for f in frames.values()]
    try:
        if how == "inner":
            index = stamps[0]
            for other in stamps[1:]:
                index = index.intersection(other)
        else:
            index = stamps[0]
            for other in stamps[1:]:
                index = index.union(other)
    except TypeError:
        raise ValueError(
            "cannot align naive and time-zone aware timestamps; give every symbol the same kind"
        ) from None
    filled, out = {}, {}
    if how == "ffill":
        complete = pd.Series(True, index=index)
        for symbol, frame in frames.items():
            close = frame["close"].reindex(index)
            carried = close.ffill(limit=limit)
            filled[symbol] = index[close.isna().to_numpy() & carried.notna().to_numpy()]
            complete &= carried.notna()
            bars = frame.reindex(index)
            gap = bars["close"].isna()
            for column in ("open", "high", "low", "close"):
                bars[column] = bars[column].where(~gap, carried)
            bars["volume"] = bars["volume"].where(~gap, 0.0)
            out[symbol] = bars
        index = index[complete.to_numpy()]
        filled = {s: f.intersection(index) for s, f in filled.items()}
    else:
        filled = {s: index[:0] for s in frames}
    dropped = {}
    for symbol, frame in frames.items():
        source = out.get(symbol, frame)
        out[symbol] = source.loc[index]
        out[symbol].attrs["symbol"] = symbol
        dropped[symbol] = frame.index.difference(index)
    return Alignment(out, dropped, filled, how)
