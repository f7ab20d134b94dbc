"""Real market data shipped with the package, so everything works offline."""

from importlib import resources

import pandas as pd

SAMPLES = {
    "GOOG": "Alphabet (GOOG), daily, 2004-08-19 to 2013-03-01, not split-adjusted",
    "EURUSD": "Euro / US dollar, hourly, 2017-04-19 to 2018-02-07",
    "BTCUSD": "Bitcoin / US dollar, monthly, 2012-01-31 to 2024-12-31",
}


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
