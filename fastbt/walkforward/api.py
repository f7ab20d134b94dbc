"""``fastbt.walk_forward``: choose a set in sample, trade it out of sample, window after
window (docs/overfitting.md, "Walk-forward")."""

import math
import warnings
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from fastbt.data.load import load
from fastbt.data.validate import bar_arrays
from fastbt.engine import run
from fastbt.errors import RunWarning
from fastbt.options import RunOptions
from fastbt.periods import infer_periods_per_year
from fastbt.result import Result
from fastbt.strategies import Strategy, get_strategy
from fastbt.sweep import sweep
from fastbt.sweep.execute import _dask_client as dask_client
from fastbt.sweep.execute import check_backend
from fastbt.sweep.grid import LEVEL_OPTIONS
from fastbt.walkforward.result import WalkForward, summarize
from fastbt.walkforward.schedule import Window, schedule
from fastbt.walkforward.select import check_min_trades, check_objective, choose, rank
from fastbt.walkforward.stitch import cut_piece, reset_piece, stitch_pieces, window_metrics
from fastbt.walkforward.warmup import judged_on_full_history, on_segment

STITCH_MODES = ("reset", "continuous")
# Options of fastbt.sweep that pass through to every window's sweeps.
SWEEP_OPTIONS = ("n_jobs", "backend", "scheduler", "chunk_size")
OVERLAP_NOTE = (
    "not stitched: the out-of-sample windows overlap (step {step} < oos_bars {oos_bars}), "
    "so no single account could trade them one after another; each window is in the table "
    "(run from the initial cash). Use step >= oos_bars for a stitched result."
)


def _check_grid(grid) -> dict:
    if not isinstance(grid, dict) or not grid:
        raise ValueError(
            "grid is empty: walk-forward chooses among parameter sets; give at least one "
            "parameter with its values, e.g. grid={'fast': range(5, 50)}"
        )
    return grid


def _chosen_params(table: pd.DataFrame, position: int, names: list[str]) -> dict:
    """Set ``position``'s values as Python numbers; a level that is NaN (off) as None."""
    values = {}
    for name in names:
        value = table[name].iloc[position].item()
        values[name] = None if name in LEVEL_OPTIONS and math.isnan(value) else value
    return values


@dataclass
class _Segments:
    """Sweeps and runs of one strategy on segments of one symbol's bars, each warmed up
    on the bars before it (``warmup.on_segment``)."""

    bars: pd.DataFrame
    spec: Strategy
    grid: dict
    sweep_options: dict
    run_options: dict
    full_runs: dict = field(default_factory=dict)

    def __post_init__(self):
        self.history = bar_arrays(self.bars)

    def sweep(self, start: int, stop: int, **overrides) -> pd.DataFrame:
        """Every set of the grid on bars ``start:stop`` (one fused sweep)."""
        return sweep(
            self.bars.iloc[start:stop],
            on_segment(self.spec, self.history, start, stop),
            self.grid,
            progress=False,
            **self.sweep_options,
            **(self.run_options | overrides),
        )

    def run(self, start: int, stop: int, params: dict, **overrides) -> Result:
        """One set on bars ``start:stop``."""
        with warnings.catch_warnings():  # a window in which no order fills is normal here
            warnings.simplefilter("ignore", RunWarning)
            return run(
                self.bars.iloc[start:stop],
                on_segment(self.spec, self.history, start, stop),
                **(self.run_options | overrides),
                **params,
            )

    def full_run(self, chosen: int, params: dict) -> Result:
        """Set ``chosen`` over the whole history (once per set)."""
        if chosen not in self.full_runs:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RunWarning)
                self.full_runs[chosen] = run(self.bars, self.spec, **self.run_options, **params)
        return self.full_runs[chosen]

    def orders_between(self, chosen: int, params: dict, start: int, stop: int) -> tuple:
        """(skipped, expired) orders of set ``chosen``'s full run on bars ``start:stop``.

        A run on bars ``0:b`` equals the full run up to bar b-1 (no look-ahead), so the
        counts of bars ``start:stop`` are those of ``0:stop`` less those of ``0:start``."""
        full = self.full_run(chosen, params).metrics
        if full["n_skipped"] == 0 and full["n_expired"] == 0:
            return 0, 0  # none anywhere, so none in the window (no extra runs)
        spec = judged_on_full_history(self.spec, len(self.bars))

        def counts(stop: int) -> np.ndarray:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RunWarning)
                m = run(self.bars.iloc[:stop], spec, **self.run_options, **params).metrics
            return np.array([m["n_skipped"], m["n_expired"]])

        return tuple(int(n) for n in counts(stop) - counts(start))


