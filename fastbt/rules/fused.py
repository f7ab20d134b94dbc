"""Fused sweeps of any rule strategy: shared indicator tables and one compiled pass per set.

Per symbol, each distinct indicator (kind and parameter values) over all the sets
is computed once; the outputs the rules use become rows of one table. A set is
then one pass over the bars that evaluates its rules at bar i by reading its rows
of the table (``rows[k, j]`` for slot j) and its own scalars (numbers and
parameters used in the rules), and runs ``simulate.bar_step``. No per-set arrays.
With ``blocks=`` a set also records its block statistics, as the hand-written
crossing kernel does (``kernels.blocks.segment_done`` at each block's last bar).

The per-bar rules are compiled Python source generated for the strategy (its
shape plus which parts repeat, independent of parameter values), written once to
a file in the Numba cache directory named by the hash of that source and
compiled with ``cache=True``, so a later process loads the machine code instead
of compiling again. (Numba cannot cache a kernel that takes another jitted
function as an argument, so the rules are compiled into the kernel's source.)
"""

import hashlib
import importlib.util
import os
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numba
import numpy as np

from fastbt._numba_cache import CACHE_ENABLED
from fastbt.indicators import INDICATORS
from fastbt.kernels.blocks import segment_ends
from fastbt.rules.arrays import evaluate_nodes
from fastbt.rules.definition import RuleSet
from fastbt.rules.nodes import (
    Arithmetic,
    Compare,
    Const,
    Cross,
    IndicatorCall,
    Logic,
    Negate,
    Not,
    Output,
    ParamRef,
    Price,
    Shift,
)
from fastbt.strategies.sweep_inputs import set_levels

_PRICE_ARGS = {"open": "open_", "high": "high", "low": "low", "close": "close", "volume": "volume"}


@dataclass(frozen=True)
class Plan:
    """Where each part of the rules comes from in the kernel: ``outputs[j]`` is read
    from table slot j, ``scalars[m]`` is the set's scalar m."""

    outputs: tuple[Output, ...]
    scalars: tuple[Const | ParamRef, ...]
    source: str


def _bbands_parts(output: Output):
    """A Bollinger band as the kernel reads it: ``sma(x, w) -/+ k * std(x, w)``, the
    float operations ``bbands`` itself performs (its middle is the SMA's bits, its
    spread ``k * std``), so the same bits. The table then holds one SMA and one
    deviation row per window, not every band per (window, k): a sweep over k costs
    no indicator work."""
    (source,), (window, k) = output.call.inputs, output.call.args
    middle = Output(IndicatorCall(INDICATORS["sma"], (source,), (window,)), 0)
    if output.name == "middle":
        return middle
    spread = Arithmetic("*", k, Output(IndicatorCall(INDICATORS["std"], (source,), (window,)), 0))
    return Arithmetic("+" if output.name == "upper" else "-", middle, spread)


# Outputs the kernel computes from rows of simpler indicators (by kind).
_EXPANSIONS = {"bbands": _bbands_parts} if {"sma", "std"} <= set(INDICATORS) else {}


def _expanded(node):
    """``node`` as the kernel computes it (see ``_EXPANSIONS``); most nodes as they are."""
    if isinstance(node, Output) and node.call.kind.name in _EXPANSIONS:
        return _EXPANSIONS[node.call.kind.name](node)
    return node


def _parts(node, outputs: dict, scalars: dict) -> None:
    """Collect the table outputs and scalars the kernel reads (not indicator internals)."""
    node = _expanded(node)
    if isinstance(node, Output):
        outputs.setdefault(node.key(), node)
    elif isinstance(node, Const | ParamRef):
        scalars.setdefault(node.key(), node)
    else:
        for child in node.children():
            _parts(child, outputs, scalars)


