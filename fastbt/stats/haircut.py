"""Multiple-testing haircut of a selected Sharpe ratio (Harvey & Liu 2015)."""

import math
from dataclasses import dataclass

import numpy as np

from fastbt.stats.moments import moments

METHODS = {"bonferroni": "bonferroni", "holm": "holm", "bhy": "fdr_by"}


def _needs_stats_extra(package: str) -> ImportError:
    return ImportError(
        f"this statistic needs the optional package {package!r}: "
        "pip install 'fastbt[stats]' (statsmodels and arch)"
    )


@dataclass(frozen=True)
class Haircut:
    """The selected set's per-bar Sharpe ratio before and after the multiple-testing haircut.

    ``t_stat = sharpe * sqrt(T)``; ``p_value`` two-sided (Student t, T-1 degrees of freedom);
    ``p_adjusted`` over the ``n_trials`` trials by ``method``; ``haircut_sharpe`` the per-bar
    Sharpe ratio whose p-value equals ``p_adjusted``; ``haircut`` the share of the Sharpe
    ratio lost (``1 - haircut_sharpe / sharpe``).
    """

    sharpe: float
    t_stat: float
    p_value: float
    p_adjusted: float
    haircut_sharpe: float
    haircut: float
    method: str
    n_trials: int


def haircut(returns, trial_sharpes, method: str = "holm") -> Haircut:
    """Haircut the Sharpe ratio of the selected set's bar ``returns`` for having been picked
    among the trials whose per-bar Sharpe ratios are ``trial_sharpes`` (every trial, the
    selected one included, measured on the same bars; NaN entries are skipped).

    ``method``: "bonferroni", "holm" or "bhy" (Benjamini-Hochberg-Yekutieli), exact over all
    the trials' p-values. Needs scipy and statsmodels (``pip install 'fastbt[stats]'``).
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}; got {method!r}")
    try:
        from scipy import stats as scipy_stats
        from statsmodels.stats.multitest import multipletests
    except ImportError as missing:
        raise _needs_stats_extra(missing.name or "statsmodels") from missing
    m = moments(returns)
    if not math.isfinite(m.sharpe):
        raise ValueError("the selected returns are flat: their Sharpe ratio is undefined")
    trials = np.asarray(trial_sharpes, dtype=float).ravel()
    trials = trials[np.isfinite(trials)]
    tolerance = 1e-9 * max(1.0, abs(m.sharpe))
    matches = np.flatnonzero(np.abs(trials - m.sharpe) <= tolerance)
    if len(matches) == 0:
        raise ValueError(
            f"the selected returns' per-bar Sharpe ratio {m.sharpe:.6g} is not among "
            "trial_sharpes: pass the per-bar Sharpe ratios of every trial, the selected one "
            "included, measured on the same bars"
        )
    root_t = math.sqrt(m.n)
    dof = m.n - 1
    p_values = 2.0 * scipy_stats.t.sf(np.abs(trials * root_t), dof)
    adjusted = multipletests(p_values, method=METHODS[method])[1]
    p_adjusted = float(adjusted[matches[0]])
    p_value = float(p_values[matches[0]])
    hc = math.copysign(float(scipy_stats.t.ppf(1.0 - p_adjusted / 2.0, dof)) / root_t, m.sharpe)
    return Haircut(
        sharpe=m.sharpe,
        t_stat=m.sharpe * root_t,
        p_value=p_value,
        p_adjusted=p_adjusted,
        haircut_sharpe=hc,
        haircut=1.0 - hc / m.sharpe,
        method=method,
        n_trials=len(trials),
    )
