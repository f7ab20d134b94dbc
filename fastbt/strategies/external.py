"""Entry and exit signals computed elsewhere (pandas code, a model) as a strategy.

``fastbt.run(data, signals=(entry, exit))`` and ``fastbt.sweep(data, signals=...)``
check the arrays strictly here (one value per bar, booleans, a pandas index equal to
the data's) and wrap them in a ``Strategy`` named ``"signals"``, so the rest of the
engine (simulation, Result, exports, reports, sweep chunks) treats them like any
other strategy. Such signals have no bar-by-bar form, so they cannot be verified.
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd

from fastbt.reference.strategies import ReferenceStrategy
from fastbt.strategies.spec import Param, Strategy

NAME = "signals"
VARIANT = "variant"  # the sweep's parameter: which column of the signal tables

NOT_VERIFIABLE = (
    "signals given as arrays cannot be verified: the reference engine replays a strategy "
    "bar by bar from the bars it has seen so far, and precomputed arrays have no such form "
    "(nothing shows they were made without looking ahead). Run them with "
    "fastbt.run(data, signals=(entry, exit)) and check how they were computed yourself, "
    "or write them as a Strategy to verify them"
)


class _NoReference(ReferenceStrategy):
    """Stands in for the bar-by-bar form that external signals do not have."""

    def __init__(self, **params):
        raise ValueError(NOT_VERIFIABLE)


@dataclass(frozen=True, eq=False)
class SignalTable:
    """Signal variants as rows: ``entry`` and ``exit`` are (variants x bars) booleans,
    each with one row (shared by every variant) or one row per variant. Called as a
    strategy's signal function, it returns variant ``variant``'s two rows."""

    entry: np.ndarray
    exit: np.ndarray
    labels: np.ndarray

    def __len__(self) -> int:
        return len(self.labels)

    def __call__(self, open_, high, low, close, volume, variant: int = 0):
        return _row(self.entry, variant), _row(self.exit, variant)


def _row(side: np.ndarray, variant: int) -> np.ndarray:
    """Variant ``variant``'s row of one side (row 0 when the side is shared)."""
    return side[0 if side.shape[0] == 1 else variant]


def check_source(strategy, signals, params: dict, engine: str = "fast") -> None:
    """Exactly one of ``strategy`` and ``signals``; with signals, no strategy parameters
    and only the fast engine."""
    if signals is None:
        if strategy is None:
            raise ValueError(
                "give a strategy (a name such as 'ma_cross', or a Strategy) or "
                "signals=(entry, exit)"
            )
        return
    if strategy is not None:
        raise ValueError(
            "give either a strategy or signals=(entry, exit), not both: the signals "
            "would replace the strategy's"
        )
    if params:
        raise ValueError(
            f"signals=(entry, exit) take no strategy parameters, got {', '.join(sorted(params))}; "
            "compute the signals with those values instead (or check the spelling of a run option)"
        )
    if engine != "fast":
        raise ValueError(
            "signals given as arrays run on the fast engine only: the reference engine "
            "replays a strategy bar by bar, which arrays do not have; leave engine='fast'"
        )


def _pair(signals) -> tuple:
    if isinstance(signals, pd.DataFrame | np.ndarray) or not isinstance(signals, tuple | list):
        raise ValueError(
            f"signals must be a pair (entry, exit), got {type(signals).__name__}; "
            "e.g. signals=(close > sma, close < sma)"
        )
    if len(signals) != 2:
        raise ValueError(f"signals must be a pair (entry, exit), got {len(signals)} items")
    return tuple(signals)


def _first_difference(given: pd.Index, index: pd.DatetimeIndex, side: str) -> str:
    """Where ``given`` first differs from the data's ``index``, in words."""
    n = min(len(given), len(index))
    same = np.asarray(given[:n] == index[:n], dtype=bool) if n else np.ones(0, bool)
    if not same.all():
        i = int(np.argmin(same))
        return f"at position {i}: {given[i]} in {side}, {index[i]} in the data"
    if len(given) > n:
        return f"{side} has {len(given) - n} timestamp(s) after the data's last, from {given[n]}"
    return f"{side} ends at {given[n - 1] if n else 'nothing'}, the data continues from {index[n]}"


