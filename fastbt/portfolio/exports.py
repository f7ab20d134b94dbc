"""Saving a ``PortfolioResult`` as JSON or as a Parquet directory, and loading it back.

Both round-trip: metrics, parameters, options, equity, cash, positions, closes and
the trade table come back equal. Trades are stored as their raw rows (the symbol as
its column position), from which the result builds its trade table.
"""

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from fastbt.exports import _metrics_from_json, read_metadata
from fastbt.formatting import json_safe
from fastbt.options import RunOptions
from fastbt.storage.files import StoreError, read_parquet, write_atomic, write_text_atomic
from fastbt.trade_layout import RAW_TRADE_FIELDS

FORMAT = "fastbt.portfolio"
VERSION = 1
META_FILE = "portfolio.json"
_ROW_FIELDS = (*RAW_TRADE_FIELDS, "symbol")


def _metadata(result) -> dict:
    return json_safe(
        {
            "format": FORMAT,
            "version": VERSION,
            "strategy": result.strategy,
            "engine": result.engine,
            "symbols": list(result.symbols),
            "params": result.params,
            "options": result.options.as_dict(),
            "order_sequence": result.order_sequence,
            "partial": result.partial,
            "size_type": result.size_type,
            "metrics": result.metrics,
            "non_finite": {
                name: str(value)
                for name, value in result.metrics.items()
                if isinstance(value, float) and not math.isfinite(value)
            },
        }
    )


def _check(payload, where: str) -> None:
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise ValueError(f"{where}: not a saved fastbt portfolio result")
    if payload.get("version") != VERSION:
        raise ValueError(
            f"{where}: portfolio format version {payload.get('version')!r} is not supported"
        )


def _build(cls, payload, index, equity, cash, positions, close, rows):
    symbols = payload["symbols"]
    return cls(
        strategy=payload["strategy"],
        params=payload["params"],
        options=RunOptions(**payload["options"]),
        order_sequence=payload["order_sequence"],
        partial=payload["partial"],
        size_type=payload["size_type"],
        metrics=_metrics_from_json(payload["metrics"], payload.get("non_finite", {})),
        equity=pd.Series(equity, index=index, name="equity"),
        cash=pd.Series(cash, index=index, name="cash"),
        positions=pd.DataFrame(positions, index=index, columns=symbols),
        close=pd.DataFrame(close, index=index, columns=symbols),
        trade_rows=np.asarray(rows, dtype="float64").reshape(-1, len(_ROW_FIELDS)),
        engine=payload["engine"],
    )


def portfolio_to_dict(result) -> dict:
    payload = _metadata(result)
    index = result.equity.index
    payload["timezone"] = None if index.tz is None else str(index.tz)
    payload["time_unit"] = index.unit
    payload["index_name"] = index.name
    payload["index"] = [stamp.isoformat() for stamp in index]
    payload["equity"] = json_safe(result.equity.to_numpy("float64").tolist())
    payload["cash"] = json_safe(result.cash.to_numpy("float64").tolist())
    payload["positions"] = result.positions.to_numpy("float64").tolist()
    payload["close"] = result.close.to_numpy("float64").tolist()
    rows = result.trade_rows
    payload["trades"] = json_safe(
        [dict(zip(_ROW_FIELDS, map(float, r), strict=True)) for r in rows]
    )
    return payload


def _nan(values) -> np.ndarray:
    return np.array([[math.nan if v is None else v for v in row] for row in values], "float64")


def portfolio_from_dict(cls, payload: dict):
    _check(payload, "JSON")
    timezone = payload.get("timezone")
    index = pd.DatetimeIndex(pd.to_datetime(payload["index"], utc=timezone is not None))
    if timezone is not None:
        index = index.tz_convert(timezone)
    index = index.as_unit(payload.get("time_unit", "ns")).rename(payload.get("index_name"))
    rows = _nan([[t[f] for f in _ROW_FIELDS] for t in payload["trades"]])
    equity = _nan([payload["equity"]])[0]
    cash = _nan([payload["cash"]])[0]
    n = len(index)
    positions = np.array(payload["positions"], "float64").reshape(n, -1)
    close = np.array(payload["close"], "float64").reshape(n, -1)
    return _build(cls, payload, index, equity, cash, positions, close, rows)


def portfolio_to_json(result, indent: int | None = None) -> str:
    return json.dumps(portfolio_to_dict(result), allow_nan=False, indent=indent)


def portfolio_from_json(cls, text: str):
    try:
        payload = json.loads(text)
    except ValueError as error:
        raise ValueError(f"JSON: not valid JSON ({error})") from None
    return portfolio_from_dict(cls, payload)


def portfolio_to_parquet(result, directory) -> Path:
    """``directory``/portfolio.json + series, positions, close and trades Parquet files;
    the metadata last, so a directory with it is complete."""
    path = Path(directory)
    if path.exists() and not path.is_dir():
        raise ValueError(f"{path} is a file, not a directory")
    series = pd.DataFrame({"equity": result.equity, "cash": result.cash})
    write_atomic(pa.Table.from_pandas(series, preserve_index=True), path / "series.parquet")
    for name in ("positions", "close"):
        frame = getattr(result, name)
        write_atomic(pa.Table.from_pandas(frame, preserve_index=False), path / f"{name}.parquet")
    rows = pd.DataFrame(result.trade_rows, columns=list(_ROW_FIELDS))
    write_atomic(pa.Table.from_pandas(rows, preserve_index=False), path / "trades.parquet")
    write_text_atomic(path / META_FILE, json.dumps(_metadata(result), indent=1, allow_nan=False))
    return path


def portfolio_from_parquet(cls, directory):
    path = Path(directory)
    payload = read_metadata(path / META_FILE, "portfolio result")
    _check(payload, str(path / META_FILE))
    try:
        series = read_parquet(path / "series.parquet").to_pandas()
        positions = read_parquet(path / "positions.parquet").to_pandas().to_numpy("float64")
        close = read_parquet(path / "close.parquet").to_pandas().to_numpy("float64")
        rows = read_parquet(path / "trades.parquet").to_pandas().to_numpy("float64")
    except StoreError as error:
        raise ValueError(str(error)) from None
    index = pd.DatetimeIndex(series.index)
    return _build(
        cls,
        payload,
        index,
        series["equity"].to_numpy(),
        series["cash"].to_numpy(),
        positions,
        close,
        rows,
    )
