"""Turn user returns (lists, NumPy arrays, pandas Series/DataFrames) into checked float arrays."""

import numpy as np
import pandas as pd


def as_series(returns, name: str = "returns") -> np.ndarray:
    """One return series as a 1-D float array; NaN or fewer than 2 values is a ValueError."""
    if isinstance(returns, pd.DataFrame):
        if returns.shape[1] != 1:
            raise ValueError(
                f"{name} must be one return series; got a DataFrame with {returns.shape[1]} "
                "columns: pass one column (df['name'])"
            )
        returns = returns.iloc[:, 0]
    values = np.asarray(returns, dtype=float)
    if values.ndim != 1:
        raise ValueError(f"{name} must be one return series (1-D); got shape {values.shape}")
    if len(values) < 2:
        raise ValueError(f"{name} needs at least 2 returns; got {len(values)}")
    missing = int(np.isnan(values).sum())
    if missing:
        raise ValueError(
            f"{name} has {missing} NaN value(s): drop them or fill flat bars with 0 first"
        )
    return values


def as_matrix(returns, name: str = "returns") -> tuple[np.ndarray, list]:
    """A T x N matrix of return series (one column per set) and the column labels.

    A column with NaN is a ValueError naming it: CSCV needs every set on every bar.
    """
    if isinstance(returns, pd.DataFrame):
        labels = list(returns.columns)
        values = returns.to_numpy(dtype=float)
    else:
        values = np.asarray(returns, dtype=float)
        labels = list(range(values.shape[1])) if values.ndim == 2 else []
    if values.ndim != 2:
        raise ValueError(
            f"{name} must be a T x N matrix (one column per parameter set); got shape "
            f"{values.shape}"
        )
    bad = np.isnan(values).any(axis=0)
    if bad.any():
        first = int(np.argmax(bad))
        raise ValueError(
            f"{name} column {labels[first]!r} has {int(np.isnan(values[:, first]).sum())} NaN "
            f"value(s) ({int(bad.sum())} column(s) in all): fill flat bars with 0 or drop the "
            "column"
        )
    return values, labels
