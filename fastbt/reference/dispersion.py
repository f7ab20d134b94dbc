"""Streaming standard deviation, Bollinger bands and z-score (fastbt/kernels/dispersion.py)."""

import math
from collections import deque

from fastbt.reference.indicators import RunningWindowMean


def window_deviation(values) -> tuple[float, float]:
    """``(shift, std)`` of a full window around its newest value (the kernel's two passes)."""
    newest = values[-1]
    window = len(values)
    total = 0.0
    for x in values:
        total = total + (x - newest)
    shift = total / window
    squares = 0.0
    for x in values:
        d = (x - newest) - shift
        squares = squares + d * d
    return shift, math.sqrt(squares / window)


class _Window:
    """The last ``window`` values."""

    def __init__(self, window: int):
        self.window = window
        self.values = deque(maxlen=window)

    def full_after(self, value: float) -> bool:
        self.values.append(value)
        return len(self.values) == self.window


class Std(_Window):
    """Population standard deviation of the last ``window`` values."""

    def update(self, value: float) -> tuple:
        if not self.full_after(value):
            return (None,)
        return (window_deviation(self.values)[1],)


class Bbands(_Window):
    """Bollinger bands ``(middle, upper, lower)``: SMA and SMA +- k standard deviations."""

    def __init__(self, window: int, k: float):
        super().__init__(window)
        self.k = k
        self.mean = RunningWindowMean(window)
        self.i = -1

    def update(self, value: float) -> tuple:
        self.mean.add(value)
        self.i += 1
        if not self.full_after(value):
            return (None, None, None)
        middle = self.mean.at(self.i)
        spread = self.k * window_deviation(self.values)[1]
        return (middle, middle + spread, middle - spread)


class Zscore(_Window):
    """``(x - mean) / std`` of the newest value in its window; 0 when std is 0."""

    def update(self, value: float) -> tuple:
        if not self.full_after(value):
            return (None,)
        shift, std = window_deviation(self.values)
        return (0.0 if std == 0.0 else -shift / std,)
