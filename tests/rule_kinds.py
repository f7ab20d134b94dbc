"""A test-only indicator kind with two inputs and two outputs, so the rule language is
tested on the general case even while the registry holds only one-output kinds."""

from collections import deque

import numpy as np
from numba import njit

from fastbt.indicators import INDICATORS, IndicatorKind, register
from fastbt.strategies.spec import Param


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
