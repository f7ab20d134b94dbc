"""``fastbt.sweep_verdict``: is a sweep's best set real? Per symbol, the probability of
backtest overfitting (CSCV, exact from the sweep's block statistics) and the deflated
Sharpe ratio of the best set with all the symbol's sets as trials (docs/overfitting.md).
"""

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from fastbt.stats.cscv import METRICS, PBOResult, pbo_from_set_blocks
from fastbt.stats.probabilistic import DeflatedSharpe, dsr_from_moments
from fastbt.sweep.blocks import ATTR, SweepBlocks

COLUMNS = (
    "symbol",
    "n_sets",
    "best",
    "sharpe",
    "dsr",
    "sr0",
    "n_trials",
    "psr",
    "pbo",
    "prob_loss",
    "slope",
    "intercept",
    "r2",
    "n_bars",
    "blocks",
    "n_trimmed",
    "note",
)


@dataclass(frozen=True, eq=False, repr=False)
class SweepVerdict:
    """``table``: one row per symbol (``COLUMNS``): the best set by Sharpe (``best``,
    its parameters; ``sharpe`` per bar), its DSR with ``sr0`` and ``n_trials``, its PSR,
    and CSCV's ``pbo``, ``prob_loss`` and degradation line (``slope``, ``intercept``,
    ``r2``); ``note`` says why a value is NaN. ``pbo``/``dsr``: the full results per
    symbol (``PBOResult`` has the logits and a ``plot()``)."""

    table: pd.DataFrame
    pbo: dict = field(default_factory=dict)
    dsr: dict = field(default_factory=dict)

    def __repr__(self) -> str:
        return f"SweepVerdict\n{self.table.drop(columns=['note']).to_string(index=False)}"

    def _repr_html_(self) -> str:
        from fastbt.display import summary_html

        rows = self.table.drop(columns=["note"]).to_html(index=False, float_format="{:.4g}".format)
        notes = "".join(
            f"<p>{s}: {n}</p>" for s, n in zip(self.table.symbol, self.table.note, strict=True) if n
        )
        return summary_html("Is the best set real?", [], [], extra=rows + notes)


def _number(value: float, digits: str = ".3f") -> str:
    return "NaN" if value is None or not np.isfinite(value) else format(value, digits)


def verdict_facts(row) -> list[tuple[str, str]]:
    """One symbol's verdict as (name, text) pairs, for the CLI and the report."""
    best = ", ".join(f"{k}={v}" for k, v in (row["best"] or {}).items()) or "none"
    split_info = (
        f"{math.comb(int(row['blocks']), int(row['blocks']) // 2):,} splits of "
        f"{int(row['blocks'])} blocks; oldest {int(row['n_trimmed'])} bars dropped"
    )
    facts = [
        ("best set (by Sharpe)", best),
        ("its Sharpe per bar", _number(row["sharpe"], ".4f")),
        ("deflated Sharpe ratio (DSR)", _number(row["dsr"])),
        ("SR0: luck's best Sharpe per bar", _number(row["sr0"], ".4f")),
        ("N trials", _number(row["n_trials"], ",.0f")),
        ("PSR (vs 0)", _number(row["psr"])),
        ("PBO", f"{_number(row['pbo'])} ({split_info})"),
        ("probability of out-of-sample loss", _number(row["prob_loss"])),
        (
            "degradation line (OOS on IS)",
            f"slope {_number(row['slope'])}, intercept {_number(row['intercept'], '.4f')}, "
            f"R² {_number(row['r2'])}",
        ),
    ]
    if row["note"]:
        facts.append(("note", row["note"]))
    return facts


def _plain(value):
    """A NumPy scalar as the Python number it holds (for printing and JSON)."""
    return value.item() if isinstance(value, np.generic) else value


def _parameter_columns(table: pd.DataFrame) -> list[str]:
    from fastbt.kernels.metrics import METRIC_NAMES

    skip = {"symbol", "periods_per_year", *METRIC_NAMES}
    return [c for c in table.columns if c not in skip]


def _blocks(table: pd.DataFrame) -> SweepBlocks:
    blocks = table.attrs.get(ATTR)
    if not isinstance(blocks, SweepBlocks):
        raise ValueError(
            "this sweep table has no block statistics: run fastbt.sweep(..., blocks=16) "
            "(CLI: fastbt sweep ... --pbo) to keep them"
        )
    return blocks


