"""Self-contained HTML reports (jinja2 templates shipped in the package).

Charts are embedded as base64 PNGs and the CSS is inline, so a report is one
file that opens anywhere with no network. Every user-supplied string (symbol,
strategy and parameter names) goes through jinja2's autoescaping.
"""

import datetime as dt
import functools
from pathlib import Path

import jinja2
import markupsafe
import numpy as np
import pandas as pd

from fastbt.formatting import METRIC_DESCRIPTIONS, format_duration, format_metric
from fastbt.report.charts import CHARTS, describe, exit_label
from fastbt.report.figures import to_base64
from fastbt.report.sweep_charts import metric_distribution, sweep_heatmap
from fastbt.sweep.analysis import MIN_TRADES, best, closed_trades, top, traded

TRADES_SHOWN = 50  # first and last N trades when there are more than 2N
HEADLINE = ("total_return", "cagr", "sharpe", "max_drawdown", "n_trades", "win_rate")
HEATMAP_SYMBOLS = 4
CHART_TITLES = {
    "equity": "Equity and buy and hold",
    "drawdown": "Drawdown",
    "price": "Price, indicators and trades",
    "monthly": "Monthly returns",
    "returns": "Distribution of bar returns",
}


@functools.cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("fastbt.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _version() -> str:
    from fastbt import __version__

    return __version__


def _plain(value) -> str:
    """A parameter or option value as short text (floats without noise)."""
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, float | np.floating):
        return f"{value:g}"
    return str(value)


def _number(value: float, pattern: str) -> str:
    """``pattern`` applied to ``value``, or blank for NaN (an open trade's exit)."""
    return "" if np.isnan(value) else pattern.format(value)


def _time(stamp, with_clock: bool) -> str:
    """``2024-01-31`` for daily bars, ``2024-01-31 14:00:00+00:00`` otherwise."""
    if pd.isna(stamp):
        return ""
    stamp = pd.Timestamp(stamp)
    return stamp.isoformat(sep=" ") if with_clock else stamp.date().isoformat()


def has_clock(index: pd.DatetimeIndex) -> bool:
    """Whether bar times carry a time of day (intraday data) or are all midnight."""
    return bool((index != index.normalize()).any())


def price_decimals(prices: pd.Series) -> int:
    """Decimals that show about five significant digits of a typical price (>= 2)."""
    typical = float(np.nanmedian(np.abs(prices.to_numpy(dtype="float64")))) if len(prices) else 1.0
    return max(2, 4 - int(np.floor(np.log10(typical)))) if typical > 0 else 2


def _quantity(qty: float) -> str:
    """Units held: whole numbers plainly, fractions to at most 4 decimals."""
    return f"{qty:,.4f}".rstrip("0").rstrip(".")


def _options(options: dict) -> list[tuple[str, str]]:
    """Run options as (name, text); an unset periods_per_year reads as inferred."""
    return [
        (k, "inferred from bar spacing" if v is None and k == "periods_per_year" else _plain(v))
        for k, v in options.items()
    ]


def metric_rows(metrics: dict) -> list[dict]:
    """name, formatted value and meaning of every metric, in ``metrics`` order."""
    rows = []
    for name, value in metrics.items():
        meaning = METRIC_DESCRIPTIONS.get(name, "")
        if name == "max_drawdown_bars" and metrics.get("periods_per_year"):
            meaning += f" ({format_duration(value, metrics['periods_per_year'])})"
        rows.append({"name": name, "value": format_metric(name, value), "meaning": meaning})
    return rows


