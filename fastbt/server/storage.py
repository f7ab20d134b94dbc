"""Run files under ``$FASTBT_HOME/server``: one folder per backtest or sweep.

::

    backtests/<id>/input.parquet      uploaded bars (uploads only)
    backtests/<id>/result/            Result.to_parquet: result.json, series, trades, bars
    backtests/<id>/results.json       the answer of GET /backtests/<id>/results, encoded once
    backtests/<id>/cache/             rendered charts and the HTML report
    sweeps/<id>/cache/                the sweep's HTML report
    sweeps/<id>/table/                fastbt.sweep(out=...): the table's parts as they finish,
                                      then sweep.json; read with fastbt.load_sweep

Every file is written atomically (``fastbt.storage.files.replace_atomically``),
so a reader never sees half a file; deleting a run removes its folder.
"""

import json
import shutil
import threading
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pyarrow as pa

from fastbt.storage.files import read_parquet, replace_atomically, write_atomic, write_text_atomic
from fastbt.sweep.export import SUMMARY_FILE
from fastbt.sweep.results import part_ids


class RunFiles:
    """Paths and reads/writes of the run files below ``root``."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self._render_lock = threading.Lock()

    def backtest_dir(self, run_id: int) -> Path:
        return self.root / "backtests" / str(run_id)

    def sweep_dir(self, run_id: int) -> Path:
        return self.root / "sweeps" / str(run_id)

    def upload_path(self, run_id: int) -> Path:
        return self.backtest_dir(run_id) / "input.parquet"

    def result_dir(self, run_id: int) -> Path:
        return self.backtest_dir(run_id) / "result"

    def results_path(self, run_id: int) -> Path:
        return self.backtest_dir(run_id) / "results.json"

    def write_results(self, run_id: int, result) -> None:
        """Encode a finished result's JSON answer once (``Result.to_dict`` plus the id),
        so reading results costs a file read instead of a Parquet decode and encode."""
        payload = json.dumps({"id": run_id, **result.to_dict()}, allow_nan=False)
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
        """A rendered chart or report of a completed run, rendered once then read.

        Rendering is serialised: matplotlib is not safe to drive from many threads.
        """
        try:
            return path.read_bytes()
        except FileNotFoundError:
            pass
        with self._render_lock:
            try:
                return path.read_bytes()
            except FileNotFoundError:
                data = render()
                replace_atomically(path, lambda sink: sink.write(data))
                return data

    def delete_backtest(self, run_id: int) -> None:
        shutil.rmtree(self.backtest_dir(run_id), ignore_errors=True)

    def delete_sweep(self, run_id: int) -> None:
        shutil.rmtree(self.sweep_dir(run_id), ignore_errors=True)
