"""The market-data store: one Parquet file per (interval, symbol).

Layout: ``<home>/market/<interval>/<SYMBOL>.parquet``; schema: UTC ``timestamp``
(ns) and float64 open, high, low, close, volume, plus fastbt metadata (source,
interval, adjusted, fetched_at, fastbt version). Writes validate first, take a
per-file lock, merge with what is stored (new rows win on equal timestamps) and
replace the file atomically.
"""

import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from fastbt.data.validate import COLUMNS, validate_bars
from fastbt.storage.files import StoreError, read_parquet, read_schema, temp_files, write_atomic
from fastbt.storage.location import fastbt_home
from fastbt.storage.names import check_interval, check_symbol

SCHEMA = pa.schema(
    [("timestamp", pa.timestamp("ns", tz="UTC")), *((name, pa.float64()) for name in COLUMNS)]
)
_META_KEY = b"fastbt"
_FORMAT = 1


@dataclass(frozen=True)
class Panel:
    """Many symbols on one shared timestamp index, as (symbols x bars) float64 arrays.

    A symbol with no bar at a timestamp has NaN there.
    """

    symbols: tuple[str, ...]
    index: pd.DatetimeIndex
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    volume: np.ndarray


def _utc(index: pd.DatetimeIndex) -> pd.DatetimeIndex:
    """Naive timestamps are taken as UTC; aware ones are converted to UTC."""
    index = index.as_unit("ns")
    return index.tz_localize("UTC") if index.tz is None else index.tz_convert("UTC")


def _bound(value) -> pd.Timestamp | None:
    """A read boundary as a UTC timestamp (naive input taken as UTC)."""
    if value is None:
        return None
    stamp = pd.Timestamp(value)
    return stamp.tz_localize("UTC") if stamp.tz is None else stamp.tz_convert("UTC")