def _n_trials(value, n_valid: int) -> float | None:
    if value is None:
        return None
    if value == "effective":
        raise ValueError(
            "n_trials='effective' needs the sets' bar returns, which a sweep does not keep: "
            "run a sample of sets with fastbt.run and pass "
            "fastbt.stats.effective_n_trials(returns, n_trials=N) as n_trials"
        )
    if isinstance(value, bool) or not isinstance(value, int | float) or not value >= 1:
        raise ValueError(f"n_trials must be None or a number >= 1; got {value!r}")
    return float(value)


def _symbol_verdict(rows, stats, blocks, n_trimmed, metric, n_trials, progress):
    """One symbol's row, its PBOResult (None when CSCV does not apply) and DSR."""
    n_sets = len(rows)
    n_bars = int(blocks * stats[0, 0, 0]) + n_trimmed
    per_bar = rows["sharpe"].to_numpy(float) / np.sqrt(rows["periods_per_year"].to_numpy(float))
    finite = np.isfinite(per_bar)
    row = dict.fromkeys(COLUMNS, math.nan)
    row |= {"n_sets": n_sets, "n_bars": n_bars, "blocks": blocks, "n_trimmed": n_trimmed}
    row |= {"best": None, "note": ""}
    if not finite.any():
        row["note"] = "no set has a Sharpe ratio (none traded, or equity never moved)"
        return row, None, None
    best = int(np.argmax(np.where(finite, per_bar, -np.inf)))
    chosen = rows.iloc[best]
    row["best"] = {c: _plain(chosen[c]) for c in _parameter_columns(rows)}
    deflated = dsr_from_moments(
        per_bar[best], n_bars, chosen["skew"], chosen["kurtosis"], per_bar, n_trials
    )
    row |= {
        "sharpe": per_bar[best],
        "dsr": deflated.dsr,
        "sr0": deflated.sr0,
        "n_trials": deflated.n_trials,
        "psr": deflated.psr,
    }
    if n_sets < 2:
        row["note"] = "one set only: PBO compares sets, so it is NaN (DSR uses N = 1, SR0 = 0)"
        return row, None, deflated
    result = pbo_from_set_blocks(stats, metric, n_trimmed, progress)
    row |= {
        "pbo": result.pbo,
        "prob_loss": result.prob_loss,
        "slope": result.slope,
        "intercept": result.intercept,
        "r2": result.r2,
    }
    return row, result, deflated


def sweep_verdict(
    table: pd.DataFrame, metric: str = "sharpe", n_trials=None, progress: bool = False
) -> SweepVerdict:
    """Per symbol of a sweep run with ``blocks=S``: PBO by CSCV on ``metric`` ("sharpe",
    per bar, or "mean") and the DSR of the best set by Sharpe, every set of the symbol
    with a Sharpe ratio being a trial (``n_trials`` overrides N). Sets without a Sharpe
    ratio (no trades) rank below every other set in CSCV (NaN counts as -inf) and are
    left out of the DSR's trials. The table must hold all of the sweep's rows (any order).
    """
    if metric not in METRICS:
        raise ValueError(f"metric must be one of {', '.join(METRICS)}; got {metric!r}")
    blocks = _blocks(table)
    trials = _n_trials(n_trials, len(table))
    rows, pbo_results, dsr_results = [], {}, {}
    for symbol, stats in blocks.stats.items():
        mine = (table["symbol"] == symbol).to_numpy()
        symbol_rows = table if mine.all() else table[mine]  # one symbol: no copy
        if len(symbol_rows) != len(stats):
            raise ValueError(
                f"{symbol}: the table has {len(symbol_rows):,} rows but the sweep ran "
                f"{len(stats):,} sets; sweep_verdict needs the sweep's whole table "
                "(filter after the verdict, not before)"
            )
        row, result, deflated = _symbol_verdict(
            symbol_rows, stats, blocks.blocks, blocks.n_trimmed[symbol], metric, trials, progress
        )
        row["symbol"] = symbol
        rows.append(row)
        if result is not None:
            pbo_results[symbol] = result
        if deflated is not None:
            dsr_results[symbol] = deflated
    return SweepVerdict(pd.DataFrame(rows, columns=list(COLUMNS)), pbo_results, dsr_results)


__all__ = ["DeflatedSharpe", "PBOResult", "SweepVerdict", "sweep_verdict"]
