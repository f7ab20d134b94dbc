"""Crossover detection. NaN (indicator warm-up) never produces a signal."""

import numpy as np

from fastbt.kernels.jit import inline_kernel, kernel


@inline_kernel
def crosses(a_prev, a_now, b_prev, b_now, above):
    """True when ``a`` crosses ``b`` between two bars (a tie at the earlier bar counts).

    Above: ``a_now > b_now and a_prev <= b_prev``; below: ``a_now < b_now and
    a_prev >= b_prev``. Comparisons with NaN are false.
    """
    if above:
        return a_now > b_now and a_prev <= b_prev
    return a_now < b_now and a_prev >= b_prev


@kernel
def crossover(a, b, above):
    """Boolean array: bar i where ``a`` crosses above (or below) ``b``."""
    n = a.shape[0]
    out = np.zeros(n, dtype=np.bool_)
    for i in range(1, n):
        out[i] = crosses(a[i - 1], a[i], b[i - 1], b[i], above)
    return out


@kernel
def crossover_level(a, level, above):
    """Boolean array: bar i where ``a`` crosses above (or below) a constant level."""
    return crossover(a, np.full(a.shape[0], level), above)
