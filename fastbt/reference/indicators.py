"""Indicators in plain Python with the contract's arithmetic (docs/strategies.md).

A window mean is ``(cs[i+1] - cs[i+1-w]) / w`` over the left-to-right prefix sum
``cs[k+1] = cs[k] + x[k]``: the same operations as the kernels, so the same bits.
"""


class RunningWindowMean:
    """Window means of a series that is revealed one value at a time."""

    def __init__(self, window: int):
        self.window = window
        self.prefix = [0.0]

    def add(self, value: float) -> None:
        """Extend the prefix sum by the next value."""
        self.prefix.append(self.prefix[-1] + value)

    def at(self, i: int) -> float | None:
        """Mean of values i-window+1..i, or None while fewer than ``window`` exist."""
        if i < self.window - 1 or i + 1 >= len(self.prefix):
            return None
        return (self.prefix[i + 1] - self.prefix[i + 1 - self.window]) / self.window


def rsi_value(avg_gain: float | None, avg_loss: float | None) -> float | None:
    """RSI from mean gain and mean loss; 100 when the mean loss is 0."""
    if avg_gain is None or avg_loss is None:
        return None
    if avg_loss == 0.0:
        return 100.0
    return 100.0 - 100.0 / (1.0 + avg_gain / avg_loss)


def crossed(prev_a, now_a, prev_b, now_b, above: bool) -> bool:
    """Whether ``a`` crossed ``b`` between two bars; undefined values never cross."""
    if None in (prev_a, now_a, prev_b, now_b):
        return False
    if above:
        return now_a > now_b and prev_a <= prev_b
    return now_a < now_b and prev_a >= prev_b
