"""Rich display in Jupyter: an HTML summary (facts, headline metrics, a small equity
chart as an inline PNG) for ``Result`` and sweep tables, built by ``summary_html``
so any other result object can show itself the same way.

Nothing here imports matplotlib at module level: ``import fastbt`` stays light.
"""

import html
from dataclasses import dataclass

import pandas as pd

RESULT_HEADLINE = (
    "total_return",
    "cagr",
    "sharpe",
    "sortino",
    "max_drawdown",
    "volatility",
    "n_trades",
    "win_rate",
    "profit_factor",
    "exposure",
)
THUMBNAIL_SIZE = (5.0, 2.2)  # inches: small enough to sit beside the metrics table
SWEEP_TOP = 5

_STYLE = (
    "<style>"
    ".fastbt-summary table{border-collapse:collapse;font-size:12px;margin:0}"
    ".fastbt-summary td,.fastbt-summary th{padding:2px 8px;text-align:left}"
    ".fastbt-summary td.num,.fastbt-summary th.num{text-align:right}"
    ".fastbt-summary .fastbt-cols>div{display:inline-block;vertical-align:top;margin-right:16px}"
    "</style>"
)


def _table(rows: list[tuple[str, str]], head: tuple[str, str] | None = None) -> str:
    """Two-column HTML table of (name, value) rows, every string escaped."""
    header = ""
    if head is not None:
        header = (
            f"<tr><th>{html.escape(head[0])}</th><th class='num'>{html.escape(head[1])}</th></tr>"
        )
    body = "".join(
        f"<tr><td>{html.escape(str(name))}</td><td class='num'>{html.escape(str(value))}</td></tr>"
        for name, value in rows
    )
    return f"<table>{header}{body}</table>"


def summary_html(
    title: str,
    facts: list[tuple[str, str]],
    metrics: list[tuple[str, str]],
    png: bytes | None = None,
    extra: str = "",
    head: tuple[str, str] = ("metric", "value"),
) -> str:
    """The HTML every fastbt result object shows in a notebook: a bold ``title``,
    ``facts`` and ``metrics`` (headed ``head``) as (name, text) tables side by side,
    then an inline PNG (``png``), then ``extra`` (HTML the caller built and escaped)."""
    from fastbt.report.figures import to_base64

    image = ""
    if png is not None:
        image = (
            f"<div><img alt='equity' style='max-width:480px' "
            f"src='data:image/png;base64,{to_base64(png)}'></div>"
        )
    return (
        f"<div class='fastbt-summary'>{_STYLE}"
        f"<p><strong>{html.escape(title)}</strong></p>"
        f"<div class='fastbt-cols'><div>{_table(facts)}</div>"
        f"<div>{_table(metrics, head)}</div>{image}</div>{extra}</div>"
    )


def equity_thumbnail(equity: pd.Series, cash: float | None = None) -> bytes:
    """A small PNG of an equity curve (thinned like every chart), with the starting
    ``cash`` as a dotted line, for ``summary_html``."""
    from fastbt.report.figures import PALETTE, new_figure, themed, to_png

    @themed
    def draw():
        from fastbt.report.downsample import line_points

        figure, (ax,) = new_figure(height=THUMBNAIL_SIZE[1], width=THUMBNAIL_SIZE[0])
        values = equity.to_numpy(dtype="float64")
        keep = line_points(values)
        ax.plot(equity.index[keep], values[keep], color=PALETTE["strategy"], lw=1.2)
        if cash is not None:
            ax.axhline(cash, color=PALETTE["benchmark"], lw=0.8, ls=":")
        ax.set_title("equity", fontsize=9)
        ax.tick_params(labelsize=7)
        ax.margins(x=0.01)
        return figure

    return to_png(draw(), dpi=80)


def result_html(result) -> str:
    """``Result._repr_html_``: what ran, on what, and its headline metrics and equity."""
    from fastbt.formatting import format_metric
    from fastbt.report.charts import describe
    from fastbt.report.html import _time, has_clock

    index = result.equity.index
    clock = has_clock(index)
    facts = [
        ("symbol", result.symbol or "(unnamed data)"),
        ("bars", f"{len(index):,}"),
        ("from", _time(index[0], clock)),
        ("to", _time(index[-1], clock)),
        ("final equity", f"{result.equity.iloc[-1]:,.2f}"),
        ("engine", result.engine),
    ]
    metrics = [(n, format_metric(n, result.metrics[n])) for n in RESULT_HEADLINE]
    png = equity_thumbnail(result.equity, result.options.cash)
    return summary_html(f"Backtest: {describe(result)}", facts, metrics, png)


