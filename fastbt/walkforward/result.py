"""``WalkForward``: what ``fastbt.walk_forward`` returns, and its summary numbers."""

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from fastbt.result import Result


def summarize(windows: pd.DataFrame, periods_per_year: float) -> dict:
    """Walk-forward efficiency, the share of profitable out-of-sample windows, the
    largest window's share of the total profit and how often the chosen set changed,
    from the per-window table (docs/overfitting.md, "Reading the summary")."""
    p = periods_per_year
    oos_rate = float((windows["oos_return"] * p / windows["oos_bars"]).mean())
    is_rate = float((windows["is_return"] * p / windows["is_bars"]).mean())
    profit = windows["oos_profit"]
    total = float(profit.sum())
    sets = windows["set"].to_numpy()
    changes = int(np.sum(sets[1:] != sets[:-1]))
    n = len(windows)
    return {
        "n_windows": n,
        "wfe": oos_rate / is_rate if is_rate > 0 else math.nan,
        "oos_annual_return": oos_rate,
        "is_annual_return": is_rate,
        "profitable_windows": float((windows["oos_return"] > 0).mean()),
        "largest_window_profit_share": float(profit.max()) / total if total > 0 else math.nan,
        "n_set_changes": changes,
        "set_change_rate": changes / (n - 1) if n > 1 else math.nan,
    }


SUMMARY_LABELS = {
    "n_windows": "windows",
    "wfe": "walk-forward efficiency (WFE)",
    "oos_annual_return": "out-of-sample return, per year (mean of windows)",
    "is_annual_return": "in-sample return, per year (mean of windows)",
    "profitable_windows": "profitable out-of-sample windows",
    "largest_window_profit_share": "largest window's share of the total profit",
    "n_set_changes": "chosen set changed (times)",
    "set_change_rate": "chosen set changed (share of window steps)",
}


@dataclass(frozen=True, repr=False)
class WalkForward:
    """A walk-forward analysis: ``windows`` (one row per window), ``result`` (the
    stitched out-of-sample ``Result``; None for overlapping windows, see ``note``),
    ``summary`` (dict) and the ``settings`` it ran with."""

    windows: pd.DataFrame
    result: Result | None
    summary: dict
    settings: dict
    note: str = ""

    @property
    def params(self) -> list[str]:
        """The names of the chosen-parameter columns of ``windows``."""
        return list(self.settings["params"])

    def to_frame(self) -> pd.DataFrame:
        """The per-window table (a copy), with the summary and settings in ``attrs``."""
        frame = self.windows.copy()
        frame.attrs["walk_forward"] = {
            "summary": dict(self.summary),
            "settings": dict(self.settings),
        }
        return frame

    def to_csv(self, path) -> None:
        """The per-window table as CSV."""
        self.windows.to_csv(path, index=False)

    def __repr__(self) -> str:
        s = self.settings
        wfe, share = self.summary["wfe"], self.summary["profitable_windows"]
        head = (
            f"<WalkForward {s['strategy']} on {s['symbol'] or 'data'}: "
            f"{self.summary['n_windows']} windows (is_bars={s['is_bars']}, "
            f"oos_bars={s['oos_bars']}, step={s['step']}, stitch={s['stitch']}), "
            f"WFE={wfe:.3g}, profitable windows={share:.0%}"
        )
        if self.result is None:
            return head + ", not stitched: overlapping windows>"
        return head + f", stitched total_return={self.result.metrics['total_return']:.4g}>"
