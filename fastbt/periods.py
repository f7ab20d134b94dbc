"""Periods per year for annualised metrics, inferred from bar spacing (docs/metrics.md)."""

import numpy as np
import pandas as pd

_DAY = pd.Timedelta(days=1)


def infer_periods_per_year(index: pd.DatetimeIndex) -> float:
    """12 for monthly, 52 for weekly, 252 for daily bars, 252 x bars-per-day intraday.

    Spacing is the median gap between bars. Where more than 10% of bars fall on
    a Saturday or Sunday (crypto, some FX feeds) 365 replaces 252.
    """
    spacing = pd.Series(index).diff().median()
    if spacing >= 28 * _DAY:
        return 12.0
    if spacing >= 5 * _DAY:
        return 52.0
    weekend_share = float(np.mean(index.day_of_week >= 5))
    trading_days = 365.0 if weekend_share > 0.10 else 252.0
    if spacing >= _DAY:
        return trading_days
    bars_per_day = float(pd.Series(index.normalize()).value_counts().median())
    return trading_days * bars_per_day
