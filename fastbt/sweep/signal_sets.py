"""Sweeps over signal variants (``fastbt.sweep(data, signals=...)``): one chunk's sets
on the fused kernel, and the result table's ``signals`` column of variant labels."""

import hashlib

import numpy as np

from fastbt.kernels.signal_sweep import sweep_signals
from fastbt.options import RunOptions
from fastbt.strategies.external import VARIANT, SignalTable
from fastbt.strategies.sweep_inputs import set_levels
from fastbt.sweep.grid import LEVEL_OPTIONS

COLUMN = "signals"  # the result table's column naming each set's variant


def _chunk_rows(side: np.ndarray, variants: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The rows of ``side`` a chunk reads, contiguous, and each set's row among them.

    A chunk's variants are one range (the grid varies them slowest), so this is a view
    of the caller's table when its rows are contiguous and otherwise a copy of only
    that range (a C-ordered bars x variants array)."""
    if side.shape[0] == 1:
        return side, np.zeros_like(variants)
    low, high = int(variants.min()), int(variants.max()) + 1
    rows = np.ascontiguousarray(side[low:high])
    rows.flags.writeable = False  # one array type for the kernel, view or copy
    return rows, variants - low


def run_signal_sets(
    bars: dict,
    table: SignalTable,
    params: dict,
    options: RunOptions,
    periods_per_year: float,
    ends: np.ndarray,
    blocks_out: np.ndarray,
) -> np.ndarray:
    """Metrics (sets x ``METRIC_NAMES``) of one chunk's sets: ``params`` holds each set's
    ``variant`` and, where the grid varies them, ``sl``, ``tp`` and ``entry_offset``.
    Segments end at ``ends``; ``blocks_out`` (sets x S x 3) gets the block statistics."""
    variants = np.ascontiguousarray(params[VARIANT], dtype=np.int64)
    entry, entry_rows = _chunk_rows(table.entry, variants)
    exit_, exit_rows = _chunk_rows(table.exit, variants)
    rules = options.rules()
    sl, tp, entry_offset = set_levels(params, rules, len(variants))
    return sweep_signals(
        bars["open"],
        bars["high"],
        bars["low"],
        bars["close"],
        entry,
        entry_rows,
        exit_,
        exit_rows,
        sl,
        tp,
        entry_offset,
        rules,
        options.cash,
        periods_per_year,
        bars.get("relative"),
        ends,
        blocks_out,
    )


def check_signal_grid(grid: dict) -> None:
    """With signals the grid may vary only the level options."""
    other = sorted(set(grid) - set(LEVEL_OPTIONS))
    if other:
        raise ValueError(
            f"with signals=, grid may hold only {', '.join(LEVEL_OPTIONS)}, got "
            f"{', '.join(other)}; each signal column is one variant already"
        )


def labelled_columns(table: SignalTable, columns: dict) -> dict:
    """The set columns as the result table shows them: ``signals`` (the variant's
    column name, or its position for a NumPy array) instead of the variant index."""
    labels = table.labels[columns[VARIANT]]
    return {COLUMN: labels} | {k: v for k, v in columns.items() if k != VARIANT}


def signals_digest(table: SignalTable) -> str:
    """Fingerprint of the signal values and labels (a resumed sweep must see the same)."""
    digest = hashlib.sha256()
    for side in (table.entry, table.exit):
        digest.update(str(side.shape).encode())
        digest.update(np.ascontiguousarray(side).tobytes())
    digest.update(repr(table.labels.tolist()).encode())
    return digest.hexdigest()
