"""The built-in indicator kinds (docs/indicators.md)."""

from fastbt.indicators.registry import IndicatorKind, register
from fastbt.kernels.indicators import rsi, sma
from fastbt.kernels.jit import kernel
from fastbt.reference.indicators import RunningWindowMean, rsi_value
from fastbt.strategies.spec import Param


def _window(minimum: int) -> Param:
    return Param("window", int, 14, minimum=minimum, doc="window, bars")


@kernel
def _sma_outputs(source, window):
    return (sma(source, window),)


class _SmaReference:
    """Streaming SMA with the kernel's prefix-sum arithmetic."""

    def __init__(self, window: int):
        self.mean = RunningWindowMean(window)
        self.i = -1

    def update(self, source: float) -> tuple:
        self.mean.add(source)
        self.i += 1
        return (self.mean.at(self.i),)


@kernel
def _rsi_outputs(source, window):
    return (rsi(source, window),)


class _RsiReference:
    """Streaming RSI with simple means of gains and losses (the kernel's arithmetic)."""

    def __init__(self, window: int):
        self.window = window
        self.gains = RunningWindowMean(window)
        self.losses = RunningWindowMean(window)
        self.previous = None
        self.i = -1

    def update(self, source: float) -> tuple:
        self.i += 1
        change = source - self.previous if self.previous is not None else 0.0
        self.previous = source
        self.gains.add(max(change, 0.0))
        self.losses.add(max(-change, 0.0))
        if self.i < self.window:
            return (None,)
        return (rsi_value(self.gains.at(self.i), self.losses.at(self.i)),)


SMA = register(
    IndicatorKind(
        name="sma",
        description="simple moving average",
        inputs=("source",),
        params=(_window(1),),
        outputs=("value",),
        compute=_sma_outputs,
        reference=_SmaReference,
    )
)

RSI = register(
    IndicatorKind(
        name="rsi",
        description="relative strength index, simple means of gains and losses",
        inputs=("source",),
        params=(_window(2),),
        outputs=("value",),
        compute=_rsi_outputs,
        reference=_RsiReference,
        overlay=False,
    )
)
