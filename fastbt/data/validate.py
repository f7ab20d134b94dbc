"""Input validation and normalisation of OHLCV bars (docs/data.md).

Every rule rejects with a ``ValueError`` that names the column, row or value at
fault. The loader can repair two things and says so with a ``DataWarning``:
unsorted timestamps (sorted) and a few duplicate timestamps (the last row kept).
A one-bar move that looks like an unadjusted split is flagged the same way.
"""

import warnings

import numpy as np
import pandas as pd

from fastbt.data.dates import parse_timestamps
from fastbt.data.layout import adj_close_column, apply_adjustment, pick_symbol
from fastbt.errors import DataWarning
from fastbt.kernels.validation import price_rule_violations

PRICE_COLUMNS = ("open", "high", "low", "close")
COLUMNS = (*PRICE_COLUMNS, "volume")
_DATE_COLUMNS = ("date", "datetime", "timestamp", "time")
_HIGH_LOW_TOLERANCE = 1e-9
# More duplicate rows than this share of the input is an error, not a repair.
_MAX_DUPLICATE_SHARE = 0.01
# A one-bar move larger than this factor (either way) whose ratio is within
# _SPLIT_SLACK of a usual split ratio is flagged as a possibly unadjusted split.
_SPLIT_MOVE = 1.4
_SPLIT_SLACK = 0.05
_SPLIT_RATIOS = (2, 3, 4, 5, 8, 10, 15, 20, 25, 30, 40, 50, 100)
# (column, message) per rule, in the order of kernels.validation.price_rule_violations.
_PRICE_RULES = (
    *((name, "price {value} must be finite and positive") for name in PRICE_COLUMNS),
    ("high", "high {value} is below max(open, close) = {top}"),
    ("low", "low {value} is above min(open, close) = {bottom}"),
)


def _where(index: pd.Index, position: int) -> str:
    """Human description of one row: its timestamp and position in the input."""
    return f"row {position} ({index[position]})"


def _with_datetime_index(frame: pd.DataFrame, **date_options) -> pd.DataFrame:
    """Move a date column into the index, or parse the index, as timestamps.

    A numeric index (a plain row counter, say) is refused rather than read as
    nanoseconds since 1970; ``date_options`` (date_format, dayfirst) go to
    ``dates.parse_timestamps``.
    """
    lowered = {str(column).strip().lower(): column for column in frame.columns}
    date_column = next((lowered[name] for name in _DATE_COLUMNS if name in lowered), None)
    if isinstance(frame.index, pd.DatetimeIndex):
        index = frame.index
    elif date_column is not None:
        index = parse_timestamps(frame[date_column], f"column '{date_column}'", **date_options)
        frame = frame.drop(columns=date_column)
    elif pd.api.types.is_numeric_dtype(frame.index.dtype):
        raise ValueError(
            "timestamps: no date column (date, datetime, timestamp or time) and the index "
            f"holds numbers, not dates{_separator_hint(frame)}"
        )
    else:
        index = parse_timestamps(frame.index, "index", **date_options)
    if index.hasnans:
        position = int(np.flatnonzero(index.isna())[0])
        raise ValueError(f"timestamps: row {position} has no timestamp")
    if index.tz is not None:
        index = index.tz_convert("UTC")
    return frame.set_axis(pd.DatetimeIndex(index, freq=None, name="timestamp"), axis=0)


def _separator_hint(frame: pd.DataFrame) -> str:
    """A hint when the columns look like one unsplit line of ';'-separated fields."""
    if len(frame.columns) == 1 and ";" in str(frame.columns[0]):
        return (
            f"; the only column is {str(frame.columns[0])!r}: the fields look separated by ';' "
            "(read the file with pd.read_csv(path, sep=';') and pass the DataFrame)"
        )
    return ""


