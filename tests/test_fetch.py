"""fastbt.fetch through the real yfinance code path, with its download function
replaced by one that returns frames of yfinance's real shape (no network)."""

import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yfinance

import fastbt
from fastbt.storage import MarketStore
from tests.yahoo_fake import SPLIT_FACTOR, TODAY, FakeYahoo, prices, yahoo_frame

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def store(tmp_path):
    return MarketStore(tmp_path)


@pytest.fixture
def yahoo(monkeypatch):
    fake = FakeYahoo()
    monkeypatch.setattr(yfinance, "download", fake)
    return fake


def fetch(symbols, store, **kwargs):
    kwargs.setdefault("backoff", 0.0)
    kwargs.setdefault("progress", False)
    return fastbt.fetch(symbols, store=store, **kwargs)


def test_fake_matches_yfinance_layout():
    frame = yahoo_frame(["AAA"], pd.bdate_range("2024-01-01", periods=3), auto_adjust=False)
    assert frame.columns.names == ["Price", "Ticker"]
    assert list(frame.columns.get_level_values(0)) == [
        "Adj Close",
        "Close",
        "High",
        "Low",
        "Open",
        "Volume",
    ]
    assert frame.index.name == "Date"


def test_first_fetch_stores_the_whole_history(store, yahoo):
    [result] = fetch("aaa", store)
    assert (result.symbol, result.status) == ("AAA", "stored")
    assert yahoo.calls == [
        {
            "symbol": "AAA",
            "start": None,
            "end": None,
            "period": "max",
            "interval": "1d",
            "auto_adjust": True,
        }
    ]
    bars = store.read("AAA")
    expected_days = pd.bdate_range("2020-01-02", TODAY)
    assert len(bars) == result.rows_added == result.rows_stored == len(expected_days)
    raw = prices(expected_days)
    np.testing.assert_allclose(bars["close"], raw["Close"] * SPLIT_FACTOR, rtol=1e-15)
    assert bars.attrs["source"] == "yfinance" and bars.attrs["adjusted"] is True


def test_fetching_again_asks_only_for_the_missing_range(store, yahoo):
    fetch("AAA", store)
    yahoo.today = TODAY + pd.Timedelta(days=10)
    yahoo.calls.clear()
    [result] = fetch("AAA", store)
    [call] = yahoo.calls
    assert pd.Timestamp(call["start"]) == pd.Timestamp(TODAY + pd.Timedelta(days=1), tz="UTC")
    assert call["end"] is None
    new_days = pd.bdate_range(TODAY + pd.Timedelta(days=1), yahoo.today)
    assert result.rows_added == len(new_days)
    assert store.read("AAA").index[-1] == pd.Timestamp(yahoo.today, tz="UTC")


def test_an_earlier_start_asks_only_for_the_front_gap(store, yahoo):
    fetch("AAA", store, start="2023-01-02")
    yahoo.calls.clear()
    [result] = fetch("AAA", store, start="2022-06-01", end="2023-06-01")
    assert [(c["start"], c["end"]) for c in yahoo.calls] == [
        (pd.Timestamp("2022-06-01", tz="UTC"), pd.Timestamp("2023-01-02", tz="UTC"))
    ]
    assert result.rows_added == len(pd.bdate_range("2022-06-01", "2022-12-30"))


def test_up_to_date_symbol_does_not_download(store, yahoo):
    fetch("AAA", store, end="2024-01-01")
    yahoo.calls.clear()
    [result] = fetch("AAA", store, start="2023-01-02", end="2023-12-01")
    assert yahoo.calls == [] and result.status == "up to date"


def test_flat_single_ticker_columns_are_understood(store, monkeypatch):
    monkeypatch.setattr(yfinance, "download", FakeYahoo(flat=True))
    [result] = fetch("AAA", store, start="2024-01-01")
    assert result.status == "stored"
    assert len(store.read("AAA")) == len(pd.bdate_range("2024-01-01", TODAY))


