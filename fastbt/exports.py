"""Saving a ``Result`` as JSON, CSV or Parquet, and loading JSON/Parquet back.

JSON and Parquet round-trip: metrics, parameters, options, the per-bar series
and the trade table come back equal (trades are stored as their raw fields and
rebuilt with ``trades_frame``, so dtypes match a fresh run). CSV is for people
and spreadsheets and is write-only. Non-finite numbers become JSON ``null``.
"""

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from fastbt.formatting import json_safe
from fastbt.kernels.metrics import COUNT_METRICS
from fastbt.kernels.simulate import TRADE_FIELDS
from fastbt.options import RunOptions
from fastbt.storage.files import StoreError, read_parquet, write_atomic, write_text_atomic

SERIES = ("equity", "cash", "position")
META_FILE = "result.json"
FORMAT_VERSION = 1


def trade_rows(trades: pd.DataFrame) -> np.ndarray:
    """The trade table back as raw rows laid out as ``TRADE_FIELDS`` (open exit_bar = -1)."""
    exit_bar = trades["exit_bar"].astype("Float64").fillna(-1.0).to_numpy(dtype="float64")
    columns = {
        name: trades[name].to_numpy(dtype="float64", na_value=np.nan)
        for name in TRADE_FIELDS
        if name != "exit_bar"
    }
    columns["exit_bar"] = exit_bar
    return np.column_stack([columns[name] for name in TRADE_FIELDS]).reshape(-1, len(TRADE_FIELDS))


def _metadata(result) -> dict:
    """Everything but the per-bar series and trades, JSON-safe."""
    return json_safe(
        {
            "format": "fastbt.result",
            "version": FORMAT_VERSION,
            "strategy": result.strategy,
            "symbol": result.symbol,
            "engine": result.engine,
            "params": result.params,
            "options": result.options.as_dict(),
            "metrics": result.metrics,
            # null cannot tell NaN from inf (profit_factor is inf with no losing trade),
            # so which values were non-finite is kept beside them, as text.
            "non_finite": {
                name: str(value)
                for name, value in result.metrics.items()
                if isinstance(value, float) and not math.isfinite(value)
            },
        }
    )


def _isoformat(index: pd.DatetimeIndex) -> list[str]:
    return [stamp.isoformat() for stamp in index]


def result_to_dict(result, series: bool = True) -> dict:
    """Plain JSON-safe dict: metadata, trades (raw fields and times) and, if
    ``series``, the per-bar index and series."""
    payload = _metadata(result)
    trades = result.trades
    payload["trades"] = json_safe(
        [
            dict(zip(TRADE_FIELDS, (float(v) for v in row), strict=True))
            | {
                "entry_time": entry.isoformat(),
                "exit_time": None if pd.isna(exit_) else exit_.isoformat(),
            }
            for row, entry, exit_ in zip(
                trade_rows(trades), trades["entry_time"], trades["exit_time"], strict=True
            )
        ]
    )
    if series:
        index = result.equity.index
        payload["timezone"] = None if index.tz is None else str(index.tz)
        payload["time_unit"] = index.unit
        payload["index_name"] = index.name
        payload["index"] = _isoformat(index)
        for name in SERIES:
            payload[name] = json_safe(getattr(result, name).to_numpy(dtype="float64").tolist())
    return payload


def _metrics_from_json(metrics: dict, non_finite: dict) -> dict:
    """Metrics with their types back: ints for counts, floats (NaN/inf restored) otherwise."""
    return {
        name: (
            int(v)
            if name in COUNT_METRICS
            else float(non_finite.get(name, "nan"))
            if v is None
            else float(v)
        )
        for name, v in metrics.items()
    }


def _check_format(payload: dict, where: str) -> None:
    if not isinstance(payload, dict) or payload.get("format") != "fastbt.result":
        raise ValueError(f"{where}: not a saved fastbt result")
    if payload.get("version") != FORMAT_VERSION:
        raise ValueError(
            f"{where}: result format version {payload.get('version')!r} is not supported"
        )


def _build(cls, payload: dict, index: pd.DatetimeIndex, series: dict, raw, bars):
    """A ``cls`` (Result) from saved metadata, series and raw trade rows."""
    from fastbt.result import trades_frame

    return cls(
        strategy=payload["strategy"],
        params=payload["params"],
        options=RunOptions(**payload["options"]),
        metrics=_metrics_from_json(payload["metrics"], payload.get("non_finite", {})),
        equity=pd.Series(series["equity"], index=index, name="equity"),
        cash=pd.Series(series["cash"], index=index, name="cash"),
        position=pd.Series(series["position"], index=index, name="position"),
        trades=trades_frame(raw.reshape(-1, len(TRADE_FIELDS)), index),
        symbol=payload.get("symbol"),
        engine=payload.get("engine", "fast"),
        bars=bars,
    )


