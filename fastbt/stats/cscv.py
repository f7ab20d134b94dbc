"""Probability of backtest overfitting by combinatorially symmetric cross-validation (CSCV).

Bailey, Borwein, López de Prado & Zhu (2017). The T x N returns are cut into S blocks;
each set's blocks are summarised by (count, mean, M2) and every half/half split is
rebuilt from those summaries (Chan et al.'s parallel update, for k parts at once), so
a sweep can keep S x 3 numbers per set instead of T returns. ``pbo_from_block_stats``
is the entry point for such block statistics.
"""

import itertools
import math
from dataclasses import dataclass, field

import numpy as np

from fastbt.stats.inputs import as_matrix
from fastbt.stats.moments import sharpe_from_stats

METRICS = ("sharpe", "mean")
_SET_RANGES = 64  # contiguous ranges of sets the compiled passes share among threads
_CHUNK_VALUES = 2_000_000  # split x column metrics per chunk (a few arrays of 16 MB)


def check_blocks(n_bars: int, blocks: int) -> int:
    """The block length for ``n_bars`` bars cut into ``blocks`` blocks, or a ValueError."""
    if isinstance(blocks, bool) or not isinstance(blocks, int | np.integer):
        raise ValueError(f"blocks must be an even whole number >= 2; got {blocks!r}")
    if blocks < 2 or blocks % 2:
        raise ValueError(
            f"blocks must be an even whole number >= 2 (CSCV halves them); got {blocks}"
        )
    length = n_bars // blocks
    if length < 2:
        most = n_bars // 2 // 2 * 2
        way_out = f"use blocks <= {most}" if most >= 2 else "CSCV needs at least 4 bars"
        raise ValueError(
            f"{n_bars} bars are too few for blocks={blocks}: each block needs at least 2 bars; "
            f"{way_out}"
        )
    return length


def block_stats(returns, blocks: int = 16) -> np.ndarray:
    """Per-block (count, mean, M2) of every column: an (S, N, 3) array.

    The oldest ``T mod S`` rows are dropped so the S contiguous blocks have equal length.
    M2 is the sum of squared deviations from the block mean.
    """
    values, _ = as_matrix(returns)
    length = check_blocks(values.shape[0], blocks)
    kept = values[values.shape[0] - length * blocks :].reshape(blocks, length, -1)
    means = kept.mean(axis=1)
    stats = np.empty((blocks, values.shape[1], 3))
    stats[:, :, 0] = length
    stats[:, :, 1] = means
    stats[:, :, 2] = ((kept - means[:, None, :]) ** 2).sum(axis=1)
    return stats


def combine_block_stats(stats: np.ndarray, combos: np.ndarray | None = None) -> np.ndarray:
    """Combine (S, N, 3) block statistics: (C, N, 3) for the blocks listed in each row of a
    (C, k) ``combos`` index array, or (N, 3) over all blocks when it is None.

    Chan, Golub & LeVeque's parallel formula for k parts, ``M2 = sum M2_b + sum n_b (m_b -
    mean)^2``, written about each set's full-sample mean p so each split needs three sums:
    with ``d_b = m_b - p``, ``n = sum n_b``, ``mean = p + sum n_b d_b / n`` and
    ``M2 = sum (M2_b + n_b d_b^2) - (sum n_b d_b)^2 / n``. Block means sit close to p, so
    the subtraction loses nothing of note (tested against direct sums to 1e-12). The sums
    run in block order, so identical sets get identical bits (their ties stay ties).
    A group whose blocks are all flat at one level (M2 0 and equal means: e.g. no trade,
    every return 0) has M2 exactly 0, not the rounding left by the subtraction.
    """
    counts, means, m2 = stats[..., 0], stats[..., 1], stats[..., 2]
    pivot = (counts * means).sum(axis=0) / counts.sum(axis=0)
    deviation = means - pivot
    parts = (counts, counts * deviation, m2 + counts * deviation**2)  # each (S, N)
    every_block = combos is None
    if every_block:
        combos = np.arange(len(stats))[None, :]
    membership = np.zeros((len(combos), len(stats)), dtype=bool)
    membership[np.arange(len(combos))[:, None], combos] = True
    sums = np.zeros((3, len(combos), stats.shape[1]))
    level = np.full((len(combos), stats.shape[1]), np.inf)  # inf: no block yet
    flat = np.ones((len(combos), stats.shape[1]), dtype=bool)
    for block in range(len(stats)):  # block order, the same for every set
        chosen = membership[:, block : block + 1]
        for total, part in zip(sums, parts, strict=True):
            np.add(total, part[block], out=total, where=chosen)
        same = (m2[block] == 0) & ((level == np.inf) | (level == means[block]))
        flat &= ~chosen | same
        level = np.where(chosen, means[block], level)
    count, shift, squares = sums
    spread = np.where(flat, 0.0, np.maximum(squares - shift**2 / count, 0.0))
    combined = np.stack([count, pivot + shift / count, spread], axis=-1)
    return combined[0] if every_block else combined