@pytest.mark.parametrize("flat", [False, True])
def test_unadjusted_keeps_raw_prices(store, monkeypatch, flat):
    fake = FakeYahoo(flat=flat)
    monkeypatch.setattr(yfinance, "download", fake)
    fetch("AAA", store, start="2024-01-01", adjusted=False)
    assert fake.calls[0]["auto_adjust"] is False
    bars = store.read("AAA")
    raw = prices(pd.bdate_range("2024-01-01", TODAY))
    np.testing.assert_allclose(bars["close"], raw["Close"], rtol=1e-15)
    assert bars.attrs["adjusted"] is False


def test_adjusted_request_with_an_adj_close_column_is_scaled(store):
    raw = yahoo_frame(["AAA"], pd.bdate_range("2024-01-01", periods=5), auto_adjust=False)
    from fastbt.data.fetch import normalise_download

    bars = normalise_download(raw, "AAA", adjusted=True)
    expected = prices(pd.bdate_range("2024-01-01", periods=5))
    np.testing.assert_allclose(bars["open"], expected["Open"] * SPLIT_FACTOR, rtol=1e-12)
    np.testing.assert_allclose(bars["close"], expected["Close"] * SPLIT_FACTOR, rtol=1e-12)


def test_failures_are_per_symbol_and_store_nothing(store, monkeypatch):
    fake = FakeYahoo(
        {"BBB": "raise", "CCC": "empty", "DDD": "logged", "EEE": "invalid", "GGG": "unknown"}
    )
    monkeypatch.setattr(yfinance, "download", fake)
    results = fetch(["AAA", "BBB", "CCC", "DDD", "EEE", "FFF", "GGG"], store, retries=2)
    status = {r.symbol: r.status for r in results}
    assert status == {
        "AAA": "stored",
        "BBB": "failed",
        "CCC": "failed",
        "DDD": "failed",
        "EEE": "failed",
        "FFF": "stored",
        "GGG": "failed",
    }
    errors = {r.symbol: r.error for r in results}
    assert errors["BBB"].startswith("network unreachable (3 attempts): Connection reset by peer")
    assert errors["CCC"].startswith("symbol not found: Yahoo has no data for CCC")
    assert errors["DDD"].startswith("download failed (3 attempts):")
    assert "Failed to get ticker (timed out)" in errors["DDD"]
    assert "column 'high'" in errors["EEE"]
    assert errors["GGG"].startswith("symbol not found: Yahoo has no data for GGG; check the symbol")
    calls = [c["symbol"] for c in fake.calls]
    assert calls.count("BBB") == calls.count("DDD") == 3
    assert calls.count("CCC") == calls.count("GGG") == 1  # Yahoo's answer: no retry
    assert store.symbols() == ["AAA", "FFF"]


def test_an_empty_range_of_a_known_symbol_is_not_called_not_found(store, yahoo):
    [result] = fetch("AAA", store, start="2024-06-29", end="2024-07-01")  # a weekend
    assert result.status == "failed"
    assert result.error.startswith("no bars: Yahoo knows AAA but has none from 2024-06-29")
    assert "widen --start/--end" in result.error and len(yahoo.calls) == 1


def test_transient_errors_are_retried(store, monkeypatch):
    fake = FakeYahoo({"AAA": "flaky"})
    monkeypatch.setattr(yfinance, "download", fake)
    [result] = fetch("AAA", store, start="2024-06-01")
    assert result.status == "stored"
    assert len(fake.calls) == 3


def test_a_failed_refresh_leaves_stored_bars_untouched(store, yahoo):
    fetch("AAA", store, end="2024-01-01")
    before = store.path("AAA").read_bytes()
    yahoo.behaviour["AAA"] = "raise"
    [result] = fetch("AAA", store, retries=0)
    assert result.status == "failed"
    assert store.path("AAA").read_bytes() == before


def test_bad_symbols_and_intervals_are_rejected_before_any_download(store, yahoo):
    with pytest.raises(ValueError, match=r"invalid symbol '\.\./x'"):
        fetch(["AAA", "../x"], store)
    with pytest.raises(ValueError, match="invalid interval"):
        fetch("AAA", store, interval="7d")
    assert yahoo.calls == []


def test_progress_bar_for_several_symbols(store, yahoo, capsys):
    fastbt.fetch(["AAA", "BBB"], store=store, start="2024-06-01", progress=True)
    assert "fetching" in capsys.readouterr().err


