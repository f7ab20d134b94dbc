"""The Parquet market-data store: exact round trips, upserts, ranges, safety."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import fastbt
from fastbt.storage import MarketStore, StoreError
from tests.helpers import make_bars


def utc_ns(frame_or_index):
    """What the store gives back for naive input: UTC timestamps in nanoseconds."""
    index = getattr(frame_or_index, "index", frame_or_index)
    return index.tz_localize("UTC").as_unit("ns")


@pytest.fixture
def store(tmp_path):
    return MarketStore(tmp_path)


@pytest.fixture
def bars():
    return fastbt.synthetic(3000, seed=3)


def test_round_trip_is_exact_to_the_bit(store, bars):
    store.write("SYN", bars)
    back = store.read("SYN")
    assert back.index.equals(utc_ns(bars))
    for name in bars.columns:
        np.testing.assert_array_equal(
            back[name].to_numpy().view(np.uint64), bars[name].to_numpy().view(np.uint64)
        )


def test_timestamps_are_stored_in_utc(store):
    index = pd.date_range("2024-03-01 09:30", periods=4, freq="h", tz="America/New_York")
    frame = make_bars([1, 2, 3, 4], [1.5, 2.5, 3.5, 4.5]).set_axis(index)
    store.write("NYC", frame, interval="1h")
    back = store.read("NYC", interval="1h")
    assert str(back.index.tz) == "UTC"
    assert back.index[0] == pd.Timestamp("2024-03-01 14:30", tz="UTC")


def test_metadata_is_recorded(store, bars):
    store.write("SYN", bars, source="yfinance", adjusted=True)
    meta = store.read("SYN").attrs
    assert meta["source"] == "yfinance" and meta["interval"] == "1d"
    assert meta["adjusted"] is True and meta["fastbt_version"] == fastbt.__version__
    assert pd.Timestamp(meta["fetched_at"]).tz is not None
    schema = pq.read_schema(store.path("SYN"))
    assert schema.field("timestamp").type == pa.timestamp("ns", tz="UTC")
    assert all(schema.field(c).type == pa.float64() for c in bars.columns)


def test_upsert_merges_overlapping_ranges_new_rows_win(store, bars):
    store.write("SYN", bars.iloc[:2000])
    changed = bars.iloc[1500:].copy()
    changed[["open", "high", "low", "close"]] *= 2.0
    assert store.write("SYN", changed) == 3000
    back = store.read("SYN")
    assert back.index.is_monotonic_increasing and back.index.is_unique
    np.testing.assert_array_equal(back["close"].to_numpy()[:1500], bars["close"].to_numpy()[:1500])
    np.testing.assert_array_equal(back["close"].to_numpy()[1500:], changed["close"].to_numpy())


def test_date_range_and_column_reads(store, bars):
    store.write("SYN", bars)
    part = store.read("SYN", start="2002-01-01", end="2002-01-31", columns=["close"])
    assert list(part.columns) == ["close"]
    expected = bars.loc["2002-01-01":"2002-01-31", ["close"]]
    np.testing.assert_array_equal(part["close"].to_numpy(), expected["close"].to_numpy())
    assert part.index[0] >= pd.Timestamp("2002-01-01", tz="UTC")
    assert part.index[-1] <= pd.Timestamp("2002-01-31", tz="UTC")
    with pytest.raises(ValueError, match=r"unknown column\(s\): vwap"):
        store.read("SYN", columns=["vwap"])


def test_large_files_have_row_groups_for_range_reads(store):
    big = fastbt.synthetic(300_000, seed=1, freq="min")
    store.write("BIG", big, interval="1m")
    assert pq.ParquetFile(store.path("BIG", "1m")).metadata.num_row_groups > 1
    last_day = store.read("BIG", interval="1m", start=big.index[-1440])
    assert len(last_day) == 1440


def test_list_and_delete(store, bars):
    store.write("SYN", bars)
    store.write("BTCUSD", fastbt.load("BTCUSD"), interval="1mo")
    listing = store.list()
    assert listing[["symbol", "interval", "rows"]].values.tolist() == [
        ["SYN", "1d", 3000],
        ["BTCUSD", "1mo", 156],
    ]
    row = listing.iloc[0]
    assert row["first"] == bars.index[0].tz_localize("UTC")
    assert row["last"] == bars.index[-1].tz_localize("UTC")
    assert store.delete("SYN") is True
    assert store.delete("SYN") is False
    assert store.list()["symbol"].tolist() == ["BTCUSD"]
    with pytest.raises(StoreError, match="no 1d bars stored for SYN"):
        store.read("SYN")


def test_panel_aligns_symbols_on_the_union_of_timestamps(store):
    a = make_bars([1, 2, 3], [1.5, 2.5, 3.5], start="2024-01-01")
    b = make_bars([7, 8, 9], [7.5, 8.5, 9.5], start="2024-01-02")
    store.write("A", a)
    store.write("B", b)
    panel = store.panel(["a", "B"])
    assert panel.symbols == ("A", "B")
    assert len(panel.index) == 4 and str(panel.index.tz) == "UTC"
    np.testing.assert_array_equal(panel.close[0], [1.5, 2.5, 3.5, np.nan])
    np.testing.assert_array_equal(panel.close[1], [np.nan, 7.5, 8.5, 9.5])
    assert panel.open.shape == panel.volume.shape == (2, 4)


def test_invalid_input_is_never_written(store, bars):
    store.write("SYN", bars)
    before = store.path("SYN").read_bytes()
    broken = bars.copy()
    broken.iloc[10, broken.columns.get_loc("high")] = 0.0001
    with pytest.raises(ValueError, match="column 'high' at row 10"):
        store.write("SYN", broken)
    with pytest.raises(ValueError, match="column 'high' at row 10"):
        store.write("NEW", broken)
    assert store.path("SYN").read_bytes() == before
    assert not store.path("NEW").exists()


def test_adjusted_and_unadjusted_bars_are_not_mixed(store, bars):
    store.write("SYN", bars, adjusted=True)
    before = store.path("SYN").read_bytes()
    with pytest.raises(ValueError, match="refusing to merge bars with adjusted=False"):
        store.write("SYN", bars.iloc[-5:], adjusted=False)
    with pytest.raises(ValueError, match="SYN: stored bars have adjusted=True"):
        store.write_many({"NEW": bars, "SYN": bars}, adjusted=False)
    assert store.path("SYN").read_bytes() == before
    assert not store.exists("NEW")  # all or nothing


def test_truncated_file_gives_a_clear_error_and_stays(store, bars):
    store.write("SYN", bars)
    path = store.path("SYN")
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    damaged = path.read_bytes()
    for action in (lambda: store.read("SYN"), lambda: store.write("SYN", bars)):
        with pytest.raises(
            StoreError, match=rf"{path}: not a readable Parquet file.*left in place"
        ):
            action()
    store.write("OK", bars)
    listing = store.list().set_index("symbol")
    assert "not a readable Parquet file" in listing.loc["SYN", "error"]
    assert listing.loc["OK", "rows"] == len(bars) and pd.isna(listing.loc["OK", "error"])
    assert path.read_bytes() == damaged


def test_foreign_parquet_file_is_refused_by_name(store, tmp_path):
    path = store.path("ALIEN")
    path.parent.mkdir(parents=True)
    pd.DataFrame({"a": [1, 2]}).to_parquet(path)
    with pytest.raises(StoreError, match=rf"{path}: not a fastbt market-data file"):
        store.read("ALIEN")
    assert path.exists()


@pytest.mark.parametrize(
    "symbol", ["../etc", "a/b", "a\\b", "x\x00y", "", "..", ".hidden", "A..B", "A" * 41, None, 5]
)
def test_symbols_that_could_escape_the_store_are_rejected(store, bars, symbol):
    with pytest.raises(ValueError, match="invalid symbol"):
        store.write(symbol, bars)
    with pytest.raises(ValueError, match="invalid symbol"):
        store.read(symbol)
    assert not any(store.root.parent.parent.glob("*.parquet"))


@pytest.mark.parametrize("symbol", ["BRK-B", "EURUSD=X", "^GSPC", "BTC-USD", "es=f", "VOD.L"])
def test_real_world_symbols_are_accepted(store, symbol):
    store.write(symbol, make_bars([1, 2], [1.5, 2.5]))
    assert store.read(symbol).attrs["symbol"] == symbol.upper()


def test_unknown_interval_is_rejected(store, bars):
    with pytest.raises(ValueError, match="invalid interval '1y'"):
        store.write("SYN", bars, interval="1y")


WRITER = """
import sys
import fastbt
from fastbt.storage import MarketStore
store = MarketStore(sys.argv[1])
big = fastbt.synthetic(int(sys.argv[2]), seed=9, freq="min")
print("ready", flush=True)
store.write("SYN", big, interval="1m")
"""


def test_writer_killed_mid_write_leaves_the_old_data(store, tmp_path):
    old = fastbt.synthetic(5000, seed=1, freq="min")
    store.write("SYN", old, interval="1m")
    path = store.path("SYN", "1m")
    before = path.read_bytes()
    child = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(tmp_path), "4000000"], stdout=subprocess.PIPE, text=True
    )
    assert child.stdout.readline().strip() == "ready"
    deadline = time.monotonic() + 120
    while not list(path.parent.glob(".SYN.parquet.*.tmp")):
        assert child.poll() is None, "writer finished before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.001)
    time.sleep(0.05)  # let it get well into the write
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    assert path.read_bytes() == before
    pd.testing.assert_frame_equal(
        store.read("SYN", interval="1m"), old.set_axis(utc_ns(old)), check_freq=False
    )
    assert list(path.parent.glob(".SYN.parquet.*.tmp"))  # the partial file, never renamed
    store.write("SYN", old.iloc[-10:], interval="1m")  # the next writer tidies up
    assert not list(path.parent.glob(".SYN.parquet.*.tmp"))


APPENDER = """
import sys, time
from pathlib import Path
import fastbt
from fastbt.storage import MarketStore
store = MarketStore(sys.argv[1])
bars = fastbt.synthetic(8000, seed=5)
offset = int(sys.argv[2])
print("ready", flush=True)
while not Path(sys.argv[3]).exists():
    time.sleep(0.001)
