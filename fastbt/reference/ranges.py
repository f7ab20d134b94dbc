"""Streaming true range and ATR (fastbt/kernels/ranges.py)."""

from fastbt.reference.averages import wilder_smoothing
from fastbt.reference.indicators import RunningWindowMean


class TrueRange:
    """Largest of high - low, |high - previous close|, |low - previous close|; None at bar 0."""

    def __init__(self):
        self.previous = None

    def add(self, high: float, low: float, close: float) -> float | None:
        previous, self.previous = self.previous, close
        if previous is None:
            return None
        value = high - low
        up = abs(high - previous)
        if up > value:
            value = up
        down = abs(low - previous)
        if down > value:
            value = down
        return value

    def update(self, high: float, low: float, close: float) -> tuple:
        return (self.add(high, low, close),)


class Atr:
    """Simple mean of the true range over ``window`` bars (bars 1..; first at bar ``window``)."""

    def __init__(self, window: int):
        self.ranges = TrueRange()
        self.mean = RunningWindowMean(window)
        self.i = -1

    def update(self, high: float, low: float, close: float) -> tuple:
        value = self.ranges.add(high, low, close)
        if value is None:
            return (None,)
        self.mean.add(value)
        self.i += 1
        return (self.mean.at(self.i),)


class AtrWilder:
    """Wilder-smoothed true range, seeded by the simple mean of the first ``window`` ranges."""

    def __init__(self, window: int):
        self.ranges = TrueRange()
        self.smoothing = wilder_smoothing(window)

    def update(self, high: float, low: float, close: float) -> tuple:
        value = self.ranges.add(high, low, close)
        return (None if value is None else self.smoothing.add(value),)
