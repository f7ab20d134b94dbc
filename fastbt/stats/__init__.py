"""Is the best set real? Overfitting statistics for any bar returns.

All Sharpe ratios here are per bar (``mean / std(ddof=1)``, not annualised), skewness is
biased and kurtosis is the biased raw kurtosis (3 for a normal). See docs/overfitting.md.

- ``psr``, ``dsr``, ``min_trl``, ``min_btl``, ``effective_n_trials``: Sharpe-ratio tests
  (``psr_from_moments``, ``dsr_from_moments``, ``min_trl_from_moments``: the same
  from summary numbers).
- ``pbo``, ``block_stats``, ``pbo_from_block_stats``: probability of backtest overfitting.
- ``haircut``: multiple-testing haircut (needs ``fastbt[stats]``).
- ``spa``: White's Reality Check and Hansen's SPA (needs ``fastbt[stats]``).
"""

from fastbt.stats.cscv import PBOResult, block_stats, combine_block_stats, pbo, pbo_from_block_stats
from fastbt.stats.haircut import Haircut, haircut
from fastbt.stats.moments import Moments, moments, sharpe
from fastbt.stats.probabilistic import (
    DeflatedSharpe,
    dsr,
    dsr_from_moments,
    effective_n_trials,
    expected_max_factor,
    min_btl,
    min_trl,
    min_trl_from_moments,
    psr,
    psr_from_moments,
)
from fastbt.stats.reality import SPAResult, spa

__all__ = [
    "DeflatedSharpe",
    "Haircut",
    "Moments",
    "PBOResult",
    "SPAResult",
    "block_stats",
    "combine_block_stats",
    "dsr",
    "dsr_from_moments",
    "effective_n_trials",
    "expected_max_factor",
    "haircut",
    "min_btl",
    "min_trl",
    "min_trl_from_moments",
    "moments",
    "pbo",
    "pbo_from_block_stats",
    "psr",
    "psr_from_moments",
    "sharpe",
    "spa",
]
