"""Probabilistic, deflated and minimum-length Sharpe statistics (Bailey & López de Prado).

Everything is per bar: Sharpe ratios are ``mean / std(ddof=1)`` of bar returns, never
annualised (annualised inputs make the DSR saturate near 1). The one exception is
``min_btl``, whose answer is in years and so takes an annualised Sharpe ratio.
"""

import math
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

from fastbt.stats.inputs import as_matrix
from fastbt.stats.moments import moments

EULER_GAMMA = 0.5772156649015329
_NORMAL = NormalDist()


def _sharpe_spread(sharpe: float, skew: float, kurtosis: float) -> float:
    """``1 - g3*SR + (g4 - 1)/4 * SR^2``: the variance factor of a Sharpe estimate."""
    return 1.0 - skew * sharpe + (kurtosis - 1.0) / 4.0 * sharpe**2


def psr_from_moments(
    sharpe: float, n: int, skew: float, kurtosis: float, benchmark: float = 0.0
) -> float:
    """PSR from summary numbers (per-bar Sharpe, bar count, biased skew, raw kurtosis)."""
    spread = _sharpe_spread(sharpe, skew, kurtosis)
    if not (math.isfinite(sharpe) and spread > 0):  # spread is 0 only for two-valued returns
        return float("nan")
    return _NORMAL.cdf((sharpe - benchmark) * math.sqrt(n - 1) / math.sqrt(spread))


def psr(returns, benchmark: float = 0.0) -> float:
    """Probabilistic Sharpe ratio: the probability that the true per-bar Sharpe ratio
    exceeds ``benchmark`` (per bar), allowing for skewness, fat tails and track length.

    NaN when the returns are flat (no Sharpe ratio).
    """
    m = moments(returns)
    return psr_from_moments(m.sharpe, m.n, m.skew, m.kurtosis, benchmark)


def min_trl_from_moments(
    sharpe: float, skew: float, kurtosis: float, benchmark: float = 0.0, prob: float = 0.95
) -> float:
    """MinTRL from summary numbers (per-bar Sharpe, biased skew, raw kurtosis), in bars.

    ``inf`` when the Sharpe ratio is not above the benchmark (no length is enough); NaN
    when there is no Sharpe ratio or the spread is not positive (two-valued returns)."""
    if not 0.0 < prob < 1.0:
        raise ValueError(f"prob must be between 0 and 1 (exclusive); got {prob}")
    spread = _sharpe_spread(sharpe, skew, kurtosis)
    if not (math.isfinite(sharpe) and spread > 0):
        return float("nan")
    if sharpe <= benchmark:
        return float("inf")
    return 1.0 + spread * (_NORMAL.inv_cdf(prob) / (sharpe - benchmark)) ** 2


def min_trl(returns, benchmark: float = 0.0, prob: float = 0.95) -> float:
    """Minimum track record length in bars: how many bars with these moments it takes
    for PSR(benchmark) to reach ``prob``. ``inf`` when the Sharpe ratio is not above
    the benchmark (no length is enough); NaN when the returns are flat."""
    m = moments(returns)
    return min_trl_from_moments(m.sharpe, m.skew, m.kurtosis, benchmark, prob)


def expected_max_factor(n_trials: float) -> float:
    """``(1-gamma)*Phi^-1(1 - 1/N) + gamma*Phi^-1(1 - 1/(N*e))``: the expected maximum of N
    standard normal draws (0 for N = 1). Multiply by a Sharpe spread to get SR0."""
    if not n_trials >= 1:
        raise ValueError(f"the number of trials must be at least 1; got {n_trials}")
    if n_trials == 1:
        return 0.0
    return (1.0 - EULER_GAMMA) * _NORMAL.inv_cdf(1.0 - 1.0 / n_trials) + EULER_GAMMA * (
        _NORMAL.inv_cdf(1.0 - 1.0 / (n_trials * math.e))
    )


