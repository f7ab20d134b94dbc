"""Sweep tables saved and loaded: Parquet directories (with the sweep's summary),
CSV for spreadsheets, and JSON (non-finite numbers as null).

A sweep directory holds ``part-*.parquet`` files and ``sweep.json`` (the table's
``attrs["sweep"]``). ``fastbt.sweep(out=DIR)`` writes the same layout as it goes,
adding ``sweep.json`` when it finishes, so ``load_sweep`` reads either.
"""

import json
import math
from pathlib import Path

import pandas as pd
import pyarrow as pa

from fastbt.formatting import json_default, json_safe
from fastbt.kernels.metrics import COUNT_METRICS
from fastbt.storage.files import StoreError, read_parquet, write_atomic, write_text_atomic
from fastbt.sweep.blocks import ATTR as BLOCKS_ATTR
from fastbt.sweep.blocks import load_blocks, save_blocks
from fastbt.sweep.results import MANIFEST, PART_GLOB, part_path

SUMMARY_FILE = "sweep.json"


def _directory(directory) -> Path:
    path = Path(directory)
    if path.exists() and not path.is_dir():
        raise ValueError(f"{path} is a file, not a directory")
    return path


def write_summary(table: pd.DataFrame, directory) -> None:
    """``sweep.json``: the table's ``attrs["sweep"]``, JSON-safe."""
    summary = json_safe(table.attrs.get("sweep", {}))
    write_text_atomic(Path(directory) / SUMMARY_FILE, json.dumps(summary, indent=1, default=str))


def sweep_to_parquet(table: pd.DataFrame, directory) -> Path:
    """Save a sweep table as ``part-000000.parquet`` + ``sweep.json`` in an empty directory
    (and ``blocks-000000.npy`` when it has block statistics)."""
    path = _directory(directory)
    if path.exists() and any(path.iterdir()):
        raise ValueError(f"{path} is not empty; save a sweep into a new directory")
    if BLOCKS_ATTR in table.attrs:
        path.mkdir(parents=True, exist_ok=True)
        save_blocks(table.attrs[BLOCKS_ATTR], path)
        table = table.copy(deep=False)
        table.attrs = {k: v for k, v in table.attrs.items() if k != BLOCKS_ATTR}
    write_atomic(pa.Table.from_pandas(table, preserve_index=False), part_path(path, 0))
    write_summary(table, path)
    return path


def load_sweep(directory) -> pd.DataFrame:
    """A saved sweep (``sweep_to_parquet`` or ``fastbt.sweep(out=...)``) with its attrs."""
    path = Path(directory)
    summary_file = path / SUMMARY_FILE
    if not summary_file.is_file():
        hint = (
            " (an unfinished sweep: rerun it with resume=True)"
            if (path / MANIFEST).exists()
            else ""
        )
        raise ValueError(f"{path}: no {SUMMARY_FILE}; not a saved fastbt sweep{hint}")
    try:
        summary = json.loads(summary_file.read_text())
    except ValueError as error:
        raise ValueError(f"{summary_file}: unreadable ({error})") from None
    parts = sorted(path.glob(PART_GLOB))
    if not parts:
        raise ValueError(f"{path}: no result parts ({PART_GLOB})")
    try:
        frames = [read_parquet(part).to_pandas() for part in parts]
    except StoreError as error:
        raise ValueError(str(error)) from None
    table = frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)
    table.attrs["sweep"] = summary
    blocks = load_blocks(path, summary)
    if blocks is not None:
        table.attrs[BLOCKS_ATTR] = blocks
    return table


def sweep_to_csv(table: pd.DataFrame, directory) -> Path:
    """``sweep.csv`` (every row) and ``sweep.json`` (the summary) in ``directory``."""
    path = _directory(directory)
    path.mkdir(parents=True, exist_ok=True)
    table.to_csv(path / "sweep.csv", index=False)
    write_summary(table, path)
    return path


def sweep_to_json(table: pd.DataFrame, indent: int | None = None) -> str:
    """``{"sweep": summary, "columns": [...], "rows": [[...], ...]}``; NaN/inf as null."""
    rows = [
        [None if isinstance(v, float) and not math.isfinite(v) else v for v in row]
        for row in table.itertuples(index=False, name=None)
    ]
    payload = {
        "format": "fastbt.sweep",
        "sweep": json_safe(table.attrs.get("sweep", {})),
        "columns": list(table.columns),
        "rows": rows,
    }
    return json.dumps(payload, indent=indent, allow_nan=False, default=json_default)


def sweep_from_json(text: str) -> pd.DataFrame:
    """Inverse of ``sweep_to_json``, except that null comes back as NaN (an infinite
    profit_factor included); Parquet keeps every value exactly."""
    try:
        payload = json.loads(text)
    except ValueError as error:
        raise ValueError(f"JSON: not valid JSON ({error})") from None
    if not isinstance(payload, dict) or payload.get("format") != "fastbt.sweep":
        raise ValueError("JSON: not a saved fastbt sweep")
    table = pd.DataFrame(payload["rows"], columns=payload["columns"])
    for name in table.columns:
        if name in COUNT_METRICS:
            table[name] = table[name].astype("int64")
        elif name != "symbol" and table[name].dtype == object:
            table[name] = table[name].astype("float64")
    table.attrs["sweep"] = payload["sweep"]
    return table
