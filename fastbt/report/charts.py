"""Charts of one backtest: equity, drawdown, bar returns, monthly returns, price.

Each takes a ``Result`` and returns a matplotlib ``Figure`` (see ``figures`` for
PNG/SVG/base64 output). Numbers are computed on every bar; only what is drawn
is thinned (``downsample``), so a 1,000,000-bar chart takes a second, not minutes.
"""

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, PercentFormatter

from fastbt.data.validate import bar_arrays
from fastbt.report.downsample import line_points, marker_points
from fastbt.report.figures import PALETTE, new_figure, themed
from fastbt.report.tables import monthly_returns
from fastbt.strategies import get_strategy

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONEY = FuncFormatter(lambda value, _: f"{value:,.0f}")


def describe(result) -> str:
    """``ma_cross(fast=10, slow=30) on GOOG``, for titles."""
    params = ", ".join(
        f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in result.params.items()
    )
    where = f" on {result.symbol}" if result.symbol else ""
    return f"{result.strategy}({params}){where}"


def _draw_line(ax, series: pd.Series, **style):
    """Plot ``series`` thinned to what a line can show."""
    values = series.to_numpy(dtype="float64")
    keep = line_points(values)
    return ax.plot(series.index[keep], values[keep], **style)[0]


# How the price chart marks trades: entries by direction, exits by why they closed.
ENTRY_STYLES = {  # direction -> (legend label, marker, colour)
    "long": ("entry (long)", "^", PALETTE["entry"]),
    "short": ("entry (short)", "v", "#7b3294"),
}
EXIT_STYLES = {  # exit_label -> (marker, colour)
    "signal": ("o", PALETTE["exit"]),
    "reverse": ("D", "#2c7bb6"),
    "stop-loss": ("s", "#b2182b"),
    "trailing stop": ("s", PALETTE["accent"]),
    "take-profit": ("*", "#1b7837"),
    "end": ("d", PALETTE["benchmark"]),
    "ruin": ("X", "black"),
}
_REASON_LABELS = {"sl": "stop-loss", "tp": "take-profit"}


def exit_label(reason, trail: bool) -> str:
    """Why a trade closed, for people: the stop-loss of a trailing run is a trailing
    stop; blank while the trade is open."""
    if pd.isna(reason):
        return ""
    if reason == "sl" and trail:
        return "trailing stop"
    return _REASON_LABELS.get(reason, reason)


def _trade_markers(ax, times, prices: np.ndarray, label: str, marker: str, color: str) -> None:
    """One kind of trade marker, at most ``MAX_MARKERS`` of them (the legend says so)."""
    total = len(times)
    if total == 0:
        return
    keep = marker_points(np.arange(total))
    if len(keep) < total:
        label = f"{label} ({len(keep):,} of {total:,} shown)"
    ax.scatter(
        pd.DatetimeIndex(times)[keep],
        np.asarray(prices)[keep],
        marker=marker,
        color=color,
        s=60 if marker == "*" else 36,
        zorder=3,
        label=label,
        edgecolors="white",
        linewidths=0.5,
    )


def _price_markers(ax, result) -> None:
    """Entries at their fill prices by direction, exits by reason (``exit_label``)."""
    trades = result.trades
    for direction, (label, marker, color) in ENTRY_STYLES.items():
        side = trades[trades["direction"] == direction]
        _trade_markers(ax, side["entry_time"], side["entry_price"], label, marker, color)
    closed = trades[trades["status"] == "closed"]
    labels = np.array([exit_label(r, result.options.trail) for r in closed["exit_reason"]])
    for label, (marker, color) in EXIT_STYLES.items():
        kind = closed[labels == label]
        _trade_markers(ax, kind["exit_time"], kind["exit_price"], f"exit: {label}", marker, color)


def _need_bars(result, chart: str) -> pd.DataFrame:
    if result.bars is None:
        raise ValueError(f"the {chart} chart needs the bars; this Result was loaded without them")
    return result.bars


