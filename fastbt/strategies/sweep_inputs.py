"""How the built-in strategies run on the fused sweep kernel.

Each function turns one symbol's closes and a batch of parameter sets into
``CrossingInputs``: the indicator tables (every distinct indicator computed once)
and, per set, which rows cross which for entry and exit. ``set_levels`` gives each
set's ``sl``, ``tp`` and ``entry_offset``.
"""

from dataclasses import dataclass
from itertools import pairwise

import numpy as np

from fastbt.kernels.sweep import moving_average_table, rsi_table


@dataclass(frozen=True)
class CrossingInputs:
    """Entry: row ``entry_a_rows[k]`` of ``entry_a`` crosses row ``entry_b_rows[k]`` of
    ``entry_b`` (above if ``entry_above``); exit likewise."""

    entry_a: np.ndarray
    entry_a_rows: np.ndarray
    entry_b: np.ndarray
    entry_b_rows: np.ndarray
    entry_above: bool
    exit_a: np.ndarray
    exit_a_rows: np.ndarray
    exit_b: np.ndarray
    exit_b_rows: np.ndarray
    exit_above: bool


def _distinct(*columns: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
    """Distinct values of several columns and, per column, each value's position."""
    values, positions = np.unique(np.concatenate(columns), return_inverse=True)
    bounds = np.cumsum([0, *(len(c) for c in columns)])
    return values, [positions[a:b].astype(np.int64) for a, b in pairwise(bounds)]


def ma_cross_sweep_inputs(close: np.ndarray, params: dict) -> CrossingInputs:
    """One moving average per distinct window; fast crosses slow."""
    windows, (fast, slow) = _distinct(params["fast"], params["slow"])
    table = moving_average_table(close, windows.astype(np.int64))
    return CrossingInputs(table, fast, table, slow, True, table, fast, table, slow, False)


def rsi_sweep_inputs(close: np.ndarray, params: dict) -> CrossingInputs:
    """One RSI per distinct window; it crosses below oversold / above overbought."""
    windows, (window,) = _distinct(params["window"])
    table = rsi_table(close, windows.astype(np.int64))
    levels, (low, high) = _distinct(params["oversold"], params["overbought"])
    level_table = constant_rows(levels.astype(np.float64), len(close))
    return CrossingInputs(
        table, window, level_table, low, False, table, window, level_table, high, True
    )


def constant_rows(levels: np.ndarray, n_bars: int) -> np.ndarray:
    """Read-only table whose row k is ``levels[k]`` at every bar, without storing the
    repeats (a zero stride along the bars), so the kernel reads every series alike."""
    return np.lib.stride_tricks.as_strided(
        levels, shape=(len(levels), n_bars), strides=(levels.strides[0], 0), writeable=False
    )


def set_levels(params: dict, rules, n_sets: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-set ``sl``, ``tp`` (NaN: off) and ``entry_offset``: the grid's column where the
    sweep varies them, else the value in ``rules`` for every set."""
    return tuple(
        np.ascontiguousarray(params[name], dtype=np.float64)
        if name in params
        else np.full(n_sets, getattr(rules, name), dtype=np.float64)
        for name in ("sl", "tp", "entry_offset")
    )
