"""A CSV file of entry and exit signals (``fastbt run SOURCE --signals FILE``).

The file has a timestamp column (read like a bars file's: date, datetime, timestamp
or time, one format for the whole column) and ``entry`` and ``exit`` columns whose
values are ``true``/``false`` or ``1``/``0`` (any case). In a file those are the
usual spellings of a flag, so both are read; anything else, or an empty cell, is
refused with its row. Matching the bars' timestamps is checked by ``fastbt.run``.
"""

from pathlib import Path

import numpy as np
import pandas as pd

from fastbt.data.csvfile import read_csv
from fastbt.data.validate import _with_datetime_index

SIDES = ("entry", "exit")
_FLAGS = {"true": True, "1": True, "false": False, "0": False}


def _flags(column: pd.Series, name: str, path: Path) -> pd.Series:
    """One column as booleans, or a ValueError naming the first bad row."""
    texts = column.astype("string").str.strip().str.lower()
    flags = texts.map(_FLAGS, na_action="ignore")
    bad = flags.isna().to_numpy()
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"{path}: column '{name}' at row {row} ({column.index[row]}) is "
            f"{column.iloc[row]!r}; signal values must be true/false or 1/0"
        )
    return flags.astype(bool)


def read_signals(
    path, *, date_format: str | None = None, dayfirst: bool | None = None
) -> tuple[pd.Series, pd.Series]:
    """``(entry, exit)`` boolean Series on the file's timestamps."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"signals file {path} does not exist")
    frame = read_csv(path)
    by_name = {str(column).strip().lower(): column for column in frame.columns}
    missing = [side for side in SIDES if side not in by_name]
    if missing:
        raise ValueError(
            f"{path}: no column(s) {', '.join(missing)}; a signals file has a timestamp "
            "column and 'entry' and 'exit' columns of true/false or 1/0"
        )
    frame = _with_datetime_index(frame, date_format=date_format, dayfirst=dayfirst)
    entry, exit_ = (_flags(frame[by_name[side]], side, path) for side in SIDES)
    return entry, exit_
