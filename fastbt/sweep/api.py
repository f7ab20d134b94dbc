"""``fastbt.sweep``: many parameter sets over many symbols, fast and memory-bounded."""

import hashlib
import time

import numpy as np
import pandas as pd

from fastbt.data.load import load
from fastbt.data.validate import bar_arrays
from fastbt.errors import SweepError
from fastbt.kernels.metrics import BENCHMARK_METRICS, COUNT_METRICS, METRIC_NAMES
from fastbt.options import RunOptions
from fastbt.periods import infer_periods_per_year
from fastbt.portfolio.rotation import is_cross_sectional
from fastbt.progress import progress_bar
from fastbt.relative import benchmark_prices, is_series, relative_rows, risk_free_label
from fastbt.stats.cscv import check_blocks
from fastbt.strategies import get_strategy
from fastbt.strategies.external import VARIANT, check_source, signals_strategy
from fastbt.sweep.blocks import ATTR as BLOCKS_ATTR
from fastbt.sweep.blocks import BlockCollector, read_blocks, write_blocks
from fastbt.sweep.chunks import plan_chunks, run_chunk
from fastbt.sweep.execute import check_backend, prefer_in_process, run_tasks
from fastbt.sweep.export import write_summary
from fastbt.sweep.grid import LEVEL_OPTIONS, expand_grid
from fastbt.sweep.results import ResultsDir, stored_chunk_size
from fastbt.sweep.signal_sets import check_signal_grid, labelled_columns, signals_digest

DEFAULT_CHUNK_SIZE = 50_000


def _symbols(data, interval: str | None = None, store=None, load_options=None) -> dict:
    """``{symbol: validated bars}`` from a frame, a dict of frames, or names/paths/frames.

    Two sources with the same name are an error rather than one replacing the other.
    """
    load_options = load_options or {}
    if isinstance(data, pd.DataFrame):
        bars = load(data, **load_options)
        return {bars.attrs.get("symbol", "data"): bars}
    if isinstance(data, dict):
        if not data:
            raise ValueError("data is an empty dict; give at least one symbol")
        return {str(name): load(frame, **load_options) for name, frame in data.items()}
    sources = [data] if isinstance(data, str) else list(data)
    if not sources:
        raise ValueError("data is empty; give at least one symbol")
    frames = {}
    for position, source in enumerate(sources):
        frame = load(source, interval=interval, store=store, **load_options)
        name = frame.attrs.get("symbol", f"data{position}")
        if name in frames:
            raise ValueError(
                f"two data sources are both named {name!r}; pass a dict of name -> data"
            )
        frames[name] = frame
    return frames


def _sets_digest(columns: dict) -> str:
    """Fingerprint of the exact parameter sets (however the grid was written)."""
    digest = hashlib.sha256()
    for name, values in columns.items():
        digest.update(name.encode())
        digest.update(np.ascontiguousarray(values).tobytes())
    return digest.hexdigest()


def _rows(chunk, metrics: np.ndarray, params: dict, periods: float, names) -> pd.DataFrame:
    """One chunk's result rows: symbol, parameters, metrics (``names``, in the kernels'
    column order)."""
    rows = {"symbol": np.full(chunk.stop - chunk.start, chunk.symbol, dtype=object)}
    rows |= {name: values[chunk.start : chunk.stop] for name, values in params.items()}
    for k, name in enumerate(names):
        column = metrics[:, k]
        rows[name] = column.astype(np.int64) if name in COUNT_METRICS else column
    rows["periods_per_year"] = np.full(len(column), periods)
    return pd.DataFrame(rows)


def resolve_chunk_size(chunk_size: int | None, out, resume: bool) -> int:
    """The chunk size given, else the stored sweep's when resuming, else the default."""
    if chunk_size is None and out is not None and resume:
        chunk_size = stored_chunk_size(out)
    size = DEFAULT_CHUNK_SIZE if chunk_size is None else chunk_size
    if size <= 0:
        raise ValueError(f"chunk_size must be positive, got {size}")
    return size


def _check_level_dimensions(grid: dict, run_options: dict) -> None:
    """A level swept in ``grid`` must not also be given as a run option: which would apply?"""
    defaults = RunOptions()
    both = [
        name
        for name in LEVEL_OPTIONS
        if name in grid
        and run_options.get(name, getattr(defaults, name)) != getattr(defaults, name)
    ]
    if both:
        raise ValueError(
            f"{', '.join(both)} given both in grid and as a run option; "
            "give each either as a grid dimension or as one value for every set"
        )


