"""CSV files of bars: the field separator is detected, and yfinance's export is recognised.

yfinance's ``DataFrame.to_csv`` writes three header rows (``Price,Close,...`` /
``Ticker,AAPL,...`` / ``Date,,,``); they are read back as (Price, Ticker)
columns, which ``layout.pick_symbol`` resolves like a ``yf.download`` frame.
"""

import re
from pathlib import Path

import pandas as pd

_SEPARATORS = (",", ";", "\t", "|")
_HEAD_LINES = 3
_DECIMAL_COMMA = re.compile(r"^\s*[-+]?\d[\d.]*,\d+\s*$")
_NUMERIC_NAMES = ("open", "high", "low", "close", "volume", "adj close", "adj_close")


def _head(path: Path) -> list[str]:
    """The first few lines of the file (fewer if it is shorter)."""
    with path.open(encoding="utf-8-sig", errors="replace") as handle:
        return [line.rstrip("\r\n") for _, line in zip(range(_HEAD_LINES), handle, strict=False)]


def _separator(header: str) -> str:
    """The separator the header line uses most (a comma when it uses none)."""
    best = max(_SEPARATORS, key=header.count)
    return best if header.count(best) else ","


def _is_yfinance_export(lines: list[str], sep: str) -> bool:
    """Price/Ticker header rows, then a Date row with empty fields."""
    if len(lines) < _HEAD_LINES:
        return False
    first, second, third = (line.split(sep) for line in lines)
    return (
        {first[0].strip().lower(), second[0].strip().lower()} == {"price", "ticker"}
        and third[0].strip().lower() in ("date", "datetime")
        and not any(field.strip() for field in third[1:])
    )


def _refuse_decimal_commas(frame: pd.DataFrame, sep: str, path: Path) -> None:
    """A ';' file whose numbers use ',' decimals is refused rather than guessed at."""
    for column in frame.columns:
        name = column[0] if isinstance(column, tuple) else column
        numeric = pd.api.types.is_numeric_dtype(frame[column].dtype)
        if numeric or str(name).strip().lower() not in _NUMERIC_NAMES:
            continue
        values = frame[column].astype(str)
        hits = values.str.match(_DECIMAL_COMMA)
        if hits.any():
            row = int(hits.to_numpy().argmax())
            raise ValueError(
                f"{path}: fields are separated by {sep!r} and numbers use ',' as the decimal "
                f"mark (column {name!r}, row {row}: {values.iloc[row]!r}); read it with "
                f"pd.read_csv(path, sep={sep!r}, decimal=',') and pass the DataFrame to "
                "fastbt.load, or save the file with ',' separators and '.' decimals"
            )


def read_csv(path: Path) -> pd.DataFrame:
    """Raw table of a CSV file of bars, with ',', ';', tab or '|' separators."""
    lines = _head(path)
    sep = _separator(lines[0]) if lines else ","
    if _is_yfinance_export(lines, sep):
        frame = pd.read_csv(path, sep=sep, header=[0, 1], index_col=0, skiprows=[2])
        frame.columns.names = [line.split(sep)[0].strip() for line in lines[:2]]
        frame.index.name = lines[2].split(sep)[0].strip()
    else:
        frame = pd.read_csv(path, sep=sep)
    if sep != ",":
        _refuse_decimal_commas(frame, sep, path)
    return frame
