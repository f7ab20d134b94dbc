"""fastbt: fast backtests you can cross-check.

Numba kernels run whole backtests in one pass; a bar-by-bar reference engine
implements the same rules in plain Python so every fast result can be verified.
"""

from fastbt import (
    _numba_cache,  # noqa: F401  (sets up Numba's cache before any kernel)
    stats,
)
from fastbt.data import SAMPLES, FetchResult, fetch, load, synthetic, synthetic_universe
from fastbt.display import plot_sweep, sweep_summary
from fastbt.engine import run, verify
from fastbt.errors import DataWarning, RunWarning, SweepError, VerificationError
from fastbt.options import RunOptions
from fastbt.reference.history import History
from fastbt.reference.strategies import ReferenceStrategy
from fastbt.result import Result
from fastbt.storage import MarketStore, Panel, StoreError
from fastbt.strategies import (
    Constraint,
    Param,
    Strategy,
    get_strategy,
    list_strategies,
    register_strategy,
)
from fastbt.sweep import (
    best,
    load_sweep,
    pivot,
    sweep,
    sweep_from_json,
    sweep_to_csv,
    sweep_to_json,
    sweep_to_parquet,
    sweep_verdict,
    top,
)
from fastbt.walkforward import WalkForward, walk_forward

__version__ = "0.1.0"

__all__ = [
    "SAMPLES",
    "Constraint",
    "DataWarning",
    "FetchResult",
    "History",
    "MarketStore",
    "Panel",
    "Param",
    "ReferenceStrategy",
    "Result",
    "RunOptions",
    "RunWarning",
    "StoreError",
    "Strategy",
    "SweepError",
    "VerificationError",
    "WalkForward",
    "__version__",
    "best",
    "fetch",
    "get_strategy",
    "list_strategies",
    "load",
    "load_sweep",
    "pivot",
    "plot_sweep",
    "register_strategy",
    "run",
    "stats",
    "sweep",
    "sweep_from_json",
    "sweep_summary",
    "sweep_to_csv",
    "sweep_to_json",
    "sweep_to_parquet",
    "sweep_verdict",
    "synthetic",
    "synthetic_universe",
    "top",
    "verify",
    "walk_forward",
]
