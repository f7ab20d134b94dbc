"""``fastbt.load``: one entry point for bars from a sample, a file or a DataFrame."""

from functools import lru_cache
from pathlib import Path

import pandas as pd

from fastbt.data.csvfile import read_csv
from fastbt.data.layout import symbols_in
from fastbt.data.samples import SAMPLES, check_sample_interval, read_sample
from fastbt.data.validate import validate_bars

_READERS = {".csv": read_csv, ".parquet": pd.read_parquet, ".pq": pd.read_parquet}
_DEFAULT_INTERVAL = "1d"


def _read_file(path: Path) -> pd.DataFrame:
    """Raw frame from a CSV or Parquet file, with a clear error for anything else."""
    reader = _READERS.get(path.suffix.lower())
    if reader is None:
        raise ValueError(f"{path}: unsupported file type {path.suffix!r} (use .csv or .parquet)")
    try:
        return reader(path)
    except (OSError, ValueError) as error:
        message = str(error)
        raise ValueError(
            message if message.startswith(f"{path}:") else f"{path}: could not be read ({message})"
        ) from None


def _looks_like_path(source) -> bool:
    """A Path, or text with a path separator or a data-file suffix (not a symbol)."""
    text = str(source)
    return (
        isinstance(source, Path)
        or "/" in text
        or "\\" in text
        or Path(text).suffix.lower() in _READERS
    )


@lru_cache(maxsize=len(SAMPLES))
def _validated_sample(symbol: str) -> pd.DataFrame:
    """A bundled sample, read and validated once per process (callers get copies).

    The files ship with the package and passed validation without repairs when
    they were bundled (scripts/bundle_samples.py), so repair/ffill cannot apply.
    """
    return validate_bars(read_sample(symbol))


def _from_store(symbol: str, interval: str, store) -> pd.DataFrame | None:
    """Stored bars of ``symbol``, or None when it is not a storable name or not stored."""
    from fastbt.storage import MarketStore, check_symbol

    try:
        name = check_symbol(symbol)
    except ValueError:
        return None
    market = store if isinstance(store, MarketStore) else MarketStore(store)
    if not market.exists(name, interval):
        return None
    frame = market.read(name, interval=interval)
    frame.attrs["symbol"] = name
    return frame


def load(
    source,
    *,
    interval: str | None = None,
    store=None,
    repair: bool = True,
    ffill: bool = False,
    date_format: str | None = None,
    dayfirst: bool | None = None,
    symbol: str | None = None,
    adjust: bool | None = None,
) -> pd.DataFrame:
    """Validated OHLCV bars from ``source``.

    ``source`` is a DataFrame, a path to a CSV or Parquet file, or a symbol: read
    from the market-data store (``store``, default ``$FASTBT_HOME`` or
    ``~/.fastbt``; bars of ``interval``, default 1d) if stored there, else a
    bundled sample (GOOG, EURUSD, BTCUSD; an ``interval`` other than the
    sample's is refused). ``repair`` sorts and de-duplicates timestamps with a
    warning instead of rejecting them; ``ffill`` forward-fills missing values.
    For files and DataFrames: ``date_format``/``dayfirst`` say how to read text
    dates, ``symbol`` picks one series of a multi-symbol table, ``adjust``
    chooses adjusted or raw prices when there is an ``Adj Close`` column
    (docs/data.md). The result's ``attrs["symbol"]`` names where it came from.
    """
    options = dict(
        repair=repair,
        ffill=ffill,
        date_format=date_format,
        dayfirst=dayfirst,
        symbol=symbol,
        adjust=adjust,
    )
    if isinstance(source, pd.DataFrame):
        return validate_bars(source, **options)
    if not isinstance(source, str | Path):
        raise ValueError(
            f"data source must be a DataFrame, a file path or a symbol, got {type(source).__name__}"
        )
    path = Path(source)
    if path.is_file():
        frame = _read_file(path)
        frame.attrs["symbol"] = path.stem.upper()
    elif _looks_like_path(source):
        raise ValueError(f"file not found: {source}")
    elif (stored := _from_store(str(source), interval or _DEFAULT_INTERVAL, store)) is not None:
        return _validate(stored, source, repair=repair, ffill=ffill)
    elif str(source).upper() in SAMPLES:
        check_sample_interval(str(source), interval)
        return _validated_sample(str(source).upper()).copy()
    else:
        raise ValueError(
            f"unknown data source {str(source)!r}: not a file, not in the store (run "
            f"`fastbt fetch {source}` to download it), and not a bundled sample "
            f"({', '.join(SAMPLES)})"
        )
    return _validate(frame, source, **options)


def _validate(frame: pd.DataFrame, source, **options) -> pd.DataFrame:
    """``validate_bars`` with errors prefixed by the source's name or path."""
    try:
        return validate_bars(frame, **options)
    except ValueError as error:
        raise ValueError(f"{source}: {error}") from None


def load_symbols(path, **options) -> dict[str, pd.DataFrame]:
    """Validated bars of every symbol in a multi-symbol file, by symbol, in file order.

    The file is a CSV/Parquet table with a symbol or ticker column, or a yfinance
    export with several tickers; ``options`` are those of ``load`` except
    ``symbol``. Every symbol is validated before any is returned.
    """
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"file not found: {path}")
    frame = _read_file(path)
    symbols = symbols_in(frame)
    if symbols is None:
        raise ValueError(
            f"{path}: no symbol or ticker column (nor yfinance ticker columns) to split by"
        )
    return {name: _validate(frame, f"{path} [{name}]", symbol=name, **options) for name in symbols}
