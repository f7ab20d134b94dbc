"""Parameter sweeps: grids, chunks, local or cluster execution, streamed results."""

from fastbt.sweep.analysis import best, pivot, top
from fastbt.sweep.api import sweep
from fastbt.sweep.export import (
    load_sweep,
    sweep_from_json,
    sweep_to_csv,
    sweep_to_json,
    sweep_to_parquet,
)
from fastbt.sweep.grid import Grid, expand_grid
from fastbt.sweep.verdict import SweepVerdict, sweep_verdict

__all__ = [
    "Grid",
    "SweepVerdict",
    "best",
    "expand_grid",
    "load_sweep",
    "pivot",
    "sweep",
    "sweep_from_json",
    "sweep_to_csv",
    "sweep_to_json",
    "sweep_to_parquet",
    "sweep_verdict",
    "top",
]
