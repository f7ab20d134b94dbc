"""The portfolio report: equity against equal-weight buy and hold, drawdown, the weights
held over time, each symbol's contribution, and the trades with symbols
(docs/portfolios.md, "Reports")."""

import datetime as dt

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, PercentFormatter

from fastbt.formatting import format_metric
from fastbt.report.charts import drawdown_series
from fastbt.report.downsample import line_points
from fastbt.report.figures import PALETTE, new_figure, themed, to_base64
from fastbt.report.html import (
    _environment,
    _options,
    _plain,
    _time,
    _version,
    has_clock,
    metric_rows,
    trade_list,
)

HEADLINE = ("total_return", "cagr", "sharpe", "max_drawdown", "n_trades", "buy_and_hold_return")
_MONEY = FuncFormatter(lambda value, _: f"{value:,.0f}")


def describe(result) -> str:
    """``momentum_rotation(lookback=126, top_k=2, rebalance=M) on 3 symbols``."""
    params = ", ".join(f"{k}={_plain(v)}" for k, v in result.params.items())
    return f"{result.strategy}({params}) on {len(result.symbols)} symbols"


def equal_weight_hold(result) -> pd.Series:
    """The starting cash split equally over the symbols at the first close and held."""
    close = result.close
    return (result.options.cash * (close / close.iloc[0]).mean(axis=1)).rename("buy and hold")


def _thin(series: pd.Series) -> pd.Series:
    return series.iloc[line_points(series.to_numpy())]


@themed
def portfolio_equity_chart(result) -> Figure:
    figure, (ax,) = new_figure()
    for series, style in (
        (result.equity, dict(color=PALETTE["strategy"], lw=1.4, label="portfolio")),
        (
            equal_weight_hold(result),
            dict(color=PALETTE["benchmark"], lw=1.0, ls="--", label="equal-weight buy and hold"),
        ),
    ):
        thin = _thin(series)
        ax.plot(thin.index, thin.to_numpy(), **style)
    ax.set_title(f"Equity: {describe(result)}")
    ax.set_ylabel("equity")
    ax.yaxis.set_major_formatter(_MONEY)
    ax.legend(loc="upper left", fontsize=8, frameon=True)
    ax.margins(x=0.01)
    return figure


@themed
def portfolio_drawdown_chart(result) -> Figure:
    figure, (ax,) = new_figure(height=2.6)
    drawdown = _thin(drawdown_series(result.equity))
    ax.fill_between(
        drawdown.index, drawdown.to_numpy(), 0.0, color=PALETTE["drawdown"], alpha=0.35, lw=0
    )
    ax.plot(drawdown.index, drawdown.to_numpy(), color=PALETTE["drawdown"], lw=0.9)
    ax.set_title("Drawdown")
    ax.set_ylabel("below peak")
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.margins(x=0.01)
    return figure


@themed
def weights_chart(result) -> Figure:
    """Stacked area of the weights held at each close; the rest up to 1 is cash."""
    figure, (ax,) = new_figure(height=3.2)
    weights = result.weights.fillna(0.0)
    keep = line_points(weights.sum(axis=1).to_numpy())
    weights = weights.iloc[keep]
    ax.stackplot(weights.index, weights.to_numpy().T, labels=list(result.symbols), lw=0)
    ax.set_ylim(0.0, max(1.0, float(weights.sum(axis=1).max())))
    ax.set_title("Weights held (value / equity at each close; the gap to 100% is cash)")
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    if len(result.symbols) <= 12:
        ax.legend(loc="upper left", fontsize=7, ncol=min(6, len(result.symbols)), frameon=True)
    ax.margins(x=0.0)
    return figure


@themed
def contribution_chart(result) -> Figure:
    contribution = result.contribution
    figure, (ax,) = new_figure(height=max(2.0, 0.5 + 0.25 * len(contribution)), sharex=False)
    colors = [PALETTE["entry"] if v >= 0 else PALETTE["exit"] for v in contribution.to_numpy()]
    ax.barh(list(contribution.index)[::-1], contribution.to_numpy()[::-1], color=colors[::-1])
    ax.axvline(0.0, color="black", lw=0.6)
    ax.set_title("Contribution to the total return (pnl / starting cash, fees included)")
    ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=1))
    return figure


def portfolio_context(result, title: str | None = None) -> dict:
    """Everything the portfolio template shows, as plain strings and lists."""
    index = result.equity.index
    clock = has_clock(index)
    first, last, hidden = trade_list(result.trades, clock, trail=result.options.trail)
    contribution = result.contribution
    return {
        "title": title or f"Portfolio: {describe(result)}",
        "generated": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "version": _version(),
        "facts": [
            ("symbols", ", ".join(result.symbols)),
            ("bars", f"{len(index):,}"),
            ("from", _time(index[0], clock)),
            ("to", _time(index[-1], clock)),
            ("final equity", f"{result.equity.iloc[-1]:,.2f}"),
            ("order sequence", result.order_sequence),
            ("partial buys", str(result.partial)),
            ("engine", result.engine),
        ],
        "params": [(k, _plain(v)) for k, v in result.params.items()],
        "options": _options(result.options.as_dict()),
        "headline": [{"name": n, "value": format_metric(n, result.metrics[n])} for n in HEADLINE],
        "metrics": metric_rows(result.metrics),
        "charts": [
            to_base64(chart(result))
            for chart in (portfolio_equity_chart, portfolio_drawdown_chart, weights_chart)
        ],
        "contribution_chart": to_base64(contribution_chart(result)),
        "contribution": [(symbol, f"{100 * value:.2f}%") for symbol, value in contribution.items()],
        "trades_first": first,
        "trades_last": last,
        "trades_hidden": hidden,
        "n_trade_rows": len(result.trades),
    }


def render_portfolio_html(result, title: str | None = None) -> str:
    """One self-contained HTML page reporting a ``fastbt.PortfolioResult``."""
    context = portfolio_context(result, title)
    return _environment().get_template("portfolio.html.j2").render(**context)


def portfolio_summary_html(result) -> str:
    """``PortfolioResult._repr_html_``: what ran, headline metrics, the weights chart."""
    from fastbt.display import summary_html
    from fastbt.report.figures import to_png

    index = result.equity.index
    clock = has_clock(index)
    facts = [
        ("symbols", f"{len(result.symbols)}: {', '.join(result.symbols[:6])}"
         + (" ..." if len(result.symbols) > 6 else "")),
        ("bars", f"{len(index):,}"),
        ("from", _time(index[0], clock)),
        ("to", _time(index[-1], clock)),
        ("final equity", f"{result.equity.iloc[-1]:,.2f}"),
        ("engine", result.engine),
    ]  # fmt: skip
    metrics = [(n, format_metric(n, result.metrics[n])) for n in HEADLINE]
    return summary_html(
        f"Portfolio: {describe(result)}", facts, metrics, to_png(weights_chart(result), dpi=60)
    )