def _window_bounds(bars: pd.DataFrame, window: Window) -> dict:
    """Bar positions (half-open) and the timestamps of each part's first and last bar."""
    index = bars.index
    return {
        "window": window.number,
        "is_start": window.is_start,
        "is_end": window.is_end,
        "oos_start": window.oos_start,
        "oos_end": window.oos_end,
        "is_bars": window.is_bars,
        "oos_bars": window.oos_bars,
        "is_first": index[window.is_start],
        "is_last": index[window.is_end - 1],
        "oos_first": index[window.oos_start],
        "oos_last": index[window.oos_end - 1],
    }


def _in_sample(row: pd.Series, objective: str) -> dict:
    """The chosen set's in-sample columns, from its sweep row."""
    return {
        "is_objective": row[objective],
        "is_return": row["total_return"],
        "is_sharpe": row["sharpe"],
        "is_max_drawdown": row["max_drawdown"],
        "is_n_trades": int(row["n_trades"]),
    }


def _out_of_sample(metrics: dict, start_equity: float) -> dict:
    """The chosen set's out-of-sample columns, from its piece's metrics."""
    return {
        "oos_return": metrics["total_return"],
        "oos_sharpe": metrics["sharpe"],
        "oos_max_drawdown": metrics["max_drawdown"],
        "oos_n_trades": metrics["n_trades"],
        "oos_profit": start_equity * metrics["total_return"],
    }


def _walk(
    segments: _Segments, windows: list[Window], *, names: list[str], objective: str,
    min_trades: int, stitch: str, cash: float, chained: bool, periods: float,
    progress: bool,
) -> tuple[list[dict], list]:  # fmt: skip
    """Window by window: choose in sample, trade out of sample. ``chained``: each
    window starts with the equity the previous one ended with (the first with
    ``cash``); else every window starts with ``cash``. Returns the rows and pieces."""
    from fastbt.progress import progress_bar

    rows, pieces = [], []
    equity = cash
    for window in progress_bar(windows, desc="walk-forward", unit="window", disable=not progress):
        is_table = segments.sweep(window.is_start, window.is_end)
        chosen = choose(is_table[objective], is_table["n_trades"], objective, min_trades)
        if chosen is None:
            raise ValueError(
                f"min_trades={min_trades}: no parameter set makes {min_trades} closed trades "
                f"in the in-sample bars {window.is_start}-{window.is_end - 1} of window "
                f"{window.number}; lower min_trades or lengthen is_bars"
            )
        params = _chosen_params(is_table, chosen, names)
        start_equity = equity if chained else cash
        fresh = {"cash": start_equity, "close_at_end": True}
        oos_table = segments.sweep(window.oos_start, window.oos_end, **fresh)
        if stitch == "reset":
            piece = reset_piece(segments.run(window.oos_start, window.oos_end, params, **fresh))
        else:
            full = segments.full_run(chosen, params)
            orders = segments.orders_between(chosen, params, window.oos_start, window.oos_end)
            piece = cut_piece(full, window.oos_start, window.oos_end, start_equity, orders)
        oos = window_metrics(piece, start_equity, periods)
        rows.append(
            _window_bounds(segments.bars, window)
            | {"set": chosen}
            | params
            | _in_sample(is_table.iloc[chosen], objective)
            | _out_of_sample(oos, start_equity)
            | {"oos_rank": rank(oos_table[objective], chosen, objective), "n_sets": len(oos_table)}
        )
        pieces.append(piece)
        equity = piece.equity.iloc[-1]
        if equity <= 0 and chained:
            raise ValueError(
                f"the stitched account has no equity left after window {window.number} "
                f"({equity:,.2f}), so no later window can trade; lower size (or use "
                "shorter windows) to keep the account alive"
            )
    return rows, pieces


