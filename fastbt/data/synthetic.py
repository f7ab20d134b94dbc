"""Seeded synthetic OHLCV bars (geometric Brownian motion) for tests and benchmarks."""

import numpy as np
import pandas as pd

from fastbt.periods import infer_periods_per_year


def synthetic(
    n_bars: int = 2520,
    *,
    seed: int = 0,
    start: str = "2000-01-03",
    freq: str = "B",
    start_price: float = 100.0,
    drift: float = 0.05,
    volatility: float = 0.2,
    periods_per_year: float | None = None,
) -> pd.DataFrame:
    """GBM close path with consistent open/high/low and lognormal volume.

    ``drift`` and ``volatility`` are annual; each bar is ``1/periods_per_year``
    of a year, inferred from ``freq`` the way metrics infer it when not given
    (so minute bars get a minute's volatility, not a day's). Opens gap slightly
    from the previous close; highs and lows extend beyond the body by a random
    fraction of a bar's volatility. Same seed, same bars.
    """
    if n_bars < 2:
        raise ValueError(f"n_bars must be at least 2, got {n_bars}")
    index = pd.date_range(start=start, periods=n_bars, freq=freq, name="timestamp")
    if periods_per_year is None:
        periods_per_year = infer_periods_per_year(index)
    rng = np.random.default_rng(seed)
    dt = 1.0 / periods_per_year
    bar_sigma = volatility * np.sqrt(dt)
    log_steps = (drift - 0.5 * volatility**2) * dt + bar_sigma * rng.standard_normal(n_bars)
    close = start_price * np.exp(np.cumsum(log_steps))
    previous = np.concatenate(([start_price], close[:-1]))
    open_ = previous * np.exp(0.1 * bar_sigma * rng.standard_normal(n_bars))
    wick = 0.5 * bar_sigma * np.abs(rng.standard_normal((2, n_bars)))
    high = np.maximum(open_, close) * np.exp(wick[0])
    low = np.minimum(open_, close) * np.exp(-wick[1])
    volume = np.round(rng.lognormal(mean=13.0, sigma=0.5, size=n_bars))
    return pd.DataFrame(
        {"open": open_, "high": high, "low": low, "close": close, "volume": volume}, index=index
    )


def synthetic_universe(n_symbols: int, n_bars: int = 2520, *, seed: int = 0, **kwargs) -> dict:
    """``{"SYN000": bars, ...}``: independent ``synthetic`` series with derived seeds."""
    seeds = np.random.SeedSequence(seed).generate_state(n_symbols)
    width = max(3, len(str(n_symbols - 1)))
    return {
        f"SYN{k:0{width}d}": synthetic(n_bars, seed=int(s), **kwargs) for k, s in enumerate(seeds)
    }
