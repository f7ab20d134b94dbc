"""White's Reality Check and Hansen's SPA test on a shortlist of sets (optional ``arch``)."""

from dataclasses import dataclass

import numpy as np

from fastbt.stats.haircut import _needs_stats_extra
from fastbt.stats.inputs import as_matrix, as_series

MAX_SETS = 1000


@dataclass(frozen=True)
class SPAResult:
    """Bootstrap p-values of "no set beats the benchmark".

    ``spa`` is Hansen's consistent p-value, ``reality_check`` White's (the upper bound),
    ``lower`` Hansen's lower bound. Small values mean at least one set truly beats the
    benchmark after allowing for having tried them all.
    """

    spa: float
    reality_check: float
    lower: float
    n_sets: int
    reps: int


def spa(
    returns,
    benchmark=0.0,
    *,
    reps: int = 1000,
    block_size: int | None = None,
    bootstrap: str = "stationary",
    seed: int | None = None,
) -> SPAResult:
    """Reality Check and SPA p-values for a T x K shortlist of sets' bar returns (array or
    DataFrame, K <= 1000: e.g. the top sets of a sweep, not all of them) against
    ``benchmark`` (a constant per-bar return, default 0, or a series of T returns).

    Runs ``arch.bootstrap.SPA`` on losses (negated returns); ``seed`` makes it repeatable.
    Needs ``pip install 'fastbt[stats]'``.
    """
    try:
        from arch.bootstrap import SPA
    except ImportError as missing:
        raise _needs_stats_extra("arch") from missing
    values, _ = as_matrix(returns)
    if values.shape[1] > MAX_SETS:
        raise ValueError(
            f"spa is for a shortlist: got {values.shape[1]} sets, at most {MAX_SETS}; pass the "
            "top sets of the sweep"
        )
    if values.shape[0] < 2:
        raise ValueError(f"spa needs at least 2 bars; got {values.shape[0]}")
    if np.ndim(benchmark) == 0:
        base = np.full(values.shape[0], float(benchmark))
    else:
        base = as_series(benchmark, "benchmark")
        if len(base) != values.shape[0]:
            raise ValueError(
                f"benchmark has {len(base)} returns but the sets have {values.shape[0]} bars"
            )
    test = SPA(-base, -values, block_size=block_size, reps=reps, bootstrap=bootstrap, seed=seed)
    test.compute()
    lower, consistent, upper = (float(p) for p in test.pvalues)
    return SPAResult(
        spa=consistent, reality_check=upper, lower=lower, n_sets=values.shape[1], reps=reps
    )
