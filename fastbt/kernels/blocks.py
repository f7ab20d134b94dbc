"""Per-block (count, mean, M2) of a run's bar returns, for CSCV at sweep scale.

A run of ``n`` bars is cut into segments: first the oldest ``n mod S`` bars (simulated,
left out of the blocks), then ``S`` contiguous blocks of equal length. The fused sweep
kernels (``sweep.run_crossings`` and the generated rule kernels of ``rules.fused``)
compare each bar with the current segment's end and, at a block's end only, call
``segment_done``, which takes the block's sum and sum of squares as differences of the
running sums kept for the metrics anyway (``BarStats.sum_r``, ``sum_r2``): one
comparison per bar.
Kernels that record the equity curve use ``equity_block_stats`` (two passes per block).
"""

from collections import namedtuple

import numpy as np

from fastbt.kernels.jit import kernel

# Where a fused bar loop is in its segments: segment ``index`` covers bars
# ``start:end``; ``sum_r``/``sum_r2`` are the running sums when it began.
Segments = namedtuple("Segments", ["index", "start", "end", "sum_r", "sum_r2"])


def segment_ends(n_bars: int, blocks: int | None) -> np.ndarray:
    """The bar after each segment: ``[n_bars]`` alone when ``blocks`` is None, else the
    trimmed bars' end then each of the ``blocks`` blocks' ends."""
    if blocks is None:
        return np.array([n_bars], dtype=np.int64)
    length = n_bars // blocks
    trimmed = n_bars - length * blocks
    return trimmed + length * np.arange(blocks + 1, dtype=np.int64)


@kernel
def first_segment(ends):
    """The segment state before bar 0 (``segment_ends`` gives ``ends``): segment 0 holds
    the trimmed oldest bars, skipped when there are none."""
    index = 1 if ends[0] == 0 and ends.shape[0] > 1 else 0
    return Segments(index, 0, ends[index], 0.0, 0.0)


@kernel
def segment_done(segments, sum_r, sum_r2, ends, blocks_out, n):
    """At the end of the current segment (running sums ``sum_r``, ``sum_r2`` of the bar
    returns so far): write its block's statistics to ``blocks_out`` (unless it is the
    trimmed segment) and return the next segment's state (end ``n + 1`` after the last,
    never reached). Called only inside the rare ``if i + 1 == segments.end`` branch."""
    index = segments.index
    if index > 0:
        block_from_sums(
            blocks_out[index - 1],
            sum_r - segments.sum_r,
            sum_r2 - segments.sum_r2,
            float(segments.end - segments.start),
        )
    index += 1
    end = ends[index] if index < ends.shape[0] else n + 1
    return Segments(index, segments.end, end, sum_r, sum_r2)


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
