"""Charts, HTML and PDF reports of backtests and sweeps (docs/reports.md)."""

from fastbt.report.charts import (
    CHARTS,
    chart,
    drawdown_chart,
    equity_chart,
    monthly_returns_chart,
    price_chart,
    returns_chart,
)
from fastbt.report.figures import save, to_base64, to_png
from fastbt.report.html import render_html, render_sweep_html, write_html
from fastbt.report.interactive import interactive_chart
from fastbt.report.pdf import write_pdf
from fastbt.report.sweep_charts import metric_distribution, sweep_heatmap
from fastbt.report.tables import drawdowns, monthly_returns, turnover, yearly_returns


def chart_png(result, kind: str) -> bytes:
    """PNG bytes of ``chart(result, kind)``."""
    return to_png(chart(result, kind))


__all__ = [
    "CHARTS",
    "chart",
    "chart_png",
    "drawdown_chart",
    "drawdowns",
    "equity_chart",
    "interactive_chart",
    "metric_distribution",
    "monthly_returns",
    "monthly_returns_chart",
    "price_chart",
    "render_html",
    "render_sweep_html",
    "returns_chart",
    "save",
    "sweep_heatmap",
    "to_base64",
    "to_png",
    "turnover",
    "write_html",
    "write_pdf",
    "yearly_returns",
]