@themed
def equity_chart(result) -> Figure:
    """Equity curve with buy-and-hold of the same starting cash (and of the benchmark,
    when the run had one) and trade markers."""
    figure, (ax,) = new_figure()
    equity = result.equity
    _draw_line(ax, equity, color=PALETTE["strategy"], lw=1.4, label="strategy")
    if result.bars is not None:
        close = result.bars["close"]
        hold = result.options.cash * close / close.iloc[0]
        _draw_line(ax, hold, color=PALETTE["benchmark"], lw=1.0, ls="--", label="buy and hold")
    benchmark = result.extra.get("benchmark")
    if benchmark is not None:
        held = result.options.cash * benchmark / benchmark.iloc[0]
        _draw_line(ax, held, color=PALETTE["accent"], lw=1.0, label="benchmark")
    trades = result.trades
    values = equity.to_numpy()
    _trade_markers(
        ax,
        trades["entry_time"],
        values[trades["entry_bar"].to_numpy()],
        "entry",
        "^",
        PALETTE["entry"],
    )
    closed = trades[trades["status"] == "closed"]
    _trade_markers(
        ax,
        closed["exit_time"],
        values[closed["exit_bar"].to_numpy(dtype="int64")],
        "exit",
        "v",
        PALETTE["exit"],
    )
    ax.set_title(f"Equity: {describe(result)}")
    ax.set_ylabel("equity")
    ax.yaxis.set_major_formatter(_MONEY)
    ax.legend(loc="upper left", fontsize=8, frameon=True)
    ax.margins(x=0.01)
    return figure


def drawdown_series(equity: pd.Series) -> pd.Series:
    """Fall from the running peak, as a (negative) fraction, on every bar."""
    return (equity / equity.cummax() - 1.0).rename("drawdown")


@themed
def drawdown_chart(result) -> Figure:
    """Underwater chart: how far equity is below its running peak, bar by bar."""
    figure, (ax,) = new_figure(height=2.8)
    drawdown = drawdown_series(result.equity)
    values = drawdown.to_numpy()
    keep = line_points(values)
    times = drawdown.index[keep]
    ax.fill_between(times, values[keep], 0.0, color=PALETTE["drawdown"], alpha=0.35, lw=0)
    ax.plot(times, values[keep], color=PALETTE["drawdown"], lw=0.9, label="drawdown")
    worst = int(np.argmin(values))
    ax.scatter([drawdown.index[worst]], [values[worst]], color="black", s=18, zorder=3)
    ax.annotate(
        f"max {values[worst]:.1%}",
        (drawdown.index[worst], values[worst]),
        xytext=(6, -2),
        textcoords="offset points",
        fontsize=8,
        va="top",
    )
    ax.set_title(f"Drawdown: {describe(result)}")
    ax.set_ylabel("below peak")
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_ylim(min(values[worst] * 1.15, -0.01), 0.002)
    ax.margins(x=0.01)
    return figure


def bar_returns(equity: pd.Series) -> pd.Series:
    """Equity return of each bar after the first."""
    values = equity.to_numpy(dtype="float64")
    return pd.Series(values[1:] / values[:-1] - 1.0, index=equity.index[1:], name="return")


@themed
def returns_chart(result, bins: int = 80) -> Figure:
    """Histogram of bar returns while in the market (flat bars, exactly 0, are counted
    in the legend but not drawn: they would hide the shape)."""
    figure, (ax,) = new_figure(height=3.2)
    returns = bar_returns(result.equity).to_numpy()
    moving = returns[returns != 0.0]
    flat = len(returns) - len(moving)
    if len(moving):
        ax.hist(moving, bins=bins, color=PALETTE["strategy"], alpha=0.8, edgecolor="white", lw=0.3)
        mean = float(np.mean(moving))
        ax.axvline(mean, color=PALETTE["accent"], lw=1.2, label=f"mean {mean:.3%}")
        ax.axvline(0.0, color="black", lw=0.6)
        ax.legend(
            loc="upper right",
            fontsize=8,
            title=f"{len(moving):,} bars; {flat:,} flat",
            title_fontsize=8,
        )
    else:
        ax.text(0.5, 0.5, "no bar in the market", transform=ax.transAxes, ha="center")
    ax.set_title(f"Bar returns: {describe(result)}")
    ax.set_xlabel("return per bar")
    ax.set_ylabel("bars")
    ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=1))
    return figure


