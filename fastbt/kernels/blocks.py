"""Per-block (count, mean, M2) of a run's bar returns, for CSCV at sweep scale.

A run of ``n`` bars is cut into segments: first the oldest ``n mod S`` bars (simulated,
left out of the blocks), then ``S`` contiguous blocks of equal length. The fused sweep
kernel runs its bar loop segment by segment and, at each block's end, takes the block's
sum and sum of squares as differences of the running sums it keeps for the metrics
anyway (``BarStats.sum_r``, ``sum_r2``): nothing is added to the per-bar work.
Kernels that record the equity curve use ``equity_block_stats`` (two passes per block).
"""

import numpy as np

from fastbt.kernels.jit import kernel


def segment_ends(n_bars: int, blocks: int | None) -> np.ndarray:
    """The bar after each segment: ``[n_bars]`` alone when ``blocks`` is None, else the
    trimmed bars' end then each of the ``blocks`` blocks' ends."""
    if blocks is None:
        return np.array([n_bars], dtype=np.int64)
    length = n_bars // blocks
    trimmed = n_bars - length * blocks
    return trimmed + length * np.arange(blocks + 1, dtype=np.int64)


@kernel
def block_from_sums(out, sum_r, sum_r2, count):
    """Write one block's (count, mean, M2) from its sum and sum of squares into ``out``."""
    out[0] = count
    out[1] = sum_r / count
    out[2] = max(sum_r2 - sum_r * sum_r / count, 0.0)


@kernel
def equity_block_stats(equity, cash0, ends, out):
    """Per-block (count, mean, M2) of the bar returns of ``equity`` (the first against
    ``cash0``; a bar whose equity did not change returns exactly 0) into ``out``
    (S x 3), blocks ``ends[j-1]:ends[j]``; two passes per block."""
    for j in range(1, ends.shape[0]):
        start, stop = ends[j - 1], ends[j]
        count = stop - start
        total = 0.0
        for i in range(start, stop):
            total += _bar_return(equity, cash0, i)
        mean = total / count
        m2 = 0.0
        for i in range(start, stop):
            d = _bar_return(equity, cash0, i) - mean
            m2 += d * d
        out[j - 1, 0] = count
        out[j - 1, 1] = mean
        out[j - 1, 2] = m2


@kernel
def _bar_return(equity, cash0, i):
    previous = cash0 if i == 0 else equity[i - 1]
    return 0.0 if equity[i] == previous else equity[i] / previous - 1.0
