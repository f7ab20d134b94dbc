"""Convert the CSV sample data into the Parquet files shipped in fastbt/data/samples.

Usage: python scripts/bundle_samples.py PATH/TO/CSV/DIR
The numbers are copied as given; validation must pass with no repairs.
"""

import sys
import warnings
from pathlib import Path

from fastbt.data.samples import SAMPLES, sample_path
from fastbt.data.validate import validate_bars


def main(source_dir: str) -> None:
    import pandas as pd

    for symbol in SAMPLES:
        raw = pd.read_csv(Path(source_dir) / f"{symbol}.csv")
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            bars = validate_bars(raw)
        bars.to_parquet(sample_path(symbol), engine="pyarrow", compression="zstd")
        print(f"{symbol}: {len(bars)} bars, {bars.index[0]} .. {bars.index[-1]}")


if __name__ == "__main__":
    main(sys.argv[1])
