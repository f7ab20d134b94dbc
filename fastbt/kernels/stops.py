"""Stop-loss, take-profit and trailing stop of the open position (docs/execution.md, "Stops").

``Stops`` holds the levels in force and the bar they are live from. A level that
is off is NaN, so every comparison with it is false and it never fills.
"""

import math
from collections import namedtuple

from fastbt.kernels.jit import inline_kernel
from fastbt.kernels.rules import EXIT_SL, EXIT_TP

# sl_level, tp_level: the levels in force; extreme: the trailing extreme (starts at the
# anchor); live_from: the first bar on which they are checked (NEVER when flat or off).
Stops = namedtuple("Stops", ("sl_level", "tp_level", "extreme", "live_from"))
NEVER = 1 << 62
NO_HIT = -1


@inline_kernel
def no_stops():
    """Stops of a flat book: never live."""
    return Stops(math.nan, math.nan, math.nan, NEVER)


@inline_kernel
def arm_stops(side, anchor, live_from, rules):
    """Fresh levels for a position of ``side`` opened with ``anchor``, live from ``live_from``."""
    if math.isnan(rules.sl) and math.isnan(rules.tp):
        return no_stops()
    if side > 0:
        return Stops(anchor * (1.0 - rules.sl), anchor * (1.0 + rules.tp), anchor, live_from)
    return Stops(anchor * (1.0 + rules.sl), anchor * (1.0 - rules.tp), anchor, live_from)


@inline_kernel
def check_stops(stops, long, open_, high, low, sl_first):
    """``(reason, price)`` of the stop that fills on a live bar, reason ``NO_HIT`` if none.

    A gap through the stop-loss fills it at the open; otherwise ``sl_first`` tries the
    stop-loss before a take-profit gap at the open (``open_first`` the reverse).
    """
    sl, tp = stops.sl_level, stops.tp_level
    if long:
        sl_gap, sl_hit, tp_gap, tp_hit = open_ <= sl, low <= sl, open_ >= tp, high >= tp
    else:
        sl_gap, sl_hit, tp_gap, tp_hit = open_ >= sl, high >= sl, open_ <= tp, low <= tp
    if not (sl_hit or tp_hit):
        return NO_HIT, 0.0
    if sl_gap:
        return EXIT_SL, open_
    if sl_hit and (sl_first or not tp_gap):
        return EXIT_SL, sl
    if tp_gap:
        return EXIT_TP, open_
    return EXIT_TP, tp


@inline_kernel
def trail_stops(stops, long, high, low, close, rules):
    """Stops after a live bar without a hit: the extreme follows the bar's favourable
    price (or its close) and the stop-loss is recomputed from it."""
    if long:
        extreme = max(stops.extreme, close if rules.trail_on_close else high)
        sl_level = extreme * (1.0 - rules.sl)
    else:
        extreme = min(stops.extreme, close if rules.trail_on_close else low)
        sl_level = extreme * (1.0 + rules.sl)
    return Stops(sl_level, stops.tp_level, extreme, stops.live_from)


@inline_kernel
def fill_bar_take_profit(stops, long, open_, high, low):
    """Price at which a stop entry takes its profit on its own fill bar, NaN if it does not:
    the bar reaches the take-profit and never the stop-loss."""
    if long and high >= stops.tp_level and not low <= stops.sl_level:
        return max(open_, stops.tp_level)
    if not long and low <= stops.tp_level and not high >= stops.sl_level:
        return min(open_, stops.tp_level)
    return math.nan
