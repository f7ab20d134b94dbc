"""Cross-sectional ranking: momentum rotation's target weights, and its fused sweep
(docs/portfolios.md, docs/sweeps.md)."""

import numpy as np
from numba import prange

from fastbt.kernels.jit import kernel
from fastbt.kernels.metrics import N_METRICS
from fastbt.kernels.portfolio import portfolio_pass
from fastbt.kernels.sweep import parallel_kernel


@kernel
def momentum_ranks(close, lookback):
    """Row i (bars x symbols): the symbols ordered by ``close[i]/close[i-lookback] - 1``,
    highest first (ties in symbol order); -1 in every column of the rows before
    ``lookback``, which have no trailing return."""
    n, n_symbols = close.shape
    ranks = np.full((n, n_symbols), -1, dtype=np.int32)
    trailing = np.empty(n_symbols)
    for i in range(lookback, n):
        for k in range(n_symbols):
            trailing[k] = -(close[i, k] / close[i - lookback, k] - 1.0)
        ranks[i] = np.argsort(trailing, kind="mergesort")
    return ranks


@kernel
def momentum_weights(close, lookback, top_k, rebalance):
    """Target weights (bars x symbols): on each rebalance bar i >= lookback, 1/top_k for
    the top_k symbols of ``momentum_ranks`` row i, 0 for the others; NaN (no order) on
    every other bar."""
    n, n_symbols = close.shape
    ranks = momentum_ranks(close, lookback)
    weights = np.full((n, n_symbols), np.nan)
    for i in range(lookback, n):
        if not rebalance[i]:
            continue
        for r in range(n_symbols):
            weights[i, ranks[i, r]] = 1.0 / top_k if r < top_k else 0.0
    return weights


@parallel_kernel
def sweep_rotation(
    open_,
    high,
    low,
    close,
    ranks,
    ranks_of_set,
    top_k,
    masks,
    mask_of_set,
    cash0,
    rules,
    by_value,
    partial,
    periods_per_year,
):
    """Metrics (sets x ``N_METRICS``) of momentum rotation set s: ranks table
    ``ranks[ranks_of_set[s]]`` (one per lookback), ``top_k[s]`` and rebalance bars
    ``masks[mask_of_set[s]]``; each set one pass of ``portfolio_pass``, sets in parallel."""
    n_sets = top_k.shape[0]
    out = np.empty((n_sets, N_METRICS))
    for s in prange(n_sets):
        metrics = portfolio_pass(
            open_,
            high,
            low,
            close,
            None,
            ranks[ranks_of_set[s]],
            top_k[s],
            masks[mask_of_set[s]],
            True,
            cash0,
            rules,
            by_value,
            partial,
            periods_per_year,
            False,
        )[0]
        for m in range(N_METRICS):
            out[s, m] = metrics[m]
    return out
