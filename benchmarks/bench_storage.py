"""fastbt's Parquet market-data store against the original design's SQLite loop.

    python benchmarks/bench_storage.py [--save] [--repeats N] [--slow-repeats N]
                                       [--upserts N]

Two workloads: 100 symbols x 2,520 daily bars, and one symbol of 1,000,000
one-minute bars. Each is written and read with ``fastbt.storage.MarketStore``
and with ``SqliteBars``, the design the store replaced (one ``bars`` table,
one INSERT per row from a Python loop, string dates parsed on the way out).
Before anything is timed, both round trips are checked: the store must give
back the written bars bit for bit, SQLite the same values and timestamps.

Every measurement gets a new temporary directory, so no run sees another's
files; reads follow the write of the same round (warm OS page cache for both).
Rounds are interleaved (store and SQLite, both workloads, in turn), so a noisy
neighbour slows all cases alike; each row is the median. The SQLite write of
1,000,000 rows takes tens of seconds, so that workload's SQLite cases run
``--slow-repeats`` times only. ``--save`` also writes benchmarks/results/storage.md.
"""

import argparse
import gc
import importlib.metadata
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from bench_core import environment, fmt_seconds, log, publish
from workloads import MINUTE_PERIODS, N_BARS, synthetic_bars

import fastbt
from fastbt.storage import MarketStore

RESULTS = Path(__file__).resolve().parent / "results" / "storage.md"

N_SYMBOLS = 100
N_DAILY = 2_520
UPSERT_BARS = 20
MINUTE_SYMBOL = "SYN1M"
COLUMNS = ("open", "high", "low", "close", "volume")

TARGET_WRITE_SPEEDUP = 50.0
TARGET_READ_SPEEDUP = 20.0
TARGET_PANEL_S = 0.2


# ----------------------------------------------------------------------- data


def daily_universe() -> dict[str, pd.DataFrame]:
    """``SYN000`` .. ``SYN099``: 2,520 business-day bars each (seed 0)."""
    return fastbt.synthetic_universe(N_SYMBOLS, N_DAILY, seed=0)


def minute_universe() -> dict[str, pd.DataFrame]:
    """One symbol of 1,000,000 one-minute bars: the core benchmarks' synthetic-1m."""
    return {MINUTE_SYMBOL: synthetic_bars()}


def write_all(store: MarketStore, universe: dict[str, pd.DataFrame]) -> int:
    """``store.write_many`` (the bulk write: validate all, then write in parallel); total
    rows stored."""
    return sum(store.write_many(universe).values())


def read_all(store: MarketStore, symbols) -> list[pd.DataFrame]:
    """``store.read`` every symbol, whole series, all columns."""
    return [store.read(symbol) for symbol in symbols]


# ------------------------------------------------------------ SQLite baseline


