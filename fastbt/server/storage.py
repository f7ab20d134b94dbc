"""Run files under ``$FASTBT_HOME/server``: one folder per backtest or sweep.

::

    backtests/<id>/input.parquet      uploaded bars (uploads only)
    backtests/<id>/weights.parquet    a portfolio's target weights (weights portfolios only)
    backtests/<id>/result/            Result.to_parquet: result.json, series, trades, bars
                                      (PortfolioResult.to_parquet for a portfolio)
    backtests/<id>/results.json       the answer of GET /backtests/<id>/results, encoded once
    backtests/<id>/cache/             rendered charts and the HTML report
    sweeps/<id>/cache/                the sweep's HTML reports (one per metric and top_n)
    sweeps/<id>/table/                fastbt.sweep(out=...): the table's parts as they finish,
                                      then sweep.json; read with fastbt.load_sweep

Every file is written atomically (``fastbt.storage.files.replace_atomically``),
so a reader never sees half a file; deleting a run removes its folder.
"""

import contextlib
import json
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pyarrow as pa

from fastbt.formatting import json_safe
from fastbt.storage.files import read_parquet, replace_atomically, write_atomic, write_text_atomic
from fastbt.sweep.export import SUMMARY_FILE
from fastbt.sweep.results import part_ids


def results_payload(result) -> dict:
    """``result.to_dict()``; a portfolio's adds its kind, the trade table with symbols
    and times (``trade_table``) and the weights held (symbol -> per-bar list)."""
    payload = result.to_dict()
    if not hasattr(result, "symbols"):
        return payload
    table = result.trades.astype(object)
    for column in table.columns:
        if pd.api.types.is_datetime64_any_dtype(result.trades[column]):
            table[column] = [None if pd.isna(t) else t.isoformat() for t in table[column]]
    weights = result.weights
    return {
        "kind": "portfolio",
        **payload,
        "trade_table": json_safe(table.to_dict("records")),
        "weights": {str(s): json_safe(weights[s].tolist()) for s in weights.columns},
    }


def _mark_used(path: Path) -> None:
    """Stamp the file's modification time with the clock's full precision (the file
    system's own stamps are coarse, so files written within milliseconds would tie)."""
    now = time.time_ns()
    with contextlib.suppress(FileNotFoundError):  # evicted meanwhile by another request
        os.utime(path, ns=(now, now))


class RunFiles:
    """Paths and reads/writes of the run files below ``root``."""

    def __init__(self, root: Path, cache_size: int):
        self.root = Path(root)
        self.cache_size = cache_size

    def backtest_dir(self, run_id: int) -> Path:
        return self.root / "backtests" / str(run_id)

    def sweep_dir(self, run_id: int) -> Path:
        return self.root / "sweeps" / str(run_id)

    def upload_path(self, run_id: int) -> Path:
        return self.backtest_dir(run_id) / "input.parquet"

    def weights_path(self, run_id: int) -> Path:
        return self.backtest_dir(run_id) / "weights.parquet"

    def result_dir(self, run_id: int) -> Path:
        return self.backtest_dir(run_id) / "result"

    def results_path(self, run_id: int) -> Path:
        return self.backtest_dir(run_id) / "results.json"

    def write_results(self, run_id: int, result) -> None:
        """Encode a finished result's JSON answer once (``Result.to_dict`` plus the id),
        so reading results costs a file read instead of a Parquet decode and encode."""
        payload = json.dumps({"id": run_id, **results_payload(result)}, allow_nan=False)
        write_text_atomic(self.results_path(run_id), payload)

    def table_dir(self, run_id: int) -> Path:
        """The sweep's ``out`` directory: parts while it runs, the whole table after."""
        return self.sweep_dir(run_id) / "table"

    def sweep_finished(self, run_id: int) -> bool:
        """Whether ``fastbt.sweep`` has written the table's summary (it does so last)."""
        return (self.table_dir(run_id) / SUMMARY_FILE).exists()

    def write_frame(self, frame: pd.DataFrame, path: Path, *, index: bool) -> None:
        write_atomic(pa.Table.from_pandas(frame, preserve_index=index), path)

    def read_frame(self, path: Path) -> pd.DataFrame:
        return read_parquet(path).to_pandas()

    def finished_parts(self, run_id: int) -> list[int]:
        """Chunk ids of a running sweep whose parts are written."""
        return part_ids(self.table_dir(run_id))

    def cached(self, path: Path, render: Callable[[], bytes]) -> bytes:
        """A rendered chart or report of a completed run: rendered once, then read.

        A run's cache folder keeps the ``cache_size`` files used last; older ones are
        removed as new ones are written (report variants, metric x top_n, are many).
        Two requests for the same missing file may both render it; the file is
        replaced atomically, so either copy is whole.
        """
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            pass
        else:
            _mark_used(path)
            return data
        data = render()
        replace_atomically(path, lambda sink: sink.write(data))
        _mark_used(path)
        self._evict(path.parent)
        return data

    def _evict(self, folder: Path) -> None:
        """Remove all but the ``cache_size`` most recently used files of ``folder``."""

        def used(path: Path) -> float:
            try:
                return path.stat().st_mtime
            except FileNotFoundError:
                return 0.0

        # names starting with "." are files being written (replace_atomically)
        files = sorted(
            (p for p in folder.iterdir() if not p.name.startswith(".")), key=used, reverse=True
        )
        for stale in files[self.cache_size :]:
            stale.unlink(missing_ok=True)

    def delete_backtest(self, run_id: int) -> None:
        shutil.rmtree(self.backtest_dir(run_id), ignore_errors=True)

    def delete_sweep(self, run_id: int) -> None:
        shutil.rmtree(self.sweep_dir(run_id), ignore_errors=True)
