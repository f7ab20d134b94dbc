"""Running a strategy on a segment of the data with indicators warmed up on the bars
before it (docs/overfitting.md, "Warm-up: how a segment runs").

``on_segment(strategy, history, start, stop)`` is the strategy as it runs on
bars ``start:stop``: its signals (and, for fused sweeps, its indicator tables) are
computed on bars ``0:stop`` and cut to the segment, so every indicator value equals the
one of a full-history run, and the segment's first bar gives no signal, as bar 0 of any
run. The result is an ordinary ``Strategy``, so ``fastbt.run`` and ``fastbt.sweep`` on
the segment's bars use it unchanged (fused sweeps stay fused).
"""

from dataclasses import replace
from functools import partial

import numpy as np

from fastbt.strategies import Constraint, Strategy
from fastbt.strategies.signal_output import checked_signals

COLUMNS = ("open", "high", "low", "close", "volume")


def _segment_signals(strategy, history, start, stop, *args):
    """Entry and exit of bars ``start:stop`` from the signals on bars ``0:stop``."""
    values = args[len(COLUMNS) :]
    entry, exit_ = checked_signals(
        strategy.signals(*(history[c][:stop] for c in COLUMNS), *values),
        f"the signal function of strategy '{strategy.name}'",
        n_bars=stop,
    )
    entry, exit_ = np.array(entry[start:stop]), np.array(exit_[start:stop])
    entry[0] = exit_[0] = False
    return entry, exit_


def _cut(table: np.ndarray, start: int, stop: int) -> np.ndarray:
    """Columns ``start:stop`` of a per-bar table; a one-column table of levels as it is."""
    if table.shape[1] != stop:
        return table
    return np.ascontiguousarray(table[:, start:stop])


def _segment_sweep_inputs(strategy, history_close, start, stop, close, params):
    """The fused sweep's indicator tables on bars ``0:stop``, cut to ``start:stop``. The
    kernel's first bar never crosses (no previous value), as ``_segment_signals``."""
    inputs = strategy.sweep_inputs(history_close[:stop], params)
    cut = {}
    for name in ("entry_a", "entry_b", "exit_a", "exit_b"):
        table = getattr(inputs, name)
        if id(table) not in cut:  # tables shared by entry and exit are cut once
            cut[id(table)] = _cut(table, start, stop)
    return replace(
        inputs,
        **{n: cut[id(getattr(inputs, n))] for n in ("entry_a", "entry_b", "exit_a", "exit_b")},
    )


def _on_full_history(rule: Constraint, n_bars: int) -> Constraint:
    """``rule`` judged against the whole data's length, not the segment's: a set valid on
    the data is valid in every window (it just may not trade while warming up)."""
    return Constraint(partial(_holds_for, rule.holds, n_bars), rule.message)


def _holds_for(holds, n_bars, values, _segment_bars):
    """A constraint's test with the whole data's length in place of the segment's."""
    return holds(values, n_bars)


def judged_on_full_history(strategy: Strategy, n_bars: int) -> Strategy:
    """``strategy`` with its rules checked against ``n_bars`` whatever the bars it runs on."""
    return replace(
        strategy, constraints=tuple(_on_full_history(rule, n_bars) for rule in strategy.constraints)
    )


def _no_reference(**params):
    """The reference engine sees only the bars it is given, so it cannot warm up."""
    raise ValueError(
        "a walk-forward segment runs on the fast engine only (the reference engine cannot "
        "warm indicators up on earlier bars); use engine='fast'"
    )


def on_segment(strategy: Strategy, history: dict, start: int, stop: int) -> Strategy:
    """``strategy`` on bars ``start:stop`` of ``history`` (``bar_arrays`` of the whole
    data), warmed up on bars ``0:start``; fast engine only."""
    return replace(
        judged_on_full_history(strategy, len(history["close"])),
        reference=_no_reference,
        signals=partial(_segment_signals, strategy, history, start, stop),
        rules=None,  # a rule kernel would compute its indicators on the segment alone
        sweep_inputs=None
        if strategy.sweep_inputs is None
        else partial(_segment_sweep_inputs, strategy, history["close"], start, stop),
        indicators=None,
    )
