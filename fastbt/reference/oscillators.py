"""Streaming RSI (simple and Wilder), MACD, stochastic, ROC and momentum
(fastbt/kernels/indicators.py and fastbt/kernels/oscillators.py)."""

from fastbt.reference.averages import ema_smoothing, wilder_smoothing
from fastbt.reference.extremes import RollingExtreme
from fastbt.reference.indicators import RunningWindowMean, rsi_value


class Rsi:
    """RSI from simple window means of gains and losses (bar 0 contributes an exact 0)."""

    def __init__(self, window: int):
        self.window = window
        self.gains = RunningWindowMean(window)
        self.losses = RunningWindowMean(window)
        self.previous = None
        self.i = -1

    def update(self, value: float) -> tuple:
        self.i += 1
        change = value - self.previous if self.previous is not None else 0.0
        self.previous = value
        self.gains.add(max(change, 0.0))
        self.losses.add(max(-change, 0.0))
        if self.i < self.window:
            return (None,)
        return (rsi_value(self.gains.at(self.i), self.losses.at(self.i)),)


class RsiWilder:
    """RSI from Wilder-smoothed gains and losses, seeded by their simple means."""

    def __init__(self, window: int):
        self.gains = wilder_smoothing(window)
        self.losses = wilder_smoothing(window)
        self.previous = None

    def update(self, value: float) -> tuple:
        previous, self.previous = self.previous, value
        if previous is None:
            return (None,)
        change = value - previous
        gain = change if change > 0.0 else 0.0
        loss = -change if change < 0.0 else 0.0
        return (rsi_value(self.gains.add(gain), self.losses.add(loss)),)


class Macd:
    """MACD ``(line, signal, hist)``: EMA(fast) - EMA(slow), its EMA(signal), the difference."""

    def __init__(self, fast: int, slow: int, signal: int):
        self.fast = ema_smoothing(fast)
        self.slow = ema_smoothing(slow)
        self.signal = ema_smoothing(signal)

    def update(self, value: float) -> tuple:
        fast, slow = self.fast.add(value), self.slow.add(value)
        if fast is None or slow is None:
            return (None, None, None)
        line = fast - slow
        signal = self.signal.add(line)
        return (line, signal, None if signal is None else line - signal)


class Stoch:
    """Stochastic ``(k, d)``: close within the window's low-high range in percent, and its SMA."""

    def __init__(self, window: int, d_window: int):
        self.highest = RollingExtreme(window, highest=True)
        self.lowest = RollingExtreme(window, highest=False)
        self.d = RunningWindowMean(d_window)
        self.i = -1

    def update(self, high: float, low: float, close: float) -> tuple:
        highest, lowest = self.highest.add(high), self.lowest.add(low)
        if highest is None:
            return (None, None)
        span = highest - lowest
        k = 50.0 if span == 0.0 else (close - lowest) / span * 100.0
        self.d.add(k)
        self.i += 1
        return (k, self.d.at(self.i))


class _Lagged:
    """Every value so far, to look ``window`` bars back."""

    def __init__(self, window: int):
        self.window = window
        self.values = []

    def base_after(self, value: float) -> float | None:
        """Append ``value``; the value ``window`` bars earlier, or None."""
        self.values.append(value)
        if len(self.values) <= self.window:
            return None
        return self.values[-1 - self.window]


class Roc(_Lagged):
    """Rate of change in percent over ``window`` bars; None where the earlier value is 0."""

    def update(self, value: float) -> tuple:
        base = self.base_after(value)
        if base is None or base == 0.0:
            return (None,)
        return ((value - base) / base * 100.0,)


class Momentum(_Lagged):
    """Difference from the value ``window`` bars earlier."""

    def update(self, value: float) -> tuple:
        base = self.base_after(value)
        return (None if base is None else value - base,)
