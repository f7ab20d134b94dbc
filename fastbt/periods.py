"""Periods per year for annualised metrics, inferred from bar spacing (docs/metrics.md)."""

import numpy as np
import pandas as pd

_NS_PER_DAY = 86_400 * 10**9
_THURSDAY = 3  # 1970-01-01, day 0 of the epoch


def infer_periods_per_year(index: pd.DatetimeIndex) -> float:
    """12 for monthly, 52 for weekly, 252 for daily bars, 252 x bars-per-day intraday.

    Spacing is the median gap between bars. Where more than 10% of bars fall on
    a Saturday or Sunday (crypto, some FX feeds) 365 replaces 252. Calendar days
    and weekends are those of the index's own time zone (a Sydney session from
    10:00 to 16:00 is one day, though it starts at 23:00 UTC in summer). Works on
    the raw nanosecond values, so it stays cheap on millions of bars.
    """
    nanos = index.as_unit("ns").asi8
    spacing_days = float(np.median(np.diff(nanos))) / _NS_PER_DAY
    if spacing_days >= 28:
        return 12.0
    if spacing_days >= 5:
        return 52.0
    if index.tz is not None:  # wall-clock time: local midnight starts a day
        nanos = index.tz_localize(None).as_unit("ns").asi8
    days = nanos // _NS_PER_DAY
    weekend_share = float(np.mean((days + _THURSDAY) % 7 >= 5))
    trading_days = 365.0 if weekend_share > 0.10 else 252.0
    if spacing_days >= 1:
        return trading_days
    day_starts = np.flatnonzero(np.diff(days)) + 1  # days ascend: count runs, no sort
    bars_per_day = np.diff(np.concatenate(([0], day_starts, [days.size])))
    return trading_days * float(np.median(bars_per_day))
