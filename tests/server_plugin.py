"""Strategies the server tests register in the server (``fastbt serve --import``):
one that always raises, one that takes a given time per backtest (and as long
again to draw its price chart's indicators)."""

import time

import numpy as np

import fastbt


class _NoSignals(fastbt.ReferenceStrategy):
    def generate_signals(self, history):
        return False, False


def _explode(*arrays):
    raise RuntimeError("boom: this strategy always fails")


def _sleep(open_, high, low, close, volume, seconds, tag):
    time.sleep(seconds)
    flat = np.zeros(len(close), dtype=bool)
    return flat, flat


def _slow_indicators(open_, high, low, close, volume, seconds, tag):
    time.sleep(seconds)
    return []


EXPLODE = fastbt.Strategy(
    name="test_explode",
    description="raises while computing its signals",
    params=(),
    signals=_explode,
    reference=_NoSignals,
)
SLEEPY = fastbt.Strategy(
    name="test_sleepy",
    description="never trades; sleeps `seconds` per backtest",
    params=(
        fastbt.Param("seconds", float, 0.0, minimum=0, maximum=30),
        fastbt.Param("tag", int, 0, minimum=0),
    ),
    signals=_sleep,
    reference=_NoSignals,
    indicators=_slow_indicators,
)

for _strategy in (EXPLODE, SLEEPY):
    fastbt.register_strategy(_strategy, replace=True)
