"""Numba kernels: arrays and scalars in, arrays and scalars out, no pandas.

Every function here is ``@njit(cache=True, nogil=True)`` and implements a rule of
the execution contract documented in ``docs/execution.md``.
"""

from fastbt.kernels.indicators import rolling_mean, rsi, sma
from fastbt.kernels.metrics import METRIC_NAMES
from fastbt.kernels.signals import crossover, crossover_level
from fastbt.kernels.simulate import TRADE_FIELDS, simulate

__all__ = [
    "METRIC_NAMES",
    "TRADE_FIELDS",
    "crossover",
    "crossover_level",
    "rolling_mean",
    "rsi",
    "simulate",
    "sma",
]