class MarketStore:
    """Bars by symbol and interval under ``root`` (default ``$FASTBT_HOME`` or ``~/.fastbt``)."""

    def __init__(self, root=None):
        self.root = fastbt_home(root) / "market"

    def __repr__(self) -> str:
        return f"MarketStore({str(self.root.parent)!r})"

    def path(self, symbol: str, interval: str = "1d") -> Path:
        """File of one symbol; the name is checked before it touches the path."""
        return self.root / check_interval(interval) / f"{check_symbol(symbol)}.parquet"

    def _lock(self, path: Path):
        """Cross-process lock guarding one file's read-merge-replace."""
        from filelock import FileLock

        path.parent.mkdir(parents=True, exist_ok=True)
        return FileLock(str(path.with_suffix(".lock")))

    def _metadata(self, path: Path, schema: pa.Schema | None = None) -> dict:
        """fastbt's metadata of a stored file, checking its columns are fastbt's.

        ``schema`` is that of a table already read (possibly a subset of the
        columns); otherwise the file's footer is read.
        """
        expected = SCHEMA
        if schema is None:
            schema, _ = read_schema(path)
        else:
            expected = pa.schema([SCHEMA.field(n) for n in schema.names if n in SCHEMA.names])
        raw = (schema.metadata or {}).get(_META_KEY)
        if raw is None or schema.remove_metadata() != expected or "timestamp" not in schema.names:
            raise StoreError(f"{path}: not a fastbt market-data file; it was left in place")
        return json.loads(raw)

    def exists(self, symbol: str, interval: str = "1d") -> bool:
        return self.path(symbol, interval).exists()

    def write(
        self,
        symbol: str,
        bars: pd.DataFrame,
        *,
        interval: str = "1d",
        source: str = "import",
        adjusted: bool | None = None,
        repair: bool = True,
    ) -> int:
        """Validate ``bars`` and merge them into the stored series; return its row count.

        Stored rows with the same timestamp are replaced. Nothing is written if
        validation fails, or if ``adjusted`` contradicts what is stored.
        """
        return self.write_many(
            {symbol: bars}, interval=interval, source=source, adjusted=adjusted, repair=repair
        )[check_symbol(symbol)]

    def write_many(
        self,
        frames: dict,
        *,
        interval: str = "1d",
        source: str = "import",
        adjusted: bool | None = None,
        repair: bool = True,
    ) -> dict[str, int]:
        """``write`` for many symbols: all are validated before any is written, then
        the files are written in parallel (each atomically, under its own lock).
        Returns each symbol's stored row count."""
        check_interval(interval)
        clean = {}
        for symbol, bars in frames.items():
            name = check_symbol(symbol)
            try:
                valid = validate_bars(bars, repair=repair)
            except ValueError as error:
                raise ValueError(f"{name}: {error}") from None
            clean[name] = valid.set_axis(_utc(valid.index), axis=0)

        if adjusted is not None:  # refuse before writing anything
            for name in clean:
                path = self.path(name, interval)
                stored = self._metadata(path).get("adjusted") if path.exists() else None
                if stored not in (None, adjusted):
                    raise ValueError(
                        f"{name}: stored bars have adjusted={stored}; "
                        f"refusing to merge bars with adjusted={adjusted}"
                    )

        def store_one(item):
            name, new = item
            return name, self._merge_and_replace(name, new, interval, source, adjusted)

        if len(clean) == 1:
            return dict(map(store_one, clean.items()))
        with ThreadPoolExecutor(max_workers=4) as pool:
            return dict(pool.map(store_one, clean.items()))

    def _merge_and_replace(self, symbol, new, interval, source, adjusted) -> int:
        """Under the symbol's lock: merge ``new`` into what is stored, replace the file."""
        path = self.path(symbol, interval)
        with self._lock(path):
            for leftover in temp_files(path):
                leftover.unlink(missing_ok=True)
            if path.exists():
                old, stored_meta = self._read_table(path)
                if adjusted is not None and stored_meta.get("adjusted") not in (None, adjusted):
                    raise ValueError(
                        f"{symbol}: stored bars have adjusted={stored_meta['adjusted']}; "
                        f"refusing to merge bars with adjusted={adjusted}"
                    )
                if adjusted is None:
                    adjusted = stored_meta.get("adjusted")
                merged = pd.concat([self._frame(old), new])
                merged = merged[~merged.index.duplicated(keep="last")].sort_index(kind="stable")
            else:
                merged = new
            meta = {
                "format": _FORMAT,
                "symbol": symbol,
                "interval": interval,
                "source": source,
                "adjusted": adjusted,
                "fetched_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "fastbt_version": _version(),
            }
            write_atomic(self._table(merged, meta), path)
        return len(merged)

    def _read_table(self, path: Path, *, columns=None, filters=None, use_threads=True):
        """(table, fastbt metadata) of a stored file; foreign files are refused by name."""
        try:
            table = read_parquet(
                path,
                columns=["timestamp", *(columns or COLUMNS)],
                filters=filters,
                use_threads=use_threads,
            )
        except StoreError:
            self._metadata(path)  # a foreign file: say so rather than "missing column"
            raise
        return table, self._metadata(path, table.schema)

    @staticmethod
    def _table(frame: pd.DataFrame, meta: dict) -> pa.Table:
        arrays = [pa.array(frame.index.as_unit("ns"), type=SCHEMA.field("timestamp").type)]
        arrays += [pa.array(frame[name].to_numpy(), type=pa.float64()) for name in COLUMNS]
        table = pa.Table.from_arrays(arrays, schema=SCHEMA)
        return table.replace_schema_metadata({_META_KEY: json.dumps(meta).encode()})

    @staticmethod
    def _frame(table: pa.Table) -> pd.DataFrame:
        """Bars from a stored table, built straight from its columns' arrays."""
        stamps = table.column("timestamp").to_numpy()
        index = pd.DatetimeIndex(stamps, name="timestamp").tz_localize("UTC")
        data = {name: table.column(name).to_numpy() for name in table.column_names[1:]}
        return pd.DataFrame(data, index=index, copy=False)

    def read(
        self,
        symbol: str,
        *,
        interval: str = "1d",
        start=None,
        end=None,
        columns: list[str] | None = None,
    ) -> pd.DataFrame:
        """Stored bars of one symbol with ``start <= timestamp <= end`` (UTC index).

        Only the requested columns are read, and row groups outside the range are
        skipped using the file's statistics.
        """
        path = self.path(symbol, interval)
        if not path.exists():
            raise StoreError(
                f"no {interval} bars stored for {check_symbol(symbol)} (in {self.root})"
            )
        unknown = sorted(set(columns or ()) - set(COLUMNS))
        if unknown:
            raise ValueError(
                f"unknown column(s): {', '.join(unknown)}; stored: {', '.join(COLUMNS)}"
            )
        filters = [
            ("timestamp", op, _bound(v)) for op, v in ((">=", start), ("<=", end)) if v is not None
        ]
        table, meta = self._read_table(path, columns=columns, filters=filters or None)
        frame = self._frame(table)
        frame.attrs.update(meta)
        return frame

    def symbols(self, interval: str = "1d") -> list[str]:
        """Stored symbols of one interval, sorted."""
        folder = self.root / check_interval(interval)
        return sorted(p.stem for p in folder.glob("*.parquet")) if folder.exists() else []

    def list(self) -> pd.DataFrame:
        """One row per stored series: symbol, interval, first, last, rows, source, adjusted,
        fetched_at, from the files' footers (no bars are read). Unreadable files are
        listed too, with an ``error`` column saying what is wrong."""
        rows = []
        for folder in sorted(p for p in self.root.glob("*") if p.is_dir()):
            for path in sorted(folder.glob("*.parquet")):
                try:
                    meta = self._metadata(path)
                    first, last, count = _footer_range(path)
                except StoreError as error:  # listed, so the bad file can be found
                    rows.append({"symbol": path.stem, "interval": folder.name, "error": str(error)})
                    continue
                rows.append(
                    {
                        "symbol": path.stem,
                        "interval": folder.name,
                        "first": first,
                        "last": last,
                        "rows": count,
                        "source": meta.get("source"),
                        "adjusted": meta.get("adjusted"),
                        "fetched_at": meta.get("fetched_at"),
                    }
                )
        columns = [
            "symbol",
            "interval",
            "first",
            "last",
            "rows",
            "source",
            "adjusted",
            "fetched_at",
        ]
        if any("error" in row for row in rows):
            columns.append("error")
        return pd.DataFrame(rows, columns=columns)

    def delete(self, symbol: str, interval: str = "1d") -> bool:
        """Remove one stored series; False if there was none."""
        path = self.path(symbol, interval)
        with self._lock(path):
            existed = path.exists()
            path.unlink(missing_ok=True)
        # The lock file stays: removing it while another process waits on it would
        # let a third process lock a new file and write at the same time.
        return existed

    def extent(self, symbol: str, interval: str = "1d") -> tuple | None:
        """(first timestamp, last timestamp, rows) stored, or None when nothing is."""
        path = self.path(symbol, interval)
        if not path.exists():
            return None
        self._metadata(path)
        return _footer_range(path)

    def panel(self, symbols, *, interval: str = "1d", start=None, end=None) -> Panel:
        """Several symbols aligned on the union of their timestamps (NaN where absent).

        Files are read in parallel straight into arrays, without pandas.
        """
        names = tuple(check_symbol(s) for s in symbols)
        if not names:
            raise ValueError("panel needs at least one symbol")
        filters = [
            ("timestamp", op, _bound(v)) for op, v in ((">=", start), ("<=", end)) if v is not None
        ] or None

        def read_one(name):
            path = self.path(name, interval)
            if not path.exists():
                raise StoreError(f"no {interval} bars stored for {name} (in {self.root})")
            return self._read_table(path, filters=filters, use_threads=False)[0]

        with ThreadPoolExecutor(max_workers=4) as pool:
            tables = list(pool.map(read_one, names))
        stamps = [t.column("timestamp").to_numpy().view(np.int64) for t in tables]
        union = np.unique(np.concatenate(stamps))
        arrays = {name: np.full((len(names), union.size), np.nan) for name in COLUMNS}
        for row, (table, stamp) in enumerate(zip(tables, stamps, strict=True)):
            where = np.searchsorted(union, stamp)
            for name in COLUMNS:
                arrays[name][row, where] = table.column(name).to_numpy()
        index = pd.DatetimeIndex(union.view("datetime64[ns]"), name="timestamp").tz_localize("UTC")
        return Panel(names, index, **arrays)


def _footer_range(path: Path) -> tuple[pd.Timestamp, pd.Timestamp, int]:
    """First and last timestamp and row count from the Parquet footer's statistics
    (fastbt always writes them)."""
    _, footer = read_schema(path)
    stats = [footer.row_group(k).column(0).statistics for k in range(footer.num_row_groups)]
    first = min(pd.Timestamp(g.min) for g in stats)
    last = max(pd.Timestamp(g.max) for g in stats)
    return _bound(first), _bound(last), footer.num_rows


def _version() -> str:
    from fastbt import __version__

    return __version__
