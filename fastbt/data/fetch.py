"""``fastbt.fetch``: bars from Yahoo Finance (yfinance) into the market-data store.

Asks only for what the store lacks, retries transient failures with backoff,
and treats each symbol on its own: one that fails stores nothing and is
reported, while the others complete. Each symbol has one deadline covering all
its requests and retries (see ``fastbt.data.yahoo_http``).
"""

import logging
import math
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pandas as pd

from fastbt.data import yahoo_http
from fastbt.data.validate import validate_bars
from fastbt.data.yahoo_http import SHORTEST_REQUEST, TIMED_OUT, UNREACHABLE, UNRESOLVABLE
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


@contextmanager
def _yfinance_errors() -> Iterator[list[str]]:
    """The errors yfinance logs meanwhile, kept off the console."""
    logger = logging.getLogger("yfinance")
    captured = _CapturedErrors()
    logger.addHandler(captured)
    propagate, logger.propagate = logger.propagate, False
    try:
        yield captured.messages
    finally:
        logger.removeHandler(captured)
        logger.propagate = propagate


_NO_DATA_PHRASES = ("no price data found", "possibly delisted", "no data found", "doesn't exist")
_UNKNOWN_SYMBOL = "no timezone found"  # yfinance's sign: every listed symbol has a time zone
_SUMMARY_LINE = re.compile(r"\s*\d+ Failed downloads?:\s*")  # yfinance's header line


def _means_no_data(message: str) -> bool:
    """yfinance logs an empty range (or an unknown symbol) as an error; it is an answer."""
    lowered = message.lower()
    return bool(_SUMMARY_LINE.fullmatch(message)) or any(p in lowered for p in _NO_DATA_PHRASES)


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


@dataclass
class _Attempt:
    """One yfinance download: its frame, what yfinance logged or raised, what the network did."""

    raw: pd.DataFrame | None
    logged: list[str]
    raised: Exception | None
    network: yahoo_http.Attempt

    @property
    def has_bars(self) -> bool:
        return self.raw is not None and not self.raw.empty

    def problem(self) -> str | None:
        """Why this is not Yahoo's answer (TIMED_OUT, UNRESOLVABLE, UNREACHABLE or
        'error'), or None when Yahoo answered, with bars or without."""
        kinds = {failure.kind for failure in self.network.decisive_failures()}
        if isinstance(self.raised, OSError):
            kinds.add(yahoo_http.failure_kind(self.raised))
        for kind in (TIMED_OUT, UNRESOLVABLE, UNREACHABLE):
            if kind in kinds:
                return kind
        if self.raised is not None or not all(_means_no_data(m) for m in self.logged):
            return "error"
        return None

    def detail(self) -> str:
        """The first failure (later ones follow from it), else what yfinance raised or logged."""
        failures = self.network.decisive_failures()
        if failures:
            return failures[0].detail
        if self.raised is not None:
            return yahoo_http.short_detail(self.raised)
        return "; ".join(m.strip() for m in self.logged)


def _attempt_download(symbol, start, end, interval, adjusted, deadline: float) -> _Attempt:
    """One yfinance download, each of its HTTP requests bounded by ``deadline``."""
    import yfinance

    raw = raised = None
    with yahoo_http.attempt(deadline) as network, _yfinance_errors() as logged:
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
                threads=False,  # requests stay in this thread, where the attempt is open
                multi_level_index=True,
                timeout=max(network.remaining(), SHORTEST_REQUEST),
                session=yahoo_http.session(),
            )
        except Exception as error:  # network errors surface as many types
            raised = error
    return _Attempt(raw, logged, raised, network)


def _download(symbol, start, end, interval, adjusted, deadline, timeout, retries, backoff):
    """yfinance's frame for one range (empty when Yahoo has no bars) and what it logged.

    Failures other than Yahoo's answer are retried up to ``retries`` times with
    exponential backoff, as long as time is left before ``deadline``; a host
    name that does not resolve is not retried.
    """
    attempts: list[_Attempt] = []
    while len(attempts) <= retries:
        if attempts:
            pause = backoff * 2 ** (len(attempts) - 1)
            if pause >= deadline - time.monotonic():
                break
            time.sleep(pause)
        attempt = _attempt_download(symbol, start, end, interval, adjusted, deadline)
        attempts.append(attempt)
        problem = attempt.problem()
        if attempt.has_bars or problem is None:
            return attempt.raw, attempt.logged
        if problem == UNRESOLVABLE or deadline - time.monotonic() < SHORTEST_REQUEST:
            break
    raise _failure(attempts, timeout)


