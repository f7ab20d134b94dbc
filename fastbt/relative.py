"""Risk-free rate and benchmark as per-bar arrays for both engines (docs/metrics.md,
"Risk-free rate and benchmark").

``risk_free`` is an annual rate: a number, or a Series of annual rates indexed by the
bars. A bar's rate is ``(1 + R) ** (1 / P) - 1``, so compounding P bars gives R.
``benchmark`` is a symbol or path (loaded like data), a Series of prices, or a bars
frame (its ``close``), on exactly the run's timestamps; its bar return is
``B[i] / B[i-1] - 1`` and 0 on the first bar.
"""

import numpy as np
import pandas as pd

from fastbt.options import finite_number
from fastbt.strategies.external import _check_index


def bar_rate(annual: np.ndarray | float, periods_per_year: float):
    """Per-bar rate of an annual rate: ``(1 + R) ** (1 / P) - 1``."""
    return (1.0 + annual) ** (1.0 / periods_per_year) - 1.0


def check_rate(value) -> float:
    """A constant annual risk-free rate: a finite number >= 0."""
    rate = finite_number("risk_free", value)
    if rate < 0:
        raise ValueError(
            f"risk_free must not be negative (an annual rate; 0.04 is 4%), got {rate:g}"
        )
    return rate


def is_series(risk_free) -> bool:
    """True for a per-bar risk-free input (anything but a plain number)."""
    return not isinstance(risk_free, int | float) or isinstance(risk_free, bool)


def risk_free_rates(risk_free, index: pd.DatetimeIndex) -> np.ndarray:
    """The annual rate of each bar: ``risk_free`` a number or a Series/array, one per bar."""
    if not is_series(risk_free):
        return np.full(len(index), check_rate(risk_free))
    if isinstance(risk_free, pd.Series):
        _check_index(risk_free.index, index, "risk_free", "rates", "...")
        values = risk_free.to_numpy()
    elif isinstance(risk_free, np.ndarray | list | tuple):
        values = np.asarray(risk_free)
    else:
        raise ValueError(
            f"risk_free must be a number (annual rate) or a Series of annual rates on the bars' "
            f"index, got {type(risk_free).__name__}"
        )
    if values.ndim != 1 or len(values) != len(index):
        raise ValueError(
            f"risk_free has {values.size} value(s) in shape {values.shape}; give one annual "
            f"rate per bar ({len(index)})"
        )
    try:
        values = values.astype("float64")
    except (TypeError, ValueError):
        raise ValueError("risk_free must hold numbers (annual rates)") from None
    bad = ~np.isfinite(values) | (values < 0)
    if bad.any():
        i = int(np.argmax(bad))
        raise ValueError(
            f"risk_free is {values[i]} at bar {i} ({index[i]}); every rate must be a finite "
            "annual rate >= 0: fill or drop the gaps first"
        )
    return values


def benchmark_prices(benchmark, index: pd.DatetimeIndex, load_options: dict) -> np.ndarray:
    """The benchmark's price on each bar, checked: same timestamps, finite and positive."""
    from fastbt.data.load import load

    if isinstance(benchmark, pd.Series):
        prices = benchmark
    else:
        if not isinstance(benchmark, str | pd.DataFrame) and not hasattr(benchmark, "__fspath__"):
            raise ValueError(
                "benchmark must be a symbol or file (loaded like data), a Series of prices or "
                f"a bars frame, got {type(benchmark).__name__}"
            )
        prices = load(benchmark, **load_options)["close"]
    _check_index(prices.index, index, "benchmark", "benchmark prices", "...")
    try:
        values = prices.to_numpy(dtype="float64")
    except (TypeError, ValueError):
        raise ValueError("benchmark prices must be numbers") from None
    bad = ~np.isfinite(values) | (values <= 0)
    if bad.any():
        i = int(np.argmax(bad))
        raise ValueError(
            f"benchmark price is {values[i]} at bar {i} ({index[i]}); prices must be finite "
            "and positive to give returns: repair the series first"
        )
    return values


def benchmark_returns(prices: np.ndarray) -> np.ndarray:
    """``B[i] / B[i-1] - 1``, 0 on the first bar."""
    returns = np.zeros(len(prices))
    returns[1:] = prices[1:] / prices[:-1] - 1.0
    return returns


def relative_rows(
    risk_free, benchmark: np.ndarray | None, index: pd.DatetimeIndex, periods_per_year: float
) -> np.ndarray | None:
    """The kernels' ``relative`` input: None when the rate is the number 0 and there is no
    benchmark (nothing to do), else a (2, bars) array of per-bar risk-free rates and
    benchmark returns (0 without a benchmark). ``benchmark``: ``benchmark_prices``."""
    if not is_series(risk_free) and check_rate(risk_free) == 0 and benchmark is None:
        return None
    rows = np.zeros((2, len(index)))
    rows[0] = bar_rate(risk_free_rates(risk_free, index), periods_per_year)
    if benchmark is not None:
        rows[1] = benchmark_returns(benchmark)
    return rows


def risk_free_label(risk_free) -> float | str:
    """What ``RunOptions.risk_free`` records: the annual rate, or ``"series"``."""
    return "series" if is_series(risk_free) else check_rate(risk_free)


__all__ = ["bar_rate", "relative_rows", "risk_free_label"]
