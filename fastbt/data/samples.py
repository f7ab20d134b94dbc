"""Real market data shipped with the package, so everything works offline."""

from importlib import resources

import pandas as pd

SAMPLES = {
    "GOOG": "Alphabet (GOOG), daily, 2004-08-19 to 2013-03-01, not split-adjusted",
    "EURUSD": "Euro / US dollar, hourly, 2017-04-19 to 2018-02-07",
    "BTCUSD": "Bitcoin / US dollar, monthly, 2012-01-31 to 2024-12-31",
}

# Bar interval of each sample, in the store's interval names (fastbt.storage.INTERVALS).
SAMPLE_INTERVALS = {"GOOG": "1d", "EURUSD": "1h", "BTCUSD": "1mo"}


def check_sample_interval(symbol: str, interval: str | None) -> None:
    """Refuse asking a bundled sample for bars of an interval it does not have."""
    have = SAMPLE_INTERVALS[symbol.upper()]
    if interval is not None and interval != have:
        raise ValueError(
            f"the bundled sample {symbol.upper()} has {have} bars, not {interval}; "
            f"ask for interval={have!r} (CLI: --interval {have}) or leave it out, or fetch "
            f"{interval} bars into the store (`fastbt fetch SYMBOL --interval {interval}`)"
        )


def sample_path(symbol: str):
    """Path of a bundled sample's Parquet file (``symbol`` as in ``SAMPLES``)."""
    return resources.files("fastbt.data") / "samples" / f"{symbol}.parquet"


def read_sample(symbol: str) -> pd.DataFrame:
    """Bars of one bundled sample symbol, as stored (already validated when bundled)."""
    key = symbol.upper()
    if key not in SAMPLES:
        raise ValueError(f"unknown sample {symbol!r}; bundled samples: {', '.join(SAMPLES)}")
    with resources.as_file(sample_path(key)) as path:
        frame = pd.read_parquet(path)
    frame.attrs["symbol"] = key
    return frame
