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


def pytest_terminal_summary(terminalreporter):
    """One line per benchmark with its median ns/bar (from ``record_property``)."""
    rows = [
        (report.nodeid.split("::")[-1], dict(report.user_properties)["ns_per_bar"])
        for report in terminalreporter.stats.get("passed", [])
        if report.when == "call" and "ns_per_bar" in dict(report.user_properties)
    ]
    if rows:
        terminalreporter.write_sep("-", "median ns per bar")
        width = max(len(name) for name, _ in rows)
        for name, value in rows:
            terminalreporter.write_line(f"{name:<{width}}  {value:>12,.1f}")
