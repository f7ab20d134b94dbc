"""Parameter sweeps: grids, chunks, local or cluster execution, streamed results."""

from fastbt.sweep.analysis import best, pivot, top
from fastbt.sweep.api import sweep
from fastbt.sweep.grid import Grid, expand_grid

__all__ = ["Grid", "best", "expand_grid", "pivot", "sweep", "top"]