def _ohlcv_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """Keep open/high/low/close/volume (any case) as float64; volume defaults to 0."""
    by_name = {}
    for column in frame.columns:
        name = str(column).strip().lower()
        if name in by_name and name in COLUMNS:
            raise ValueError(f"columns {by_name[name]!r} and {column!r} are both '{name}'")
        by_name[name] = column
    missing = [name for name in PRICE_COLUMNS if name not in by_name]
    if missing:
        raise ValueError(f"missing column(s): {', '.join(missing)}")
    # Column-major storage: each column is one contiguous float64 array, which the
    # kernels take without another copy.
    values = np.zeros((len(frame), len(COLUMNS)), order="F")
    for k, name in enumerate(COLUMNS):
        if name not in by_name:
            continue
        column = frame[by_name[name]]
        try:
            values[:, k] = pd.to_numeric(column, errors="raise").to_numpy(dtype="float64")
        except (ValueError, TypeError):
            values = pd.to_numeric(column, errors="coerce")
            bad = int(np.flatnonzero(values.isna() & column.notna())[0])
            raise ValueError(
                f"column '{name}' at {_where(frame.index, bad)}: "
                f"{column.iloc[bad]!r} is not a number"
            ) from None
    return pd.DataFrame(values, index=frame.index, columns=list(COLUMNS), copy=False)


def _order_timestamps(frame: pd.DataFrame, repair: bool) -> pd.DataFrame:
    """Reject, or sort, timestamps that are not increasing; handle duplicates."""
    index = frame.index
    if not index.is_monotonic_increasing:
        if not repair:
            position = int(np.flatnonzero(np.diff(index.asi8) < 0)[0]) + 1
            raise ValueError(
                f"timestamps are not sorted: {_where(index, position)} comes before "
                f"the previous row ({index[position - 1]})"
            )
        frame = frame.sort_index(kind="stable")
        warnings.warn("timestamps were not sorted; sorted them", DataWarning, stacklevel=4)
    # Sorted now, so duplicates are neighbours: row i repeats when it equals row i+1.
    nanos = frame.index.asi8
    duplicated = np.concatenate((nanos[:-1] == nanos[1:], [False]))
    if duplicated.any():
        count = int(duplicated.sum())
        if not repair:
            position = int(np.flatnonzero(duplicated)[0])
            raise ValueError(
                f"duplicate timestamp {frame.index[position]} ({count} duplicate row(s) in all)"
            )
        if count > _MAX_DUPLICATE_SHARE * len(frame):
            raise ValueError(
                f"{count} of {len(frame)} rows ({count / len(frame):.1%}) repeat another row's "
                f"timestamp; more than {_MAX_DUPLICATE_SHARE:.0%} is not repaired, as it usually "
                "means several series in one file or a broken export: pick one series "
                "(symbol=, CLI --ticker) or remove the duplicate rows before loading"
            )
        frame = frame[~duplicated]
        warnings.warn(
            f"dropped {count} row(s) with duplicate timestamps, keeping the last of each",
            DataWarning,
            stacklevel=4,
        )
    return frame


def _fill_gaps(frame: pd.DataFrame, ffill: bool) -> pd.DataFrame:
    """Reject NaN values, or forward-fill them when asked."""
    missing = frame.isna()
    if not missing.to_numpy().any():
        return frame
    if ffill:
        filled = frame.ffill()
        count = int(missing.any(axis=1).sum())
        still = filled.isna().to_numpy()
        if not still.any():
            warnings.warn(
                f"forward-filled {count} row(s) with missing values", DataWarning, stacklevel=4
            )
            return filled
        row, column = np.argwhere(still)[0]
        raise ValueError(
            f"column '{frame.columns[column]}' at {_where(frame.index, int(row))} is missing "
            "and there is no earlier value to forward-fill from"
        )
    row, column = np.argwhere(missing.to_numpy())[0]
    raise ValueError(
        f"column '{frame.columns[column]}' at {_where(frame.index, int(row))} is missing (NaN); "
        "pass ffill=True (CLI: --ffill) to forward-fill missing values"
    )


def _check_prices(frame: pd.DataFrame) -> None:
    """Finite, positive prices with high/low enclosing open and close."""
    o, h, low, c = (frame[name].to_numpy() for name in PRICE_COLUMNS)
    first, count = price_rule_violations(o, h, low, c, _HIGH_LOW_TOLERANCE)
    for (name, problem), row, n_bad in zip(_PRICE_RULES, first, count, strict=True):
        if row < 0:
            continue
        row = int(row)
        detail = problem.format(
            value=frame[name].iloc[row], top=max(o[row], c[row]), bottom=min(o[row], c[row])
        )
        raise ValueError(
            f"column '{name}' at {_where(frame.index, row)}: {detail} ({n_bad} bad row(s) in all)"
        )


