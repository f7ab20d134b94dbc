"""Runs of defined bars: indicators restart after every undefined (NaN) input value."""

import numpy as np

from fastbt.kernels.jit import kernel


@kernel
def all_defined(x):
    """Whether no value of ``x`` is NaN (one pass, no temporary array)."""
    for t in range(x.shape[0]):  # noqa: SIM110 (a generator is not compiled by Numba)
        if np.isnan(x[t]):
            return False
    return True


@kernel
def defined_runs(defined):
    """``(starts, stops)`` of each maximal run of True values in ``defined``.

    Run ``r`` covers bars ``starts[r] <= t < stops[r]``; an indicator is computed
    on each run as if the series began there (docs/indicators.md, "Undefined inputs").
    """
    n = defined.shape[0]
    starts = np.empty(n, dtype=np.int64)
    stops = np.empty(n, dtype=np.int64)
    count = 0
    t = 0
    while t < n:
        if defined[t]:
            starts[count] = t
            while t < n and defined[t]:
                t += 1
            stops[count] = t
            count += 1
        else:
            t += 1
    return starts[:count], stops[:count]
