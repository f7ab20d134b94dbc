"""One pass over the prices checking the bar rules of docs/data.md."""

import numpy as np

from fastbt.kernels.jit import kernel

# Rules, in the order they are reported: open, high, low, close finite and positive;
# high not below max(open, close); low not above min(open, close).
N_PRICE_RULES = 6


@kernel
def price_rule_violations(open_, high, low, close, tolerance):
    """``(first_row, count)`` per rule; ``first_row`` is -1 where a rule holds everywhere.

    ``tolerance`` is the relative slack allowed on the high/low rules.
    """
    first = np.full(N_PRICE_RULES, -1)
    count = np.zeros(N_PRICE_RULES, dtype=np.int64)
    for i in range(close.shape[0]):
        o, h, lo, c = open_[i], high[i], low[i], close[i]
        bad = (
            not (np.isfinite(o) and o > 0.0),
            not (np.isfinite(h) and h > 0.0),
            not (np.isfinite(lo) and lo > 0.0),
            not (np.isfinite(c) and c > 0.0),
            h < max(o, c) * (1.0 - tolerance),
            lo > min(o, c) * (1.0 + tolerance),
        )
        for rule in range(N_PRICE_RULES):
            if bad[rule]:
                count[rule] += 1
                if first[rule] < 0:
                    first[rule] = i
    return first, count
