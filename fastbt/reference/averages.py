"""Streaming moving averages with the kernels' arithmetic (fastbt/kernels/averages.py).

Each class takes one defined value per ``update`` and returns a tuple of outputs,
``None`` during warm-up.
"""

from collections import deque

from fastbt.reference.indicators import RunningWindowMean


class Sma:
    """Simple moving average: the window mean of the prefix sums (kernels.indicators.sma)."""

    def __init__(self, window: int):
        self.mean = RunningWindowMean(window)
        self.i = -1

    def update(self, value: float) -> tuple:
        self.mean.add(value)
        self.i += 1
        return (self.mean.at(self.i),)


class Smoothed:
    """Exponential smoothing seeded by the mean of the first ``window`` values."""

    def __init__(self, window: int, alpha: float):
        self.window = window
        self.alpha = alpha
        self.count = 0
        self.total = 0.0
        self.value = None

    def add(self, x: float) -> float | None:
        """Take the next value; the smoothed value, or None before ``window`` values."""
        self.count += 1
        if self.value is not None:
            self.value = self.value + self.alpha * (x - self.value)
        else:
            self.total = self.total + x
            if self.count == self.window:
                self.value = self.total / self.window
        return self.value


def ema_smoothing(window: int) -> Smoothed:
    """EMA: ``alpha = 2 / (window + 1)``."""
    return Smoothed(window, 2.0 / (window + 1.0))


def wilder_smoothing(window: int) -> Smoothed:
    """Wilder's smoothing: ``alpha = 1 / window``."""
    return Smoothed(window, 1.0 / window)


class Ema:
    """Exponential moving average seeded by the SMA of the first ``window`` values."""

    def __init__(self, window: int):
        self.smoothing = ema_smoothing(window)

    def update(self, value: float) -> tuple:
        return (self.smoothing.add(value),)


class Wma:
    """Linearly weighted moving average, weights 1..window with the newest heaviest."""

    def __init__(self, window: int):
        self.window = window
        self.values = deque(maxlen=window)
        self.denominator = window * (window + 1.0) / 2.0

    def update(self, value: float) -> tuple:
        self.values.append(value)
        if len(self.values) < self.window:
            return (None,)
        numerator = 0.0
        for weight, x in enumerate(self.values, start=1):
            numerator = numerator + weight * x
        return (numerator / self.denominator,)