class _Source:
    """Numba source of rules, each evaluated at bar ``i - lag``.

    The operands of a crossing at the current bar are carried over from the
    previous bar in variables (``cN``, ``cN_prev``; NaN before bar 0, which never
    crosses), as a hand-written loop would, instead of being read again at i - 1.
    """

    def __init__(self, outputs: list, scalars: list):
        self.outputs = {key: j for j, key in enumerate(outputs)}
        self.scalars = {key: m for m, key in enumerate(scalars)}
        self.carried: dict = {}  # operand key -> (variable, expression at bar i)

    def _carry(self, node) -> str:
        """The variable holding ``node`` at bar i (its ``_prev`` twin: at bar i - 1)."""
        if node.key() not in self.carried:
            expression = self.at(node, 0)
            self.carried[node.key()] = (f"c{len(self.carried)}", expression)
        return self.carried[node.key()][0]

    def statements(self, indent: str) -> tuple[str, str, str]:
        """Lines before the bar loop, at the top of the loop body, and at its end."""
        carried = list(self.carried.values())
        start = "".join(f"{indent}{name}_prev = nan\n" for name, _ in carried)
        body = "".join(f"{indent}    {name} = {expression}\n" for name, expression in carried)
        end = "".join(f"{indent}    {name}_prev = {name}\n" for name, _ in carried)
        return start, body, end

    def at(self, node, lag: int) -> str:
        bar = "i" if lag == 0 else f"i - {lag}"
        node = _expanded(node)
        if isinstance(node, Output):
            return f"t{self.outputs[node.key()]}[{bar}]"
        if isinstance(node, Price):
            return f"{_PRICE_ARGS[node.column]}[{bar}]"
        if isinstance(node, Const | ParamRef):
            return f"s{self.scalars[node.key()]}"
        if isinstance(node, Arithmetic | Compare):
            return f"({self.at(node.a, lag)} {node.op} {self.at(node.b, lag)})"
        if isinstance(node, Negate):
            return f"(-{self.at(node.a, lag)})"
        if isinstance(node, Cross):
            now, before = (">", "<=") if node.above else ("<", ">=")
            if lag == 0:
                a, b = self._carry(node.a), self._carry(node.b)
                return f"({a} {now} {b} and {a}_prev {before} {b}_prev)"
            return (
                f"(i >= {lag + 1} and {self.at(node.a, lag)} {now} {self.at(node.b, lag)}"
                f" and {self.at(node.a, lag + 1)} {before} {self.at(node.b, lag + 1)})"
            )
        if isinstance(node, Logic):
            word = "and" if node.op == "&" else "or"
            return f"({self.at(node.a, lag)} {word} {self.at(node.b, lag)})"
        if isinstance(node, Not):
            return f"(not {self.at(node.a, lag)})"
        if isinstance(node, Shift):
            earlier = self.at(node.a, lag + node.n)
            if node.type == "condition":
                return f"(i >= {lag + node.n} and {earlier})"
            return f"({earlier} if i >= {lag + node.n} else nan)"
        raise TypeError(f"unknown rule node {type(node).__name__}")


_TEMPLATE = '''"""Generated by fastbt.rules.fused for one rule shape (tN: table rows, sN: scalars)."""

import numpy as np
from numba import njit, prange

from fastbt.kernels.blocks import first_segment, segment_done
from fastbt.kernels.metrics import (
    bar_stats_add, bar_stats_start, rel_stats_add, rel_stats_start, trade_stats_start,
)
from fastbt.kernels.simulate import (
    bar_step, empty_log, no_order, no_stops, run_metrics, start_book,
)
from fastbt.kernels.sweep import metrics_width, with_levels

nan = np.nan


@njit(cache={cache}, nogil=True, error_model="numpy")
def run_set(open_, high, low, close, volume, {slots}rules, cash0, periods_per_year, relative,
            ends, blocks_out):
    n = close.shape[0]
    book = start_book(cash0)
    stops = no_stops()
    order = no_order()
    bar_stats = bar_stats_start(cash0)
    stats = trade_stats_start()
    rel = rel_stats_start()
    log = empty_log()  # closed trades are counted, not recorded
    segments = first_segment(ends)  # block statistics: fastbt.kernels.blocks
{start}    for i in range(n):
{body}        entry = {entry}
        exit_ = {exit}
{end}        book, stops, order, stats, equity, log = bar_step(
            i, n - 1, open_[i], high[i], low[i], close[i], entry, exit_, book, stops, order,
            rules, stats, log,
        )
        if relative is not None:  # pruned at compile time when None
            rel = rel_stats_add(
                rel, i == 0, bar_stats.prev_equity, equity, relative[0, i], relative[1, i]
            )
        bar_stats = bar_stats_add(bar_stats, equity, book.qty != 0.0)
        if i + 1 == segments.end:
            segments = segment_done(
                segments, bar_stats.sum_r, bar_stats.sum_r2, ends, blocks_out, n
            )
    return run_metrics(bar_stats, stats, rel, book, cash0, close, periods_per_year, relative)


@njit(cache={cache}, nogil=True, error_model="numpy", parallel=True)
def sweep(open_, high, low, close, volume, table, rows, scalars, sl, tp, entry_offset, rules,
          cash0, periods_per_year, relative, ends, blocks_out):
    n_sets = rows.shape[0]
    out = np.empty((n_sets, metrics_width(relative)))
    for k in prange(n_sets):
        out[k] = run_set(
            open_, high, low, close, volume, {set_slots}
            with_levels(rules, sl[k], tp[k], entry_offset[k]), cash0, periods_per_year,
            relative, ends, blocks_out[k],
        )
    return out
'''