def _rate(count: float, seconds: float) -> float | None:
    """``count`` per second of this call; None when nothing was computed (a fully
    resumed sweep), so no rate is made up from rows read back from disk."""
    if count == 0:
        return None
    return count / seconds if seconds > 0 else float("inf")


def _signals_spec(signals, frames: dict, grid: dict):
    """The strategy of a signal sweep and its grid: every variant, times the levels."""
    check_signal_grid(grid)
    if len(frames) != 1:
        raise ValueError(
            f"signals= belong to one data source's bars, got {len(frames)} "
            f"({', '.join(list(frames)[:5])}); sweep one symbol at a time"
        )
    spec = signals_strategy(signals, next(iter(frames.values())).index, many=True)
    return spec, {VARIANT: range(len(spec.signals))} | grid


def sweep(
    data,
    strategy=None,
    grid: dict | None = None,
    *,
    signals=None,
    portfolio: bool = False,
    n_jobs: int = -1,
    backend: str = "loky",
    scheduler=None,
    out=None,
    resume: bool = False,
    chunk_size: int | None = None,
    progress: bool = True,
    sample: int | None = None,
    seed: int | None = None,
    interval: str | None = None,
    store=None,
    load_options: dict | None = None,
    on_chunk=None,
    risk_free=0.0,
    benchmark=None,
    blocks: int | None = None,
    **run_options,
) -> pd.DataFrame:
    """Backtest every parameter set of ``grid`` on every symbol; one row per pair.

    ``data``: a DataFrame, a dict of symbol -> DataFrame, or symbol names/paths
    (see ``fastbt.load``). ``grid``: parameter -> values (list, range, array),
    expanded as a product; sets the strategy rejects are dropped and counted.
    ``sample``/``seed`` pick a random subset. Instead of a strategy and its grid,
    ``signals=(entry, exit)`` sweeps signal variants given as arrays: 2-D boolean
    arrays (bars x variants) or DataFrames (one column per variant), or one side 1-D
    and shared, on one symbol; ``grid`` may then vary only ``sl``, ``tp`` and
    ``entry_offset``, and the table's ``signals`` column names each row's variant. Symbols are read from the market-data
    ``store`` (bars of ``interval``, default 1d) or the bundled samples; ``load_options``
    are keyword arguments of ``fastbt.load`` (dayfirst=, symbol=, ...). ``run_options`` are those of
    ``fastbt.run`` and apply to every set (``risk_free`` and ``benchmark`` too, on each
    symbol's index; the benchmark columns follow the metrics); ``sl``, ``tp`` and ``entry_offset`` may
    instead be grid dimensions (None: off). ``out`` streams finished chunks to a
    Parquet directory; ``resume=True`` continues an interrupted sweep there.
    The table's ``attrs["sweep"]`` records counts and the throughput of this call:
    ``n_computed`` rows were computed here (``n_resumed`` chunks were read back), and
    ``sets_per_second``/``bar_evaluations_per_second`` count only those (None when 0).
    ``on_chunk(done, total)``, if given, is called in this thread after each finished
    chunk with the sets done and to do in this call; an exception it raises stops the
    sweep (a service uses it to cancel one).
    ``blocks=S`` (an even number >= 2, e.g. 16) also keeps, per set, the (count, mean,
    M2) of its bar returns on each of S equal blocks of bars (the oldest ``n_bars mod S``
    bars left out) at no per-bar cost: ``table.attrs["blocks"]`` (a ``SweepBlocks``,
    saved with ``out=``), which ``fastbt.sweep_verdict`` turns into PBO and the DSR.
    ``portfolio=True`` (implied by ``strategy="momentum_rotation"``) runs every set as
    one portfolio over all the symbols, sharing one cash balance: one row per set with
    the portfolio metrics (docs/sweeps.md, "Portfolio sweeps").
    """
    started = time.perf_counter()
    check_backend(backend, scheduler)
    if portfolio or is_cross_sectional(strategy):
        from fastbt.sweep.portfolio import sweep_portfolio

        if signals is not None:
            raise ValueError(
                "signals= sweeps one symbol's signal variants; a portfolio sweep takes a "
                "strategy and its grid"
            )
        if benchmark is not None or is_series(risk_free) or risk_free != 0.0:
            raise ValueError(
                "risk_free= and benchmark= are not available for portfolio sweeps yet; "
                "run fastbt.run_portfolio on the chosen sets and compare its equity"
            )
        if blocks is not None:
            raise ValueError(
                "blocks= is not available for portfolio sweeps (the block statistics are "
                "per symbol, a portfolio set has one shared equity); sweep the symbols "
                "one by one (portfolio=False) to get blocks and fastbt.sweep_verdict"
            )
        where = {"interval": interval, "store": store}
        load_options = (load_options or {}) | {k: v for k, v in where.items() if v is not None}

        execution = {
            "n_jobs": n_jobs,
            "backend": backend,
            "scheduler": scheduler,
            "out": out,
            "resume": resume,
            "progress": progress,
            "on_chunk": on_chunk,
        }
        return sweep_portfolio(
            data,
            strategy,
            grid,
            started=started,
            chunk_size=resolve_chunk_size(chunk_size, out, resume),
            sample=sample,
            seed=seed,
            load_options=load_options,
            execution=execution,
            **run_options,
        )
    options = RunOptions.resolve(risk_free=risk_free_label(risk_free), **run_options)
    check_source(strategy, signals, {})
    grid = {} if grid is None else grid
    spec = get_strategy(strategy) if signals is None else None
    frames = _symbols(data, interval, store, load_options)
    if signals is not None:
        spec, grid = _signals_spec(signals, frames, grid)
    symbols = list(frames)
    n_bars = min(len(f) for f in frames.values())
    if blocks is not None:
        for symbol, frame in frames.items():
            try:
                check_blocks(len(frame), blocks)
            except ValueError as error:
                raise ValueError(f"{symbol}: {error}") from None
    _check_level_dimensions(grid, run_options)
    sets = expand_grid(spec, grid, n_bars, sample=sample, seed=seed, options=options)
    if len(sets) == 0:
        raise ValueError(
            f"no valid parameter sets: all {sets.n_total} combinations break a rule of "
            f"strategy '{spec.name}' (see `fastbt strategies`)"
        )
    size = resolve_chunk_size(chunk_size, out, resume)
    chunks = plan_chunks(symbols, len(sets), size)
    shown = sets.columns if signals is None else labelled_columns(spec.signals, sets.columns)
    arrays = {s: bar_arrays(f) for s, f in frames.items()}
    periods = {
        s: options.periods_per_year or infer_periods_per_year(f.index) for s, f in frames.items()
    }
    # The kernels' optional per-bar input travels with each symbol's bar arrays.
    for s, f in frames.items():
        prices = None
        if benchmark is not None:
            prices = benchmark_prices(benchmark, f.index, load_options or {})
        arrays[s]["relative"] = relative_rows(risk_free, prices, f.index, periods[s])
    fingerprint = {
        "strategy": spec.name,
        "sets": _sets_digest(sets.columns),
        "options": options.as_dict(),
        "data": {
            s: [len(f), str(f.index[0]), str(f.index[-1]), float(f["close"].sum())]
            for s, f in frames.items()
        },
    }
    if signals is not None:
        fingerprint["signals"] = signals_digest(spec.signals)
    if benchmark is not None or is_series(risk_free):
        fingerprint["relative"] = _sets_digest({s: a["relative"] for s, a in arrays.items()})

    def task(c):
        params = {k: v[c.start : c.stop] for k, v in sets.columns.items()}
        return (c, arrays[c.symbol], spec, params, options, periods[c.symbol])

    return run_sweep_chunks(
        chunks,
        task,
        shown,
        periods,
        fingerprint,
        bars_of={s: len(f) for s, f in frames.items()},
        fused=spec.fused or signals is not None,
        attrs={
            "strategy": spec.name,
            "symbols": symbols,
            "options": options.as_dict(),
            "n_sets": len(sets),
            "n_invalid": sets.n_invalid,
            "n_total": sets.n_total,
            "sampled": sets.sampled,
        },
        started=started,
        out=out,
        resume=resume,
        size=size,
        progress=progress,
        n_jobs=n_jobs,
        backend=backend,
        scheduler=scheduler,
        on_chunk=on_chunk,
        blocks=blocks,
        names=METRIC_NAMES + (BENCHMARK_METRICS if benchmark is not None else ()),
    )


