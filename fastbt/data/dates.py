"""Timestamps from text with ONE format for the whole column (docs/data.md).

Reading each value on its own (``format="mixed"``) turns a day-first file into
a mix of day-first and month-first dates; here every candidate format is tried
on the whole column, and a column that two formats read differently is refused
unless ``dayfirst=`` or ``date_format=`` decides.
"""

import warnings

import numpy as np
import pandas as pd
from pandas.tseries.api import guess_datetime_format

_ISO = "ISO8601"
_GUESS_SAMPLES = 20  # values, spread over the column, whose layout is guessed
_HOW_TO_CHOOSE = (
    "pass dayfirst=True or dayfirst=False, or date_format= (CLI: --dayfirst, --no-dayfirst, "
    "--date-format)"
)


def parse_timestamps(
    values, where: str, *, date_format: str | None = None, dayfirst: bool | None = None
) -> pd.DatetimeIndex:
    """Timestamps from strings or datetimes, or a ValueError saying where parsing failed.

    Numbers are refused (epoch seconds would silently become 1970 nanoseconds);
    mixed UTC offsets (a daylight-saving change) are converted to UTC. Text is
    read with one format for every row: ``date_format`` if given, else ISO 8601,
    else the format guessed from the values that reads every row; when a
    day-first and a month-first format both do and disagree, ``dayfirst``
    chooses, and without it the column is refused.
    """
    dtype = getattr(values, "dtype", None)
    if pd.api.types.is_numeric_dtype(dtype):
        raise ValueError(
            f"timestamps: {where} holds numbers, not dates; convert epoch values first, "
            "e.g. pd.to_datetime(values, unit='s')"
        )
    if isinstance(dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(dtype):
        return pd.DatetimeIndex(values)
    texts = pd.Series(np.asarray(values, dtype=object))
    present = texts.notna().to_numpy()
    if not all(isinstance(value, str) for value in texts[present]):
        return _parse_objects(values, where)
    texts[present] = texts[present].str.strip()
    if date_format is not None:
        parsed = _parse(texts, date_format)
        _refuse_unparsed(texts, present, parsed, f"date_format {date_format!r}", where)
        return parsed
    iso = _parse(texts, _ISO)
    if not (present & iso.isna()).any():
        return iso
    readings = {fmt: _parse(texts, fmt) for fmt in _candidate_formats(texts[present], dayfirst)}
    complete = {fmt: p for fmt, p in readings.items() if not (present & p.isna()).any()}
    if not complete:
        if readings:
            best = max(readings, key=lambda fmt: readings[fmt].notna().sum())
            name = f"{_describe(best)}, the format that reads most rows"
        else:
            best, name = _ISO, "ISO 8601 (YYYY-MM-DD)"
            if dayfirst is not None:
                name = f"any {'day' if dayfirst else 'month'}-first format (dayfirst={dayfirst})"
        _refuse_unparsed(texts, present, readings.get(best, iso), name, where)
    distinct = {}
    for fmt, parsed in complete.items():
        if not any(parsed.equals(other) for other in distinct.values()):
            distinct[fmt] = parsed
    if len(distinct) > 1:
        raise ValueError(
            f"timestamps: {where} can be read as {' or as '.join(map(_describe, distinct))}, "
            f"which give different dates; {_HOW_TO_CHOOSE}"
        )
    return next(iter(distinct.values()))


def _parse(texts: pd.Series, fmt: str) -> pd.DatetimeIndex:
    """``texts`` read with ``fmt``, NaT where a value does not match; mixed UTC
    offsets are converted to UTC."""
    try:
        return pd.DatetimeIndex(pd.to_datetime(texts, format=fmt, errors="coerce"))
    except ValueError as error:
        if "mixed timezones" not in str(error).lower():
            raise
        return pd.DatetimeIndex(pd.to_datetime(texts, format=fmt, errors="coerce", utc=True))


def _parse_objects(values, where: str) -> pd.DatetimeIndex:
    """Datetime objects (not text) of an object column, converted as they are."""
    try:
        return pd.DatetimeIndex(pd.to_datetime(values))
    except (ValueError, TypeError) as error:
        if "mixed timezones" in str(error).lower():
            return pd.DatetimeIndex(pd.to_datetime(values, utc=True))
        raise ValueError(f"timestamps: {where} could not be read as dates ({error})") from None


def _order(fmt: str) -> str | None:
    """'day' or 'month': which of the two comes first in ``fmt`` (None: not both there)."""
    day, month = fmt.find("%d"), fmt.find("%m")
    if day < 0 or month < 0:
        return None
    return "day" if day < month else "month"


def _describe(fmt: str) -> str:
    order = _order(fmt)
    return f"{fmt} ({order} first)" if order else fmt


def _candidate_formats(texts: pd.Series, dayfirst: bool | None) -> list[str]:
    """Formats guessed from values spread over the column, day-first and month-first.

    Year-first formats are read year-month-day unless ``dayfirst=True`` asks for
    year-day-month; ``dayfirst`` drops the formats of the other order.
    """
    picks = np.unique(np.linspace(0, len(texts) - 1, min(len(texts), _GUESS_SAMPLES)).astype(int))
    formats = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pandas warns when a guess contradicts dayfirst
        for value in texts.iloc[picks]:
            for first in (False, True):
                fmt = guess_datetime_format(value, dayfirst=first)
                if fmt is not None and fmt not in formats:
                    formats.append(fmt)
    wanted = {None: None, True: "day", False: "month"}[dayfirst]
    return [
        fmt
        for fmt in formats
        if (wanted is None or _order(fmt) in (None, wanted))
        and not (fmt.startswith("%Y") and _order(fmt) == "day" and dayfirst is not True)
    ]


def _refuse_unparsed(
    texts: pd.Series, present: np.ndarray, parsed: pd.DatetimeIndex, name: str, where: str
) -> None:
    """Raise naming the first row that ``parsed`` (the reading ``name``) left empty, if any."""
    failed = np.flatnonzero(present & parsed.isna())
    if failed.size == 0:
        return
    row = int(failed[0])
    raise ValueError(
        f"timestamps: {where} could not be read as dates with one format: row {row} "
        f"({texts.iloc[row]!r}) does not match {name} ({failed.size} row(s) do not); "
        "pass date_format= (CLI: --date-format) to give the format"
    )