def plan(rules: RuleSet) -> Plan:
    """The table slots, scalar slots and kernel source of ``rules``."""
    outputs, scalars = {}, {}
    for root in rules.roots():
        _parts(root, outputs, scalars)
    source = _Source(list(outputs), list(scalars))
    entry, exit_ = (source.at(root, 0) for root in rules.roots())
    start, body, end = source.statements("    ")
    slots = [f"t{j}" for j in range(len(outputs))] + [f"s{m}" for m in range(len(scalars))]
    set_slots = [f"table[rows[k, {j}]]," for j in range(len(outputs))]
    set_slots += [f"scalars[k, {m}]," for m in range(len(scalars))]
    text = _TEMPLATE.format(
        cache=CACHE_ENABLED,
        slots="".join(f"{s}, " for s in slots),
        set_slots=" ".join(set_slots),
        entry=entry,
        exit=exit_,
        start=start,
        body=body,
        end=end,
    )
    return Plan(tuple(outputs.values()), tuple(scalars.values()), text)


_LOADED: dict = {}


def _directory() -> Path:
    """Where generated kernels live: beside Numba's cache (keyed by the kernels' sources)."""
    base = os.environ.get("NUMBA_CACHE_DIR") if CACHE_ENABLED else None
    directory = Path(base or tempfile.gettempdir()) / "fastbt-rules"
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def compiled(source: str):
    """The ``sweep`` kernel of generated ``source``: imported from its file, written once
    (an existing file is left untouched so Numba's cache of it stays valid)."""
    digest = hashlib.sha256(source.encode()).hexdigest()[:20]
    if digest in _LOADED:
        return _LOADED[digest]
    name = f"fastbt_rule_{digest}"
    path = _directory() / f"{name}.py"
    if not path.exists() or path.read_text() != source:
        with tempfile.NamedTemporaryFile("w", dir=path.parent, suffix=".tmp", delete=False) as f:
            f.write(source)
        os.chmod(f.name, 0o644)  # readable like any cached module (the temp file is 0600)
        os.replace(f.name, path)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    _LOADED[digest] = module.sweep
    return module.sweep


def _param_column(arg, params: dict, n_sets: int) -> np.ndarray:
    """One indicator parameter's value for every set, as float64 (exact for int64 < 2**53)."""
    if isinstance(arg, Const):
        return np.full(n_sets, float(arg.value))
    return np.asarray(params[arg.name], dtype=np.float64)


def _computed(compute, inputs: list, value_sets: list) -> list:
    """``compute(*inputs, *values)`` for each of ``value_sets``, in order, on as many
    threads as Numba uses (indicator kernels release the GIL). Thread t takes every
    t-th value set (value sets come sorted, so each thread gets small and large windows
    alike), one task per thread: a task per value set cost more than a rolling mean."""
    threads = min(numba.get_num_threads(), len(value_sets))
    if threads <= 1:
        return [compute(*inputs, *values) for values in value_sets]

    def share(t: int) -> list:
        return [compute(*inputs, *values) for values in value_sets[t::threads]]

    results = [None] * len(value_sets)
    with ThreadPoolExecutor(threads) as pool:
        for t, part in enumerate(pool.map(share, range(threads))):
            results[t::threads] = part
    return results


