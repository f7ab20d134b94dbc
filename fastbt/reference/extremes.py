"""Streaming rolling extremes and Donchian channels (fastbt/kernels/extremes.py)."""

from collections import deque


class RollingExtreme:
    """Largest (``highest``) or smallest of the last ``window`` values; the newest of equals."""

    def __init__(self, window: int, highest: bool):
        self.window = window
        self.highest = highest
        self.values = deque(maxlen=window)

    def add(self, value: float) -> float | None:
        self.values.append(value)
        if len(self.values) < self.window:
            return None
        best = self.values[0]
        for x in self.values:
            if (x >= best) if self.highest else (x <= best):
                best = x
        return best


class Highest:
    """Highest of the last ``window`` values."""

    def __init__(self, window: int):
        self.extreme = RollingExtreme(window, highest=True)

    def update(self, value: float) -> tuple:
        return (self.extreme.add(value),)


class Lowest:
    """Lowest of the last ``window`` values."""

    def __init__(self, window: int):
        self.extreme = RollingExtreme(window, highest=False)

    def update(self, value: float) -> tuple:
        return (self.extreme.add(value),)


class Donchian:
    """Donchian channel ``(upper, lower, middle)`` of highs and lows over ``window`` bars."""

    def __init__(self, window: int):
        self.upper = RollingExtreme(window, highest=True)
        self.lower = RollingExtreme(window, highest=False)

    def update(self, high: float, low: float) -> tuple:
        upper, lower = self.upper.add(high), self.lower.add(low)
        if upper is None:
            return (None, None, None)
        return (upper, lower, (upper + lower) / 2.0)
