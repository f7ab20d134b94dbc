"""CSCV on per-set block statistics, compiled: every split's metric of every set, the
split winners and their out-of-sample ranks, without a sort and without a splits x sets
matrix (docs/overfitting.md, "At sweep scale").

A set's S blocks (all of the same length L) are summarised by (count, mean, M2). About the
set's full-sample mean p, block b contributes x_b = L (m_b - p) and y_b = M2_b + L (m_b -
p)^2, and a half of n = L S/2 bars has ``mean = p + sum x / n``, ``M2 = sum y - (sum x)^2
/ n`` (Chan's parallel formula). Every half is a subset of the first S/2 blocks joined to
a subset of the last S/2, so with the sums of every subset of each side tabulated once per
set (2 x 2^(S/2) entries), a split costs one addition per sum. The splits are visited
grouped by how many first-side blocks they hold ("grid order"), so the inner loop runs
over contiguous tables and vectorises. The Sharpe ratio is compared through the strictly
increasing ``f(s) = s |s|`` (no square root per split; NaN as -inf). The out-of-sample half
of a split is the in-sample half of its complement, so one value per split and set gives
both. Sets are processed in contiguous ranges on parallel threads; each range keeps its
own per-split winners (pass 1) and rank counts (pass 2).
"""

import itertools

import numpy as np
from numba import njit, prange

from fastbt._numba_cache import CACHE_ENABLED
from fastbt.kernels.jit import kernel

parallel_kernel = njit(cache=CACHE_ENABLED, nogil=True, error_model="numpy", parallel=True)


@kernel
def _side_sums(stats, k, pivot, first, order, last_bit, x, y, level):
    """Set k's (x, y) sums over every subset of blocks ``first .. first + S/2 - 1``,
    stored in ``order`` (subset masks grouped by size); ``level``: the subset's common
    mean when all its blocks are flat at one level (M2 0, equal means), else NaN."""
    n_sub = last_bit.shape[0]
    mask_x = np.empty(n_sub)
    mask_y = np.empty(n_sub)
    mask_level = np.empty(n_sub)
    mask_x[0] = mask_y[0] = 0.0
    mask_level[0] = np.nan  # the empty subset: its level is the other side's
    for mask in range(1, n_sub):
        b = first + last_bit[mask]
        rest = mask & (mask - 1)
        n = stats[k, b, 0]
        d = stats[k, b, 1] - pivot
        mask_x[mask] = mask_x[rest] + n * d
        mask_y[mask] = mask_y[rest] + (stats[k, b, 2] + n * d * d)
        same = stats[k, b, 2] == 0.0 and (rest == 0 or mask_level[rest] == stats[k, b, 1])
        mask_level[mask] = stats[k, b, 1] if same else np.nan
    for pos in range(n_sub):
        x[pos] = mask_x[order[pos]]
        y[pos] = mask_y[order[pos]]
        level[pos] = mask_level[order[pos]]