def _check_index(
    given: pd.Index, index: pd.DatetimeIndex, side: str, what: str = "signals", fill: str = "False"
) -> None:
    """A pandas signal's (or other per-bar input's) index must be the data's index itself:
    no silent alignment. ``what`` names the input in the error, ``fill`` the reindex hint."""
    if not isinstance(given, pd.DatetimeIndex):
        raise ValueError(
            f"the index of {side} is a {type(given).__name__}, not the data's timestamps; "
            f"give it the bars' index, or pass {side}.to_numpy() if its rows are the bars in order"
        )
    if given.tz != index.tz:
        fix = (
            f"{side}.tz_localize(None)"
            if index.tz is None
            else f"{side}.tz_{'localize' if given.tz is None else 'convert'}('UTC')"
        )
        raise ValueError(
            f"the index of {side} has time zone {given.tz}, the data's {index.tz} (loaded "
            f"data with a time zone is in UTC); make them match, e.g. {fix}"
        )
    if given.equals(index):
        return
    raise ValueError(
        f"the index of {side} differs from the data's "
        f"({_first_difference(given, index, side)}); {what} are not aligned for you: "
        "build them on the loaded bars (fastbt.load(data).index, repaired and sorted) "
        f"or align them yourself, e.g. {side}.reindex(bars.index, fill_value={fill})"
    )


def _bool_values(values, side: str, index: pd.DatetimeIndex) -> np.ndarray:
    """``values`` (1-D or 2-D, one row per bar) as a NumPy bool array, or a ValueError
    saying what they are and how to make booleans of them."""
    if isinstance(values, pd.Series | pd.DataFrame):
        frame = values.to_frame() if isinstance(values, pd.Series) else values
        for column, dtype in frame.dtypes.items():
            if dtype == np.bool_:
                continue
            name = side if isinstance(values, pd.Series) else f"{side}[{column!r}]"
            _bool_values(frame[column].to_numpy(), name, index)  # raises with the reason
        return values.to_numpy(dtype=bool)
    array = np.asarray(values)
    if array.dtype == np.bool_:
        return array
    kind = array.dtype.kind
    if kind == "f" and np.isnan(array).any():
        bar = int(np.flatnonzero(np.isnan(array.reshape(len(array), -1)).any(axis=1))[0])
        raise ValueError(
            f"{side} has NaN at bar {bar} ({index[bar]}); signals must be booleans: decide "
            f"what a gap means and convert, e.g. {side}.fillna(False).astype(bool)"
        )
    if kind == "O" and pd.isna(array).any():
        bar = int(np.flatnonzero(pd.isna(array).reshape(len(array), -1).any(axis=1))[0])
        raise ValueError(
            f"{side} has a missing value at bar {bar} ({index[bar]}); signals must be "
            f"booleans: fill the gaps and convert, e.g. {side}.fillna(False).astype(bool)"
        )
    how = {
        "i": f"{side} == 1 (or {side} != 0)",
        "u": f"{side} == 1 (or {side} != 0)",
        "f": f"{side} > 0.5 (your threshold)",
    }.get(kind, f"{side}.astype(bool)")
    raise ValueError(
        f"{side} holds {array.dtype} values, not booleans; signals must be True/False "
        f"per bar, so say what counts as a signal, e.g. {how}"
    )


