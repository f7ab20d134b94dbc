"""Where chunks run: in this process on Numba threads, in joblib worker processes,
or on a Dask cluster through joblib's dask backend."""

import os
from collections.abc import Iterator

BACKENDS = ("loky", "dask")
# Below this many bar-evaluations a sweep finishes faster in-process than it
# takes to start worker processes.
IN_PROCESS_WORK = 2e8


def prefer_in_process(fused: bool, work: float) -> bool:
    """Whether local chunks run in this process on Numba threads.

    Fused kernels release the GIL and already use every core from one process;
    worker processes measured no faster on them and cost memory and start-up
    (benchmarks/results/sweep.md). Set-by-set strategies run Python per set,
    so large ones fan out to processes.
    """
    return fused or work < IN_PROCESS_WORK


def cores() -> int:
    return os.cpu_count() or 1


def _dask_client(scheduler):
    """A distributed.Client from an address or an existing client."""
    try:
        from distributed import Client
    except ImportError:
        raise ValueError(
            "backend='dask' needs the optional dask extra: pip install 'fastbt[dask]'"
        ) from None
    return (scheduler, False) if isinstance(scheduler, Client) else (Client(scheduler), True)


def check_backend(backend: str, scheduler) -> None:
    """Reject an unknown backend, or dask without a scheduler, before any work."""
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {', '.join(BACKENDS)}, got {backend!r}")
    if backend == "dask" and scheduler is None:
        raise ValueError("backend='dask' needs scheduler= (an address or a distributed.Client)")


def run_tasks(
    run_chunk, tasks: list[tuple], *, n_jobs: int, backend: str, scheduler, in_process: bool
) -> Iterator[tuple]:
    """Yield ``run_chunk(*task)`` results as they finish (any order); locally, in this
    process when ``in_process`` (see ``prefer_in_process``), else in worker processes.

    ``n_jobs`` bounds the busy threads: in-process it is the Numba thread count;
    with worker processes, processes x Numba threads per process stays within it.
    """
    check_backend(backend, scheduler)
    budget = cores() if n_jobs is None or n_jobs < 0 else max(1, min(n_jobs, cores()))
    if backend == "dask":
        yield from _run_on_dask(run_chunk, tasks, scheduler)
        return
    processes = min(budget, len(tasks))
    if processes <= 1 or in_process:
        for task in tasks:
            yield run_chunk(*task, budget)
        return
    from joblib import Parallel, delayed

    threads = max(1, budget // processes)
    parallel = Parallel(n_jobs=processes, backend="loky", return_as="generator_unordered")
    yield from parallel(delayed(run_chunk)(*task, threads) for task in tasks)


def _run_on_dask(run_chunk, tasks, scheduler):
    from joblib import Parallel, delayed, parallel_config

    client, owned = _dask_client(scheduler)
    try:
        with parallel_config(backend="dask", wait_for_workers_timeout=60):
            parallel = Parallel(n_jobs=-1, return_as="generator_unordered")
            yield from parallel(delayed(run_chunk)(*task, 1) for task in tasks)
    finally:
        if owned:
            client.close()