class SqliteBars:
    """The original design, kept as the baseline: one SQLite table, a Python loop per row.

    Schema ``bars(symbol TEXT, date TEXT, open REAL, high REAL, low REAL, close REAL,
    volume REAL)`` with an index on (symbol, date), created with the table so
    inserts maintain it (reads by symbol then use it, already in date order).
    SQLite's defaults are left alone (rollback journal, ``synchronous=FULL``), so
    each commit is durable, like the store's fsync'd rename.

    Writing loops over ``itertuples(name=None)`` (plain tuples, the fastest
    row loop pandas has; ``iterrows`` is several times slower) with one
    ``execute`` per row and one commit per symbol. Reading selects one symbol
    ordered by date, builds a DataFrame from the fetched tuples and parses the
    date strings with ``pd.to_datetime`` into the index.
    """

    SCHEMA = (
        "CREATE TABLE bars (symbol TEXT, date TEXT, open REAL, high REAL, low REAL, "
        "close REAL, volume REAL)"
    )
    INDEX = "CREATE INDEX bars_symbol_date ON bars (symbol, date)"
    INSERT = "INSERT INTO bars VALUES (?, ?, ?, ?, ?, ?, ?)"
    SELECT = "SELECT date, open, high, low, close, volume FROM bars WHERE symbol = ? ORDER BY date"
    DELETE_FROM = "DELETE FROM bars WHERE symbol = ? AND date >= ?"

    def __init__(self, path: Path):
        self.connection = sqlite3.connect(path)
        self.connection.execute(self.SCHEMA)
        self.connection.execute(self.INDEX)
        self.connection.commit()

    def close(self) -> None:
        self.connection.close()

    def pragmas(self) -> str:
        """The durability settings in force, for the notes."""
        journal = self.connection.execute("PRAGMA journal_mode").fetchone()[0]
        synchronous = self.connection.execute("PRAGMA synchronous").fetchone()[0]
        names = {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}
        return f"journal_mode={journal}, synchronous={names.get(synchronous, synchronous)}"

    def write(self, symbol: str, bars: pd.DataFrame) -> None:
        cursor = self.connection.cursor()
        for ts, open_, high, low, close, volume in bars.itertuples(name=None):
            cursor.execute(self.INSERT, (symbol, str(ts), open_, high, low, close, volume))
        self.connection.commit()

    def write_iterrows(self, symbol: str, bars: pd.DataFrame) -> None:
        """The same loop with ``iterrows`` (only timed for a note)."""
        cursor = self.connection.cursor()
        for ts, row in bars.iterrows():
            cursor.execute(
                self.INSERT,
                (
                    symbol,
                    str(ts),
                    row["open"],
                    row["high"],
                    row["low"],
                    row["close"],
                    row["volume"],
                ),
            )
        self.connection.commit()

    def replace_tail(self, symbol: str, bars: pd.DataFrame) -> None:
        """The old schema's upsert (it has no unique key): delete from the first new
        date on, insert the new rows, one commit."""
        cursor = self.connection.cursor()
        cursor.execute(self.DELETE_FROM, (symbol, str(bars.index[0])))
        for ts, open_, high, low, close, volume in bars.itertuples(name=None):
            cursor.execute(self.INSERT, (symbol, str(ts), open_, high, low, close, volume))
        self.connection.commit()

    def read(self, symbol: str) -> pd.DataFrame:
        rows = self.connection.execute(self.SELECT, (symbol,)).fetchall()
        frame = pd.DataFrame(rows, columns=["date", *COLUMNS])
        frame["date"] = pd.to_datetime(frame["date"])
        return frame.set_index("date")


def sqlite_write_all(db: SqliteBars, universe: dict[str, pd.DataFrame]) -> None:
    for symbol, bars in universe.items():
        db.write(symbol, bars)


def sqlite_read_all(db: SqliteBars, symbols) -> list[pd.DataFrame]:
    return [db.read(symbol) for symbol in symbols]


# ---------------------------------------------------------------- correctness


class RoundTripError(AssertionError):
    """Bars read back differ from the bars written."""


def _utc_nanos(index: pd.DatetimeIndex) -> np.ndarray:
    index = index.as_unit("ns")
    return (index.tz_localize("UTC") if index.tz is None else index.tz_convert("UTC")).asi8


