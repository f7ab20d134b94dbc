"""Running one chunk of a sweep: one symbol, a slice of the parameter sets."""

import math
from dataclasses import dataclass, replace

import numpy as np

from fastbt.engine import simulate_strategy
from fastbt.kernels.blocks import equity_block_stats, segment_ends
from fastbt.kernels.metrics import N_BENCHMARK_METRICS, N_METRICS
from fastbt.kernels.sweep import sweep_crossings
from fastbt.options import RunOptions
from fastbt.rules.fused import sweep_rules
from fastbt.strategies import Strategy
from fastbt.strategies.external import SignalTable
from fastbt.strategies.sweep_inputs import set_levels
from fastbt.sweep.grid import LEVEL_OPTIONS
from fastbt.sweep.signal_sets import run_signal_sets


@dataclass(frozen=True)
class Chunk:
    """Sets ``start:stop`` of the grid on symbol number ``symbol_pos``."""

    chunk_id: int
    symbol_pos: int
    symbol: str
    start: int
    stop: int

    def describe(self) -> str:
        return f"chunk {self.chunk_id} ({self.symbol}, sets {self.start}-{self.stop - 1})"


def plan_chunks(symbols: list[str], n_sets: int, chunk_size: int) -> list[Chunk]:
    """Chunks in output order: symbol by symbol, sets in grid order."""
    chunks = []
    for pos, symbol in enumerate(symbols):
        for start in range(0, n_sets, chunk_size):
            chunks.append(Chunk(len(chunks), pos, symbol, start, min(start + chunk_size, n_sets)))
    return chunks


def _set_options(options: RunOptions, params: dict, k: int) -> RunOptions:
    """``options`` with set k's ``sl``, ``tp`` and ``entry_offset`` where the grid varies them."""
    levels = {name: params[name][k].item() for name in LEVEL_OPTIONS if name in params}
    if not levels:
        return options
    return replace(options, **{n: None if math.isnan(v) else v for n, v in levels.items()})


def no_blocks(n_sets: int) -> np.ndarray:
    """The ``blocks_out`` of a sweep without block statistics: sets x 0 x 3."""
    return np.empty((n_sets, 0, 3))


def run_sets(
    bars: dict,
    strategy: Strategy,
    params: dict,
    options: RunOptions,
    periods_per_year: float,
    blocks_out: np.ndarray | None = None,
) -> np.ndarray:
    """Metrics (sets x ``METRIC_NAMES``) for parameter sets on one symbol's arrays.

    Rule strategies and strategies with ``sweep_inputs`` run fused on shared
    indicator tables, and signals given as arrays fused on their own table; any
    other strategy runs its signal function then the simulation, set by set.
    ``params`` may hold ``sl``, ``tp`` and ``entry_offset`` columns besides the
    strategy's parameters. ``bars["relative"]``, if there, is the kernels' per-bar
    risk-free and benchmark input (``fastbt.relative.relative_rows``). ``blocks_out``
    (sets x S x 3), if given, receives each set's per-block (count, mean, M2) of its bar
    returns (``kernels.blocks``).
    """
    relative = bars.get("relative")
    n_sets = len(next(iter(params.values()))) if params else 1
    blocks_out = no_blocks(n_sets) if blocks_out is None else blocks_out
    n_blocks = blocks_out.shape[1]
    ends = segment_ends(len(bars["close"]), n_blocks or None)
    if isinstance(strategy.signals, SignalTable):
        return run_signal_sets(
            bars, strategy.signals, params, options, periods_per_year, ends, blocks_out
        )
    names = [p.name for p in strategy.params]
    if strategy.sweep_inputs is None and strategy.rules is not None:
        return sweep_rules(
            strategy.rules, bars, params, options, periods_per_year, ends, blocks_out
        )
    if strategy.sweep_inputs is not None:
        x = strategy.sweep_inputs(bars["close"], params)
        rules = options.rules()
        sl, tp, entry_offset = set_levels(params, rules, n_sets)
        return sweep_crossings(
            bars["open"],
            bars["high"],
            bars["low"],
            bars["close"],
            x.entry_a,
            x.entry_a_rows,
            x.entry_b,
            x.entry_b_rows,
            x.entry_above,
            x.exit_a,
            x.exit_a_rows,
            x.exit_b,
            x.exit_b_rows,
            x.exit_above,
            sl,
            tp,
            entry_offset,
            rules,
            options.cash,
            periods_per_year,
            relative,
            ends,
            blocks_out,
        )
    out = np.empty((n_sets, N_METRICS + (0 if relative is None else N_BENCHMARK_METRICS)))
    for k in range(n_sets):
        values = [params[name][k].item() for name in names]
        set_options = _set_options(options, params, k)
        out[k], equity, *_ = simulate_strategy(
            bars, strategy, values, set_options, periods_per_year, n_blocks > 0, relative
        )
        if n_blocks:
            equity_block_stats(equity, set_options.cash, ends, blocks_out[k])
    return out


def run_chunk(
    chunk: Chunk,
    bars: dict,
    strategy: Strategy,
    params: dict,
    options: RunOptions,
    periods_per_year: float,
    blocks: int | None = None,
    threads: int | None = None,
):
    """Worker entry point for one chunk (``params`` already sliced to its sets):
    ``(chunk, (metrics, block statistics or None))`` or ``(chunk, error text)``. It
    never raises, so one failing chunk cannot take the others down; only Ctrl-C stops it
    (and the sweep)."""
    import numba

    previous = numba.get_num_threads()
    try:
        if threads is not None:
            numba.set_num_threads(max(1, min(threads, numba.config.NUMBA_NUM_THREADS)))
        runner = getattr(strategy, "run_sets", None)  # portfolio sets run their own way
        if runner is not None:  # metrics only: sweep() refuses blocks= for portfolios
            return chunk, (runner(bars, params, options, periods_per_year), None)
        blocks_out = None if blocks is None else np.empty((chunk.stop - chunk.start, blocks, 3))
        metrics = run_sets(bars, strategy, params, options, periods_per_year, blocks_out)
        return chunk, (metrics, blocks_out)
    except Exception as error:  # reported by the parent with the chunk's name
        if _interrupted(error):
            raise KeyboardInterrupt from error
        return chunk, f"{type(error).__name__}: {error}"
    finally:
        numba.set_num_threads(previous)  # leave the caller's thread count as it was


def _interrupted(error: BaseException) -> bool:
    """Whether ``error`` stands for Ctrl-C: a SIGINT that lands while Python calls a
    compiled kernel surfaces as a SystemError caused by the KeyboardInterrupt."""
    seen = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, KeyboardInterrupt):
            return True
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return False
