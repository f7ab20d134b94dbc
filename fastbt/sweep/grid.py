"""Parameter grids: expansion, validity, sampling (docs/sweeps.md)."""

import math
from dataclasses import dataclass, replace

import numpy as np

from fastbt.options import RunOptions
from fastbt.strategies import Strategy

# Run options that may also be grid dimensions; None (off) is NaN in their columns.
LEVEL_OPTIONS = ("sl", "tp", "entry_offset")


@dataclass(frozen=True)
class Grid:
    """The parameter sets to run, one array per parameter, in product order.

    ``n_total`` sets were in the product; ``n_invalid`` of them broke a rule of
    the strategy for some symbol's length and were dropped; ``sampled`` says
    whether a random subset was then taken.
    """

    columns: dict
    n_total: int
    n_invalid: int
    sampled: bool

    def __len__(self) -> int:
        return len(next(iter(self.columns.values()))) if self.columns else 1


def _values(name: str, values) -> np.ndarray:
    """One parameter's candidate values as a 1-D array, in the order given."""
    if isinstance(values, str | bytes) or np.ndim(values) > 1:
        raise ValueError(f"grid '{name}': give a list, range or 1-D array of values")
    if np.ndim(values) == 0 and not hasattr(values, "__iter__"):
        values = [values]  # a single value
    array = np.asarray(list(values) if not isinstance(values, np.ndarray) else values)
    if array.size == 0:
        raise ValueError(f"grid '{name}' has no values")
    return array


def _level_values(name: str, values, options: RunOptions) -> np.ndarray:
    """A level option's grid values as floats (None -> NaN), each checked as that run
    option would be (with the other options as given)."""
    if isinstance(values, str | bytes) or np.ndim(values) > 1:
        raise ValueError(f"grid '{name}': give a list, range or 1-D array of values")
    values = list(values) if hasattr(values, "__iter__") else [values]
    if not values:
        raise ValueError(f"grid '{name}' has no values")
    for value in values:
        try:
            replace(options, **{name: value})
        except ValueError as error:
            raise ValueError(f"grid '{name}': {error}") from None
    return np.asarray([math.nan if v is None else float(v) for v in values])


def expand_grid(
    strategy: Strategy,
    grid: dict,
    n_bars: int,
    *,
    sample: int | None = None,
    seed: int | None = None,
    options: RunOptions | None = None,
) -> Grid:
    """Every combination of ``grid`` values (first parameter varies slowest), with the
    sets the strategy rejects for ``n_bars`` bars dropped, optionally sampled.

    Parameters missing from ``grid`` take their defaults. ``sl``, ``tp`` and
    ``entry_offset`` may be dimensions too (after the strategy's parameters), their
    values checked against ``options``. Unknown names, empty lists and non-numeric
    values are errors; out-of-range combinations are not.
    """
    known = [p.name for p in strategy.params]
    unknown = sorted(set(grid) - set(known) - set(LEVEL_OPTIONS))
    if unknown:
        raise ValueError(
            f"unknown parameter(s) for strategy '{strategy.name}' in grid: {', '.join(unknown)} "
            f"(known: {', '.join(known + list(LEVEL_OPTIONS))})"
        )
    axes = [
        _values(p.name, grid[p.name]) if p.name in grid else np.asarray([p.default])
        for p in strategy.params
    ]
    for p, axis in zip(strategy.params, axes, strict=True):
        p.valid(axis)  # raises on values that can never be this parameter
    levels = [name for name in LEVEL_OPTIONS if name in grid]
    options = RunOptions() if options is None else options
    axes += [_level_values(name, grid[name], options) for name in levels]
    n_total = int(np.prod([a.size for a in axes]))
    mesh = np.meshgrid(*axes, indexing="ij") if axes else []
    dtypes = [np.int64 if p.kind is int else np.float64 for p in strategy.params]
    dtypes += [np.float64] * len(levels)
    columns = {
        name: np.ascontiguousarray(m.ravel(), dtype=dtype)
        for name, m, dtype in zip(known + levels, mesh, dtypes, strict=True)
    }
    keep = strategy.valid_sets(columns, n_bars)
    columns = {name: values[keep] for name, values in columns.items()}
    n_valid = int(keep.sum())
    sampled = sample is not None and sample < n_valid
    if sample is not None and (
        isinstance(sample, bool) or not isinstance(sample, int | np.integer) or sample <= 0
    ):
        raise ValueError(f"sample must be a positive whole number, got {sample!r}")
    if sampled:
        chosen = np.sort(np.random.default_rng(seed).choice(n_valid, size=sample, replace=False))
        columns = {name: values[chosen] for name, values in columns.items()}
    return Grid(columns, n_total, n_total - n_valid, sampled)
