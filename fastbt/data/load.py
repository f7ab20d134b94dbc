"""``fastbt.load``: one entry point for bars from a sample, a file or a DataFrame."""

from functools import lru_cache
from pathlib import Path

import pandas as pd

from fastbt.data.samples import SAMPLES, read_sample
from fastbt.data.validate import validate_bars

_READERS = {".csv": pd.read_csv, ".parquet": pd.read_parquet, ".pq": pd.read_parquet}


def _read_file(path: Path) -> pd.DataFrame:
    """Raw frame from a CSV or Parquet file, with a clear error for anything else."""
    reader = _READERS.get(path.suffix.lower())
    if reader is None:
        raise ValueError(f"{path}: unsupported file type {path.suffix!r} (use .csv or .parquet)")
    try:
        return reader(path)
    except (OSError, ValueError) as error:
        raise ValueError(f"{path}: could not be read ({error})") from None


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
    interval: str = "1d",
    store=None,
    repair: bool = True,
    ffill: bool = False,
) -> pd.DataFrame:
    """Validated OHLCV bars from ``source``.

    ``source`` is a DataFrame, a path to a CSV or Parquet file, or a symbol: read
    from the market-data store (``store``, default ``$FASTBT_HOME`` or
    ``~/.fastbt``; bars of ``interval``) if stored there, else a bundled sample
    (GOOG, EURUSD, BTCUSD). ``repair`` sorts and de-duplicates timestamps with a
    warning instead of rejecting them; ``ffill`` forward-fills missing values.
    The result's ``attrs["symbol"]`` names where it came from.
    """
    if isinstance(source, pd.DataFrame):
        return validate_bars(source, repair=repair, ffill=ffill)
    if not isinstance(source, str | Path):
        raise ValueError(
            f"data source must be a DataFrame, a file path or a symbol, got {type(source).__name__}"
        )
    path = Path(source)
    if path.is_file():
        frame = _read_file(path)
        frame.attrs["symbol"] = path.stem.upper()
    elif (stored := _from_store(str(source), interval, store)) is not None:
        frame = stored
    elif str(source).upper() in SAMPLES:
        return _validated_sample(str(source).upper()).copy()
    else:
        raise ValueError(
            f"unknown data source {str(source)!r}: not a file, not in the store (run "
            f"`fastbt fetch {source}` to download it), and not a bundled sample "
            f"({', '.join(SAMPLES)})"
        )
    try:
        return validate_bars(frame, repair=repair, ffill=ffill)
    except ValueError as error:
        raise ValueError(f"{source}: {error}") from None