def test_fetched_symbol_runs_from_the_store(store, yahoo):
    fetch("AAA", store)
    result = fastbt.run(fastbt.load("AAA", store=store.root.parent), "ma_cross", fast=5, slow=20)
    assert result.symbol == "AAA" and result.metrics["n_trades"] > 0


SITE = """
import sys
sys.path.insert(0, {root!r})
import yfinance
from tests.yahoo_fake import FakeYahoo
yfinance.download = FakeYahoo({{"BAD": "raise"}})
"""


@pytest.fixture
def fake_env(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(SITE.format(root=str(ROOT)))
    return {**os.environ, "PYTHONPATH": str(site), "FASTBT_HOME": str(tmp_path / "home")}


def cli(env, *args):
    command = [str(Path(sys.executable).parent / "fastbt"), *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=300, env=env)


def test_cli_fetch_data_commands_and_run(fake_env, tmp_path):
    done = cli(fake_env, "fetch", "AAA", "BAD", "--start", "2024-01-01", "--retries", "0")
    assert done.returncode == 1
    assert "AAA: stored" in done.stdout
    assert "fastbt: BAD: failed:" in done.stderr and "Traceback" not in done.stderr
    listing = cli(fake_env, "data", "ls")
    assert listing.returncode == 0 and "AAA" in listing.stdout and "BAD" not in listing.stdout
    run = cli(fake_env, "run", "AAA", "-p", "fast=3", "-p", "slow=10", "--json")
    assert run.returncode == 0, run.stderr
    exported = tmp_path / "aaa.csv"
    assert cli(fake_env, "data", "export", "AAA", "--to", str(exported)).returncode == 0
    imported = cli(fake_env, "data", "import", str(exported), "--symbol", "COPY")
    assert imported.returncode == 0, imported.stderr
    home = MarketStore(tmp_path / "home")
    pd.testing.assert_frame_equal(home.read("COPY"), home.read("AAA"), check_freq=False)
    assert cli(fake_env, "data", "rm", "AAA").returncode == 0
    assert home.symbols() == ["COPY"]


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("fetch", "../etc"), "invalid symbol '../etc'"),
        (("data", "rm", "NOPE"), "no 1d bars stored for NOPE"),
        (("data", "import", "missing.csv", "--symbol", "X"), "file not found: missing.csv"),
        (("data", "export", "NOPE", "--to", "x.csv"), "no 1d bars stored for NOPE"),
        (("data", "import", "x.csv"), "--symbol"),
        (("fetch", "AAA", "--timeout", "0"), "timeout must be a number of seconds > 0"),
        (("fetch", "AAA", "--timeout", "1e400"), "timeout must be a number of seconds > 0"),
    ],
)
def test_cli_data_errors_are_one_line(fake_env, args, fragment):
    done = cli(fake_env, *args)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0]