def _bits(values: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(values, dtype="float64").view("uint64")


def check_store_frame(symbol: str, got: pd.DataFrame, want: pd.DataFrame) -> None:
    """Store round trip: same columns and order, float64, UTC index, identical bits."""
    where = f"store {symbol}"
    if list(got.columns) != list(COLUMNS):
        raise RoundTripError(f"{where}: columns {list(got.columns)}")
    if any(dtype != np.float64 for dtype in got.dtypes):
        raise RoundTripError(f"{where}: dtypes {got.dtypes.tolist()}")
    if str(got.index.tz) != "UTC" or not np.array_equal(
        _utc_nanos(got.index), _utc_nanos(want.index)
    ):
        raise RoundTripError(f"{where}: timestamps differ")
    if not np.array_equal(_bits(got.to_numpy()), _bits(want[list(COLUMNS)].to_numpy())):
        raise RoundTripError(f"{where}: values are not bit-identical")


def check_sqlite_frame(symbol: str, got: pd.DataFrame, want: pd.DataFrame) -> None:
    """SQLite round trip: equal values, equal (naive) timestamps."""
    where = f"SQLite {symbol}"
    if len(got) != len(want):
        raise RoundTripError(f"{where}: {len(got)} rows, wrote {len(want)}")
    if not np.array_equal(
        got.index.as_unit("ns").asi8, want.index.tz_localize(None).as_unit("ns").asi8
    ):
        raise RoundTripError(f"{where}: timestamps differ")
    if not np.array_equal(got[list(COLUMNS)].to_numpy(), want[list(COLUMNS)].to_numpy()):
        raise RoundTripError(f"{where}: values differ")


def verify(daily: dict, minute: dict) -> str:
    """Both round trips on both workloads, the panel and an upsert; a note, or raise."""
    for universe in (daily, minute):
        with tempfile.TemporaryDirectory(prefix="fastbt-bench-store-") as root:
            store = MarketStore(root)
            write_all(store, universe)
            for symbol, frame in zip(universe, read_all(store, universe), strict=True):
                check_store_frame(symbol, frame, universe[symbol])
            if universe is daily:
                panel = store.panel(list(universe))
                first = next(iter(universe.values()))
                if tuple(panel.symbols) != tuple(universe) or not np.array_equal(
                    _utc_nanos(panel.index), _utc_nanos(first.index)
                ):
                    raise RoundTripError("store panel: symbols or index differ")
                for name in COLUMNS:
                    want = np.stack([bars[name].to_numpy() for bars in universe.values()])
                    if not np.array_equal(_bits(getattr(panel, name)), _bits(want)):
                        raise RoundTripError(f"store panel: {name} is not bit-identical")
                symbol, bars = next(iter(universe.items()))
                if store.write(symbol, bars.iloc[-UPSERT_BARS:]) != len(bars):
                    raise RoundTripError(f"store upsert {symbol}: row count changed")
                check_store_frame(symbol, store.read(symbol), bars)
        with tempfile.TemporaryDirectory(prefix="fastbt-bench-sqlite-") as root:
            db = SqliteBars(Path(root) / "bars.sqlite")
            try:
                sqlite_write_all(db, universe)
                for symbol, frame in zip(universe, sqlite_read_all(db, universe), strict=True):
                    check_sqlite_frame(symbol, frame, universe[symbol])
                if universe is daily:
                    symbol, bars = next(iter(universe.items()))
                    db.replace_tail(symbol, bars.iloc[-UPSERT_BARS:])
                    check_sqlite_frame(symbol, db.read(symbol), bars)
            finally:
                db.close()
    return (
        "Checked before timing: the store gives back every written bar bit for bit "
        "(columns, float64, UTC timestamps; both workloads, the panel's arrays, and a "
        "symbol after the 20-bar upsert); SQLite gives back equal values and timestamps."
    )


# --------------------------------------------------------------------- timing


def timed(call: Callable) -> float:
    gc.collect()
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


@dataclass
class Times:
    """Seconds per run for every case, keyed as in ``LINES`` (``store`` and ``sqlite``)."""

    cases: dict[str, list[float]] = field(default_factory=dict)

    def add(self, key: str, seconds: float) -> None:
        self.cases.setdefault(key, []).append(seconds)


def daily_round(daily: dict, times: Times, upserts: int) -> None:
    """Store: write, read, panel, upserts; then SQLite: write, read, upsert.

    Each side gets its own new directory. Upserts go into different symbols
    (``upserts`` of them), each one timed on its own.
    """
    symbols = list(daily)
    with tempfile.TemporaryDirectory(prefix="fastbt-bench-store-") as root:
        store = MarketStore(root)
        times.add("daily_store_write", timed(lambda: write_all(store, daily)))
        times.add("daily_store_read", timed(lambda: read_all(store, symbols)))
        times.add("daily_panel", timed(lambda: store.panel(symbols)))
        for symbol in symbols[:upserts]:
            tail = daily[symbol].iloc[-UPSERT_BARS:]
            times.add("upsert_store", timed(lambda s=symbol, t=tail: store.write(s, t)))
    with tempfile.TemporaryDirectory(prefix="fastbt-bench-sqlite-") as root:
        db = SqliteBars(Path(root) / "bars.sqlite")
        try:
            times.add("daily_sqlite_write", timed(lambda: sqlite_write_all(db, daily)))
            times.add("daily_sqlite_read", timed(lambda: sqlite_read_all(db, symbols)))
            for symbol in symbols[:upserts]:
                tail = daily[symbol].iloc[-UPSERT_BARS:]
                times.add("upsert_sqlite", timed(lambda s=symbol, t=tail: db.replace_tail(s, t)))
        finally:
            db.close()


def minute_round(minute: dict, times: Times, with_sqlite: bool) -> None:
    """The 1M-bar symbol: store write and read; SQLite too when ``with_sqlite``."""
    with tempfile.TemporaryDirectory(prefix="fastbt-bench-store-") as root:
        store = MarketStore(root)
        times.add("minute_store_write", timed(lambda: write_all(store, minute)))
        times.add("minute_store_read", timed(lambda: read_all(store, minute)))
    if not with_sqlite:
        return
    with tempfile.TemporaryDirectory(prefix="fastbt-bench-sqlite-") as root:
        db = SqliteBars(Path(root) / "bars.sqlite")
        try:
            times.add("minute_sqlite_write", timed(lambda: sqlite_write_all(db, minute)))
            times.add("minute_sqlite_read", timed(lambda: sqlite_read_all(db, minute)))
        finally:
            db.close()


def iterrows_note(daily: dict) -> str:
    """Per-row cost of the SQLite write loop with itertuples and with iterrows."""
    symbol, bars = next(iter(daily.items()))
    per_row = {}
    for name in ("write", "write_iterrows"):
        runs = []
        for _ in range(3):
            with tempfile.TemporaryDirectory(prefix="fastbt-bench-sqlite-") as root:
                db = SqliteBars(Path(root) / "bars.sqlite")
                try:
                    method = getattr(db, name)
                    runs.append(timed(lambda m=method: m(symbol, bars)))
                finally:
                    db.close()
        per_row[name] = statistics.median(runs) / len(bars) * 1e6
    return (
        f"SQLite row loop, one {len(bars):,}-bar symbol into an empty table: "
        f"`itertuples(name=None)` {per_row['write']:.1f} µs/row (used above), "
        f"`iterrows` {per_row['write_iterrows']:.1f} µs/row "
        f"({per_row['write_iterrows'] / per_row['write']:.1f}x slower; the write speed-ups "
        "would be that much larger against an iterrows loop)."
    )


# ---------------------------------------------------------------------- report


@dataclass
class Line:
    """One table row: a store case, optionally its SQLite counterpart and a target."""

    label: str
    rows: int
    store: str
    sqlite: str | None = None
    speedup_target: float | None = None
    seconds_target: float | None = None


LINES = [
    Line(
        f"write {N_SYMBOLS} x {N_DAILY:,} daily bars (fresh files; SQLite: commit per symbol)",
        N_SYMBOLS * N_DAILY,
        "daily_store_write",
        "daily_sqlite_write",
        speedup_target=TARGET_WRITE_SPEEDUP,
    ),
    Line(
        f"read {N_SYMBOLS} x {N_DAILY:,} daily bars into DataFrames",
        N_SYMBOLS * N_DAILY,
        "daily_store_read",
        "daily_sqlite_read",
        speedup_target=TARGET_READ_SPEEDUP,
    ),
    Line(
        f"write 1 x {N_BARS:,} one-minute bars (fresh file)",
        N_BARS,
        "minute_store_write",
        "minute_sqlite_write",
        speedup_target=TARGET_WRITE_SPEEDUP,
    ),
    Line(
        f"read 1 x {N_BARS:,} one-minute bars into a DataFrame",
        N_BARS,
        "minute_store_read",
        "minute_sqlite_read",
        speedup_target=TARGET_READ_SPEEDUP,
    ),
    Line(
        f"`store.panel`: {N_SYMBOLS} x {N_DAILY:,} daily bars into (symbols x bars) arrays",
        N_SYMBOLS * N_DAILY,
        "daily_panel",
        seconds_target=TARGET_PANEL_S,
    ),
    Line(
        f"upsert the last {UPSERT_BARS} bars into a stored {N_DAILY:,}-bar symbol "
        "(SQLite: delete them, insert, commit)",
        UPSERT_BARS,
        "upsert_store",
        "upsert_sqlite",
    ),
]


def fmt_rate(rows_per_second: float) -> str:
    if rows_per_second >= 1e6:
        return f"{rows_per_second / 1e6:.2f} M"
    if rows_per_second >= 1e3:
        return f"{rows_per_second / 1e3:.1f} k"
    return f"{rows_per_second:.0f}"


def verdict(met: bool) -> str:
    return "met" if met else "MISSED"


def table_row(line: Line, times: Times) -> str:
    """One Markdown row: medians, rows/s, speed-up and the target's verdict."""
    store = statistics.median(times.cases[line.store])
    runs = str(len(times.cases[line.store]))
    cells = [fmt_seconds(store), fmt_rate(line.rows / store)]
    target = None
    if line.sqlite and line.sqlite in times.cases:
        sqlite = statistics.median(times.cases[line.sqlite])
        runs += f" / {len(times.cases[line.sqlite])}"
        speedup = sqlite / store
        cells += [fmt_seconds(sqlite), fmt_rate(line.rows / sqlite), f"{speedup:,.1f}x"]
        if line.speedup_target:
            target = f">= {line.speedup_target:g}x: {verdict(speedup >= line.speedup_target)}"
    else:
        cells += ["-", "-", "-"]
    if line.seconds_target:
        target = f"< {line.seconds_target:g} s: {verdict(store < line.seconds_target)}"
    return f"| {line.label} | {line.rows:,} | {runs} | {' | '.join(cells)} | {target or ''} |"


def temp_filesystem() -> str:
    """Filesystem type of the temporary directory (fsync cost depends on it)."""
    where = Path(tempfile.gettempdir()).resolve()
    best = ("", "unknown")
    try:
        for line in Path("/proc/mounts").read_text().splitlines():
            _, mount, kind, *_ = line.split()
            if where.is_relative_to(mount) and len(mount) > len(best[0]):
                best = (mount, kind)
    except OSError:
        pass
    return f"{where} ({best[1]})"


def load_average() -> str:
    try:
        return f"{os.getloadavg()[0]:.2f}"
    except OSError:
        return "unknown"


def render(times: Times, notes: list[str]) -> str:
    versions = f"pyarrow {importlib.metadata.version('pyarrow')} · SQLite {sqlite3.sqlite_version}"
    lines = [
        "## fastbt storage benchmarks",
        "",
        f"{environment()} · {versions}",
        "",
        f"Data: `fastbt.synthetic_universe({N_SYMBOLS}, {N_DAILY:_}, seed=0)` (business days) "
        f'and `fastbt.synthetic({N_BARS:_}, seed=0, freq="min", periods_per_year={MINUTE_PERIODS:_})`. '
        "Store: `fastbt.storage.MarketStore` (validate, lock, Parquet with delta/byte-split encodings + LZ4, fsync, atomic rename; bulk writes via `write_many`). "
        "SQLite: the original design's row loop (see notes). Every measurement in a new "
        f"temporary directory under {temp_filesystem()}. Medians over runs (store / SQLite); "
        "speed-up = SQLite time / store time (= store rows/s over SQLite rows/s).",
        "",
        "| measurement | rows | runs | store | store rows/s | SQLite | SQLite rows/s "
        "| speed-up | target |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    lines += [table_row(line, times) for line in LINES if line.store in times.cases]
    lines += ["", "Notes:", ""] + [f"- {note}" for note in notes]
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------------ main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--save", action="store_true", help=f"also write {RESULTS}")
    parser.add_argument("--repeats", type=int, default=5, help="rounds of every case (5)")
    parser.add_argument(
        "--slow-repeats",
        type=int,
        default=3,
        help="rounds of the SQLite 1M-row write and read, the slow ones (3)",
    )
    parser.add_argument(
        "--upserts", type=int, default=20, help="timed upserts per round, one per symbol (20)"
    )
    args = parser.parse_args(argv)
    if not 1 <= args.upserts <= N_SYMBOLS:
        parser.error(f"--upserts must be between 1 and {N_SYMBOLS}")
    started = time.perf_counter()
    load_before = load_average()

    log(f"building {N_SYMBOLS} x {N_DAILY:,} daily bars and {N_BARS:,} minute bars ...")
    daily, minute = daily_universe(), minute_universe()

    log("checking both round trips (also warms every code path) ...")
    notes = [verify(daily, minute)]

    times = Times()
    for k in range(args.repeats):
        with_sqlite = k < args.slow_repeats
        log(f"round {k + 1}/{args.repeats}{' (with SQLite 1M)' if with_sqlite else ''} ...")
        daily_round(daily, times, args.upserts)
        minute_round(minute, times, with_sqlite)

    log("timing the iterrows variant for a note ...")
    with tempfile.TemporaryDirectory(prefix="fastbt-bench-sqlite-") as root:
        db = SqliteBars(Path(root) / "bars.sqlite")
        pragmas = db.pragmas()
        db.close()
    notes += [
        f"SQLite baseline: one `bars(symbol TEXT, date TEXT, open REAL, high REAL, low REAL, "
        f"close REAL, volume REAL)` table with an index on (symbol, date) created with it, "
        f"SQLite defaults ({pragmas}), one connection, per row one "
        "`execute(INSERT ...)` from a loop over `itertuples(name=None)` with `str(timestamp)`, "
        "one commit per symbol; read = `SELECT ... WHERE symbol = ? ORDER BY date` (served by "
        "the index), `fetchall`, `pd.DataFrame`, `pd.to_datetime` on the date strings into "
        "a naive index.",
        iterrows_note(daily),
        "Store writes include what the store always does: validation of the bars, a file lock, "
        "Parquet encoding (delta / byte-split + LZ4), fsync of the file and its directory, atomic rename. SQLite "
        "commits fsync too (synchronous=FULL). Reads are warm (files just written, in the OS "
        "page cache) for both.",
        f"Upsert rows: {args.upserts} upserts per round into different symbols, each timed "
        f"alone; the store re-reads and rewrites the whole {N_DAILY:,}-row file, SQLite deletes "
        f"and re-inserts {UPSERT_BARS} rows (the old schema has no unique key). rows/s counts "
        f"the {UPSERT_BARS} new rows.",
        f"Whole script took {time.perf_counter() - started:.0f} s; 1-minute load average "
        f"{load_before} at the start, {load_average()} at the end (on {os.cpu_count()} CPUs; "
        "other work on the machine slows the runs it overlaps).",
    ]
    table = render(times, notes)
    publish(table, RESULTS, args.save)
    return 0


if __name__ == "__main__":
    sys.exit(main())
