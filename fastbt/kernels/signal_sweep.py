"""Fused sweep over signal variants given as arrays (``fastbt.sweep(signals=...)``).

Each set is one variant's entry and exit row of two read-only (variants x bars)
tables, with its own ``sl``, ``tp`` and ``entry_offset``. A set runs ``simulate``
without recording (its ``bar_step`` per bar, metrics streamed, no per-bar arrays),
so a row equals ``fastbt.run(data, signals=...)`` of that variant by construction.
With block statistics on, each set records its equity curve (one bars-long array per
set at a time) and takes its blocks from it.
Sets run in parallel on Numba threads.
"""

import numpy as np
from numba import njit, prange

from fastbt._numba_cache import CACHE_ENABLED
from fastbt.kernels.blocks import equity_block_stats
from fastbt.kernels.simulate import simulate
from fastbt.kernels.sweep import metrics_width, with_levels

parallel_kernel = njit(cache=CACHE_ENABLED, nogil=True, error_model="numpy", parallel=True)


@parallel_kernel
def sweep_signals(
    open_,
    high,
    low,
    close,
    entry,
    entry_rows,
    exit_,
    exit_rows,
    sl,
    tp,
    entry_offset,
    rules,
    cash0,
    periods_per_year,
    relative,
    ends,
    blocks_out,
):
    """Metrics (sets x ``metrics_width(relative)``) for every set k: entry row
    ``entry_rows[k]``, exit row ``exit_rows[k]``, levels ``sl[k]``, ``tp[k]`` (NaN: off) and
    ``entry_offset[k]`` (``relative`` as in ``simulate``); set k's block statistics (blocks
    ending at ``ends[1:]``) go to ``blocks_out[k]`` (sets x S x 3; S = 0 when blocks are off)."""
    n_sets = entry_rows.shape[0]
    record = blocks_out.shape[1] > 0
    out = np.empty((n_sets, metrics_width(relative)))
    for k in prange(n_sets):
        metrics, equity, _, _, _ = simulate(
            open_,
            high,
            low,
            close,
            entry[entry_rows[k]],
            exit_[exit_rows[k]],
            cash0,
            with_levels(rules, sl[k], tp[k], entry_offset[k]),
            periods_per_year,
            record,
            relative,
        )
        out[k] = metrics
        if record:
            equity_block_stats(equity, cash0, ends, blocks_out[k])
    return out
