"""yfinance's HTTP traffic under one deadline, with a record of what the network did.

yfinance (1.x) sends every request of a download (cookie, crumb, time zone,
prices, and its quote-lookup fallbacks) through one curl_cffi Session. Its own
timeouts are per request, and the cookie and crumb requests use 30 s whatever
``timeout=`` says, so one "download" can wait minutes. It also swallows network
errors and logs them as "possibly delisted". fastbt therefore hands yfinance a
Session that, while an :func:`attempt` is open in the calling thread:

- caps each request's timeout at the time left (curl's timeout covers DNS,
  connect and transfer) and refuses any request once no time is left, so the
  whole download ends at the deadline;
- records which requests got an HTTP answer and which failed and how, so the
  caller can tell "timed out" and "network unreachable" from Yahoo's own answer.

Outside an attempt the Session behaves like the one yfinance makes itself.
"""

import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import urlsplit

TIMED_OUT = "timed out"
UNRESOLVABLE = "unresolvable"  # DNS failure: not transient within a fetch
UNREACHABLE = "unreachable"  # refused, no route, reset, TLS, proxy

# yfinance gets its cookie from these hosts and carries on without it when that
# fails (the price API works without), so their failures decide nothing.
_OPTIONAL_HOSTS = frozenset({"fc.yahoo.com", "guce.yahoo.com", "consent.yahoo.com"})
SHORTEST_REQUEST = 0.01  # seconds; curl reads a timeout under 1 ms as "no limit"
_CURL_RESOLVE_CODES = frozenset({5, 6})  # COULDNT_RESOLVE_PROXY, COULDNT_RESOLVE_HOST
_CURL_TIMEOUT_CODE = 28  # OPERATION_TIMEDOUT


class DeadlineExceeded(TimeoutError):
    """The fetch's time is up; the request was not sent."""


@dataclass
class Failure:
    kind: str  # TIMED_OUT, UNRESOLVABLE or UNREACHABLE
    host: str
    detail: str


@dataclass
class Attempt:
    """What the network did during one yfinance download."""

    deadline: float  # time.monotonic() value
    answers: int = 0  # requests that got an HTTP response (any status)
    failures: list[Failure] = field(default_factory=list)

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def decisive_failures(self) -> list[Failure]:
        """Failures of requests yfinance cannot do without."""
        return [f for f in self.failures if f.host not in _OPTIONAL_HOSTS]


_current = threading.local()


@contextmanager
def attempt(deadline: float) -> Iterator[Attempt]:
    """Bound and watch every request :func:`session` sends in this thread until exit."""
    record = Attempt(deadline)
    _current.attempt = record
    try:
        yield record
    finally:
        _current.attempt = None


def _capped(requested, left: float) -> float:
    """The smaller of yfinance's per-request timeout and the time left."""
    if isinstance(requested, tuple):
        requested = sum(requested)
    if isinstance(requested, int | float) and 0 < requested < left:
        return requested
    return left


def short_detail(error: BaseException) -> str:
    """curl's own sentence ("Could not resolve host: ...") without its boilerplate."""
    text = str(error)
    found = re.search(r"curl: \(\d+\) (.*?)(?:\. See https?://\S+.*)?$", text, re.DOTALL)
    return (found.group(1) if found else text or type(error).__name__).strip()


def failure_kind(error: BaseException) -> str:
    code = getattr(error, "code", None)
    if code in _CURL_RESOLVE_CODES:
        return UNRESOLVABLE
    if code == _CURL_TIMEOUT_CODE or isinstance(error, TimeoutError):
        return TIMED_OUT
    return UNREACHABLE


class _DeadlineSessionMixin:
    """Session.request bounded by, and recorded in, the thread's open attempt."""

    def request(self, method, url, *args, **kwargs):
        record = getattr(_current, "attempt", None)
        if record is None:
            return super().request(method, url, *args, **kwargs)
        host = urlsplit(str(url)).hostname or ""
        left = record.remaining()
        if left < SHORTEST_REQUEST:
            error = DeadlineExceeded(f"no time left for {host}")
            record.failures.append(Failure(TIMED_OUT, host, str(error)))
            raise error
        kwargs["timeout"] = _capped(kwargs.get("timeout"), left)
        try:
            response = super().request(method, url, *args, **kwargs)
        except Exception as error:
            record.failures.append(Failure(failure_kind(error), host, short_detail(error)))
            raise
        record.answers += 1
        return response


@lru_cache(maxsize=1)
def session():
    """One Session for all fetches: yfinance's own kind (curl_cffi, Chrome's TLS
    fingerprint), bounded by the open attempt. yfinance keeps the last session it
    was given, so this one stays harmless outside an attempt."""
    from curl_cffi import requests

    bounded = type("DeadlineSession", (_DeadlineSessionMixin, requests.Session), {})
    return bounded(impersonate="chrome")