@kernel
def _split_values(
    stats, k, order, last_bit, groups, n_half, use_mean, lo_x, lo_y, hi_x, hi_y, values
):
    """The comparison value of set k on the in-sample half of every split, in grid
    order: the mean, or ``f(Sharpe)`` (-inf where the half has no spread)."""
    n_blocks = stats.shape[1]
    total = 0.0
    for b in range(n_blocks):
        total += stats[k, b, 1]
    pivot = total / n_blocks  # equal block lengths: the full-sample mean
    n_sub = last_bit.shape[0]
    lo_level = np.empty(n_sub)
    hi_level = np.empty(n_sub)
    _side_sums(stats, k, pivot, 0, order, last_bit, lo_x, lo_y, lo_level)
    _side_sums(stats, k, pivot, n_blocks // 2, order, last_bit, hi_x, hi_y, hi_level)
    inv_n = 1.0 / n_half
    dof = n_half - 1.0
    any_flat = False
    for b in range(n_blocks):
        any_flat |= stats[k, b, 2] == 0.0
    g = 0
    for group in range(groups.shape[0]):
        lo_start, lo_stop, hi_start, hi_stop = groups[group]
        width = lo_stop - lo_start
        lo_empty = group == 0  # the in-sample half lies in the second side only
        hi_empty = group == groups.shape[0] - 1
        for h in range(hi_start, hi_stop):
            hx, hy, hl = hi_x[h], hi_y[h], hi_level[h]
            if use_mean:
                for j in range(width):
                    values[g + j] = pivot + (lo_x[lo_start + j] + hx) * inv_n
            elif not any_flat:  # no block without spread: no flat half (vectorises)
                for j in range(width):
                    sx = lo_x[lo_start + j] + hx
                    mean = pivot + sx * inv_n
                    m2 = lo_y[lo_start + j] + hy - sx * sx * inv_n
                    values[g + j] = mean * abs(mean) * dof / m2 if m2 > 0.0 else -np.inf
            else:
                for j in range(width):
                    sx = lo_x[lo_start + j] + hx
                    mean = pivot + sx * inv_n
                    m2 = lo_y[lo_start + j] + hy - sx * sx * inv_n
                    ll = lo_level[lo_start + j]
                    flat = (ll == hl) | (lo_empty & (hl == hl)) | (hi_empty & (ll == ll))
                    ok = (m2 > 0.0) & (not flat)
                    values[g + j] = mean * abs(mean) * dof / m2 if ok else -np.inf
            g += width


@parallel_kernel
def split_winners(stats, order, last_bit, groups, complement, n_half, use_mean, bounds):
    """Pass 1 per range of sets ``bounds[r]:bounds[r+1]``: each split's first in-sample
    argmax and its in- and out-of-sample value. Returns (winner, is_value, oos_value),
    each ranges x splits, in grid order."""
    n_ranges = bounds.shape[0] - 1
    n_splits = complement.shape[0]
    n_sub = last_bit.shape[0]
    winner = np.empty((n_ranges, n_splits), dtype=np.int64)
    is_value = np.empty((n_ranges, n_splits))
    oos_value = np.empty((n_ranges, n_splits))
    for r in prange(n_ranges):
        lo_x, lo_y = np.empty(n_sub), np.empty(n_sub)
        hi_x, hi_y = np.empty(n_sub), np.empty(n_sub)
        values = np.empty(n_splits)
        for k in range(bounds[r], bounds[r + 1]):
            _split_values(
                stats, k, order, last_bit, groups, n_half, use_mean, lo_x, lo_y, hi_x, hi_y, values
            )
            first = k == bounds[r]
            for g in range(n_splits):
                if first or values[g] > is_value[r, g]:
                    winner[r, g] = k
                    is_value[r, g] = values[g]
                    oos_value[r, g] = values[complement[g]]
    return winner, is_value, oos_value


@parallel_kernel
def rank_counts(stats, order, last_bit, groups, n_half, use_mean, bounds, target):
    """Pass 2: per split g, how many sets' in-sample value is below and equal to
    ``target[g]``; with the complement's target this counts out-of-sample ranks."""
    n_ranges = bounds.shape[0] - 1
    n_splits = target.shape[0]
    n_sub = last_bit.shape[0]
    below = np.zeros((n_ranges, n_splits), dtype=np.int64)
    equal = np.zeros((n_ranges, n_splits), dtype=np.int64)
    for r in prange(n_ranges):
        lo_x, lo_y = np.empty(n_sub), np.empty(n_sub)
        hi_x, hi_y = np.empty(n_sub), np.empty(n_sub)
        values = np.empty(n_splits)
        for k in range(bounds[r], bounds[r + 1]):
            _split_values(
                stats, k, order, last_bit, groups, n_half, use_mean, lo_x, lo_y, hi_x, hi_y, values
            )
            for g in range(n_splits):
                below[r, g] += values[g] < target[g]
                equal[r, g] += values[g] == target[g]
    return below.sum(axis=0), equal.sum(axis=0)


def split_layout(blocks: int):
    """The grid order of the splits for ``blocks`` blocks: ``order`` (side subset masks
    grouped by size), ``last_bit`` (each mask's lowest block), ``groups`` (per first-side
    size: its range in ``order`` and the matching second-side range), ``complement``
    (grid position of each split's other half) and ``combination`` (each grid position's
    index in ``itertools.combinations`` order)."""
    half = blocks // 2
    masks = np.arange(1 << half, dtype=np.int64)
    sizes = np.array([bin(m).count("1") for m in masks])
    order = np.argsort(sizes, kind="stable").astype(np.int64)
    starts = np.searchsorted(sizes[order], np.arange(half + 2))
    last_bit = np.zeros(1 << half, dtype=np.int64)
    last_bit[1:] = [(m & -m).bit_length() - 1 for m in range(1, 1 << half)]
    groups = np.array(
        [
            [starts[p], starts[p + 1], starts[half - p], starts[half - p + 1]]
            for p in range(half + 1)
        ],
        dtype=np.int64,
    )
    full = (1 << half) - 1
    grid = [
        (int(order[lo]), int(order[hi]))
        for a, b, c, d in groups
        for hi in range(c, d)
        for lo in range(a, b)
    ]
    position = {pair: g for g, pair in enumerate(grid)}
    complement = np.array([position[(full ^ lo, full ^ hi)] for lo, hi in grid], dtype=np.int64)
    combos = {
        sum(1 << b for b in combo): c
        for c, combo in enumerate(itertools.combinations(range(blocks), half))
    }
    combination = np.array([combos[lo | (hi << half)] for lo, hi in grid], dtype=np.int64)
    return order, last_bit, groups, complement, combination


BATCH = 1 << 16  # sets per kernel call, so progress can be shown between calls


def _batches(n_sets: int, n_ranges: int):
    """Per batch of sets, the bounds of its ranges of sets (``n_ranges`` threads' work)."""
    for start in range(0, n_sets, BATCH):
        stop = min(start + BATCH, n_sets)
        yield np.linspace(start, stop, min(n_ranges, stop - start) + 1).astype(np.int64)


def cscv_passes(set_stats: np.ndarray, use_mean: bool, n_ranges: int, advance=None):
    """Both passes over (N, S, 3) block statistics of equal-length blocks. Per split, in
    ``itertools.combinations`` order: the winner, its in- and out-of-sample comparison
    value (the mean, or ``f(Sharpe) = Sharpe |Sharpe|``; -inf for NaN) and how many sets
    are below and equal to the latter out of sample. ``advance(sets)``, if given, is
    called after each batch of each pass."""
    order, last_bit, groups, complement, combination = split_layout(set_stats.shape[1])
    n_half = float(set_stats[0, 0, 0] * (set_stats.shape[1] // 2))
    args = (set_stats, order, last_bit, groups)
    winner = is_value = oos_value = None
    for bounds in _batches(len(set_stats), n_ranges):
        winners, is_values, oos_values = split_winners(*args, complement, n_half, use_mean, bounds)
        # Ranges in set order: a later range's winner replaces only a strictly better one.
        for r in range(len(winners)):
            if winner is None:
                winner, is_value, oos_value = winners[r], is_values[r], oos_values[r]
                continue
            better = is_values[r] > is_value
            winner = np.where(better, winners[r], winner)
            is_value = np.where(better, is_values[r], is_value)
            oos_value = np.where(better, oos_values[r], oos_value)
        if advance is not None:
            advance(bounds[-1] - bounds[0])
    # Split g's out-of-sample values are its complement's in-sample values.
    target = oos_value[complement]
    below = np.zeros(len(target), dtype=np.int64)
    equal = np.zeros(len(target), dtype=np.int64)
    for bounds in _batches(len(set_stats), n_ranges):
        batch_below, batch_equal = rank_counts(*args, n_half, use_mean, bounds, target)
        below += batch_below
        equal += batch_equal
        if advance is not None:
            advance(bounds[-1] - bounds[0])
    below, equal = below[complement], equal[complement]
    in_order = np.argsort(combination)
    return tuple(v[in_order] for v in (winner, is_value, oos_value, below, equal))
