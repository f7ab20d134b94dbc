"""Out-of-sample pieces and the stitched ``Result`` made of them.

A piece is one window's out-of-sample stretch on its own bars: equity, cash, position,
trades (bar numbers counted from the piece's first bar) and the fees and counts the
trade table cannot give. ``reset_piece`` takes a window's fresh run; ``cut_piece`` cuts
a window from a set's full-history run and scales it to the stitched equity.
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd

from fastbt.kernels.metrics import METRIC_NAMES
from fastbt.reference.metrics import equity_metrics, trade_metrics
from fastbt.result import Result


@dataclass(frozen=True)
class Piece:
    equity: pd.Series
    cash: pd.Series
    position: pd.Series
    trades: pd.DataFrame
    bars: pd.DataFrame
    total_fees: float
    n_skipped: int
    n_expired: int


def reset_piece(run: Result) -> Piece:
    """A window's own run (started flat, closed at its last bar) as it is."""
    m = run.metrics
    return Piece(
        run.equity, run.cash, run.position, run.trades, run.bars,
        m["total_fees"], m["n_skipped"], m["n_expired"],
    )  # fmt: skip


def cut_piece(
    full: Result, start: int, stop: int, start_equity: float, orders: tuple[int, int]
) -> Piece:
    """Bars ``start:stop`` (start >= 1) of a full-history run, scaled by
    ``start_equity / equity[start - 1]`` so the piece carries on from the stitched
    equity with the run's own bar returns. Its trades are those closed inside the window
    (money scaled alike; an entry before the window shows at the window's first bar,
    its time and price stay the real ones); its fees those of the fills on its bars;
    ``orders`` the (skipped, expired) orders of its bars."""
    scale = start_equity / full.equity.iloc[start - 1]
    trades = full.trades
    entry_bar = trades["entry_bar"].to_numpy(dtype="float64")
    exit_bar = trades["exit_bar"].to_numpy(dtype="float64", na_value=np.nan)
    exited = (exit_bar >= start) & (exit_bar < stop)
    entered = (entry_bar >= start) & (entry_bar < stop)
    fees = trades["entry_fee"][entered].sum() + trades["exit_fee"][exited].sum()
    inside = trades[exited].copy()
    inside["entry_bar"] = np.maximum(inside["entry_bar"] - start, 0)
    inside["exit_bar"] = inside["exit_bar"] - start
    inside["bars_held"] = inside["exit_bar"] - inside["entry_bar"]
    for money in ("qty", "entry_fee", "exit_fee", "fees", "pnl"):
        inside[money] = inside[money] * scale
    return Piece(
        full.equity.iloc[start:stop] * scale,
        full.cash.iloc[start:stop] * scale,
        full.position.iloc[start:stop] * scale,
        inside.reset_index(drop=True),
        full.bars.iloc[start:stop],
        float(fees * scale),
        *orders,
    )


def window_metrics(piece: Piece, start_equity: float, periods_per_year: float) -> dict:
    """Return, Sharpe, drawdown (from ``start_equity``) and closed trades of one piece."""
    metrics = equity_metrics(piece.equity, piece.position != 0.0, start_equity, periods_per_year)
    metrics["n_trades"] = int((piece.trades["status"] == "closed").sum())
    return metrics


def _shifted(trades: pd.DataFrame, offset: int) -> pd.DataFrame:
    trades = trades.copy()
    trades["entry_bar"] = trades["entry_bar"] + offset
    trades["exit_bar"] = trades["exit_bar"] + offset
    return trades


def stitched_metrics(
    equity: pd.Series, position: pd.Series, trades: pd.DataFrame, bars: pd.DataFrame,
    pieces: list[Piece], cash0: float, periods_per_year: float,
) -> dict:  # fmt: skip
    """The metrics of docs/metrics.md on the stitched curve and trades."""
    closed = trades[trades["status"] == "closed"]
    close = bars["close"].to_numpy()
    metrics = equity_metrics(equity, position != 0.0, cash0, periods_per_year)
    metrics["buy_and_hold_return"] = close[-1] / close[0] - 1.0
    metrics["total_fees"] = float(sum(p.total_fees for p in pieces))
    metrics |= trade_metrics(
        closed["pnl"].astype("float64").reset_index(drop=True),
        closed["return"].astype("float64").reset_index(drop=True),
    )
    metrics["n_long_trades"] = int((closed["direction"] == "long").sum())
    metrics["n_short_trades"] = int((closed["direction"] == "short").sum())
    metrics["n_stop_exits"] = int(closed["exit_reason"].isin(("sl", "tp")).sum())
    for count in ("n_skipped", "n_expired"):
        metrics[count] = int(sum(getattr(p, count) for p in pieces))
    return {name: metrics[name] for name in METRIC_NAMES} | {"periods_per_year": periods_per_year}


def stitch_pieces(
    pieces: list[Piece], *, strategy, options, cash0: float, periods_per_year: float,
    symbol: str | None, extra: dict,
) -> Result:  # fmt: skip
    """One ``Result`` of the pieces one after another (bar numbers renumbered). Its
    strategy reads ``walk-forward <name>`` with no parameters: the set changes from
    window to window (``extra["walk_forward"]`` and the window table say which), and no
    single set's indicators belong on its price chart."""
    offsets = np.cumsum([0] + [len(p.equity) for p in pieces[:-1]])
    equity = pd.concat([p.equity for p in pieces]).rename("equity")
    position = pd.concat([p.position for p in pieces]).rename("position")
    trades = pd.concat(
        [_shifted(p.trades, int(o)) for p, o in zip(pieces, offsets, strict=True)],
        ignore_index=True,
    )
    bars = pd.concat([p.bars for p in pieces])
    bars.attrs = dict(pieces[0].bars.attrs)
    return Result(
        strategy=f"walk-forward {strategy.name}",
        params={},
        options=options,
        metrics=stitched_metrics(equity, position, trades, bars, pieces, cash0, periods_per_year),
        equity=equity,
        cash=pd.concat([p.cash for p in pieces]).rename("cash"),
        position=position,
        trades=trades,
        symbol=symbol,
        extra=extra,
        bars=bars,
        spec=None,
    )