def _nearest_split(ratio: np.ndarray) -> np.ndarray:
    """Per ratio, the usual split ratio k (a fall to 1/k is -k) it is within slack of, or 0."""
    found = np.zeros(ratio.shape, dtype=np.int64)
    for k in _SPLIT_RATIOS:
        found[np.abs(ratio * k - 1.0) <= _SPLIT_SLACK] = k
        found[np.abs(ratio / k - 1.0) <= _SPLIT_SLACK] = -k
    return found


def _warn_split_like_moves(frame: pd.DataFrame) -> None:
    """DataWarning for a one-bar move (close to next open, or close to close) larger than
    _SPLIT_MOVE whose ratio is near a usual split ratio: the prices may be unadjusted."""
    close = frame["close"].to_numpy()
    hits = []
    for label, values in (("open", frame["open"].to_numpy()), ("close", close)):
        ratio = values[1:] / close[:-1]
        # Only the large moves can be splits: test those few against every split ratio.
        large = np.flatnonzero(np.maximum(ratio, 1.0 / ratio) > _SPLIT_MOVE)
        split = _nearest_split(ratio[large])
        hits += [
            (int(i) + 1, label, ratio[i], k) for i, k in zip(large, split, strict=True) if k != 0
        ]
    if not hits:
        return
    row, label, ratio, split = min(hits, key=lambda hit: hit[0])  # the open's gap first
    rows = len({hit[0] for hit in hits})
    shape = f"{split}:1 split" if split > 0 else f"1:{-split} reverse split"
    warnings.warn(
        f"{_where(frame.index, row)}: previous close to this bar's {label} moves by a factor of "
        f"{ratio:.4g}, like an unadjusted {shape} ({rows} such bar(s) in all); if the prices "
        "are not split-adjusted, use adjusted ones (adjust=True with an 'Adj Close' column, "
        "or `fastbt fetch` without --unadjusted)",
        DataWarning,
        stacklevel=4,
    )


def bar_arrays(bars: pd.DataFrame) -> dict[str, np.ndarray]:
    """Validated bars as contiguous float64 arrays by column name, for the kernels."""
    return {c: np.ascontiguousarray(bars[c].to_numpy(dtype=np.float64)) for c in COLUMNS}


def validate_bars(
    data: pd.DataFrame,
    *,
    repair: bool = False,
    ffill: bool = False,
    date_format: str | None = None,
    dayfirst: bool | None = None,
    symbol: str | None = None,
    adjust: bool | None = None,
) -> pd.DataFrame:
    """Validated, normalised copy of ``data``: a UTC-or-naive DatetimeIndex named
    ``timestamp`` and float64 columns open, high, low, close, volume.

    ``repair`` sorts unsorted timestamps and drops a few duplicates (keeping the
    last), warning with a ``DataWarning``; without it both are errors. ``ffill``
    forward-fills missing values instead of rejecting them. ``date_format`` and
    ``dayfirst`` say how to read text dates; ``symbol`` picks one series of a
    table holding several (a symbol/ticker column, yf.download columns);
    ``adjust`` chooses adjusted or raw prices when there is an ``Adj Close`` column.
    """
    if not isinstance(data, pd.DataFrame):
        raise ValueError(
            f"data must be a pandas DataFrame of OHLCV bars, got {type(data).__name__}"
        )
    picked = pick_symbol(data, symbol)
    dated = _with_datetime_index(picked, date_format=date_format, dayfirst=dayfirst)
    adj_column = adj_close_column(dated)
    frame = _ohlcv_columns(dated)
    frame = apply_adjustment(frame, None if adj_column is None else dated[adj_column], adjust)
    adjusted = frame.attrs.get("adjusted")
    frame = _order_timestamps(frame, repair)
    frame = _fill_gaps(frame, ffill)
    if len(frame) < 2:
        raise ValueError(f"need at least 2 bars, got {len(frame)}")
    _check_prices(frame)
    _warn_split_like_moves(frame)
    frame.attrs = dict(picked.attrs)
    if adjusted is not None:
        frame.attrs["adjusted"] = adjusted
    return frame