def trade_list(
    trades: pd.DataFrame, clock: bool, shown: int = TRADES_SHOWN, trail: bool = False
) -> tuple[list[dict], list[dict], int]:
    """(first rows, last rows, number left out) of the report's trade table: all
    trades when there are at most ``2 * shown``, else the first and last ``shown``.
    Prices get one number of decimals for the whole table; times show the time of
    day only when ``clock`` (intraday bars); ``trail``: stop-loss exits were trailing."""
    price = f"{{:,.{price_decimals(trades['entry_price'])}f}}"

    def rows(frame: pd.DataFrame, start: int) -> list[dict]:
        return [
            {
                "number": start + k + 1,
                "symbol": t.get("symbol", ""),  # portfolio trades name their symbol
                "entry_time": _time(t["entry_time"], clock),
                "entry_price": price.format(t["entry_price"]),
                "exit_time": _time(t["exit_time"], clock),
                "exit_price": _number(t["exit_price"], price),
                "qty": _quantity(t["qty"]),
                "fees": f"{t['fees']:,.2f}",
                "pnl": _number(t["pnl"], "{:,.2f}"),
                "return": _number(100 * t["return"], "{:.2f}%"),
                "bars_held": "" if pd.isna(t["bars_held"]) else f"{int(t['bars_held']):,}",
                "direction": t["direction"],
                "exit_reason": exit_label(t["exit_reason"], trail),
                "status": t["status"],
                "won": bool(t["pnl"] > 0),
            }
            for k, t in enumerate(frame.to_dict("records"))
        ]

    n = len(trades)
    if n <= 2 * shown:
        return rows(trades, 0), [], 0
    return rows(trades.iloc[:shown], 0), rows(trades.iloc[n - shown :], n - shown), n - 2 * shown


def _percent(value: float) -> str:
    return "" if pd.isna(value) else f"{100 * value:.2f}%"


def tables_context(result, clock: bool) -> dict:
    """The report's tables: returns and turnover by year, monthly returns (years x
    months) and the five worst drawdowns, as text (report/tables.py computes them)."""
    from fastbt.report.tables import drawdowns, monthly_returns, turnover, yearly_returns

    yearly = yearly_returns(result)
    monthly = monthly_returns(result)
    worst = drawdowns(result, top=5)
    periods = result.metrics["periods_per_year"]
    return {
        "turnover": f"{turnover(result):.2f}",
        "yearly": [
            (str(year), _percent(row["return"]), f"{row['turnover']:.2f}")
            for year, row in yearly.iterrows()
        ],
        "monthly": [
            (str(year), [_percent(v) for v in row.to_numpy()]) for year, row in monthly.iterrows()
        ],
        "drawdowns": [
            {
                "start": _time(d["start"], clock),
                "trough": _time(d["trough"], clock),
                "recovery": _time(d["recovery"], clock) or "not recovered",
                "depth": _percent(d["depth"]),
                "length": f"{d['length']:,} bars ({format_duration(d['length'], periods)})",
            }
            for d in worst.to_dict("records")
        ],
    }


def _charts(result, kinds: list[str], interactive: bool) -> list[dict]:
    """The report's charts: PNGs, or with ``interactive`` zoomable plotly charts in
    place of the equity and price PNGs (plotly.js inlined once, in the first)."""
    zoomable = {}
    if interactive:
        from fastbt.report.interactive import KINDS, interactive_html

        shown = [k for k in kinds if k in KINDS]
        zoomable = dict(zip(shown, interactive_html(result, shown), strict=True))
    return [
        {
            "kind": k,
            "title": CHART_TITLES[k],
            "html": markupsafe.Markup(zoomable[k]) if k in zoomable else None,
            "png": None if k in zoomable else to_base64(CHARTS[k](result)),
        }
        for k in kinds
    ]


def result_context(
    result, charts=tuple(CHART_TITLES), title: str | None = None, interactive: bool = False
) -> dict:
    """Everything the result template shows, as plain strings and lists."""
    index = result.equity.index
    clock = has_clock(index)
    first, last, hidden = trade_list(result.trades, clock, trail=result.options.trail)
    available = [k for k in charts if k != "price" or result.bars is not None]
    return {
        "title": title or f"Backtest: {describe(result)}",
        "generated": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "version": _version(),
        "strategy": result.strategy,
        "symbol": result.symbol or "(unnamed data)",
        "engine": result.engine,
        "start": _time(index[0], clock),
        "end": _time(index[-1], clock),
        "n_bars": f"{len(index):,}",
        "params": [(k, _plain(v)) for k, v in result.params.items()],
        "options": _options(result.options.as_dict()),
        "headline": [{"name": n, "value": format_metric(n, result.metrics[n])} for n in HEADLINE],
        "final_equity": f"{result.equity.iloc[-1]:,.2f}",
        "metrics": metric_rows(result.metrics),
        "charts": _charts(result, available, interactive),
        "trades_first": first,
        "trades_last": last,
        "trades_hidden": hidden,
        "n_trade_rows": len(result.trades),
        **tables_context(result, clock),
    }