def _distinct_rows(stacked: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(distinct, which)``: the distinct rows of ``stacked`` (sorted) and, for each row,
    the index of its distinct row; one column sorts as a plain array (several times
    faster than ``np.unique(axis=0)``, the same rows); no column is one empty row."""
    if stacked.shape[1] == 0:
        return np.zeros((1, 0)), np.zeros(len(stacked), dtype=np.int64)
    if stacked.shape[1] == 1:
        distinct, which = np.unique(stacked[:, 0], return_inverse=True)
        return distinct[:, None], which.reshape(-1)
    distinct, which = np.unique(stacked, axis=0, return_inverse=True)
    return distinct, which.reshape(-1)


def tables(outputs, bars: dict, params: dict, n_sets: int) -> tuple[np.ndarray, np.ndarray]:
    """``(table, rows)``: every distinct indicator (kind and parameter values) computed
    once, and ``rows[k, j]``, the table row holding ``outputs[j]`` for set k."""
    rows = np.empty((n_sets, len(outputs)), dtype=np.int64)
    calls: dict = {}
    for j, output in enumerate(outputs):
        calls.setdefault(output.call.key(), (output.call, []))[1].append((j, output.index))
    work = []
    for call, slots in calls.values():
        columns = [_param_column(a, params, n_sets) for a in call.args]
        stacked = np.stack(columns, axis=1) if columns else np.zeros((n_sets, 0))
        work.append((call, slots, *_distinct_rows(stacked)))
    n_rows = sum(len(distinct) * len(slots) for _, slots, distinct, _ in work)
    table = np.empty((n_rows, len(bars["close"])))
    base = 0
    for call, slots, distinct, which in work:
        series = evaluate_nodes(call.inputs, bars, {})
        inputs = [np.ascontiguousarray(series[node.key()]) for node in call.inputs]
        value_sets = [
            tuple(spec.kind(v) for spec, v in zip(call.kind.params, values, strict=True))
            for values in distinct
        ]
        row = base
        for results in _computed(call.kind.compute, inputs, value_sets):
            for _, index in slots:
                table[row] = results[index]
                row += 1
        for position, (j, _) in enumerate(slots):
            rows[:, j] = base + which * len(slots) + position
        base = row
    return table, rows


def _scalar_column(node, params: dict, n_sets: int) -> np.ndarray:
    """A number or parameter used in the rules, for every set, as float64."""
    if isinstance(node, Const):
        return np.full(n_sets, float(node.value))
    return np.asarray(params[node.name], dtype=np.float64)


def sweep_arguments(
    rules: RuleSet,
    bars: dict,
    params: dict,
    options,
    periods_per_year: float,
    ends: np.ndarray,
    blocks_out: np.ndarray,
):
    """``(kernel, arguments)`` of the fused sweep of ``rules`` over the sets ``params``
    (one array per parameter, plus ``sl``/``tp``/``entry_offset`` where swept); segments
    end at ``ends`` and set k's block statistics go to ``blocks_out[k]`` (S = 0: off);
    ``bars["relative"]``, if there, is the risk-free and benchmark input of the kernels."""
    n_sets = len(next(iter(params.values()))) if params else 1
    layout = plan(rules)
    table, rows = tables(layout.outputs, bars, params, n_sets)
    columns = [_scalar_column(node, params, n_sets) for node in layout.scalars]
    scalars = np.stack(columns, axis=1) if columns else np.zeros((n_sets, 0))
    run_rules = options.rules()
    sl, tp, entry_offset = set_levels(params, run_rules, n_sets)
    prices = tuple(bars[c] for c in ("open", "high", "low", "close", "volume"))
    arguments = (*prices, table, rows, np.ascontiguousarray(scalars), sl, tp, entry_offset)
    relative = bars.get("relative")
    settings = (run_rules, options.cash, periods_per_year, relative, ends, blocks_out)
    return compiled(layout.source), (*arguments, *settings)


def sweep_rules(
    rules: RuleSet,
    bars: dict,
    params: dict,
    options,
    periods_per_year: float,
    ends: np.ndarray | None = None,
    blocks_out: np.ndarray | None = None,
):
    """Metrics (sets x ``metrics_width``) of a rule strategy for the parameter sets ``params``;
    with ``ends`` (``kernels.blocks.segment_ends``) and ``blocks_out`` (sets x S x 3), each
    set's block statistics too (default: none)."""
    if blocks_out is None:
        n_sets = len(next(iter(params.values()))) if params else 1
        ends, blocks_out = segment_ends(len(bars["close"]), None), np.empty((n_sets, 0, 3))
    kernel, arguments = sweep_arguments(
        rules, bars, params, options, periods_per_year, ends, blocks_out
    )
    return kernel(*arguments)
