"""Saving a ``Result`` as JSON, CSV or Parquet, and loading JSON/Parquet back.

JSON and Parquet round-trip: metrics, parameters, options, the per-bar series
and the trade table come back equal (trades are stored as their raw fields and
rebuilt with ``trades_frame``, so dtypes match a fresh run). CSV is for people
and spreadsheets and is write-only. Non-finite numbers become JSON ``null``.

Format 2 (engine v2) adds each trade's direction and exit reason and the v2 run
options; results saved in format 1 still load (long trades, options at their defaults).
"""

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from fastbt.formatting import json_safe
from fastbt.kernels.metrics import COUNT_METRICS
from fastbt.kernels.rules import EXIT_REASONS, LONG, SHORT
from fastbt.options import RunOptions
from fastbt.storage.files import StoreError, read_parquet, write_atomic, write_text_atomic
from fastbt.trade_layout import RAW_TRADE_FIELDS, V1_TRADE_FIELDS, upgrade_v1_rows

SERIES = ("equity", "cash", "position")
META_FILE = "result.json"
FORMAT_VERSION = 2
READABLE_VERSIONS = (1, 2)  # 1: before engine v2 (long only, no exit reasons)
_TEXT_FIELDS = ("direction", "exit_reason")  # raw codes, saved in JSON as their names
_REASON_CODES = {name: float(code) for code, name in enumerate(EXIT_REASONS)}


def trade_rows(trades: pd.DataFrame) -> np.ndarray:
    """The trade table back as raw rows laid out as ``RAW_TRADE_FIELDS`` (open exit_bar = -1)."""
    columns = {
        name: trades[name].to_numpy(dtype="float64", na_value=np.nan)
        for name in RAW_TRADE_FIELDS
        if name not in ("exit_bar", *_TEXT_FIELDS)
    }
    columns["exit_bar"] = trades["exit_bar"].astype("Float64").fillna(-1.0).to_numpy("float64")
    columns["direction"] = np.where(trades["direction"] == "short", float(SHORT), float(LONG))
    columns["exit_reason"] = np.array(
        [_REASON_CODES.get(reason, np.nan) for reason in trades["exit_reason"]], dtype="float64"
    )
    return np.column_stack([columns[name] for name in RAW_TRADE_FIELDS]).reshape(
        -1, len(RAW_TRADE_FIELDS)
    )


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
            dict(zip(RAW_TRADE_FIELDS, (float(v) for v in row), strict=True))
            | {
                "direction": direction,
                "exit_reason": None if pd.isna(reason) else reason,
                "entry_time": entry.isoformat(),
                "exit_time": None if pd.isna(exit_) else exit_.isoformat(),
            }
            for row, direction, reason, entry, exit_ in zip(
                trade_rows(trades),
                trades["direction"],
                trades["exit_reason"],
                trades["entry_time"],
                trades["exit_time"],
                strict=True,
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
    if payload.get("version") not in READABLE_VERSIONS:
        raise ValueError(
            f"{where}: result format version {payload.get('version')!r} is not supported"
        )


def _raw_trades(columns: dict, options: RunOptions, n_bars: int) -> np.ndarray:
    """Raw trade rows from saved columns (field name -> float values); a result saved
    before engine v2 has no direction or exit_reason and gets them filled in."""
    if "direction" not in columns:
        v1 = np.column_stack([columns[f] for f in V1_TRADE_FIELDS]) if columns else np.empty(0)
        return upgrade_v1_rows(v1, n_bars - 1, options.close_at_end)
    return np.column_stack([columns[f] for f in RAW_TRADE_FIELDS]).reshape(
        -1, len(RAW_TRADE_FIELDS)
    )


def _build(cls, payload: dict, index: pd.DatetimeIndex, series: dict, columns: dict, bars):
    """A ``cls`` (Result) from saved metadata, series and trade columns (``_raw_trades``)."""
    from fastbt.result import trades_frame

    options = RunOptions(**payload["options"])
    return cls(
        strategy=payload["strategy"],
        params=payload["params"],
        options=options,
        metrics=_metrics_from_json(payload["metrics"], payload.get("non_finite", {})),
        equity=pd.Series(series["equity"], index=index, name="equity"),
        cash=pd.Series(series["cash"], index=index, name="cash"),
        position=pd.Series(series["position"], index=index, name="position"),
        trades=trades_frame(_raw_trades(columns, options, len(index)), index),
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
    trades = payload["trades"]
    names = [f for f in trades[0] if f not in ("entry_time", "exit_time")] if trades else []
    columns = {
        name: np.array([_json_trade_value(name, t[name]) for t in trades], dtype="float64")
        for name in names
    }
    return _build(cls, payload, index, series, columns, None)


def _json_trade_value(name: str, value) -> float:
    """A saved trade field as its raw number (direction and exit_reason are saved as names)."""
    if name == "direction":
        return float(SHORT if value == "short" else LONG)
    if name == "exit_reason":
        return _REASON_CODES[value] if value is not None else math.nan
    return math.nan if value is None else float(value)


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
    raw = pd.DataFrame(trade_rows(result.trades), columns=list(RAW_TRADE_FIELDS))
    write_atomic(pa.Table.from_pandas(raw, preserve_index=False), path / "trades.parquet")
    if result.bars is not None:
        write_atomic(_frame_table(result.bars), path / "bars.parquet")
    else:
        (path / "bars.parquet").unlink(missing_ok=True)
    write_text_atomic(path / META_FILE, json.dumps(_metadata(result), indent=1, allow_nan=False))
    return path


def read_metadata(meta: Path, what: str) -> dict:
    """The JSON metadata file of a saved result directory; ``what`` names the kind of
    result in the error for a missing or unreadable file."""
    if not meta.is_file():
        raise ValueError(f"{meta.parent}: no {meta.name}; not a saved fastbt {what}")
    try:
        return json.loads(meta.read_text())
    except ValueError as error:
        raise ValueError(f"{meta}: unreadable ({error})") from None


def result_from_parquet(cls, directory):
    """Inverse of ``result_to_parquet``; clear errors for a missing or foreign directory."""
    path = Path(directory)
    payload = read_metadata(path / META_FILE, "result")
    _check_format(payload, str(path / META_FILE))
    try:
        series = read_parquet(path / "series.parquet").to_pandas()
        raw = read_parquet(path / "trades.parquet").to_pandas()
        bars_file = path / "bars.parquet"
        bars = read_parquet(bars_file).to_pandas() if bars_file.exists() else None
    except StoreError as error:
        raise ValueError(str(error)) from None
    if bars is not None and payload.get("symbol"):
        bars.attrs["symbol"] = payload["symbol"]
    index = pd.DatetimeIndex(series.index)
    series = {n: series[n].to_numpy() for n in SERIES}
    columns = {name: raw[name].to_numpy("float64") for name in raw.columns}
    return _build(cls, payload, index, series, columns, bars)


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
