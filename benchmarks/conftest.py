"""Benchmark datasets, built once per session and only when a test asks for them."""

import pytest
from workloads import SLICE_BARS, synthetic_bars

import fastbt


class Datasets:
    """``datasets["goog"|"synthetic-20k"|"synthetic-1m"]``: OHLCV bars, cached."""

    def __init__(self):
        self._cache = {}

    def __getitem__(self, name: str):
        if name not in self._cache:
            if name == "goog":
                self._cache[name] = fastbt.load("GOOG")
            elif name == "synthetic-1m":
                self._cache[name] = synthetic_bars()
            elif name == "synthetic-20k":
                self._cache[name] = self["synthetic-1m"].iloc[:SLICE_BARS].copy()
            else:
                raise KeyError(name)
        return self._cache[name]


@pytest.fixture(scope="session")
def datasets() -> Datasets:
    """Shared lazy datasets."""
    return Datasets()