@themed
def monthly_returns_chart(result) -> Figure:
    """Heatmap of monthly returns, years down, months across, green up and red down."""
    import seaborn as sns

    table = monthly_returns(result)
    height = min(1.6 + 0.32 * len(table), 12.0)
    figure, (ax,) = new_figure(height=height)
    limit = float(np.nanmax(np.abs(table.to_numpy()))) if table.notna().any().any() else 0.01
    annotate = len(table) <= 40
    sns.heatmap(
        table,
        ax=ax,
        cmap="RdYlGn",
        center=0.0,
        vmin=-limit,
        vmax=limit,
        annot=table * 100 if annotate else False,
        fmt=".1f",
        annot_kws={"fontsize": 7},
        linewidths=0.5,
        linecolor="white",
        cbar_kws={"label": "return, %", "format": PercentFormatter(1.0, decimals=0)},
        xticklabels=MONTHS,
    )
    ax.set_title(f"Monthly returns (%): {describe(result)}")
    ax.set_xlabel("")
    ax.set_ylabel("")
    ax.tick_params(axis="y", rotation=0)
    return figure


def _registered(name: str):
    """The registered strategy of that name, None for an unregistered one (no indicators)."""
    try:
        return get_strategy(name)
    except ValueError:
        return None


def strategy_indicators(result) -> list:
    """The strategy's ``Indicator``s on the result's bars (none for a strategy without
    ``indicators=`` or an unregistered one loaded from a file)."""
    spec = result.spec if result.spec is not None else _registered(result.strategy)
    if spec is None or spec.indicators is None:
        return []
    arrays = bar_arrays(result.bars)
    columns = [arrays[c] for c in ("open", "high", "low", "close", "volume")]
    return list(spec.indicators(*columns, *result.params.values()))


@themed
def price_chart(result) -> Figure:
    """Close with the strategy's indicators (over the price or in a panel below) and
    trades at their fill prices: entries by direction, exits by reason (``EXIT_STYLES``)."""
    bars = _need_bars(result, "price")
    indicators = strategy_indicators(result)
    panels = [i for i in indicators if not i.overlay]
    figure, axes = new_figure(
        rows=1 + len(panels), height=3.8 + 1.8 * len(panels), ratios=[3] + [1] * len(panels)
    )
    price = axes[0]
    _draw_line(price, bars["close"], color="#333333", lw=1.0, label="close")
    for indicator in indicators:
        target = price if indicator.overlay else axes[1 + panels.index(indicator)]
        series = pd.Series(indicator.values, index=bars.index)
        _draw_line(target, series, lw=1.0 if indicator.overlay else 0.7, label=indicator.name)
        for level in indicator.levels:
            target.axhline(level, color=PALETTE["benchmark"], lw=0.8, ls=":")
        if not indicator.overlay:
            target.set_ylabel(indicator.name)
    _price_markers(price, result)
    price.set_title(f"Price and trades: {describe(result)}")
    price.set_ylabel("close")
    price.legend(loc="upper left", fontsize=8, ncols=2)
    price.margins(x=0.01)
    return figure


CHARTS = {
    "equity": equity_chart,
    "drawdown": drawdown_chart,
    "returns": returns_chart,
    "monthly": monthly_returns_chart,
    "price": price_chart,
}


def chart(result, kind: str) -> Figure:
    """The chart ``kind`` (one of ``CHARTS``) of ``result``."""
    if kind not in CHARTS:
        raise ValueError(f"chart must be one of {', '.join(CHARTS)}, got {kind!r}")
    return CHARTS[kind](result)