@dataclass(frozen=True, repr=False)
class SweepSummary:
    """What a sweep table holds, for a notebook (``fastbt.sweep_summary``): its counts,
    the best set per symbol and, when two parameters vary, a heatmap of ``metric``."""

    table: pd.DataFrame
    metric: str = "sharpe"
    top_n: int = SWEEP_TOP
    min_trades: int = 1

    def facts(self) -> list[tuple[str, str]]:
        from fastbt.report.html import sweep_facts

        return sweep_facts(self.table, self.min_trades)

    def best(self) -> pd.DataFrame:
        """The best set per symbol by ``metric`` (``fastbt.best``)."""
        from fastbt.sweep.analysis import best

        return best(self.table, self.metric, self.min_trades)

    def top(self) -> pd.DataFrame:
        """The ``top_n`` best sets by ``metric`` (``fastbt.top``)."""
        from fastbt.sweep.analysis import top

        return top(self.table, self.top_n, self.metric, self.min_trades)

    def _repr_html_(self) -> str:
        from fastbt.report.html import heatmap_params
        from fastbt.report.sweep_charts import sweep_heatmap

        info = self.table.attrs.get("sweep", {})
        params = sweep_params(self.table)
        axes = heatmap_params(self.table, params)
        png = None
        symbols = pd.unique(self.table["symbol"])
        if len(axes) == 2:
            figure = sweep_heatmap(
                self.table, *axes, self.metric, symbol=symbols[0], min_trades=self.min_trades
            )
            png = figure._repr_png_()
        top = self.top()
        extra = f"<p>Top {len(top)} by {html.escape(self.metric)}:</p>" + top.to_html(
            index=False, float_format=lambda v: f"{v:.4g}"
        )
        return summary_html(
            f"Sweep: {info.get('strategy', 'strategy')} on {', '.join(map(str, symbols[:5]))}",
            self.facts(),
            [
                (str(row["symbol"]), _best_text(row, params, self.metric))
                for _, row in self.best().iterrows()
            ],
            png,
            extra,
            head=("symbol", f"best set by {self.metric}"),
        )

    def __repr__(self) -> str:
        facts = "; ".join(f"{k}: {v}" for k, v in self.facts()[:6])
        return f"<SweepSummary {facts}>"


def sweep_params(table: pd.DataFrame) -> list[str]:
    """The parameter columns of a sweep table (neither metrics nor bookkeeping)."""
    from fastbt.kernels.metrics import METRIC_NAMES

    not_params = {*METRIC_NAMES, "symbol", "periods_per_year"}
    return [c for c in table.columns if c not in not_params]


def _best_text(row, params: list[str], metric: str) -> str:
    """``fast=10 slow=30: sharpe 1.03``: a best set and its metric."""
    from fastbt.formatting import format_metric
    from fastbt.report.html import _plain

    chosen = " ".join(f"{p}={_plain(row[p])}" for p in params)
    return f"{chosen}: {metric} {format_metric(metric, row[metric])}"


def sweep_summary(
    table: pd.DataFrame, metric: str = "sharpe", top_n: int = SWEEP_TOP, min_trades: int = 1
) -> SweepSummary:
    """A ``SweepSummary`` of what ``fastbt.sweep`` returned; in a notebook it shows the
    sweep's counts, the best set per symbol, a heatmap and the top ``top_n`` sets.
    (The table stays a plain DataFrame: pandas shows it as pandas does.)"""
    from fastbt.kernels.metrics import METRIC_NAMES

    if metric not in METRIC_NAMES:
        raise ValueError(f"metric must be one of {', '.join(METRIC_NAMES)}, got {metric!r}")
    if len(table) == 0:
        raise ValueError("the sweep table is empty; nothing to summarise")
    return SweepSummary(table, metric, top_n, min_trades)


def plot_sweep(
    table: pd.DataFrame,
    x: str,
    y: str,
    metric: str = "sharpe",
    symbol: str | None = None,
    min_trades: int = 1,
):
    """Heatmap of ``metric`` over parameters ``x`` and ``y`` of a sweep table (a
    matplotlib Figure that shows itself in a notebook); see ``report.sweep_heatmap``."""
    from fastbt.report.sweep_charts import sweep_heatmap

    return sweep_heatmap(table, x, y, metric, symbol=symbol, min_trades=min_trades)