def render_html(result, title: str | None = None, interactive: bool = False) -> str:
    """One self-contained HTML page reporting ``result`` (a ``fastbt.Result``);
    ``interactive=True`` makes the equity and price charts zoomable (the
    ``interactive`` extra; adds plotly.js, about 4.8 MB, once)."""
    context = result_context(result, title=title, interactive=interactive)
    return _environment().get_template("result.html.j2").render(**context)


def _grid_summary(table: pd.DataFrame, params: list[str]) -> list[dict]:
    return [
        {
            "name": name,
            "values": f"{table[name].nunique():,}",
            "low": _plain(table[name].min()),
            "high": _plain(table[name].max()),
        }
        for name in params
    ]


def _rows_view(
    rows: pd.DataFrame, params: list[str], metric: str
) -> tuple[list[str], list[list[str]]]:
    shown = list(
        dict.fromkeys(
            [
                "symbol",
                *params,
                metric,
                "total_return",
                "cagr",
                "max_drawdown",
                "n_trades",
                "win_rate",
            ]
        )
    )
    body = [
        [str(row["symbol"])]
        + [_plain(row[p]) for p in params]
        + [format_metric(m, row[m]) for m in shown[1 + len(params) :]]
        for _, row in rows[shown].iterrows()
    ]
    return shown, body


def heatmap_params(table: pd.DataFrame, params: list[str]) -> list[str]:
    """The (up to) two parameters a heatmap spans: the first two that take more than
    one value, so a grid varying window and overbought is not drawn over a fixed oversold."""
    varied = [p for p in params if table[p].nunique() > 1]
    return (varied + [p for p in params if p not in varied])[:2]


def sweep_facts(table: pd.DataFrame, min_trades: int = MIN_TRADES) -> list[tuple[str, str]]:
    """(name, text) facts of a sweep table: what ran, how many sets were ranked, how fast."""
    info = table.attrs.get("sweep", {})
    symbols = [str(s) for s in pd.unique(table["symbol"])]
    ranked = traded(table, min_trades)
    strategy = info.get("strategy")

    def number(key: str, pattern: str) -> str:
        value = info.get(key)
        if value is None:
            return "none computed" if info.get("n_computed") == 0 else "n/a"
        return pattern.format(value)

    resumed = (
        [("backtests read back (resumed)", f"{len(table) - info['n_computed']:,}")]
        if info.get("n_computed") is not None and info.get("n_resumed")
        else []
    )

    return [
        ("strategy", strategy or "n/a"),
        ("symbols", ", ".join(symbols)),
        ("parameter sets run", number("n_sets", "{:,}")),
        ("sets rejected by the strategy's rules", number("n_invalid", "{:,}")),
        ("combinations in the grid", number("n_total", "{:,}")),
        ("random sample", "yes" if info.get("sampled") else "no"),
        ("backtests (rows)", f"{len(table):,}"),
        ("closed trades a backtest needs to be ranked", f"{min_trades:,}"),
        ("backtests ranked", f"{len(ranked):,}"),
        ("backtests not ranked (fewer closed trades)", f"{len(table) - len(ranked):,}"),
        ("backtests computed by this run", number("n_computed", "{:,}")),
        *resumed,
        ("time", number("seconds", "{:.2f} s")),
        ("backtests per second", number("sets_per_second", "{:,.0f}")),
        ("bar evaluations per second", number("bar_evaluations_per_second", "{:.3g}")),
    ]


