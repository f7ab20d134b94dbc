"""A stand-in for ``yfinance.download`` returning frames of yfinance's real shape.

yfinance (1.x) returns columns as a MultiIndex ('Price', 'Ticker') with price
fields sorted by name ('Adj Close' only when auto_adjust=False), a DatetimeIndex
named 'Date' (tz-naive for daily bars), and with multi_level_index=False a flat
single-ticker layout. When there are no bars (unknown symbol, empty range,
network failure) it logs the reason as an error and returns an empty frame
whose columns still name the ticker (:func:`empty_frame`, :func:`log_failure`).
"""

import logging

import numpy as np
import pandas as pd

TODAY = pd.Timestamp("2024-06-28")
HISTORY_START = pd.Timestamp("2020-01-02")
SPLIT_FACTOR = 0.5  # adjusted = raw * factor, so both settings are told apart


def prices(index: pd.DatetimeIndex) -> pd.DataFrame:
    """Deterministic raw OHLCV for any dates (a date always gets the same bar)."""
    day = (index - pd.Timestamp("2000-01-01")).days.to_numpy().astype(float)
    close = 100 + 10 * np.sin(day / 15) + day / 100
    open_ = close - np.cos(day / 7)
    high = np.maximum(open_, close) + 1
    low = np.minimum(open_, close) - 1
    return pd.DataFrame(
        {"Open": open_, "High": high, "Low": low, "Close": close, "Volume": 1e6 + day}, index=index
    )


def yahoo_frame(symbols, index, *, auto_adjust=True, multi_level_index=True) -> pd.DataFrame:
    """Build what ``yfinance.download(symbols, ...)`` returns for these dates."""
    index = pd.DatetimeIndex(index, name="Date")
    columns = {}
    for symbol in symbols:
        raw = prices(index)
        if auto_adjust:
            for name in ("Open", "High", "Low", "Close"):
                raw[name] = raw[name] * SPLIT_FACTOR
        else:
            raw["Adj Close"] = raw["Close"] * SPLIT_FACTOR
        for name in raw.columns:
            columns[(name, symbol)] = raw[name]
    frame = pd.DataFrame(columns, index=index)
    frame.columns = pd.MultiIndex.from_tuples(frame.columns, names=["Price", "Ticker"])
    frame = frame.sort_index(axis=1, level=0)
    if not multi_level_index and len(symbols) == 1:
        frame = frame.droplevel(1, axis=1).rename_axis(None, axis=1)
    return frame


def empty_frame(symbol: str) -> pd.DataFrame:
    """What ``yfinance.download(symbol, ...)`` returns when it got no bars."""
    columns = pd.MultiIndex.from_product(
        [["Adj Close", "Close", "High", "Low", "Open", "Volume"], [symbol]],
        names=["Price", "Ticker"],
    )
    return pd.DataFrame(columns=columns, index=pd.DatetimeIndex([]), dtype=float)


def log_failure(symbol: str, reason: str) -> None:
    """The three error lines yfinance 1.x logs for one failed ticker."""
    logger = logging.getLogger("yfinance")
    logger.error("$%s: %s", symbol, reason)
    logger.error("\n1 Failed download:")
    logger.error("['%s']: %s", symbol, reason)


UNKNOWN_SYMBOL = "possibly delisted; no timezone found"


class FakeYahoo:
    """Callable replacing ``yfinance.download``; records every call.

    ``behaviour`` maps a symbol to 'ok' (default), 'raise' (always raises),
    'flaky' (raises twice, then works), 'empty' (no rows, no error), 'logged'
    (logs an error and returns an empty frame, as yfinance does on network
    failure), 'unknown' (Yahoo does not know the symbol) or 'invalid' (a bar
    whose high is below its low). A range without bars is logged as yfinance
    logs it ("no price data found").
    """

    def __init__(self, behaviour=None, today=TODAY, flat=False):
        self.behaviour = behaviour or {}
        self.today = today
        self.flat = flat
        self.calls = []

    def __call__(
        self,
        tickers,
        start=None,
        end=None,
        period=None,
        interval="1d",
        auto_adjust=True,
        multi_level_index=True,
        **kwargs,
    ):
        symbol = tickers
        self.calls.append(
            {
                "symbol": symbol,
                "start": start,
                "end": end,
                "period": period,
                "interval": interval,
                "auto_adjust": auto_adjust,
            }
        )
        mode = self.behaviour.get(symbol, "ok")
        attempts = sum(1 for c in self.calls if c["symbol"] == symbol)
        if mode == "raise" or (mode == "flaky" and attempts <= 2):
            raise ConnectionError("Connection reset by peer")
        if mode == "logged":
            log_failure(symbol, "Failed to get ticker (timed out)")
            return empty_frame(symbol)
        if mode == "unknown":
            log_failure(symbol, UNKNOWN_SYMBOL)
            return empty_frame(symbol)
        first = (
            HISTORY_START if start is None else pd.Timestamp(start).tz_localize(None).normalize()
        )
        last = (
            self.today if end is None else pd.Timestamp(end).tz_localize(None) - pd.Timedelta("1ns")
        )
        index = pd.bdate_range(max(first, HISTORY_START), min(last, self.today))
        if mode == "empty":
            return empty_frame(symbol)
        if len(index) == 0:
            log_failure(
                symbol, f"possibly delisted; no price data found ({interval} {start} -> {end})"
            )
            return empty_frame(symbol)
        frame = yahoo_frame(
            [symbol],
            index,
            auto_adjust=auto_adjust,
            multi_level_index=multi_level_index and not self.flat,
        )
        if mode == "invalid":
            high = ("High", symbol) if isinstance(frame.columns, pd.MultiIndex) else "High"
            frame.loc[frame.index[3], high] = 1.0
        return frame
