"""Limit and stop entry orders (docs/execution.md, "Entry orders").

An entry decided on bar i while flat places one order with a level from
``c = close[i]``; it is live on bars i+1 .. i+expiry (no end without an expiry).
"""

from dataclasses import dataclass

from fastbt.reference.portfolio import LONG


@dataclass
class EntryOrder:
    """One pending limit or stop entry order."""

    direction: str
    kind: str  # "limit" or "stop"
    level: float
    signal_close: float  # the stop anchor "signal_close"
    first_live: int
    last_live: int | None  # None: good till filled or cancelled

    @classmethod
    def place(
        cls, direction: str, kind: str, offset: float, bar: int, close: float, expiry: int | None
    ) -> "EntryOrder":
        """The order decided on ``bar``; its level: long limit ``c*(1-o)``, long stop
        ``c*(1+o)``, short limit ``c*(1+o)``, short stop ``c*(1-o)``."""
        below = (direction == LONG) == (kind == "limit")
        level = close * (1.0 - offset) if below else close * (1.0 + offset)
        last_live = None if expiry is None else bar + expiry
        return cls(direction, kind, level, close, bar + 1, last_live)

    def expired_before(self, bar: int) -> bool:
        """Whether the order's last live bar has passed by ``bar``."""
        return self.last_live is not None and bar > self.last_live

    def fill_price(self, open_: float, high: float, low: float) -> float | None:
        """The reference fill price on a live bar, or None.

        Long limit: ``L <= level`` at ``min(O, level)``; long stop: ``H >= level`` at
        ``max(O, level)``. A short mirrors them.
        """
        fills_below = (self.direction == LONG) == (self.kind == "limit")
        if fills_below:
            return min(open_, self.level) if low <= self.level else None
        return max(open_, self.level) if high >= self.level else None

    @property
    def slipped(self) -> bool:
        """A stop order fills with slippage, a limit order without."""
        return self.kind == "stop"
