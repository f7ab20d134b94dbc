"""Symbol and interval names, checked before they ever become part of a path."""

import re

# Letters, digits and . - _ = ^ (Yahoo-style: BRK-B, EURUSD=X, ^GSPC, BTC-USD);
# no path separators, no NUL, no leading dot, no "..".
_SYMBOL = re.compile(r"[A-Z0-9^][A-Z0-9._=^-]{0,39}")

INTERVALS = ("1m", "2m", "5m", "15m", "30m", "60m", "90m", "1h", "1d", "5d", "1wk", "1mo", "3mo")


def check_symbol(symbol) -> str:
    """The symbol in upper case, or a ValueError saying what is allowed."""
    text = symbol.upper() if isinstance(symbol, str) else symbol
    if not isinstance(text, str) or not _SYMBOL.fullmatch(text) or ".." in text:
        raise ValueError(
            f"invalid symbol {symbol!r}: use 1-40 letters, digits and . - _ = ^ "
            "(no path separators, no leading dot, no '..')"
        )
    return text


def check_interval(interval) -> str:
    """A bar interval yfinance understands, or a ValueError listing them."""
    if interval not in INTERVALS:
        raise ValueError(f"invalid interval {interval!r}; use one of {', '.join(INTERVALS)}")
    return interval
