"""The walk-forward table and summary as text (the CLI prints these)."""

import math

from fastbt.formatting import format_metric
from fastbt.walkforward.result import SUMMARY_LABELS, WalkForward

# Window columns shown, and the metric whose format each takes.
SHOWN = {
    "is_sharpe": "sharpe",
    "is_return": "total_return",
    "oos_return": "total_return",
    "oos_sharpe": "sharpe",
    "oos_max_drawdown": "max_drawdown",
    "oos_n_trades": "n_trades",
}
SHARE_KEYS = {"profitable_windows", "largest_window_profit_share", "set_change_rate"}
RETURN_KEYS = {"oos_annual_return", "is_annual_return"}


def _date(stamp) -> str:
    return str(stamp.date()) if stamp == stamp.normalize() else str(stamp)


def windows_text(wf: WalkForward) -> str:
    """One line per window: out-of-sample span, chosen parameters, key metrics, rank."""
    table = wf.windows
    view = table[["window"]].copy()
    view["out-of-sample"] = [
        f"{_date(a)} .. {_date(b)}"
        for a, b in zip(table["oos_first"], table["oos_last"], strict=True)
    ]
    for name in wf.params:
        view[name] = [
            "none" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:g}"
            for v in table[name]
        ]
    for column, metric in SHOWN.items():
        view[column] = [format_metric(metric, v) for v in table[column]]
    view["oos_rank"] = [
        f"{r:g}/{n}" for r, n in zip(table["oos_rank"], table["n_sets"], strict=True)
    ]
    return view.to_string(index=False)


def summary_rows(wf: WalkForward) -> list[tuple[str, str]]:
    """The summary as (label, formatted value) pairs."""
    rows = []
    for key, label in SUMMARY_LABELS.items():
        value = wf.summary[key]
        if isinstance(value, float) and math.isnan(value):
            shown = "n/a"
        elif key in SHARE_KEYS or key in RETURN_KEYS:
            shown = f"{100 * value:.1f}%"
        elif isinstance(value, float):
            shown = f"{value:.3f}"
        else:
            shown = f"{value:,}"
        rows.append((label, shown))
    return rows


def summary_text(wf: WalkForward) -> str:
    """The summary as aligned ``label  value`` lines."""
    width = max(len(label) for label in SUMMARY_LABELS.values())
    return "\n".join(f"{label:<{width}}  {shown:>10}" for label, shown in summary_rows(wf))