def test_cli_import_rejects_invalid_files_without_writing(fake_env, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("Date,Open,High,Low,Close\n2024-01-01,1,2,1,1\n2024-01-02,1,0.5,1,1\n")
    done = cli(fake_env, "data", "import", str(bad), "--symbol", "BAD")
    assert done.returncode == 2 and "column 'high' at row 1" in done.stderr
    assert MarketStore(tmp_path / "home").symbols() == []


def test_a_refetch_with_no_new_bars_is_up_to_date_even_when_yfinance_logs_it(store, yahoo):
    """Real yfinance logs an empty range ('possibly delisted; no price data found')."""
    fetch("AAA", store, start="2024-06-01")
    yahoo.calls.clear()
    [result] = fetch("AAA", store)  # the fake's today is a Friday already stored
    assert result.status == "up to date" and result.rows_stored > 0
    assert len(yahoo.calls) == 1  # one answer, no retries


def test_bad_dates_and_retries_are_rejected_before_any_download(store, yahoo):
    with pytest.raises(ValueError, match="start 'notadate' is not a date"):
        fetch("AAA", store, start="notadate")
    with pytest.raises(ValueError, match="retries must be a whole number >= 0"):
        fetch("AAA", store, retries=-1)
    for bad in (0, -1, float("nan"), float("inf"), "30", True):
        with pytest.raises(ValueError, match="timeout must be a number of seconds > 0"):
            fetch("AAA", store, timeout=bad)
    with pytest.raises(ValueError, match="backoff must be a number of seconds >= 0"):
        fetch("AAA", store, backoff=-1)
    assert yahoo.calls == []


# The real yfinance code path, sent through a proxy on loopback (curl, which
# yfinance uses, honours https_proxy): every request yfinance makes (cookie,
# crumb, time zone, prices, fallbacks) goes there, and nothing leaves the machine.


class SilentServer:
    """A TCP server on 127.0.0.1 that accepts connections and never answers."""

    def __init__(self):
        self.socket = socket.create_server(("127.0.0.1", 0))
        self.port = self.socket.getsockname()[1]
        self.connections = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                connection, _ = self.socket.accept()
            except OSError:  # closed
                return
            self.connections.append(connection)

    def close(self):
        self.socket.close()
        for connection in self.connections:
            connection.close()


@pytest.fixture(scope="session", autouse=True)
def yfinance_cache(tmp_path_factory):
    """yfinance's time-zone and cookie caches in a temporary directory."""
    yfinance.set_tz_cache_location(str(tmp_path_factory.mktemp("yfinance-cache")))


PROXY_VARIABLES = ("https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY")


def proxy_environment(monkeypatch, proxy):
    for name in ("no_proxy", "NO_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    for name in PROXY_VARIABLES:
        monkeypatch.setenv(name, proxy)


@pytest.fixture
def silent_proxy(monkeypatch):
    server = SilentServer()
    proxy_environment(monkeypatch, f"http://127.0.0.1:{server.port}")
    yield server
    server.close()


@pytest.fixture
def refusing_proxy(monkeypatch):
    with socket.create_server(("127.0.0.1", 0)) as closed:
        port = closed.getsockname()[1]
    proxy_environment(monkeypatch, f"http://127.0.0.1:{port}")  # nothing listens there now


@pytest.fixture
def downloads(monkeypatch):
    """Counts calls of the real yfinance.download."""
    calls = []
    real = yfinance.download

    def counted(*args, **kwargs):
        calls.append(args[0])
        return real(*args, **kwargs)

    monkeypatch.setattr(yfinance, "download", counted)
    return calls


def timed_fetch(symbols, store, **kwargs):
    started = time.monotonic()
    results = fastbt.fetch(symbols, store=store, progress=False, **kwargs)
    return results, time.monotonic() - started


def test_a_silent_network_times_out_at_the_deadline_retries_included(
    store, silent_proxy, downloads
):
    [result], elapsed = timed_fetch("ZZZQ", store, timeout=2, retries=3, backoff=0.2)
    assert silent_proxy.connections  # yfinance's requests did reach the silent server
    assert result.status == "failed"
    assert result.error.startswith("timed out: no answer from Yahoo within 2 s")
    assert "--timeout 60" in result.error and "check your connection" in result.error
    assert 1.9 < elapsed < 10  # the deadline, plus slack for a busy machine (was 130 s)
    assert store.symbols() == []


@pytest.mark.parametrize(
    ("network", "error"), [("silent_proxy", "timed out"), ("refusing_proxy", "network unreachable")]
)
def test_a_failed_refresh_is_not_up_to_date_and_leaves_the_stored_file_byte_identical(
    store, request, network, error
):
    """With the time zone cached, yfinance asks only for prices and logs their failure
    as "possibly delisted; no price data found", which reads like an empty range."""
    from fastbt.data.fetch import normalise_download

    request.getfixturevalue(network)
    yfinance.cache.get_tz_cache().store("AAA", "America/New_York")
    days = pd.bdate_range("2023-06-01", "2023-12-29")
    store.write("AAA", normalise_download(yahoo_frame(["AAA"], days), "AAA", True))
    before = store.path("AAA").read_bytes()
    [result], elapsed = timed_fetch("AAA", store, timeout=1, retries=1, backoff=0)
    assert result.status == "failed" and result.error.startswith(error)
    assert elapsed < 10
    assert store.path("AAA").read_bytes() == before


def resolver_answers_invalid_names_fast(name) -> bool:
    started = time.monotonic()
    try:
        socket.getaddrinfo(name, 9)
    except socket.gaierror:
        return time.monotonic() - started < 2
    return False


def test_an_unresolvable_host_is_network_unreachable_and_not_retried(store, monkeypatch, downloads):
    host = "fastbt-test.invalid"  # RFC 6761: never resolves
    if not resolver_answers_invalid_names_fast(host):
        pytest.skip("this machine's resolver does not refuse .invalid names promptly")
    proxy_environment(monkeypatch, f"http://{host}:9")
    [result], elapsed = timed_fetch("ZZZQ", store, timeout=20, retries=3, backoff=2)
    assert result.status == "failed"
    assert result.error.startswith("network unreachable (1 attempt): Could not resolve proxy")
    assert host in result.error and "check your connection" in result.error
    assert "delisted" not in result.error
    assert downloads == ["ZZZQ"]  # no retry: a name that does not resolve will not in seconds
    assert elapsed < 10


def test_a_refused_connection_is_network_unreachable_and_retried(store, refusing_proxy, downloads):
    [result], _ = timed_fetch("ZZZQ", store, timeout=20, retries=2, backoff=0)
    assert result.status == "failed"
    assert result.error.startswith("network unreachable (3 attempts): Failed to connect")
    assert downloads == ["ZZZQ"] * 3


def test_backoff_never_sleeps_past_the_deadline(store, monkeypatch):
    fake = FakeYahoo({"AAA": "raise"})
    monkeypatch.setattr(yfinance, "download", fake)
    [result], elapsed = timed_fetch("AAA", store, timeout=1, retries=3, backoff=30)
    assert result.error.startswith("network unreachable (1 attempt)")
    assert len(fake.calls) == 1 and elapsed < 10  # not 30 s asleep before a retry


def test_cli_fetch_reports_each_timed_out_symbol_on_one_line(silent_proxy, tmp_path):
    env = {**os.environ, "FASTBT_HOME": str(tmp_path / "home"), "XDG_CACHE_HOME": str(tmp_path)}
    started = time.monotonic()
    done = cli(env, "fetch", "ZZZQ", "ZZZR", "--timeout", "2")
    elapsed = time.monotonic() - started
    assert done.returncode == 1 and "Traceback" not in done.stderr
    failed = [line for line in done.stderr.splitlines() if ": failed: " in line]
    assert [line.split(": failed: ")[0] for line in failed] == ["fastbt: ZZZQ", "fastbt: ZZZR"]
    assert all(": failed: timed out: no answer from Yahoo within 2 s" in line for line in failed)
    assert "fetching" in done.stderr  # the progress bar stays
    assert elapsed < 30  # two 2 s deadlines plus interpreter start-up on a busy machine


def test_a_failed_cookie_request_does_not_hide_yahoos_answer(store, refusing_proxy, monkeypatch):
    """yfinance carries on without its cookie (fc.yahoo.com is often blocked by DNS
    filters); Yahoo's "not found" after that is still an answer."""
    fake = FakeYahoo({"ZZZQ": "unknown"})

    def cookie_then_answer(tickers, **kwargs):
        with pytest.raises(OSError):
            kwargs["session"].get("https://fc.yahoo.com", timeout=5)
        return fake(tickers, **kwargs)

    monkeypatch.setattr(yfinance, "download", cookie_then_answer)
    [result], _ = timed_fetch("ZZZQ", store, timeout=20)
    assert result.error.startswith("symbol not found: Yahoo has no data for ZZZQ")
    assert len(fake.calls) == 1


def test_an_unresolvable_yahoo_host_is_not_called_delisted(store, monkeypatch):
    host = "query2.fastbt-test.invalid"
    if not resolver_answers_invalid_names_fast(host):
        pytest.skip("this machine's resolver does not refuse .invalid names promptly")
    fake = FakeYahoo({"ZZZQ": "unknown"})  # what yfinance logs when the network is down

    def unresolvable(tickers, **kwargs):
        with pytest.raises(OSError):
            kwargs["session"].get(f"https://{host}/v8/finance/chart/{tickers}", timeout=5)
        return fake(tickers, **kwargs)

    monkeypatch.setattr(yfinance, "download", unresolvable)
    [result], _ = timed_fetch("ZZZQ", store, retries=3)
    assert result.error.startswith(
        f"network unreachable (1 attempt): Could not resolve host: {host}"
    )
    assert len(fake.calls) == 1
