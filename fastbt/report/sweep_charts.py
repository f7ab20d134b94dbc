"""Charts of a sweep table: a metric over two parameters, and its spread over all sets."""

import math

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from fastbt.report.figures import PALETTE, new_figure, themed
from fastbt.sweep.analysis import (
    LOWER_IS_BETTER,
    MIN_TRADES,
    closed_trades,
    one_symbol,
    pivot,
    too_few_trades,
    traded,
)

MAX_HISTOGRAM_SYMBOLS = 8
# Colours span this percentile range of the cells, so one outlier cannot wash out the map.
CLIP_PERCENTILES = (2, 98)
CLIP_TEXT = "2nd-98th percentile"
TICK_FONT_SIZE = 8
# Cells that have no colour, and how each looks.
NOT_RUN = {"facecolor": "white", "hatch": "////", "edgecolor": "#b0b0b0"}
NOT_TRADED = {"facecolor": "#8c8c8c", "hatch": None, "edgecolor": "none"}
NO_VALUE = {"facecolor": "#dcdcdc", "hatch": None, "edgecolor": "none"}


def tick_labels(values) -> list[str]:
    """Short labels for axis values: whole numbers as such, floats with the fewest
    significant digits that give back the value (2.9, not 2.8999999999999995) and
    keep neighbouring values apart; text (a signal sweep's column names) as it is."""
    values = list(values)
    if any(isinstance(v, str) for v in values):
        return [str(v) for v in values]
    if all(float(v).is_integer() for v in values):
        return [str(int(v)) for v in values]

    def shortest(value: float, digits: int) -> str:
        for p in range(digits, 18):
            text = f"{value:.{p}g}"
            if math.isclose(float(text), value, rel_tol=1e-9, abs_tol=1e-12):
                return text
        return repr(value)

    digits = 1
    while True:
        labels = [shortest(float(v), digits) for v in values]
        if len(set(labels)) == len(labels) or digits >= 17:
            return labels
        digits += 1


def _round_steps():
    """1, 2, 5, 10, 20, 50, ...: label every k-th value with a round k."""
    scale = 1
    while True:
        yield from (scale, 2 * scale, 5 * scale)
        scale *= 10


