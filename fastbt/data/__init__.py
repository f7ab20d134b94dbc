"""Bars in: validation, bundled samples, files, synthetic series."""

from fastbt.data.fetch import FetchResult, fetch
from fastbt.data.load import load
from fastbt.data.samples import SAMPLES
from fastbt.data.synthetic import synthetic, synthetic_universe
from fastbt.data.validate import validate_bars

__all__ = [
    "SAMPLES",
    "FetchResult",
    "fetch",
    "load",
    "synthetic",
    "synthetic_universe",
    "validate_bars",
]
