"""The PBO chart: logit histogram beside the in- vs out-of-sample scatter of split winners."""

import numpy as np

from fastbt.report.figures import PALETTE, ChartFigure, themed


@themed
def pbo_figure(result):
    """A matplotlib Figure (own Agg canvas, not pyplot) for a ``PBOResult``."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    figure = ChartFigure(figsize=(10, 3.8), layout="constrained")
    FigureCanvasAgg(figure)
    histogram, scatter = figure.subplots(1, 2)

    logits = result.logits[np.isfinite(result.logits)]
    histogram.hist(logits, bins=min(40, max(5, len(logits) // 10)), color=PALETTE["strategy"])
    histogram.axvline(0.0, color=PALETTE["exit"], linewidth=1.2)
    histogram.set_title(f"Logits of the split winners' OOS rank (PBO {result.pbo:.1%})")
    histogram.set_xlabel("logit (<= 0: winner in the bottom half out of sample)")
    histogram.set_ylabel("splits")

    x, y = result.is_metric, result.oos_metric
    scatter.scatter(x, y, s=8, alpha=0.5, color=PALETTE["strategy"])
    if np.isfinite(result.slope):
        line_x = np.array([np.nanmin(x), np.nanmax(x)])
        scatter.plot(
            line_x,
            result.intercept + result.slope * line_x,
            color=PALETTE["accent"],
            label=f"slope {result.slope:.2f}, R² {result.r2:.2f}",
        )
        scatter.legend(loc="best")
    scatter.axhline(0.0, color=PALETTE["benchmark"], linewidth=0.8)
    scatter.set_title(f"In- vs out-of-sample {result.metric} of the winner")
    scatter.set_xlabel(f"in-sample {result.metric} (per bar)")
    scatter.set_ylabel(f"out-of-sample {result.metric} (per bar)")
    return figure
