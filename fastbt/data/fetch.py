"""``fastbt.fetch``: bars from Yahoo Finance (yfinance) into the market-data store.

Asks only for what the store lacks, retries transient failures with backoff,
and treats each symbol on its own: one that fails stores nothing and is
reported, while the others complete.
"""

import logging
import time
from dataclasses import dataclass

import pandas as pd

from fastbt.data.validate import validate_bars
from fastbt.storage import MarketStore, check_interval, check_symbol

_INTRADAY_STEP = {
    "1m": "1min",
    "2m": "2min",
    "5m": "5min",
    "15m": "15min",
    "30m": "30min",
    "60m": "60min",
    "90m": "90min",
    "1h": "60min",
}


@dataclass(frozen=True)
class FetchResult:
    """What happened to one symbol: status is 'stored', 'up to date' or 'failed'."""

    symbol: str
    status: str
    rows_added: int = 0
    rows_stored: int = 0
    requested: tuple = ()
    error: str | None = None


class _CapturedErrors(logging.Handler):
    """Collects yfinance's logged errors (it logs failures instead of raising)."""

    def __init__(self):
        super().__init__(level=logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


_NO_DATA_PHRASES = ("no price data found", "possibly delisted", "no data found")


def _means_no_data(message: str) -> bool:
    """yfinance logs an empty range (or an unknown symbol) as an error; it is an answer."""
    return any(phrase in message.lower() for phrase in _NO_DATA_PHRASES)


def _next_bar_after(last: pd.Timestamp, interval: str) -> pd.Timestamp:
    """The earliest timestamp that could hold a bar not yet stored."""
    return last + pd.Timedelta(_INTRADAY_STEP.get(interval, "1D"))


def missing_ranges(stored, start, end, interval: str) -> list[tuple]:
    """(start, end) ranges to download, end exclusive; None means open-ended.

    Nothing stored: the whole request. Otherwise only the part before the first
    stored bar (if ``start`` reaches back further) and the part after the last.
    """
    start = None if start is None else _utc(start)
    end = None if end is None else _utc(end)
    if stored is None:
        return [(start, end)]
    first, last = stored
    ranges = []
    if start is not None and start < first:
        ranges.append((start, first if end is None else min(first, end)))
    resume = _next_bar_after(last, interval)
    if end is None or resume < end:
        ranges.append((max(resume, start) if start is not None else resume, end))
    return ranges


def _utc(value) -> pd.Timestamp:
    stamp = pd.Timestamp(value)
    return stamp.tz_localize("UTC") if stamp.tz is None else stamp.tz_convert("UTC")


def normalise_download(raw: pd.DataFrame, symbol: str, adjusted: bool) -> pd.DataFrame:
    """OHLCV bars from a yfinance frame, single- or multi-level columns.

    With ``adjusted`` and an 'Adj Close' column present, open/high/low/close are
    scaled by adj_close/close; without ``adjusted`` the raw prices are kept.
    Rows yfinance filled with NaN for dates the symbol did not trade are dropped.
    """
    frame = raw
    if isinstance(raw.columns, pd.MultiIndex):
        for level in range(raw.columns.nlevels):
            if symbol in raw.columns.get_level_values(level):
                frame = raw.xs(symbol, axis=1, level=level)
                break
        else:
            raise ValueError(f"{symbol}: the download has no columns for this symbol")
    by_name = {str(column).strip().lower(): column for column in frame.columns}
    bars = pd.DataFrame(
        {
            name: frame[by_name[name]]
            for name in ("open", "high", "low", "close", "volume")
            if name in by_name
        },
        index=frame.index,
    )
    if adjusted and "adj close" in by_name:
        factor = frame[by_name["adj close"]] / frame[by_name["close"]]
        for name in ("open", "high", "low", "close"):
            bars[name] = bars[name] * factor
    bars = bars.dropna(how="all", subset=[c for c in ("open", "high", "low", "close") if c in bars])
    if bars.empty:
        raise ValueError(f"{symbol}: no bars in the download")
    return validate_bars(bars, repair=True)


def _download(symbol, start, end, interval, adjusted, timeout, retries, backoff):
    """One yfinance download with retries; returns the raw frame (maybe empty)."""
    import yfinance

    logger = logging.getLogger("yfinance")
    last_problem = None
    for attempt in range(retries + 1):
        if attempt:
            time.sleep(backoff * 2 ** (attempt - 1))
        captured = _CapturedErrors()
        logger.addHandler(captured)
        propagate, logger.propagate = logger.propagate, False
        try:
            raw = yfinance.download(
                symbol,
                start=start,
                end=end,
                period=None if start else "max",
                interval=interval,
                auto_adjust=adjusted,
                actions=False,
                progress=False,
                threads=False,
                multi_level_index=True,
                timeout=timeout,
            )
        except Exception as error:  # network errors surface as many types
            last_problem = f"{type(error).__name__}: {error}"
            continue
        finally:
            logger.removeHandler(captured)
            logger.propagate = propagate
        if raw is not None and not raw.empty:
            return raw
        if not captured.messages or all(_means_no_data(m) for m in captured.messages):
            return raw  # an answer, just no bars (a weekend, a holiday): retrying won't help
        last_problem = "; ".join(captured.messages)
    raise ConnectionError(f"download failed after {retries + 1} attempt(s): {last_problem}")


def _fetch_one(store, symbol, start, end, interval, adjusted, timeout, retries, backoff):
    extent = store.extent(symbol, interval)
    stored = None if extent is None else extent[:2]
    before = 0 if extent is None else extent[2]
    ranges = missing_ranges(stored, start, end, interval)
    if not ranges:
        return FetchResult(symbol, "up to date", 0, before)
    parts = []
    for range_start, range_end in ranges:
        raw = _download(
            symbol, range_start, range_end, interval, adjusted, timeout, retries, backoff
        )
        if raw is not None and not raw.empty:
            parts.append(normalise_download(raw, symbol, adjusted))
    if not parts:
        if stored is None:
            raise ValueError("no data returned (unknown or delisted symbol, or an empty range)")
        return FetchResult(symbol, "up to date", 0, before, tuple(ranges))
    new = pd.concat(parts)
    after = store.write(symbol, new, interval=interval, source="yfinance", adjusted=adjusted)
    return FetchResult(symbol, "stored", after - before, after, tuple(ranges))


def fetch(
    symbols,
    start=None,
    end=None,
    interval: str = "1d",
    adjusted: bool = True,
    store=None,
    *,
    progress: bool = True,
    timeout: float = 10.0,
    retries: int = 3,
    backoff: float = 1.0,
) -> list[FetchResult]:
    """Download ``symbols`` with yfinance into the store; only missing ranges are asked for.

    ``store`` is a MarketStore or a directory (default ``$FASTBT_HOME``/``~/.fastbt``).
    ``end`` is exclusive, as in yfinance. Each symbol's outcome is returned; a
    failed one names the problem and leaves stored data untouched.
    """
    names = [symbols] if isinstance(symbols, str) else list(symbols)
    names = [check_symbol(s) for s in names]
    for label, value in (("start", start), ("end", end)):
        if value is not None:
            try:
                _utc(value)
            except (ValueError, TypeError):
                raise ValueError(f"{label} {value!r} is not a date") from None
    if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
        raise ValueError(f"retries must be a whole number >= 0, got {retries!r}")
    from tqdm.auto import tqdm

    check_interval(interval)
    market = store if isinstance(store, MarketStore) else MarketStore(store)
    results = []
    for symbol in tqdm(
        names, desc="fetching", unit="symbol", disable=not progress or len(names) < 2
    ):
        try:
            results.append(
                _fetch_one(
                    market, symbol, start, end, interval, adjusted, timeout, retries, backoff
                )
            )
        except (ValueError, ConnectionError, OSError) as error:
            results.append(FetchResult(symbol, "failed", error=str(error)))
    return results
