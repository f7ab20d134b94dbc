"""fastbt.fetch through the real yfinance code path, with its download function
replaced by one that returns frames of yfinance's real shape (no network)."""

import os
import subprocess
import sys
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
    fake = FakeYahoo({"BBB": "raise", "CCC": "empty", "DDD": "logged", "EEE": "invalid"})
    monkeypatch.setattr(yfinance, "download", fake)
    results = fetch(["AAA", "BBB", "CCC", "DDD", "EEE", "FFF"], store, retries=2)
    status = {r.symbol: r.status for r in results}
    assert status == {
        "AAA": "stored",
        "BBB": "failed",
        "CCC": "failed",
        "DDD": "failed",
        "EEE": "failed",
        "FFF": "stored",
    }
    errors = {r.symbol: r.error for r in results}
    assert "after 3 attempt(s)" in errors["BBB"] and "Connection reset" in errors["BBB"]
    assert "no data returned" in errors["CCC"]
    assert "Failed to get ticker (timed out)" in errors["DDD"]
    assert "column 'high'" in errors["EEE"]
    assert [c["symbol"] for c in fake.calls].count("BBB") == 3
    assert [c["symbol"] for c in fake.calls].count("CCC") == 1  # an answer: no retry
    assert store.symbols() == ["AAA", "FFF"]


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


def test_a_refetch_with_no_new_bars_is_up_to_date_even_when_yfinance_logs_it(store, monkeypatch):
    """Real yfinance logs an empty range ('possibly delisted; no price data found')."""
    import logging

    fake = FakeYahoo()
    monkeypatch.setattr(yfinance, "download", fake)
    fetch("AAA", store, start="2024-06-01")

    def weekend(*args, **kwargs):
        fake.calls.append(kwargs)
        logging.getLogger("yfinance").error("$AAA: possibly delisted; no price data found")
        return yahoo_frame([], pd.DatetimeIndex([]))

    monkeypatch.setattr(yfinance, "download", weekend)
    [result] = fetch("AAA", store)
    assert result.status == "up to date" and result.rows_stored > 0
    assert len(fake.calls) == 2  # one answer, no retries


def test_bad_dates_and_retries_are_rejected_before_any_download(store, yahoo):
    with pytest.raises(ValueError, match="start 'notadate' is not a date"):
        fetch("AAA", store, start="notadate")
    with pytest.raises(ValueError, match="retries must be a whole number >= 0"):
        fetch("AAA", store, retries=-1)
    assert yahoo.calls == []