def run_sweep_chunks(
    chunks: list,
    task,
    shown: dict,
    periods: dict,
    fingerprint: dict,
    *,
    bars_of: dict,
    fused: bool,
    attrs: dict,
    started: float,
    out,
    resume: bool,
    size: int,
    progress: bool,
    n_jobs: int,
    backend: str,
    scheduler,
    on_chunk,
    blocks: int | None = None,
    names: tuple = METRIC_NAMES,
) -> pd.DataFrame:
    """Run the chunks not already in ``out`` (``task(chunk)``: the arguments of
    ``run_chunk`` before ``blocks``), stream each finished one to ``out`` or keep it, and
    return the table in chunk order with ``attrs["sweep"]`` (``attrs`` plus counts and
    throughput) and, with ``blocks=S``, ``attrs["blocks"]`` (every chunk's block
    statistics, read back from ``out`` for resumed chunks).
    ``bars_of``/``periods``: bars and periods per year of each chunk's ``symbol``;
    ``names``: the metrics' column names, in the kernels' order."""
    store = None
    if out is not None:
        if blocks is not None:
            fingerprint = fingerprint | {"blocks": blocks}
        store = ResultsDir(out, fingerprint, size, len(chunks), resume)
    todo = [c for c in chunks if store is None or not store.done(c.chunk_id)]
    tasks = [(*task(c), blocks) for c in todo]
    work = sum((c.stop - c.start) * bars_of[c.symbol] for c in todo)
    collector = None
    if blocks is not None:
        n_trimmed = {s: bars_of[s] % blocks for s in dict.fromkeys(c.symbol for c in chunks)}
        collector = BlockCollector(list(n_trimmed), attrs["n_sets"], blocks, n_trimmed)
    kept, failures = {}, []
    done, total = 0, sum(c.stop - c.start for c in todo)
    bar = progress_bar(
        total=total,
        unit="set",
        unit_scale=True,
        desc="sweep",
        disable=not progress,
    )
    in_process = prefer_in_process(fused, work)
    try:
        for chunk, outcome in run_tasks(
            run_chunk,
            tasks,
            n_jobs=n_jobs,
            backend=backend,
            scheduler=scheduler,
            in_process=in_process,
        ):
            if isinstance(outcome, str):
                failures.append(f"{chunk.describe()} failed: {outcome}")
                continue
            metrics, block_stats = outcome
            rows = _rows(chunk, metrics, shown, periods[chunk.symbol], names)
            if collector is not None:
                collector.add(chunk, block_stats)
                if store is not None:  # before the part: a finished part has its blocks
                    write_blocks(out, chunk.chunk_id, block_stats)
            if store is not None:
                store.write(chunk.chunk_id, rows)
            else:
                kept[chunk.chunk_id] = rows
            bar.update(chunk.stop - chunk.start)
            if on_chunk is not None:
                done += chunk.stop - chunk.start
                on_chunk(done, total)
    except Exception as error:
        if isinstance(error, ValueError | SweepError):
            raise
        raise SweepError(
            f"sweep stopped: {type(error).__name__}: {error}"
            + ("; finished chunks are kept, rerun with resume=True" if store else "")
        ) from error
    finally:
        bar.close()
    if failures:
        kept_note = "; finished chunks are kept, rerun with resume=True" if store else ""
        raise SweepError(
            f"{len(failures)} of {len(todo)} chunk(s) failed{kept_note}:\n  "
            + "\n  ".join(failures)
        )
    parts = [kept[c.chunk_id] if c.chunk_id in kept else store.read(c.chunk_id) for c in chunks]
    if collector is not None and store is not None:
        computed_ids = {c.chunk_id for c in todo}
        for chunk in chunks:
            if chunk.chunk_id not in computed_ids:
                collector.add(chunk, read_blocks(out, chunk.chunk_id))
    table = parts[0] if len(parts) == 1 else pd.concat(parts, ignore_index=True)
    seconds = time.perf_counter() - started
    computed = total
    table.attrs["sweep"] = attrs | {
        "n_rows": len(table),
        "n_resumed": len(chunks) - len(todo),
        "n_computed": computed,
        "seconds": seconds,
        "sets_per_second": _rate(computed, seconds),
        "bar_evaluations_per_second": _rate(work, seconds),
    }
    if collector is not None:
        table.attrs["sweep"] |= {"blocks": int(blocks), "n_trimmed": n_trimmed}
        table.attrs[BLOCKS_ATTR] = collector.finish()
    if store is not None:
        write_summary(table, out)
    return table
