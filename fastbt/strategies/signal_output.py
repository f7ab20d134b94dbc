"""The one check of what a strategy returns as ``(entry, exit)``, before any kernel runs.

A signal array shorter than the bars would make a kernel read past its end, and a
float array would be truncated to booleans without a word, so both forms of every
strategy go through ``checked_signals``: ``run``, sweeps of strategies without a
fused kernel, and the reference engine (one bar at a time).
"""

import numpy as np

_WAY_OUT = "return booleans (e.g. `values > 0`) or integers that are only 0 and 1"


def checked_signals(output, source: str, n_bars: int | None = None, bar: int | None = None):
    """``(entry, exit)`` from ``output`` as booleans, or a ValueError naming ``source``.

    With ``n_bars``: the fast form, two 1-D arrays of ``n_bars`` values, returned
    as NumPy bool arrays. Without: the reference form's answer for ``bar``, two
    scalars, returned as Python bools. Integer 0/1 values are converted; floats,
    other integers, objects and wrong shapes are refused.
    """
    try:
        entry, exit_ = output
    except (TypeError, ValueError):
        raise ValueError(
            f"{source} must return a pair (entry, exit), got {type(output).__name__}"
        ) from None
    return (
        _flags(entry, "entry", source, n_bars, bar),
        _flags(exit_, "exit", source, n_bars, bar),
    )


def _flags(value, signal: str, source: str, n_bars: int | None, bar: int | None):
    """One signal checked and converted (see ``checked_signals``)."""
    if n_bars is None and type(value) is bool:  # the reference engine's usual answer, kept cheap
        return value
    array = np.asarray(value)
    where = f"{source} returned {signal}"
    if n_bars is None and array.ndim != 0:
        raise ValueError(
            f"{where} with shape {array.shape} at bar {bar}; it must be one value "
            "for the newest bar: True/False (or 0/1)"
        )
    if n_bars is not None and array.shape != (n_bars,):
        raise ValueError(
            f"{where} with shape {array.shape}; it must be a 1-D array of one value "
            f"per bar, shape ({n_bars},)"
        )
    if array.dtype != np.bool_:
        integers = array.dtype.kind in "iu"
        if not integers or not np.all((array == 0) | (array == 1)):
            shown = f"{value!r} at bar {bar}" if n_bars is None else f"a {array.dtype} array"
            problem = "with values other than 0 and 1" if integers else "not booleans"
            raise ValueError(f"{where} as {shown}, {problem}; {_WAY_OUT}")
        array = array.astype(np.bool_)
    return array if n_bars is not None else bool(array)
