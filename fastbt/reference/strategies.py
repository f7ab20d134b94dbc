"""Bar-by-bar forms of the built-in strategies, written to be read.

A reference strategy is called once per bar with the ``History`` so far and
answers ``(entry, exit)`` for the newest bar. It may keep running sums between
calls, fed only from the history it was shown.
"""

from fastbt.reference.history import History
from fastbt.reference.indicators import RunningWindowMean, crossed, rsi_value


class ReferenceStrategy:
    """Base class: subclasses implement ``generate_signals``; params arrive as keywords."""

    def __init__(self, **params):
        self.params = params

    def generate_signals(self, history: History) -> tuple[bool, bool]:
        """``(entry, exit)`` for the newest bar in ``history``."""
        raise NotImplementedError


class MaCross(ReferenceStrategy):
    """Enter when SMA(fast) crosses above SMA(slow); exit when it crosses below."""

    def __init__(self, fast: int, slow: int):
        super().__init__(fast=fast, slow=slow)
        self.fast = RunningWindowMean(fast)
        self.slow = RunningWindowMean(slow)

    def generate_signals(self, history: History) -> tuple[bool, bool]:
        close = history.close[-1]
        self.fast.add(close)
        self.slow.add(close)
        i = len(history) - 1
        if i == 0:
            return False, False
        f_prev, f_now = self.fast.at(i - 1), self.fast.at(i)
        s_prev, s_now = self.slow.at(i - 1), self.slow.at(i)
        entry = crossed(f_prev, f_now, s_prev, s_now, above=True)
        exit_ = crossed(f_prev, f_now, s_prev, s_now, above=False)
        return entry, exit_


class Rsi(ReferenceStrategy):
    """Enter when RSI crosses below ``oversold``; exit when it crosses above ``overbought``."""

    def __init__(self, window: int, oversold: float, overbought: float):
        super().__init__(window=window, oversold=oversold, overbought=overbought)
        self.gains = RunningWindowMean(window)
        self.losses = RunningWindowMean(window)
        self.window = window
        self.oversold = oversold
        self.overbought = overbought
        self.previous_rsi = None

    def generate_signals(self, history: History) -> tuple[bool, bool]:
        i = len(history) - 1
        change = history.close[i] - history.close[i - 1] if i > 0 else 0.0
        self.gains.add(max(change, 0.0))
        self.losses.add(max(-change, 0.0))
        rsi = rsi_value(self.gains.at(i), self.losses.at(i)) if i >= self.window else None
        previous, self.previous_rsi = self.previous_rsi, rsi
        entry = crossed(previous, rsi, self.oversold, self.oversold, above=False)
        exit_ = crossed(previous, rsi, self.overbought, self.overbought, above=True)
        return entry, exit_
