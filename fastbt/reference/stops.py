"""Stop-loss, take-profit and trailing stop of one open position (docs/execution.md, "Stops").

Levels use exactly the expressions of the rules (long ``SL = ref*(1 - sl)``,
``TP = anchor*(1 + tp)``; short ``SL = ref*(1 + sl)``, ``TP = anchor*(1 - tp)``),
so both engines get the same bits.
"""

from dataclasses import dataclass

from fastbt.reference.portfolio import LONG


@dataclass
class Stops:
    """The stops of one position: its anchor, the trailing extreme, and the first live bar.

    ``sl`` / ``tp`` are fractions or None (off).
    """

    direction: str
    anchor: float
    live_from: int
    sl: float | None
    tp: float | None
    trail: bool
    trail_on: str
    sl_first: bool
    extreme: float = 0.0

    def __post_init__(self):
        self.extreme = self.anchor  # the extreme starts at the anchor

    def is_live(self, bar: int) -> bool:
        return bar >= self.live_from

    def stop_loss(self) -> float | None:
        """The stop-loss level in force now; ``ref`` is the extreme when trailing."""
        if self.sl is None:
            return None
        ref = self.extreme if self.trail else self.anchor
        if self.direction == LONG:
            return ref * (1.0 - self.sl)
        return ref * (1.0 + self.sl)

    def take_profit(self) -> float | None:
        """The take-profit level (always from the anchor)."""
        if self.tp is None:
            return None
        if self.direction == LONG:
            return self.anchor * (1.0 + self.tp)
        return self.anchor * (1.0 - self.tp)

    def check(self, open_: float, high: float, low: float) -> tuple[str, float] | None:
        """``(reason, fill price)`` if a stop fills on this live bar, else None.

        Long: a stop-loss hit is ``O <= SL`` (at O) or ``L <= SL`` (at SL); a
        take-profit hit is ``O >= TP`` (at O) or ``H >= TP`` (at TP). A short swaps
        H and L and reverses the inequalities. ``open_first`` tries both gaps at the
        open before the intrabar touches; ``sl_first`` tries the stop-loss fully first.
        """
        sl, tp = self.stop_loss(), self.take_profit()
        if self.direction == LONG:
            sl_at_open = sl is not None and open_ <= sl
            tp_at_open = tp is not None and open_ >= tp
            sl_in_bar = sl is not None and low <= sl
            tp_in_bar = tp is not None and high >= tp
        else:
            sl_at_open = sl is not None and open_ >= sl
            tp_at_open = tp is not None and open_ <= tp
            sl_in_bar = sl is not None and high >= sl
            tp_in_bar = tp is not None and low <= tp
        if self.sl_first:
            steps = (
                (sl_at_open, "sl", open_),
                (sl_in_bar, "sl", sl),
                (tp_at_open, "tp", open_),
                (tp_in_bar, "tp", tp),
            )
        else:
            steps = (
                (sl_at_open, "sl", open_),
                (tp_at_open, "tp", open_),
                (sl_in_bar, "sl", sl),
                (tp_in_bar, "tp", tp),
            )
        for hit, reason, price in steps:
            if hit:
                return reason, price
        return None

    def stop_entry_take_profit(self, open_: float, high: float, low: float) -> float | None:
        """The fill-bar take-profit of a stop entry: the price, or None.

        Long: ``H >= TP and L > SL`` exits at ``max(O, TP)``; short: ``L <= TP and
        H < SL`` at ``min(O, TP)``. With no stop-loss the SL condition holds.
        """
        sl, tp = self.stop_loss(), self.take_profit()
        if tp is None:
            return None
        if self.direction == LONG:
            if high >= tp and (sl is None or low > sl):
                return max(open_, tp)
        elif low <= tp and (sl is None or high < sl):
            return min(open_, tp)
        return None

    def trail_after(self, high: float, low: float, close: float) -> None:
        """After a live bar without a hit: the extreme moves to the bar's favourable
        extreme (high for a long, low for a short) or its close."""
        if not self.trail:
            return
        if self.direction == LONG:
            self.extreme = max(self.extreme, close if self.trail_on == "close" else high)
        else:
            self.extreme = min(self.extreme, close if self.trail_on == "close" else low)