def _side(values, side: str, index: pd.DatetimeIndex, many: bool):
    """One side checked: ``(bool array of shape (bars,) or (bars, variants), labels)``;
    labels are the DataFrame's column names, else None."""
    if isinstance(values, pd.DataFrame) and not many:
        raise ValueError(
            f"{side} is a DataFrame; fastbt.run takes one signal per side (a Series or "
            "1-D array); sweep many columns with fastbt.sweep(data, signals=(entry, exit))"
        )
    if isinstance(values, pd.Series | pd.DataFrame):
        _check_index(values.index, index, side)
    dims = (1, 2) if many else (1,)
    shape = np.shape(values)
    if len(shape) not in dims:
        wanted = "a 1-D array or Series" + (", or a 2-D array or DataFrame" if many else "")
        raise ValueError(f"{side} has shape {shape}; give {wanted} with one row per bar")
    if shape[0] != len(index):
        raise ValueError(
            f"{side} has {shape[0]:,} rows but the data has {len(index):,} bars; "
            "give one value per bar"
        )
    if len(shape) == 2 and shape[1] == 0:
        raise ValueError(f"{side} has no columns; give at least one signal variant")
    labels = None
    if isinstance(values, pd.DataFrame):
        labels = np.asarray([str(c) for c in values.columns], dtype=object)
        repeated = pd.Index(labels)[pd.Index(labels).duplicated()]
        if len(repeated):
            raise ValueError(
                f"{side} has the column name {repeated[0]!r} twice; variants need distinct names"
            )
    return _bool_values(values, side, index), labels


def signal_table(signals, index: pd.DatetimeIndex, many: bool) -> SignalTable:
    """``signals=(entry, exit)`` checked against the bars' ``index`` as a ``SignalTable``.

    ``many=False`` (a run): each side one value per bar. ``many=True`` (a sweep): each
    side 1-D (shared by every variant) or 2-D (bars x variants); two 2-D sides must
    have as many variants, and two DataFrames the same column names in the same order.
    Sweep tables are read-only views of the given arrays where their layout allows.
    """
    entry, exit_ = _pair(signals)
    (entry, entry_labels), (exit_, exit_labels) = (
        _side(entry, "entry", index, many),
        _side(exit_, "exit", index, many),
    )
    if not many:
        # A fresh writable copy: the same array type every strategy hands the kernel.
        return SignalTable(
            np.array(entry[None, :], order="C"),
            np.array(exit_[None, :], order="C"),
            np.zeros(1, dtype=np.int64),
        )
    widths = [a.shape[1] if a.ndim == 2 else None for a in (entry, exit_)]
    if None not in widths and widths[0] != widths[1]:
        raise ValueError(
            f"entry has {widths[0]} variants (columns) but exit has {widths[1]}; give both "
            "the same columns, or one side as a single 1-D signal shared by every variant"
        )
    differ = entry_labels is not None and exit_labels is not None
    if differ and list(entry_labels) != list(exit_labels):
        k = int(np.argmax(entry_labels != exit_labels))
        raise ValueError(
            f"entry and exit have different columns (column {k}: {entry_labels[k]!r} "
            f"in entry, {exit_labels[k]!r} in exit); give them the same columns in the "
            "same order, e.g. exit[entry.columns]"
        )
    n_variants = max(w or 1 for w in widths)
    labels = entry_labels if entry_labels is not None else exit_labels
    if labels is None:
        labels = np.arange(n_variants, dtype=np.int64)
    return SignalTable(_rows_view(entry), _rows_view(exit_), labels)


def _rows_view(values: np.ndarray) -> np.ndarray:
    """(variants x bars), read-only: a view of the caller's array (its transpose, so a
    Fortran-ordered bars x variants array, as a DataFrame's is, gives contiguous rows)."""
    rows = values[None, :] if values.ndim == 1 else values.T
    view = rows.view()
    view.flags.writeable = False
    return view


def signals_strategy(signals, index: pd.DatetimeIndex, many: bool) -> Strategy:
    """The ``Strategy`` of ``signals=(entry, exit)`` checked against the bars' ``index``
    (see ``signal_table``): no parameters for a run's pair, one ``variant`` parameter
    (which column) for a sweep's table, which is the strategy's ``signals``."""
    table = signal_table(signals, index, many)
    params = (Param(VARIANT, int, 0, 0, len(table) - 1, doc="signal column"),) if many else ()
    return Strategy(
        name=NAME,
        description="entry and exit signals given as arrays (signals=); not verifiable",
        params=params,
        signals=table,
        reference=_NoReference,
    )
