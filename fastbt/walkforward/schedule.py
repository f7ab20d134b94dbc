"""The walk-forward window schedule (docs/overfitting.md, "Walk-forward")."""

from dataclasses import dataclass

import numpy as np

MIN_BARS = 2  # a backtest's shortest data


@dataclass(frozen=True)
class Window:
    """Window ``number``: in-sample bars ``is_start:is_end``, out-of-sample bars
    ``oos_start:oos_end`` (half-open, bar positions of the data)."""

    number: int
    is_start: int
    is_end: int
    oos_start: int
    oos_end: int

    @property
    def is_bars(self) -> int:
        return self.is_end - self.is_start

    @property
    def oos_bars(self) -> int:
        return self.oos_end - self.oos_start


def _whole(name: str, value, minimum: int, way_out: str) -> int:
    """``value`` as an int >= ``minimum``, or a ValueError naming the option."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise ValueError(f"{name} must be a whole number of bars, got {value!r}")
    value = int(value)
    if value < minimum:
        raise ValueError(f"{name} must be {minimum} or more, got {value}; {way_out}")
    return value


def schedule(
    n_bars: int,
    *,
    is_bars: int,
    oos_bars: int,
    step: int | None = None,
    gap: int = 0,
    anchored: bool = False,
    keep_partial: bool = False,
) -> list[Window]:
    """Windows k = 0, 1, ...: ``is_end = k*step + is_bars``, ``is_start = 0`` if
    ``anchored`` else ``k*step``, ``oos_start = is_end + gap``, ``oos_end = oos_start +
    oos_bars``; stop when ``oos_start >= n_bars``. A window running past the data is
    dropped, or cut at the last bar with ``keep_partial`` (if at least ``MIN_BARS`` are
    left: a backtest needs two bars)."""
    is_bars = _whole("is_bars", is_bars, MIN_BARS, "a backtest needs at least 2 bars")
    oos_bars = _whole("oos_bars", oos_bars, MIN_BARS, "a backtest needs at least 2 bars")
    step = oos_bars if step is None else _whole("step", step, 1, "omit it to step by oos_bars")
    gap = _whole("gap", gap, 0, "use 0 for no gap between in-sample and out-of-sample bars")
    windows = []
    k = 0
    while (oos_start := k * step + is_bars + gap) < n_bars:
        oos_end = oos_start + oos_bars
        if oos_end > n_bars and (not keep_partial or n_bars - oos_start < MIN_BARS):
            break  # every later window ends later still
        windows.append(
            Window(
                len(windows),
                0 if anchored else k * step,
                k * step + is_bars,
                oos_start,
                min(oos_end, n_bars),
            )
        )
        k += 1
    if not windows:
        oos_need = MIN_BARS if keep_partial else oos_bars
        raise ValueError(
            f"too few bars for one walk-forward window: is_bars {is_bars} + gap {gap} + "
            f"{oos_need} out-of-sample bars need {is_bars + gap + oos_need}, the data has "
            f"{n_bars}; shorten is_bars, gap or oos_bars"
            + ("" if keep_partial else ", or pass keep_partial=True")
        )
    return windows
