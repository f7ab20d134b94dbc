"""One look for every chart (Agg backend, seaborn theme) and the ways to output a figure."""

import base64
import io
from pathlib import Path

import matplotlib
import seaborn as sns
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

PALETTE = {
    "strategy": "#1f5fa8",
    "benchmark": "#8c8c8c",
    "entry": "#1a9850",
    "exit": "#d73027",
    "drawdown": "#d73027",
    "accent": "#f28e2b",
}
THEME = {
    "style": "whitegrid",
    "context": "notebook",
    # text.parse_math off: a "$" in a symbol or strategy name is text, not mathtext
    # (two of them made savefig raise)
    "rc": {
        "axes.titleweight": "bold",
        "axes.titlesize": 12,
        "figure.dpi": 100,
        "text.parse_math": False,
    },
}
DPI = 110


class ChartFigure(Figure):
    """A matplotlib ``Figure`` that shows itself as a PNG in Jupyter and IPython.

    IPython draws a plain ``Figure`` as an image only once pyplot has been imported
    under the inline backend (which registers a formatter for ``Figure``); before
    that a notebook prints ``<Figure size 1000x360 with 1 Axes>``. ``_repr_png_``
    needs no pyplot, no backend and no global state, so a chart fastbt returns
    displays in any kernel. With pyplot's formatter registered, that one draws it
    (the same picture); either way it appears once.
    """

    def _repr_png_(self) -> bytes:
        return to_png(self)


def new_figure(
    rows: int = 1, height: float = 3.6, ratios=None, sharex: bool = True, width: float = 10
):
    """A figure of ``rows`` stacked axes (call inside a ``themed`` chart function).

    Figures get their own Agg canvas and are not registered with pyplot: no display
    is needed, the caller's backend is untouched and nothing leaks between charts.
    """
    figure = ChartFigure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots(rows, 1, sharex=sharex, squeeze=False, height_ratios=ratios)[:, 0]
    return figure, list(axes)


def themed(function):
    """Run a chart function under the seaborn theme, so every chart looks alike."""

    def wrapper(*args, **kwargs):
        with (
            sns.axes_style(THEME["style"]),
            sns.plotting_context(THEME["context"]),
            matplotlib.rc_context(THEME["rc"]),
        ):
            return function(*args, **kwargs)

    wrapper.__name__ = function.__name__
    wrapper.__doc__ = function.__doc__
    wrapper.__wrapped__ = function
    return wrapper


def to_png(figure: Figure, dpi: int = DPI) -> bytes:
    """The figure as PNG bytes."""
    sink = io.BytesIO()
    figure.savefig(sink, format="png", dpi=dpi)
    return sink.getvalue()


def to_base64(figure_or_png: Figure | bytes) -> str:
    """Base64 text of a PNG (pass a figure or PNG bytes), for data: URIs and JSON."""
    png = figure_or_png if isinstance(figure_or_png, bytes) else to_png(figure_or_png)
    return base64.b64encode(png).decode("ascii")


def save(figure: Figure, path) -> Path:
    """Write the figure; the suffix picks the format (.png, .svg, .pdf)."""
    path = Path(path)
    suffix = path.suffix.lower().lstrip(".")
    if suffix not in ("png", "svg", "pdf"):
        raise ValueError(f"chart file must end in .png, .svg or .pdf, got {path.name!r}")
    figure.savefig(path, format=suffix, dpi=DPI)
    return path
