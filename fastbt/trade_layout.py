"""The raw trade row shared by the engines, ``trades_frame`` and the exports.

A row holds the v1 fields (entry and exit bar and price, qty, fees, pnl, return),
then ``direction`` (LONG/SHORT) and ``exit_reason`` (a code into ``EXIT_REASONS``,
NaN while the trade is open). Results saved before engine v2 have the v1 fields only.
"""

import numpy as np

from fastbt.kernels.rules import EXIT_END, EXIT_SIGNAL, LONG, SHORT
from fastbt.kernels.simulate import TRADE_FIELDS

RAW_TRADE_FIELDS = TRADE_FIELDS  # the kernels' layout, which the reference engine follows
V1_TRADE_FIELDS = TRADE_FIELDS[: TRADE_FIELDS.index("direction")]
DIRECTIONS = {LONG: "long", SHORT: "short"}


def upgrade_v1_rows(rows: np.ndarray, last_bar: int, close_at_end: bool) -> np.ndarray:
    """Raw rows of the v1 layout (long-only, no exit reason) in the v2 layout: direction
    long; exit_reason "end" for a trade closed on ``last_bar`` by ``close_at_end``,
    "signal" for every other closed trade, NaN while open. For results saved before v2
    (a v1 file cannot tell a signal exit filled at the last close from a close at the
    end: both read "end")."""
    rows = np.asarray(rows, dtype="float64").reshape(-1, len(V1_TRADE_FIELDS))
    exit_bar = rows[:, V1_TRADE_FIELDS.index("exit_bar")]
    reason = np.where(close_at_end & (exit_bar == last_bar), EXIT_END, EXIT_SIGNAL)
    reason = np.where(exit_bar < 0, np.nan, reason)
    return np.column_stack([rows, np.full(len(rows), float(LONG)), reason])
