"""The walk-forward window schedule (docs/overfitting.md, "Walk-forward")."""

from dataclasses import dataclass

import numpy as np


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
    dropped, or cut at the last bar with ``keep_partial``."""
    is_bars = _whole("is_bars", is_bars, 1, "give the in-sample length in bars")
    oos_bars = _whole("oos_bars", oos_bars, 1, "give the out-of-sample length in bars")
    step = oos_bars if step is None else _whole("step", step, 1, "omit it to step by oos_bars")
    gap = _whole("gap", gap, 0, "use 0 for no gap between in-sample and out-of-sample bars")
    windows = []
    k = 0
    while (oos_start := k * step + is_bars + gap) < n_bars:
        oos_end = oos_start + oos_bars
        if oos_end > n_bars and not keep_partial:
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
        need = is_bars + gap + (1 if keep_partial else oos_bars)
        raise ValueError(
            f"too few bars for one walk-forward window: is_bars + gap + oos_bars = "
            f"{is_bars} + {gap} + {oos_bars} needs {need} bars"
            + (" (keep_partial: 1 out-of-sample bar)" if keep_partial else "")
            + f", the data has {n_bars}; shorten is_bars or oos_bars"
            + ("" if keep_partial else ", or pass keep_partial=True")
        )
    return windows
