"""Cross-sectional ranking: momentum rotation's target weights (docs/portfolios.md)."""

import numpy as np

from fastbt.kernels.jit import kernel


@kernel
def momentum_weights(close, lookback, top_k, rebalance):
    """Target weights (bars x symbols): on each rebalance bar i >= lookback, 1/top_k for
    the top_k symbols by ``close[i]/close[i-lookback] - 1`` (ties in symbol order), 0 for
    the others; NaN (no order) on every other bar."""
    n, n_symbols = close.shape
    weights = np.full((n, n_symbols), np.nan)
    trailing = np.empty(n_symbols)
    for i in range(lookback, n):
        if not rebalance[i]:
            continue
        for k in range(n_symbols):
            trailing[k] = -(close[i, k] / close[i - lookback, k] - 1.0)
        order = np.argsort(trailing, kind="mergesort")
        for rank in range(n_symbols):
            weights[i, order[rank]] = 1.0 / top_k if rank < top_k else 0.0
    return weights
