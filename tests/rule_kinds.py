"""Test-only indicator kinds, so the rule language is tested on the general cases even
while the registry holds only simple kinds: ``test_channel`` has two inputs and two
outputs; ``test_gap`` has a rule between its parameters (fast < slow)."""

from collections import deque
from dataclasses import dataclass

import numpy as np
from numba import njit

from fastbt.indicators import INDICATORS, IndicatorKind, register
from fastbt.strategies.spec import Constraint, Param


@njit(cache=False)
def _channel(high, low, window, k):
    n = high.shape[0]
    upper = np.full(n, np.nan)
    lower = np.full(n, np.nan)
    for i in range(window - 1, n):
        top = high[i]
        bottom = low[i]
        for j in range(i - 1, i - window, -1):
            top = max(top, high[j])
            bottom = min(bottom, low[j])
        upper[i] = top + k
        lower[i] = bottom - k
    return upper, lower


class _ChannelReference:
    def __init__(self, window, k):
        self.k = k
        self.highs = deque(maxlen=window)
        self.lows = deque(maxlen=window)

    def update(self, high, low):
        self.highs.append(high)
        self.lows.append(low)
        if len(self.highs) < self.highs.maxlen:
            return None, None
        top, bottom = high, low
        for j in range(len(self.highs) - 2, -1, -1):
            top = max(top, self.highs[j])
            bottom = min(bottom, self.lows[j])
        return top + self.k, bottom - self.k


CHANNEL = INDICATORS.get("test_channel") or register(
    IndicatorKind(
        name="test_channel",
        description="highest high + k and lowest low - k over a window (tests only)",
        inputs=("high", "low"),
        params=(Param("window", int, 5, minimum=1), Param("k", float, 0.0, minimum=0.0)),
        outputs=("upper", "lower"),
        compute=_channel,
        reference=_ChannelReference,
    )
)


@njit(cache=False)
def _gap(source, fast, slow):
    out = np.full(source.shape[0], np.nan)
    for i in range(slow, source.shape[0]):
        out[i] = source[i - fast] - source[i - slow]
    return (out,)


class _GapReference:
    def __init__(self, fast, slow):
        self.fast, self.slow = fast, slow
        self.seen = []

    def update(self, source):
        self.seen.append(source)
        if len(self.seen) <= self.slow:
            return (None,)
        return (self.seen[-1 - self.fast] - self.seen[-1 - self.slow],)


@dataclass(frozen=True)
class _KindWithConstraints(IndicatorKind):
    constraints: tuple = ()  # a field of IndicatorKind itself in newer registries


GAP = INDICATORS.get("test_gap") or register(
    _KindWithConstraints(
        name="test_gap",
        description="source fast bars ago - source slow bars ago (tests only)",
        inputs=("source",),
        params=(Param("fast", int, 1, minimum=0), Param("slow", int, 3, minimum=1)),
        outputs=("value",),
        compute=_gap,
        reference=_GapReference,
        overlay=False,
        constraints=(
            Constraint(
                lambda v, n_bars: v["fast"] < v["slow"],
                "parameter 'fast' must be below 'slow', got fast={fast} slow={slow}",
            ),
        ),
    )
)