def result_from_dict(cls, payload: dict):
    """Inverse of ``result_to_dict(result, series=True)``."""
    _check_format(payload, "JSON")
    if "index" not in payload:
        raise ValueError("JSON: this result was saved without its series (series=False)")
    timezone = payload.get("timezone")
    index = pd.DatetimeIndex(pd.to_datetime(payload["index"], utc=timezone is not None))
    if timezone is not None:
        index = index.tz_convert(timezone)
    index = index.as_unit(payload.get("time_unit", "ns")).rename(payload.get("index_name"))
    series = {
        name: np.array([math.nan if v is None else v for v in payload[name]], dtype="float64")
        for name in SERIES
    }
    raw = np.array(
        [[math.nan if t[f] is None else t[f] for f in TRADE_FIELDS] for t in payload["trades"]],
        dtype="float64",
    )
    return _build(cls, payload, index, series, raw, None)


def result_to_json(result, series: bool = True, indent: int | None = None) -> str:
    return json.dumps(result_to_dict(result, series), allow_nan=False, indent=indent)


def result_from_json(cls, text: str):
    try:
        payload = json.loads(text)
    except ValueError as error:
        raise ValueError(f"JSON: not valid JSON ({error})") from None
    return result_from_dict(cls, payload)


def _frame_table(frame: pd.DataFrame) -> pa.Table:
    return pa.Table.from_pandas(frame, preserve_index=True)


def result_to_parquet(result, directory) -> Path:
    """``directory``/result.json + series.parquet + trades.parquet (+ bars.parquet).

    Each file is written atomically; result.json last, so a directory with it is complete.
    """
    path = Path(directory)
    if path.exists() and not path.is_dir():
        raise ValueError(f"{path} is a file, not a directory")
    series = pd.DataFrame({name: getattr(result, name) for name in SERIES})
    write_atomic(_frame_table(series), path / "series.parquet")
    raw = pd.DataFrame(trade_rows(result.trades), columns=list(TRADE_FIELDS))
    write_atomic(pa.Table.from_pandas(raw, preserve_index=False), path / "trades.parquet")
    if result.bars is not None:
        write_atomic(_frame_table(result.bars), path / "bars.parquet")
    else:
        (path / "bars.parquet").unlink(missing_ok=True)
    write_text_atomic(path / META_FILE, json.dumps(_metadata(result), indent=1, allow_nan=False))
    return path


def result_from_parquet(cls, directory):
    """Inverse of ``result_to_parquet``; clear errors for a missing or foreign directory."""
    path = Path(directory)
    meta = path / META_FILE
    if not meta.is_file():
        raise ValueError(f"{path}: no {META_FILE}; not a saved fastbt result")
    try:
        payload = json.loads(meta.read_text())
    except ValueError as error:
        raise ValueError(f"{meta}: unreadable ({error})") from None
    _check_format(payload, str(meta))
    try:
        series = read_parquet(path / "series.parquet").to_pandas()
        raw = read_parquet(path / "trades.parquet").to_pandas().to_numpy("float64")
        bars_file = path / "bars.parquet"
        bars = read_parquet(bars_file).to_pandas() if bars_file.exists() else None
    except StoreError as error:
        raise ValueError(str(error)) from None
    if bars is not None and payload.get("symbol"):
        bars.attrs["symbol"] = payload["symbol"]
    index = pd.DatetimeIndex(series.index)
    series = {n: series[n].to_numpy() for n in SERIES}
    return _build(cls, payload, index, series, raw, bars)


def result_to_csv(result, directory) -> Path:
    """metrics.csv (name, value), equity.csv (per-bar series) and trades.csv."""
    path = Path(directory)
    if path.exists() and not path.is_dir():
        raise ValueError(f"{path} is a file, not a directory")
    path.mkdir(parents=True, exist_ok=True)
    rows = [("strategy", result.strategy), ("symbol", result.symbol)]
    rows += [(f"param.{k}", v) for k, v in result.params.items()]
    rows += [(f"option.{k}", v) for k, v in result.options.as_dict().items()]
    rows += list(result.metrics.items())
    pd.DataFrame(rows, columns=["name", "value"]).to_csv(path / "metrics.csv", index=False)
    pd.DataFrame({name: getattr(result, name) for name in SERIES}).to_csv(path / "equity.csv")
    result.trades.to_csv(path / "trades.csv", index=False)
    return path