def _failure(attempts: list[_Attempt], timeout: float) -> OSError:
    """The error for a range that got no answer: timed out, network unreachable, or other."""
    last = attempts[-1]
    problem = last.problem()
    tries = f"{len(attempts)} attempt{'s' if len(attempts) > 1 else ''}"
    if problem == TIMED_OUT:
        return TimeoutError(
            f"timed out: no answer from Yahoo within {timeout:g} s ({tries}); allow longer "
            f"with --timeout {max(60.0, 2 * timeout):g} (timeout= in Python) "
            "or check your connection"
        )
    if problem in (UNRESOLVABLE, UNREACHABLE):
        return ConnectionError(
            f"network unreachable ({tries}): {last.detail()}; "
            "check your connection and proxy settings"
        )
    return ConnectionError(f"download failed ({tries}): {last.detail()}")


def _no_bars(symbol: str, start, end, logged: list[str]) -> ValueError:
    """Yahoo answered with no bars for a symbol not yet stored."""
    if (start is None and end is None) or any(_UNKNOWN_SYMBOL in m.lower() for m in logged):
        return ValueError(
            f"symbol not found: Yahoo has no data for {symbol}; check the symbol as Yahoo "
            "writes it (e.g. BRK-B, ^GSPC, EURUSD=X)"
        )
    return ValueError(
        f"no bars: Yahoo knows {symbol} but has none from {start or 'its first bar'} "
        f"to {end or 'now'}; widen --start/--end"
    )


def _fetch_one(store, symbol, start, end, interval, adjusted, timeout, retries, backoff):
    deadline = time.monotonic() + timeout  # one budget for all of this symbol's ranges
    extent = store.extent(symbol, interval)
    stored = None if extent is None else extent[:2]
    before = 0 if extent is None else extent[2]
    ranges = missing_ranges(stored, start, end, interval)
    if not ranges:
        return FetchResult(symbol, "up to date", 0, before)
    parts, logged = [], []
    for range_start, range_end in ranges:
        raw, said = _download(
            symbol, range_start, range_end, interval, adjusted, deadline, timeout, retries, backoff
        )
        logged += said
        if raw is not None and not raw.empty:
            parts.append(normalise_download(raw, symbol, adjusted))
    if not parts:
        if stored is None:
            raise _no_bars(symbol, start, end, logged)
        return FetchResult(symbol, "up to date", 0, before, tuple(ranges))
    new = pd.concat(parts)
    after = store.write(symbol, new, interval=interval, source="yfinance", adjusted=adjusted)
    return FetchResult(symbol, "stored", after - before, after, tuple(ranges))


def _check_seconds(label: str, value, *, zero_allowed: bool) -> None:
    number = not isinstance(value, bool) and isinstance(value, int | float)
    if not number or not math.isfinite(value) or value < 0 or (value == 0 and not zero_allowed):
        least = ">= 0" if zero_allowed else "> 0"
        raise ValueError(f"{label} must be a number of seconds {least}, got {value!r}")


def fetch(
    symbols,
    start=None,
    end=None,
    interval: str = "1d",
    adjusted: bool = True,
    store=None,
    *,
    progress: bool = True,
    timeout: float = 30.0,
    retries: int = 3,
    backoff: float = 1.0,
) -> list[FetchResult]:
    """Download ``symbols`` with yfinance into the store; only missing ranges are asked for.

    ``store`` is a MarketStore or a directory (default ``$FASTBT_HOME``/``~/.fastbt``).
    ``end`` is exclusive, as in yfinance. ``timeout`` is the total time in
    seconds allowed per symbol, every request and retry included. Each symbol's
    outcome is returned; a failed one names the problem ("timed out", "network
    unreachable", "symbol not found", ...) and leaves stored data untouched.
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
    _check_seconds("timeout", timeout, zero_allowed=False)
    _check_seconds("backoff", backoff, zero_allowed=True)
    from fastbt.progress import progress_bar

    check_interval(interval)
    market = store if isinstance(store, MarketStore) else MarketStore(store)
    results = []
    for symbol in progress_bar(
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
