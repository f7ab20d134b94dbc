"""Per-bar Sharpe ratio and the moment conventions every statistic here uses.

Sharpe is ``mean / std(ddof=1)`` of the bar returns (not annualised); skewness is the
biased ``m3 / m2**1.5`` and kurtosis the biased raw ``m4 / m2**2`` (3 for a normal).
"""

from dataclasses import dataclass

import numpy as np

from fastbt.stats.inputs import as_series


@dataclass(frozen=True)
class Moments:
    """What PSR, DSR and MinTRL need of one return series (per bar)."""

    n: int
    sharpe: float
    skew: float
    kurtosis: float


def moments(returns) -> Moments:
    """Bar count, per-bar Sharpe, biased skewness and raw kurtosis; NaN when the returns are flat."""
    r = as_series(returns)
    centred = r - r.mean()
    m2 = np.mean(centred**2)
    if m2 == 0.0:
        return Moments(len(r), float("nan"), float("nan"), float("nan"))
    return Moments(
        n=len(r),
        sharpe=float(r.mean() / np.std(r, ddof=1)),
        skew=float(np.mean(centred**3) / m2**1.5),
        kurtosis=float(np.mean(centred**4) / m2**2),
    )


def sharpe(returns) -> float:
    """Per-bar Sharpe ratio ``mean / std(ddof=1)``; NaN when the returns are flat."""
    return moments(returns).sharpe


def sharpe_from_stats(count, mean, m2):
    """Per-bar Sharpe from (count, mean, M2 = sum of squared deviations); NaN where M2 is 0."""
    count, mean, m2 = np.asarray(count), np.asarray(mean), np.asarray(m2)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(m2 > 0, mean / np.sqrt(m2 / (count - 1)), np.nan)
