"""Zoomable charts with plotly (the optional ``interactive`` extra): equity, and price
with indicators, trades and equity on one shared time axis.

Why plotly: notebooks (JupyterLab, VS Code, Colab) draw its figures with no setup
step and store only the figure's JSON in the .ipynb, and the HTML report can hold
plotly.js once, inline, so it still opens offline. See docs/reports.md for the
size this adds and the comparison with bokeh.
"""

import numpy as np
import pandas as pd

from fastbt.report.charts import (
    ENTRY_STYLES,
    EXIT_STYLES,
    _need_bars,
    describe,
    exit_label,
    strategy_indicators,
)
from fastbt.report.downsample import line_points, marker_points
from fastbt.report.figures import PALETTE

KINDS = ("equity", "price")
# More than the static charts draw: a zoom shows detail. Still thinned for 1e6 bars.
MAX_POINTS = 20_000
MAX_TRADE_MARKERS = 5_000
# matplotlib marker -> plotly symbol, for the styles the static price chart uses
SYMBOLS = {
    "^": "triangle-up",
    "v": "triangle-down",
    "o": "circle",
    "D": "diamond",
    "s": "square",
    "*": "star",
    "d": "diamond-tall",
    "X": "x",
}


def _plotly():
    try:
        import plotly.graph_objects as go
        from plotly.subplots import make_subplots
    except ImportError as missing:
        raise ImportError(
            "interactive charts need the optional package 'plotly': "
            "pip install 'fastbt[interactive]' (or leave interactive off for the static charts)"
        ) from missing
    return go, make_subplots


def _line(go, series: pd.Series, name: str, **line):
    values = series.to_numpy(dtype="float64")
    keep = line_points(values, MAX_POINTS)
    return go.Scatter(x=series.index[keep], y=values[keep], mode="lines", name=name, line=line)


def _markers(go, times, prices, name: str, marker: str, color: str, text):
    """One kind of trade marker (at most ``MAX_TRADE_MARKERS``), hover text per trade."""
    keep = marker_points(np.arange(len(times)), MAX_TRADE_MARKERS)
    if len(keep) < len(times):
        name = f"{name} ({len(keep):,} of {len(times):,} shown)"
    return go.Scatter(
        x=pd.DatetimeIndex(times)[keep],
        y=np.asarray(prices, dtype="float64")[keep],
        mode="markers",
        name=name,
        marker={"symbol": SYMBOLS[marker], "color": color, "size": 9, "line": {"width": 0.5}},
        text=[text[k] for k in keep],
        hoverinfo="x+y+text+name",
    )


def _trade_text(trades: pd.DataFrame) -> list[str]:
    return [
        f"trade {k + 1}: {t['direction']} {t['qty']:g} @ {t['entry_price']:.6g}"
        + ("" if pd.isna(t["pnl"]) else f", pnl {t['pnl']:,.2f} ({t['return']:.2%})")
        for k, t in enumerate(trades.to_dict("records"))
    ]


def _equity_traces(go, result) -> list:
    traces = [_line(go, result.equity, "strategy", color=PALETTE["strategy"], width=1.6)]
    if result.bars is not None:
        close = result.bars["close"]
        hold = result.options.cash * close / close.iloc[0]
        traces.append(
            _line(go, hold, "buy and hold", color=PALETTE["benchmark"], width=1, dash="dash")
        )
    return traces


def _price_traces(go, result) -> list:
    """Entries by direction at fill prices, exits by reason, as in the static chart."""
    trades = result.trades
    text = np.array(_trade_text(trades), dtype=object)
    traces = []
    for direction, (label, marker, color) in ENTRY_STYLES.items():
        chosen = (trades["direction"] == direction).to_numpy()
        side = trades[chosen]
        if len(side):
            traces.append(
                _markers(
                    go, side["entry_time"], side["entry_price"], label, marker, color, text[chosen]
                )
            )
    closed = (trades["status"] == "closed").to_numpy()
    labels = np.array([exit_label(r, result.options.trail) for r in trades["exit_reason"]])
    for label, (marker, color) in EXIT_STYLES.items():
        chosen = closed & (labels == label)
        kind = trades[chosen]
        if len(kind):
            traces.append(
                _markers(
                    go,
                    kind["exit_time"],
                    kind["exit_price"],
                    f"exit: {label}",
                    marker,
                    color,
                    text[chosen],
                )
            )
    return traces


def interactive_chart(result, kind: str = "price"):
    """A zoomable plotly Figure of ``result``: ``equity`` (equity and buy and hold) or
    ``price`` (close, the strategy's indicators, every trade, and equity below)."""
    if kind not in KINDS:
        raise ValueError(f"interactive chart must be one of {', '.join(KINDS)}, got {kind!r}")
    go, make_subplots = _plotly()
    if kind == "equity":
        figure = go.Figure(_equity_traces(go, result))
        figure.update_yaxes(title_text="equity")
        title = f"Equity: {describe(result)}"
    else:
        bars = _need_bars(result, "price")
        indicators = strategy_indicators(result)
        panels = [i for i in indicators if not i.overlay]
        heights = [3] + [1] * len(panels) + [1.5]
        figure = make_subplots(
            rows=len(heights),
            cols=1,
            shared_xaxes=True,
            vertical_spacing=0.03,
            row_heights=[h / sum(heights) for h in heights],
        )
        figure.add_trace(_line(go, bars["close"], "close", color="#333333", width=1), row=1, col=1)
        for indicator in indicators:
            row = 1 if indicator.overlay else 2 + panels.index(indicator)
            series = pd.Series(indicator.values, index=bars.index)
            figure.add_trace(_line(go, series, indicator.name, width=1), row=row, col=1)
            for level in indicator.levels:
                figure.add_hline(y=level, line={"dash": "dot", "width": 1}, row=row, col=1)
            if not indicator.overlay:
                figure.update_yaxes(title_text=indicator.name, row=row, col=1)
        for trace in _price_traces(go, result):
            figure.add_trace(trace, row=1, col=1)
        for trace in _equity_traces(go, result):
            figure.add_trace(trace, row=len(heights), col=1)
        figure.update_yaxes(title_text="close", row=1, col=1)
        figure.update_yaxes(title_text="equity", row=len(heights), col=1)
        title = f"Price, trades and equity: {describe(result)}"
    figure.update_layout(
        title=title,
        template="plotly_white",
        height=360 if kind == "equity" else 560 + 140 * len(panels),
        hovermode="closest",
        legend={"font": {"size": 10}},
        margin={"l": 60, "r": 20, "t": 50, "b": 40},
    )
    return figure


def interactive_html(result, kinds=KINDS, include_plotlyjs: bool = True) -> list[str]:
    """HTML fragments (a div and its script) of the ``kinds`` charts for the report;
    plotly.js is inlined in the first fragment only (``include_plotlyjs``), so a
    report carries it once and needs no network."""
    fragments = []
    for kind in kinds:
        figure = interactive_chart(result, kind)
        fragments.append(
            figure.to_html(
                full_html=False,
                include_plotlyjs=include_plotlyjs and not fragments,
                config={"displaylogo": False, "responsive": True},
            )
        )
    return fragments