def _label_every(axis, labels: list[str], room_points: float, label_points: float) -> None:
    """Label every k-th cell (k round) so that labels ``label_points`` long each fit
    in ``room_points`` without overlapping."""
    fits = max(1, int(room_points // label_points))
    step = next(k for k in _round_steps() if k >= len(labels) / fits)
    shown = range(0, len(labels), step)
    axis.set_ticks([k + 0.5 for k in shown], [labels[k] for k in shown])


def _set_ticks(ax, grid: pd.DataFrame, figure: Figure) -> None:
    """Readable, non-overlapping tick labels on both axes."""
    width, height = figure.get_size_inches() * 72  # points
    columns, rows = tick_labels(grid.columns), tick_labels(grid.index)
    # side by side on x: the widest label plus a gap; stacked on y: a line plus a gap
    widest = max(len(t) for t in columns) * 0.62 * TICK_FONT_SIZE + 0.8 * TICK_FONT_SIZE
    _label_every(ax.xaxis, columns, 0.72 * width, widest)
    _label_every(ax.yaxis, rows, height - 110, 2.2 * TICK_FONT_SIZE)
    ax.tick_params(labelsize=TICK_FONT_SIZE, rotation=0)


def _sets_per_cell(rows: pd.DataFrame, x: str, y: str, grid: pd.DataFrame) -> np.ndarray:
    """How many of ``rows`` fall in each cell of ``grid`` (y rows x x columns)."""
    counts = rows.groupby([y, x]).size().unstack(x)
    return counts.reindex(index=grid.index, columns=grid.columns).fillna(0).to_numpy()


def _cells(ax, cells: np.ndarray, look: dict, label: str):
    """One patch collection over the (row, column) ``cells``, labelled for the legend."""
    from matplotlib.collections import PatchCollection
    from matplotlib.patches import Patch, Rectangle

    rows, columns = np.nonzero(cells)
    patches = [Rectangle((c, r), 1, 1) for r, c in zip(rows, columns, strict=True)]
    collection = PatchCollection(
        patches,
        facecolor=look["facecolor"],
        edgecolor=look["edgecolor"],
        hatch=look["hatch"],
        linewidth=0,
        label=label,
    )
    ax.add_collection(collection)
    return Patch(
        facecolor=look["facecolor"],
        edgecolor="#b0b0b0",
        hatch=look["hatch"],
        label=f"{label} ({len(patches):,})",
    )


def heatmap_caption(
    rows: pd.DataFrame,
    x: str,
    y: str,
    metric: str,
    min_trades: int,
    colour_range: tuple[float, float] | None,
    clipped: int,
) -> str:
    """What a cell's colour means: which sets it aggregates and how colours are clipped."""
    from fastbt.kernels.metrics import METRIC_NAMES

    fixed = {*METRIC_NAMES, "symbol", "periods_per_year", x, y}
    others = [c for c in rows.columns if c not in fixed and rows[c].nunique() > 1]
    counted = f" with at least {closed_trades(min_trades)}" if min_trades > 0 else ""
    if others:
        varied = ", ".join(f"{p} ({rows[p].nunique():,} values)" for p in others)
        what = f"Each cell: the mean {metric} over {varied} of the sets{counted}."
    else:
        what = f"Each cell: {metric} of the one set with that {x} and {y}" + (
            f", if it has at least {closed_trades(min_trades)}." if min_trades > 0 else "."
        )
    if colour_range is None:
        return what
    beyond = f"{clipped:,} cell{'' if clipped == 1 else 's'} beyond take the end colours"
    return (
        f"{what}\nColours span the cells' {CLIP_TEXT}, {colour_range[0]:.4g} to "
        f"{colour_range[1]:.4g}; {beyond}. Outlined: the best cell."
    )


@themed
def sweep_heatmap(
    table: pd.DataFrame,
    x: str,
    y: str,
    metric: str = "sharpe",
    symbol: str | None = None,
    min_trades: int = MIN_TRADES,
) -> Figure:
    """``metric`` over the (``x``, ``y``) grid for one symbol, the mean over any other
    parameters of the sets with at least ``min_trades`` closed trades (``fastbt.pivot``).

    Cells with no colour say why: hatched, no set ran there (the strategy's rules
    rejected it, or a sample left it out); dark grey, no set there had enough closed
    trades; light grey, the metric is NaN or infinite there. The caption under the map says
    how cells aggregate and where colours are clipped; the best cell is outlined."""
    import seaborn as sns
    from matplotlib.patches import Rectangle

    grid = pivot(table, x, y, metric, symbol, min_trades)
    rows = one_symbol(table, symbol)
    values = grid.to_numpy(dtype="float64")
    finite = np.isfinite(values)
    ran = _sets_per_cell(rows, x, y, grid) > 0
    not_traded = ran & (_sets_per_cell(traded(rows, min_trades), x, y, grid) == 0)
    no_value = ran & ~not_traded & ~finite

    figure, (ax,) = new_figure(height=min(3.6 + 0.09 * len(grid), 9.5), sharex=False)
    cmap = "RdYlGn_r" if metric in LOWER_IS_BETTER else "RdYlGn"
    colour_range, clipped = None, 0  # no finite cell: no colours, no colour bar
    if finite.any():
        low, high = np.percentile(values[finite], CLIP_PERCENTILES)
        colour_range = (float(low), float(high))
        clipped = int(((values[finite] < low) | (values[finite] > high)).sum())
    small = grid.shape[0] <= 15 and grid.shape[1] <= 15
    sns.heatmap(
        grid.where(finite),  # inf (e.g. profit_factor) has no colour: drawn as no value
        ax=ax,
        cmap=cmap,
        vmin=colour_range[0] if colour_range else 0.0,
        vmax=colour_range[1] if colour_range else 1.0,
        annot=small,
        fmt=".2f",
        annot_kws={"fontsize": 7},
        cbar=colour_range is not None,
        cbar_kws={"label": metric},
        xticklabels=False,
        yticklabels=False,
    )
    sampled = bool(table.attrs.get("sweep", {}).get("sampled"))
    legend = [
        _cells(ax, cells, look, label)
        for cells, look, label in (
            (
                ~ran,
                NOT_RUN,
                "rejected by the strategy's rules" + (" or not sampled" if sampled else ""),
            ),
            (not_traded, NOT_TRADED, too_few_trades(min_trades)),
            (no_value, NO_VALUE, f"no finite {metric}"),
        )
        if cells.any()
    ]
    if finite.any():
        pick = np.nanargmin if metric in LOWER_IS_BETTER else np.nanargmax
        row, column = np.unravel_index(pick(np.where(finite, values, np.nan)), values.shape)
        ax.add_patch(Rectangle((column, row), 1, 1, fill=False, edgecolor="black", lw=1.5))
    _set_ticks(ax, grid, figure)
    ax.invert_yaxis()
    ax.grid(False)
    if legend:
        figure.legend(handles=legend, loc="outside lower right", fontsize=8, ncols=len(legend))
    name = symbol or table["symbol"].iloc[0]
    strategy = table.attrs.get("sweep", {}).get("strategy")
    ax.set_title(f"{metric} by {x} and {y}: {f'{strategy} on ' if strategy else ''}{name}")
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    figure.supxlabel(
        heatmap_caption(rows, x, y, metric, min_trades, colour_range, clipped),
        fontsize=8,
        x=0.0,
        ha="left",
        color="#404040",
    )
    return figure


def _bin_range(values: np.ndarray) -> tuple[float, float]:
    """0.5th to 99.5th percentile, else the full range; a span around the value when
    every set has the same one (a one-row sweep), so the axis stays readable."""
    low, high = np.percentile(values, [0.5, 99.5])
    if high <= low:
        low, high = values.min(), values.max()
    if high <= low:
        pad = max(abs(low) * 0.05, 0.01)
        low, high = low - pad, high + pad
    return float(low), float(high)


@themed
def metric_distribution(table: pd.DataFrame, metric: str = "sharpe", bins: int = 60) -> Figure:
    """Histogram of ``metric`` across every set, one colour per symbol (up to 8).

    Bins span the 0.5th to 99.5th percentile so a few extreme sets do not squash
    the rest into one bar; the legend counts those left out."""
    if metric not in table.columns:
        raise ValueError(f"no column {metric!r} in the sweep table")
    figure, (ax,) = new_figure(height=3.2)
    values = table[metric].to_numpy(dtype="float64")
    finite = np.isfinite(values)
    if not finite.any():
        ax.text(0.5, 0.5, f"no finite {metric} values", transform=ax.transAxes, ha="center")
    else:
        low, high = _bin_range(values[finite])
        edges = np.histogram_bin_edges(values[finite], bins=bins, range=(low, high))
        outside = int(((values[finite] < low) | (values[finite] > high)).sum())
        symbols = pd.unique(table["symbol"])
        shown = symbols[:MAX_HISTOGRAM_SYMBOLS]
        owners = table["symbol"].to_numpy()
        for symbol in shown:
            mine = values[(owners == symbol) & finite]
            ax.hist(
                mine,
                bins=edges,
                alpha=0.55 if len(shown) > 1 else 0.85,
                label=str(symbol),
                edgecolor="white",
                lw=0.3,
            )
        median = float(np.median(values[finite]))
        ax.axvline(median, color=PALETTE["accent"], lw=1.2, label=f"median {median:.3g}")
        hidden = len(symbols) - len(shown)
        n_sets = int(finite.sum())
        title = f"{n_sets:,} set{'s' if n_sets != 1 else ''}" + (
            f"; {hidden} more symbols not drawn" if hidden else ""
        )
        if outside:
            title += f"; {outside:,} beyond the 0.5-99.5% range not drawn"
        if (~finite).any():
            title += f"; {(~finite).sum():,} without a value"
        ax.legend(fontsize=8, title=title, title_fontsize=8)
    ax.set_title(f"Distribution of {metric} across sets")
    ax.set_xlabel(metric)
    ax.set_ylabel("sets")
    return figure