@dataclass(frozen=True)
class DeflatedSharpe:
    """The DSR of a selected set and what it was measured against.

    ``dsr`` is PSR(SR0); ``sr0`` the per-bar Sharpe ratio the best of ``n_trials``
    luck-only trials would reach; ``psr`` is PSR(0) of the same returns; ``sharpe`` the
    selected set's per-bar Sharpe ratio; ``trials_variance`` the variance of the trials'
    per-bar Sharpe ratios.
    """

    dsr: float
    sr0: float
    n_trials: float
    psr: float
    sharpe: float
    trials_variance: float


def dsr(returns, trial_sharpes, n_trials: float | None = None) -> DeflatedSharpe:
    """Deflated Sharpe ratio of the selected set's bar ``returns``.

    ``trial_sharpes`` are the per-bar Sharpe ratios of every trial (parameter set) tried,
    the selected one included; NaN entries (sets that never traded) are left out of both
    the variance and the default N. ``n_trials`` overrides N (e.g. an effective N from
    ``effective_n_trials``).
    """
    m = moments(returns)
    return dsr_from_moments(m.sharpe, m.n, m.skew, m.kurtosis, trial_sharpes, n_trials)


def dsr_from_moments(
    sharpe: float,
    n: int,
    skew: float,
    kurtosis: float,
    trial_sharpes,
    n_trials: float | None = None,
) -> DeflatedSharpe:
    """``dsr`` from the selected set's summary numbers (per-bar Sharpe, bar count, biased
    skewness, raw kurtosis), e.g. a sweep row's, instead of its returns."""
    trials = np.asarray(trial_sharpes, dtype=float).ravel()
    trials = trials[np.isfinite(trials)]
    if len(trials) == 0:
        raise ValueError(
            "trial_sharpes has no finite Sharpe ratio: pass every trial's per-bar Sharpe"
        )
    n_used = float(len(trials)) if n_trials is None else float(n_trials)
    variance = float(np.var(trials, ddof=1)) if len(trials) > 1 else 0.0
    sr0 = math.sqrt(variance) * expected_max_factor(n_used)
    return DeflatedSharpe(
        dsr=psr_from_moments(sharpe, n, skew, kurtosis, sr0),
        sr0=sr0,
        n_trials=n_used,
        psr=psr_from_moments(sharpe, n, skew, kurtosis, 0.0),
        sharpe=sharpe,
        trials_variance=variance,
    )


def effective_n_trials(trial_returns, n_trials: float | None = None) -> float:
    """Effective number of independent trials ``rho + (1 - rho) * N`` from the mean
    pairwise correlation rho of the columns of ``trial_returns`` (T x K, a sample of the
    trials' bar returns; flat columns are skipped). N defaults to K; pass the sweep's full
    N when the columns are a sample. A negative mean correlation counts as 0 (N_eff <= N).
    """
    values, _ = as_matrix(trial_returns, "trial_returns")
    values = values[:, values.std(axis=0) > 0]
    if values.shape[1] < 2:
        raise ValueError("effective_n_trials needs at least 2 non-flat columns of trial returns")
    corr = np.corrcoef(values, rowvar=False)
    k = corr.shape[0]
    rho = min(max((corr.sum() - k) / (k * (k - 1)), 0.0), 1.0)
    n = float(values.shape[1] if n_trials is None else n_trials)
    return rho + (1.0 - rho) * n


def min_btl(n_trials: float, sharpe: float) -> float:
    """Minimum backtest length in years: with fewer years of data than this, the best of
    ``n_trials`` independent luck-only trials is expected to show an annualised Sharpe
    ratio of ``sharpe``. Takes an ANNUALISED Sharpe ratio (the answer is in years)."""
    if not sharpe > 0:
        raise ValueError(f"sharpe must be a positive annualised Sharpe ratio; got {sharpe}")
    return expected_max_factor(n_trials) ** 2 / sharpe**2