@contextmanager
def _one_cluster(sweep_options: dict):
    """With ``backend="dask"`` and a scheduler address, one client for every window's
    sweeps (not one per sweep); bad backend options fail here, before any work."""
    backend, scheduler = sweep_options.get("backend", "loky"), sweep_options.get("scheduler")
    check_backend(backend, scheduler)
    if backend != "dask":
        yield
        return
    client, owned = dask_client(scheduler)
    sweep_options["scheduler"] = client
    try:
        yield
    finally:
        if owned:
            client.close()


def walk_forward(
    data,
    strategy: str | Strategy,
    grid: dict,
    *,
    is_bars: int,
    oos_bars: int,
    step: int | None = None,
    gap: int = 0,
    anchored: bool = False,
    keep_partial: bool = False,
    objective: str = "sharpe",
    min_trades: int = 0,
    stitch: str = "reset",
    progress: bool = True,
    load_options: dict | None = None,
    **options,
) -> WalkForward:
    """Walk-forward analysis of ``strategy`` over ``grid`` on one symbol.

    Window by window (``is_bars``, ``oos_bars``, ``step``, ``gap``, ``anchored``,
    ``keep_partial``: docs/overfitting.md), a fused sweep of every set on the in-sample
    bars chooses the set with the best ``objective`` (a metric; first set on ties, NaN
    worst; only sets with at least ``min_trades`` closed trades), which then trades the
    out-of-sample bars: ``stitch="reset"`` runs it afresh there (flat at the start,
    with the previous window's final equity, indicators warmed up on earlier bars,
    closed at the window's last bar); ``"continuous"`` cuts the window from its
    full-history run. ``options`` are those of ``fastbt.run`` (every run and sweep),
    plus ``n_jobs``, ``backend``, ``scheduler``, ``chunk_size`` of ``fastbt.sweep``;
    ``load_options`` those of ``fastbt.load``; ``progress`` shows a bar over windows.
    Returns a ``WalkForward``: ``.windows``, ``.result`` (None for overlapping windows,
    ``step < oos_bars``), ``.summary``.
    """
    check_objective(objective)
    min_trades = check_min_trades(min_trades)
    if stitch not in STITCH_MODES:
        raise ValueError(f"stitch must be one of {', '.join(STITCH_MODES)}, got {stitch!r}")
    grid = _check_grid(grid)
    sweep_options = {k: options.pop(k) for k in SWEEP_OPTIONS if k in options}
    if isinstance(data, list | tuple | dict):
        raise ValueError("walk_forward runs on one symbol; give one DataFrame, path or name")
    bars = load(data, **(load_options or {}))
    windows = schedule(
        len(bars), is_bars=is_bars, oos_bars=oos_bars, step=step, gap=gap,
        anchored=anchored, keep_partial=keep_partial,
    )  # fmt: skip
    step = oos_bars if step is None else int(step)
    overlapping = step < oos_bars
    run_options = dict(options)
    base = RunOptions.resolve(**run_options)  # bad options fail before any work
    periods = base.periods_per_year or infer_periods_per_year(bars.index)
    run_options["periods_per_year"] = periods
    spec = get_strategy(strategy)
    names = [p.name for p in spec.params] + [n for n in LEVEL_OPTIONS if n in grid]
    segments = _Segments(bars, spec, grid, sweep_options, run_options)
    with _one_cluster(sweep_options):
        rows, pieces = _walk(
            segments, windows, names=names, objective=objective, min_trades=min_trades,
            stitch=stitch, cash=base.cash, chained=not overlapping,
            periods=periods, progress=progress,
        )  # fmt: skip
    table = pd.DataFrame(rows)
    settings = {
        "strategy": spec.name,
        "symbol": bars.attrs.get("symbol"),
        "params": names,
        "is_bars": int(is_bars),
        "oos_bars": int(oos_bars),
        "step": step,
        "gap": int(gap),
        "anchored": bool(anchored),
        "keep_partial": bool(keep_partial),
        "objective": objective,
        "min_trades": min_trades,
        "stitch": stitch,
        "periods_per_year": periods,
    }
    if overlapping:
        note = OVERLAP_NOTE.format(step=step, oos_bars=oos_bars)
        return WalkForward(table, None, summarize(table, periods), settings, note)
    result = stitch_pieces(
        pieces, strategy=spec, options=base, cash0=base.cash, periods_per_year=periods,
        symbol=settings["symbol"], extra={"walk_forward": settings},
    )  # fmt: skip
    return WalkForward(table, result, summarize(table, periods), settings)
