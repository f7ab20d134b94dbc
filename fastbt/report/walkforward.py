"""The walk-forward report: stitched equity against buy and hold, the chosen
parameters over time, the per-window table and the summary (docs/reports.md)."""

import datetime as dt
import math

import pandas as pd
from matplotlib.figure import Figure

from fastbt.formatting import format_metric
from fastbt.report.charts import drawdown_chart, equity_chart
from fastbt.report.figures import PALETTE, new_figure, themed, to_base64
from fastbt.report.html import _environment, _options, _version, has_clock, metric_rows
from fastbt.walkforward.text import SHOWN, summary_rows

# Short headings of the window table's metric columns (``SHOWN`` order).
HEADERS = ("IS Sharpe", "IS return", "OOS return", "OOS Sharpe", "OOS drawdown", "OOS trades")


@themed
def chosen_params_chart(wf) -> Figure:
    """One panel per parameter: the set chosen for each out-of-sample window, held
    from the window's first bar to its last."""
    names = wf.params
    figure, axes = new_figure(rows=len(names), height=1.2 + 1.4 * len(names))
    table = wf.windows
    for ax, name in zip(axes, names, strict=True):
        for _, row in table.iterrows():
            value = row[name]
            if value is None or (isinstance(value, float) and math.isnan(value)):
                continue
            ax.hlines(value, row["oos_first"], row["oos_last"], color=PALETTE["strategy"], lw=2.5)
        ax.plot(table["oos_first"], table[name], "o", color=PALETTE["strategy"], ms=3)
        ax.set_ylabel(name)
    axes[0].set_title("Chosen parameters per out-of-sample window")
    return figure


def _cell(value, metric: str | None = None) -> str:
    if metric is not None:
        return format_metric(metric, value)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "none"
    return f"{value:g}" if isinstance(value, float) else str(value)


def walkforward_context(wf, title: str | None = None) -> dict:
    """Everything the walk-forward template shows, as plain strings and lists."""
    s = wf.settings
    table = wf.windows
    clock = has_clock(pd.DatetimeIndex(table["oos_first"]))
    when = (lambda t: str(t)) if clock else (lambda t: t.date().isoformat())
    columns = ["#", "in-sample", "out-of-sample", *wf.params, *HEADERS, "OOS rank"]
    rows = [
        [
            str(r["window"]),
            f"{when(r['is_first'])} .. {when(r['is_last'])}",
            f"{when(r['oos_first'])} .. {when(r['oos_last'])}",
            *[_cell(r[name]) for name in wf.params],
            *[_cell(r[column], metric) for column, metric in SHOWN.items()],
            f"{r['oos_rank']:g}/{r['n_sets']}",
        ]
        for r in table.to_dict("records")
    ]
    result = wf.result
    charts = []
    if result is not None:
        charts = [to_base64(equity_chart(result)), to_base64(drawdown_chart(result))]
    settings = [
        (name, str(s[name]))
        for name in ("is_bars", "oos_bars", "step", "gap", "anchored", "keep_partial",
                     "objective", "min_trades", "stitch")
    ]  # fmt: skip
    return {
        "title": title or f"Walk-forward: {s['strategy']} on {s['symbol'] or 'data'}",
        "generated": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "version": _version(),
        "summary": summary_rows(wf),
        "settings": settings,
        "options": _options(result.options.as_dict()) if result is not None else [],
        "columns": columns,
        "rows": rows,
        "note": wf.note,
        "charts": charts,
        "params_chart": to_base64(chosen_params_chart(wf)),
        "metrics": metric_rows(result.metrics) if result is not None else [],
    }


def render_walkforward_html(wf, title: str | None = None) -> str:
    """One self-contained HTML page reporting a ``fastbt.WalkForward``."""
    context = walkforward_context(wf, title)
    return _environment().get_template("walkforward.html.j2").render(**context)
