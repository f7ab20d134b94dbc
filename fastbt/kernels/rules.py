"""The execution rules as the kernels receive them, and the codes they share.

``Rules`` is built by ``RunOptions.rules()`` and passed to the kernels as one
argument (Numba compiles named tuples of mixed types). Booleans and ints are
runtime values: one compiled kernel serves every option setting.
"""

from collections import namedtuple

Rules = namedtuple(
    "Rules",
    (
        "commission",  # float: fraction of notional per fill
        "fixed_fee",  # float: currency per fill
        "slippage",  # float: fraction of the reference price
        "size",  # float: share of cash, or units
        "size_in_units",  # bool
        "fractional",  # bool
        "fill_at_close",  # bool: market orders fill at this bar's close, else next open
        "close_at_end",  # bool
        "direction",  # int: LONG, SHORT or BOTH
        "sl",  # float: stop-loss fraction, NaN = off
        "tp",  # float: take-profit fraction, NaN = off
        "trail",  # bool: the stop-loss trails the favourable extreme
        "trail_on_close",  # bool: the extreme follows closes, else highs (lows when short)
        "anchor_signal_close",  # bool: levels from the signal bar's close, else the fill price
        "sl_first",  # bool: stop-loss checked before a take-profit gap at the open
        "slip_sl",  # bool: slippage on stop-loss fills
        "slip_tp",  # bool: slippage on take-profit fills
        "drop_stop_bar_signals",  # bool: ignore the signals of a bar on which a stop filled
        "stop_on_fill_bar",  # bool: stops live on the bar of a fill at the open
        "entry_order",  # int: MARKET, LIMIT or STOP
        "entry_offset",  # float: entry order level offset, fraction of the signal close
        "entry_expiry",  # int: bars an entry order stays live, -1 = no expiry
        "reversal_per_order",  # bool: a reversal is one order paying the fixed fee once
        "ruin_continue",  # bool: keep trading with equity <= 0, else liquidate and stop
    ),
)

# Directions (``Rules.direction``; a trade's direction is LONG or SHORT).
LONG = 1
SHORT = -1
BOTH = 0

# Entry order types (``Rules.entry_order``).
MARKET = 0
LIMIT = 1
STOP = 2

# Why a trade closed; the code is the index.
EXIT_REASONS = ("signal", "reverse", "sl", "tp", "end", "ruin")
EXIT_SIGNAL = 0
EXIT_REVERSE = 1
EXIT_SL = 2
EXIT_TP = 3
EXIT_END = 4
EXIT_RUIN = 5
