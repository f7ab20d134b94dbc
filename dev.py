"""Set up a local environment and run the project's jobs, with nothing but Python 3.11.

    python3.11 dev.py demo    # create .venv if needed, then backtests, a sweep and HTML
                              # reports on the bundled data
    python3.11 dev.py test    # create .venv if needed, then lint and the test suite
    python3.11 dev.py heavy   # the tests that compile every kernel afresh in processes of
                              # their own (bounds-checked build, cache invalidation): ~10 min
    python3.11 dev.py bench   # benchmarks (pytest-benchmark), then the comparison script
                              # (extra arguments go to the script, e.g. --save)
    python3.11 dev.py cov     # kernel line coverage with NUMBA_DISABLE_JIT=1

The environment is (re)installed when pyproject.toml changes.
"""

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".fastbt-installed"


def ensure_environment() -> None:
    """Create .venv and install fastbt with its dev, dask, server, stats and interactive
    extras, once per pyproject version (so the cluster, service, statistics and
    interactive-chart tests run everywhere)."""
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text() == wanted:
        return
    if not (BIN / "python").exists():
        print(f"creating {VENV} ...", flush=True)
        venv.create(VENV, with_pip=True)
    print("installing fastbt and its dependencies ...", flush=True)
    pip = [str(BIN / "python"), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "--upgrade", "pip"], check=True)
    subprocess.run([*pip, "-e", f"{ROOT}[dev,dask,server,stats,interactive]"], check=True)
    STAMP.write_text(wanted)


# Test files run on two worker processes (one per core of the development and CI
# machines): much of the suite is single-threaded Numba compiling and small runs.
# A file stays on one worker, so its fixtures (servers, stores) are built once.
TEST_WORKERS = ("-n", "2", "--dist", "loadfile")

# On a fresh clone the Numba cache is empty and the kernels nearly every test file
# needs (a single run's simulation; the generated sweep kernels of ma_cross and rsi)
# would be compiled by both workers, and by the CLI and server processes the tests
# start, at once. Two processes compile them first, one set each, into the cache.
WARM_UP = (
    "import fastbt; fastbt.run('GOOG', 'ma_cross', fast=10, slow=30)",
    "import fastbt; g = fastbt.load('GOOG'); "
    "fastbt.sweep(g, 'ma_cross', {'fast': [5], 'slow': [20]}, n_jobs=1, progress=False); "
    "fastbt.sweep(g, 'rsi', {'window': [14]}, n_jobs=1, progress=False)",
)


def run(*command: str, env: dict | None = None) -> int:
    return subprocess.run(command, cwd=ROOT, env={**os.environ, **(env or {})}).returncode


def warm_up() -> int:
    """Compile the shared kernels into the Numba cache (a few seconds when it is warm)."""
    processes = [subprocess.Popen([str(BIN / "python"), "-c", code], cwd=ROOT) for code in WARM_UP]
    return max(p.wait() for p in processes)


def main(argv: list[str]) -> int:
    jobs = {
        "demo": lambda extra: run(str(BIN / "fastbt"), "demo", *extra),
        "test": lambda extra: (
            run(str(BIN / "ruff"), "check", "fastbt", "tests", "benchmarks")
            or warm_up()
            or run(str(BIN / "python"), "-m", "pytest", *TEST_WORKERS, "-m", "not heavy", *extra)
        ),
        "heavy": lambda extra: run(str(BIN / "python"), "-m", "pytest", "-m", "heavy", *extra),
        "bench": lambda extra: (
            run(str(BIN / "python"), "-m", "pytest", "benchmarks", *extra)
            or run(str(BIN / "python"), "benchmarks/bench_core.py", *extra)
        ),
        "cov": lambda extra: (
            run(
                str(BIN / "python"),
                "-m",
                "coverage",
                "run",
                "--source=fastbt",
                "-m",
                "pytest",
                *extra,
                env={"NUMBA_DISABLE_JIT": "1"},
            )
            or run(str(BIN / "python"), "-m", "coverage", "report", "--show-missing")
        ),
    }
    if not argv or argv[0] not in jobs:
        print(__doc__.strip())
        return 2
    ensure_environment()
    return jobs[argv[0]](argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