def split_combinations(blocks: int) -> np.ndarray:
    """Every choice of ``blocks/2`` in-sample blocks, in ``itertools.combinations`` order."""
    return np.array(list(itertools.combinations(range(blocks), blocks // 2)), dtype=np.intp)


def _metric(stats: np.ndarray, metric: str) -> np.ndarray:
    if metric == "mean":
        return stats[..., 1]
    return sharpe_from_stats(stats[..., 0], stats[..., 1], stats[..., 2])


def split_metrics(stats: np.ndarray, metric: str = "sharpe") -> np.ndarray:
    """The metric of every set on the in-sample half of every split: a (C, N) array.

    The out-of-sample half of split c is the in-sample half of its complement, split C-1-c
    in ``itertools.combinations`` order, so one pass gives both.
    """
    return _metric(combine_block_stats(stats, split_combinations(stats.shape[0])), metric)


def _as_minus_inf(values: np.ndarray) -> np.ndarray:
    """NaN metrics (no trades, flat returns) rank below every number and tie with each other."""
    return np.where(np.isnan(values), -np.inf, values)


def tie_averaged_rank(below: np.ndarray, equal: np.ndarray) -> np.ndarray:
    """1-based ascending rank from the counts below and equal (itself included): tied values
    share the average of their ranks, with no sort."""
    return below + (equal + 1) / 2.0


def _count_below_and_equal(values: np.ndarray, target: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per row, how many of ``values`` are below and equal to ``target`` (NaN as -inf)."""
    clean = _as_minus_inf(values)
    return (clean < target[:, None]).sum(axis=1), (clean == target[:, None]).sum(axis=1)


def _column_chunks(n_splits: int, n_sets: int) -> list[slice]:
    """Column ranges whose (splits x columns) metrics fit in ``_CHUNK_VALUES`` floats."""
    width = max(1, _CHUNK_VALUES // n_splits)
    return [slice(start, min(start + width, n_sets)) for start in range(0, n_sets, width)]


def _winners(stats: np.ndarray, metric: str, chunks: list[slice]):
    """Pass 1 over the columns: each split's first in-sample argmax and its metric in and
    out of sample."""
    n_splits = math.comb(stats.shape[0], stats.shape[0] // 2)
    rows = np.arange(n_splits)
    winners = np.zeros(n_splits, dtype=np.intp)
    best = np.full(n_splits, -np.inf)
    is_best = np.full(n_splits, np.nan)
    oos_best = np.full(n_splits, np.nan)
    for chunk in chunks:
        in_sample = split_metrics(stats[:, chunk], metric)
        out_sample = in_sample[::-1]  # split c's other half is split C-1-c's in-sample half
        local = np.argmax(_as_minus_inf(in_sample), axis=1)
        value = _as_minus_inf(in_sample[rows, local])
        better = (value > best) | ((chunk.start == 0) & (value == best))  # first argmax wins
        winners[better] = local[better] + chunk.start
        best[better] = value[better]
        is_best[better] = in_sample[rows, local][better]
        oos_best[better] = out_sample[rows, local][better]
    return winners, is_best, oos_best


@dataclass(frozen=True, eq=False)
class PBOResult:
    """CSCV's verdict on a set of backtests.

    ``pbo``: share of splits whose in-sample winner ranks in the bottom half out of sample.
    ``logits``: one per split, ``ln(omega/(1-omega))``, omega the winner's relative
    out-of-sample rank. ``is_metric``/``oos_metric``: the winner's metric in and out of
    sample per split; ``slope``, ``intercept``, ``r2``: their least-squares line
    (a negative slope means out-of-sample degradation). ``prob_loss``: share of splits
    whose winner loses out of sample (metric < 0). ``n_trimmed``: oldest bars dropped
    so the blocks have equal length. ``winners``: the winning column per split.
    """

    pbo: float
    logits: np.ndarray = field(repr=False)
    prob_loss: float
    slope: float
    intercept: float
    r2: float
    n_trimmed: int
    blocks: int
    metric: str
    n_sets: int
    is_metric: np.ndarray = field(repr=False)
    oos_metric: np.ndarray = field(repr=False)
    winners: np.ndarray = field(repr=False)

    @property
    def n_splits(self) -> int:
        return len(self.logits)

    def plot(self):
        """A matplotlib Figure: the logit histogram and the in- vs out-of-sample scatter
        of the split winners with the fitted line."""
        from fastbt.stats.plots import pbo_figure

        return pbo_figure(self)


def _degradation_line(x: np.ndarray, y: np.ndarray) -> tuple[float, float, float]:
    """Least-squares slope, intercept and R^2 of y on x over the finite pairs."""
    keep = np.isfinite(x) & np.isfinite(y)
    x, y = x[keep], y[keep]
    if len(x) < 2 or np.ptp(x) == 0:
        return math.nan, math.nan, math.nan
    dx, dy = x - x.mean(), y - y.mean()
    slope = float((dx * dy).sum() / (dx * dx).sum())
    intercept = float(y.mean() - slope * x.mean())
    syy = (dy * dy).sum()
    r2 = float((dx * dy).sum() ** 2 / ((dx * dx).sum() * syy)) if syy > 0 else math.nan
    return slope, intercept, r2


def pbo_from_block_stats(
    stats: np.ndarray, metric: str = "sharpe", n_trimmed: int = 0
) -> PBOResult:
    """PBO from an (S, N, 3) array of per-block (count, mean, M2), blocks in time order."""
    stats = _check_stats(stats, metric, 1)
    blocks, n_sets = stats.shape[:2]
    # Two passes over column chunks keep memory at O(splits x chunk), whatever N is.
    chunks = _column_chunks(math.comb(blocks, blocks // 2), n_sets)
    winners, is_best, oos_best = _winners(stats, metric, chunks)
    target = _as_minus_inf(oos_best)
    below = np.zeros(len(winners), dtype=np.int64)
    equal = np.zeros(len(winners), dtype=np.int64)
    for chunk in chunks:
        out_sample = split_metrics(stats[:, chunk], metric)[::-1]
        chunk_below, chunk_equal = _count_below_and_equal(out_sample, target)
        below += chunk_below
        equal += chunk_equal
    return _pbo_result(winners, is_best, oos_best, below, equal, n_sets, blocks, metric, n_trimmed)


def _pbo_result(
    winners, is_best, oos_best, below, equal, n_sets, blocks, metric, n_trimmed
) -> PBOResult:
    """The verdict from each split's winner, its metric in and out of sample (NaN where
    it has none), and the counts of sets below and equal to the latter out of sample."""
    omega = tie_averaged_rank(below, equal) / (n_sets + 1)
    logits = np.log(omega / (1.0 - omega))
    slope, intercept, r2 = _degradation_line(is_best, oos_best)
    return PBOResult(
        pbo=float(np.mean(logits <= 0)),
        logits=logits,
        prob_loss=float(np.mean(oos_best < 0)),
        slope=slope,
        intercept=intercept,
        r2=r2,
        n_trimmed=int(n_trimmed),
        blocks=blocks,
        metric=metric,
        n_sets=n_sets,
        is_metric=is_best,
        oos_metric=oos_best,
        winners=winners,
    )


def _check_stats(stats: np.ndarray, metric: str, set_axis: int) -> np.ndarray:
    """Block statistics as floats, with their shape, block count and metric checked."""
    if metric not in METRICS:
        raise ValueError(f"metric must be one of {', '.join(METRICS)}; got {metric!r}")
    stats = np.asarray(stats, dtype=float)
    if stats.ndim != 3 or stats.shape[2] != 3:
        layout = "(N, S, 3)" if set_axis == 0 else "(S, N, 3)"
        raise ValueError(f"block statistics must have shape {layout}; got {stats.shape}")
    blocks, n_sets = stats.shape[1 - set_axis], stats.shape[set_axis]
    if blocks < 2 or blocks % 2:
        raise ValueError(f"the number of blocks must be even and >= 2; got {blocks}")
    if n_sets < 2:
        raise ValueError(f"PBO compares parameter sets: it needs at least 2 columns; got {n_sets}")
    return stats


def _metric_value(values: np.ndarray, use_mean: bool) -> np.ndarray:
    """The metric from the kernel's comparison value: the mean itself, or the Sharpe
    ratio s from ``s |s|``; NaN for -inf (no spread)."""
    if not use_mean:
        values = np.sign(values) * np.sqrt(np.abs(values))
    return np.where(np.isneginf(values), np.nan, values)


def pbo_from_set_blocks(
    set_stats: np.ndarray, metric: str = "sharpe", n_trimmed: int = 0, progress: bool = False
) -> PBOResult:
    """``pbo_from_block_stats`` for statistics laid out per set, (N, S, 3), as a sweep
    keeps them, on the compiled kernel (``fastbt.kernels.cscv``): memory O(splits x
    ``_SET_RANGES``) besides the input, whatever N is; the same result to rounding.
    ``progress`` shows a bar over both passes."""
    from fastbt.kernels.cscv import cscv_passes
    from fastbt.progress import progress_bar

    stats = np.ascontiguousarray(_check_stats(set_stats, metric, 0))
    n_sets, blocks = stats.shape[:2]
    if not (stats[:, :, 0] == stats[0, 0, 0]).all() or not stats[0, 0, 0] >= 2:
        raise ValueError("block statistics must all count the same number (>= 2) of bars")
    use_mean = metric == "mean"
    with progress_bar(
        total=2 * n_sets, unit="set", unit_scale=True, desc="PBO", disable=not progress
    ) as bar:
        winners, is_best, oos_best, below, equal = cscv_passes(
            stats, use_mean, _SET_RANGES, bar.update
        )
    is_best, oos_best = (_metric_value(v, use_mean) for v in (is_best, oos_best))
    return _pbo_result(winners, is_best, oos_best, below, equal, n_sets, blocks, metric, n_trimmed)


def pbo(returns, blocks: int = 16, metric: str = "sharpe") -> PBOResult:
    """Probability of backtest overfitting of a T x N matrix of bar returns (one column
    per parameter set, rows in time order; array or DataFrame), by CSCV with ``blocks``
    blocks. ``metric`` is "sharpe" (per-bar Sharpe, default) or "mean" (mean return)."""
    if metric not in METRICS:
        raise ValueError(f"metric must be one of {', '.join(METRICS)}; got {metric!r}")
    values, _ = as_matrix(returns)
    stats = block_stats(values, blocks)
    return pbo_from_block_stats(stats, metric, n_trimmed=values.shape[0] % blocks)