for k in range(30):
    start = offset + 100 * k
    store.write("SYN", bars.iloc[start : start + 150])
"""


def test_concurrent_writers_lose_nothing(store, tmp_path):
    go = tmp_path / "go"
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", APPENDER, str(tmp_path), str(offset), str(go)],
            stdout=subprocess.PIPE,
            text=True,
        )
        for offset in (0, 4000)
    ]
    assert [w.stdout.readline().strip() for w in writers] == ["ready", "ready"]
    go.touch()  # start both at once so their writes interleave
    assert [w.wait(timeout=300) for w in writers] == [0, 0]
    expected = fastbt.synthetic(8000, seed=5)
    expected = pd.concat([expected.iloc[0:3050], expected.iloc[4000:7050]])
    back = store.read("SYN")
    assert back.index.equals(utc_ns(expected))
    np.testing.assert_array_equal(back["close"].to_numpy(), expected["close"].to_numpy())


def test_load_prefers_the_store_then_the_samples(tmp_path):
    store = MarketStore(tmp_path)
    goog = fastbt.load("GOOG")
    assert len(fastbt.load("GOOG", store=tmp_path)) == 2148  # sample
    store.write("GOOG", goog.iloc[:100])
    from_store = fastbt.load("goog", store=tmp_path)
    assert len(from_store) == 100 and from_store.attrs["symbol"] == "GOOG"
    with pytest.raises(ValueError, match=r"run `fastbt fetch MSFT` to download it"):
        fastbt.load("MSFT", store=tmp_path)
    assert Path(os.environ["FASTBT_HOME"]) != tmp_path
