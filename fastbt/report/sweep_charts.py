"""Charts of a sweep table: a metric over two parameters, and its spread over all sets."""

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from fastbt.report.figures import PALETTE, new_figure, themed
from fastbt.sweep.analysis import LOWER_IS_BETTER, pivot

MAX_HISTOGRAM_SYMBOLS = 8


@themed
def sweep_heatmap(
    table: pd.DataFrame, x: str, y: str, metric: str = "sharpe", symbol: str | None = None
) -> Figure:
    """``metric`` over the (``x``, ``y``) grid for one symbol; other parameters are
    averaged, and sets the strategy rejects stay blank. The best cell is outlined."""
    import seaborn as sns
    from matplotlib.patches import Rectangle

    grid = pivot(table, x, y, metric, symbol)
    figure, (ax,) = new_figure(height=min(3.0 + 0.09 * len(grid), 9.0), sharex=False)
    cmap = "RdYlGn_r" if metric in LOWER_IS_BETTER else "RdYlGn"
    small = grid.shape[0] <= 15 and grid.shape[1] <= 15
    sns.heatmap(
        grid,
        ax=ax,
        cmap=cmap,
        robust=True,  # colours span the 2nd-98th percentile, so one outlier cannot wash out the map
        annot=small,
        fmt=".2f",
        annot_kws={"fontsize": 7},
        cbar_kws={"label": metric},
        xticklabels="auto",
        yticklabels="auto",
    )
    values = grid.to_numpy(dtype="float64")
    if np.isfinite(values).any():
        pick = np.nanargmin if metric in LOWER_IS_BETTER else np.nanargmax
        row, column = np.unravel_index(
            pick(np.where(np.isfinite(values), values, np.nan)), values.shape
        )
        ax.add_patch(Rectangle((column, row), 1, 1, fill=False, edgecolor="black", lw=1.5))
    ax.invert_yaxis()
    ax.grid(False)
    ax.set_facecolor("#f2f2f2")  # rejected sets
    name = symbol or table["symbol"].iloc[0]
    strategy = table.attrs.get("sweep", {}).get("strategy")
    ax.set_title(f"{metric} by {x} and {y}: {f'{strategy} on ' if strategy else ''}{name}")
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    ax.tick_params(axis="y", rotation=0)
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