def sweep_context(
    table: pd.DataFrame,
    metric: str = "sharpe",
    top_n: int = 20,
    title: str | None = None,
    min_trades: int = MIN_TRADES,
) -> dict:
    """Everything the sweep template shows; ``table`` is what ``fastbt.sweep`` returns.
    Rankings count only the sets with at least ``min_trades`` closed trades."""
    from fastbt.kernels.metrics import METRIC_NAMES

    info = table.attrs.get("sweep", {})
    if metric not in METRIC_NAMES:
        raise ValueError(f"metric must be one of {', '.join(METRIC_NAMES)}, got {metric!r}")
    if len(table) == 0:
        raise ValueError("the sweep table is empty; nothing to report")
    strategy = info.get("strategy")
    not_params = {*METRIC_NAMES, "symbol", "periods_per_year"}
    params = [c for c in table.columns if c not in not_params]
    symbols = [str(s) for s in pd.unique(table["symbol"])]
    ranked = traded(table, min_trades)
    columns, leaders = _rows_view(top(ranked, top_n, metric, 0), params, metric)
    winning = best(ranked, metric, 0)
    _, winners = _rows_view(winning, params, metric)
    axes = heatmap_params(table, params)
    heatmaps = []
    if len(axes) == 2:
        heatmaps = [
            to_base64(sweep_heatmap(table, *axes, metric, symbol=s, min_trades=min_trades))
            for s in symbols[:HEATMAP_SYMBOLS]
        ]
    distributions = [
        to_base64(metric_distribution(table, m)) for m in dict.fromkeys([metric, "total_return"])
    ]

    summary = sweep_facts(table, min_trades)
    return {
        "title": title
        or f"Sweep: {strategy or 'strategy'} on {', '.join(symbols[:5])}{' ...' if len(symbols) > 5 else ''}",
        "generated": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "version": _version(),
        "metric": metric,
        "ranking": (
            f"among the {len(ranked):,} of {len(table):,} backtests with at least "
            f"{closed_trades(min_trades)}"
            if min_trades > 0
            else f"over all {len(table):,} backtests"
        ),
        "min_trades_text": closed_trades(min_trades),
        "unranked_symbols": [s for s in symbols if s not in set(winning["symbol"])],
        "summary": summary,
        "options": _options(info.get("options", {})),
        "grid": _grid_summary(table, params),
        "top_n": min(top_n, len(ranked)),
        "columns": columns,
        "leaders": leaders,
        "winners": winners,
        "heatmaps": heatmaps,
        "heatmap_axes": axes,
        "heatmap_note": (
            f"first {HEATMAP_SYMBOLS} of {len(symbols)} symbols"
            if len(symbols) > HEATMAP_SYMBOLS
            else ""
        ),
        "distributions": distributions,
    }


def verdict_context(table: pd.DataFrame, verdict=None) -> list[dict]:
    """The "Is the best set real?" section: per symbol, the verdict's facts and its PBO
    chart (logit histogram, split winners in vs out of sample); empty for a sweep
    without block statistics (``fastbt.sweep(..., blocks=16)``)."""
    from fastbt.sweep.blocks import ATTR
    from fastbt.sweep.verdict import sweep_verdict, verdict_facts

    if verdict is None:
        if ATTR not in table.attrs:
            return []
        verdict = sweep_verdict(table)
    return [
        {
            "symbol": row.symbol,
            "facts": verdict_facts(row),
            "png": to_base64(verdict.pbo[row.symbol].plot()) if row.symbol in verdict.pbo else None,
        }
        for _, row in verdict.table.iterrows()
    ]


def render_sweep_html(
    table: pd.DataFrame,
    metric: str = "sharpe",
    top_n: int = 20,
    title: str | None = None,
    min_trades: int = MIN_TRADES,
    verdict=None,
) -> str:
    """One self-contained HTML page reporting a sweep table; rankings count only the
    sets with at least ``min_trades`` closed trades (0: every set). A sweep run with
    ``blocks=`` also gets "Is the best set real?" (``verdict``: a ``SweepVerdict``
    already computed, else computed here)."""
    context = sweep_context(table, metric, top_n, title, min_trades)
    context["verdict"] = verdict_context(table, verdict)
    return _environment().get_template("sweep.html.j2").render(**context)


def write_html(page: str, path) -> Path:
    """Write a rendered page to ``path`` (UTF-8), creating its directory."""
    path = Path(path)
    if path.is_dir():
        raise ValueError(f"{path} is a directory; give a file name ending in .html")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
    return path
