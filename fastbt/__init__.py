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
from fastbt.portfolio import (
    Alignment,
    PortfolioResult,
    Universe,
    align,
    equal_weight,
    inverse_volatility,
    momentum_rotation,
    rebalance,
    run_portfolio,
    universe,
    verify_portfolio,
)
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
    "Alignment",
    "Constraint",
    "DataWarning",
    "FetchResult",
    "History",
    "MarketStore",
    "Panel",
    "Param",
    "PortfolioResult",
    "ReferenceStrategy",
    "Result",
    "RunOptions",
    "RunWarning",
    "StoreError",
    "Strategy",
    "SweepError",
    "Universe",
    "VerificationError",
    "WalkForward",
    "__version__",
    "align",
    "best",
    "equal_weight",
    "fetch",
    "get_strategy",
    "inverse_volatility",
    "list_strategies",
    "load",
    "load_sweep",
    "momentum_rotation",
    "pivot",
    "plot_sweep",
    "rebalance",
    "register_strategy",
    "run",
    "run_portfolio",
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
    "universe",
    "verify",
    "verify_portfolio",
    "walk_forward",
]
