"""Requests per second of the REST service under a small local load.

    python benchmarks/bench_server.py [--save] [--rounds N] [--seconds S] [--clients 1,4,8]

Starts ``fastbt serve`` (SQLite in a temporary $FASTBT_HOME, 2 worker threads)
on 127.0.0.1, creates a user, runs one GOOG ``ma_cross`` backtest, then has
1, 4 and 8 client threads (one keep-alive ``httpx.Client`` each) request the
same URL back to back for ``--seconds`` per round. Rounds rotate through the
cases so a noisy neighbour slows all of them alike; each row is the median
round. Clients and server share the machine's cores, so the numbers are a
floor for a server with a machine to itself. ``--save`` also writes
benchmarks/results/server.md.
"""

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
from bench_core import environment, log, publish

from fastbt.server.auth import create_user
from fastbt.server.db import Database

RESULTS = Path(__file__).resolve().parent / "results" / "server.md"
ROOT = Path(__file__).resolve().parent.parent
_LISTENING = re.compile(r"listening on (http://127\.0\.0\.1:\d+)")
_CLI = "import sys; from fastbt.cli import main; sys.exit(main(sys.argv[1:]))"


def _healthy(url: str) -> bool:
    """Whether the server finished starting up (it answers only after that)."""
    try:
        return httpx.get(f"{url}/health", timeout=5).status_code == 200
    except httpx.HTTPError:
        return False


def start_server(home: Path) -> tuple[subprocess.Popen, str, str]:
    """``fastbt serve`` on a free loopback port: (process, base URL, database URL)."""
    db_url = f"sqlite:///{home / 'api.db'}"
    log_path = home / "server.log"
    env = {**os.environ, "FASTBT_HOME": str(home)}
    command = [sys.executable, "-c", _CLI, "serve", "--port", "0", "--db", db_url]
    with log_path.open("wb") as sink:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=sink, stderr=sink)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        match = _LISTENING.search(log_path.read_text(errors="replace"))
        if match and _healthy(match.group(1)):
            return process, match.group(1), db_url
        time.sleep(0.05)
    process.kill()
    raise RuntimeError(f"server did not start:\n{log_path.read_text(errors='replace')}")


def completed_backtest(client: httpx.Client) -> int:
    body = {"symbol": "GOOG", "params": {"fast": 10, "slow": 30}, "options": {"commission": 0.001}}
    run_id = client.post("/backtests", json=body).json()["id"]
    while client.get(f"/backtests/{run_id}").json()["status"] not in ("completed", "failed"):
        time.sleep(0.05)
    return run_id


def load_round(url: str, token: str, path: str, clients: int, seconds: float) -> dict:
    """``clients`` threads GET ``path`` back to back for ``seconds``: rps and latencies."""
    latencies: list[list[float]] = [[] for _ in range(clients)]
    failures = []
    start = threading.Barrier(clients + 1)
    headers = {"Authorization": f"Bearer {token}"}

    def client_loop(k: int) -> None:
        with httpx.Client(base_url=url, headers=headers, timeout=30) as client:
            client.get(path)  # connect and warm up outside the timing
            start.wait()
            stop = time.perf_counter() + seconds
            while (now := time.perf_counter()) < stop:
                response = client.get(path)
                latencies[k].append(time.perf_counter() - now)
                if response.status_code != 200:
                    failures.append(response.status_code)

    threads = [threading.Thread(target=client_loop, args=(k,)) for k in range(clients)]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    if failures:
        raise RuntimeError(f"{len(failures)} failed requests to {path}: {sorted(set(failures))}")
    every = sorted(t for per_client in latencies for t in per_client)
    return {
        "requests": len(every),
        "rps": len(every) / elapsed,
        "p50": every[len(every) // 2],
        "p95": every[int(len(every) * 0.95)],
    }


def table(rows: list[tuple], payload: int, args, took: float, loads: tuple) -> str:
    lines = [
        "## fastbt server benchmark",
        "",
        environment(),
        "",
        f"`fastbt serve` (uvicorn, 1 process; SQLite in WAL mode; 2 worker threads) and "
        f"the load clients on the same machine, over 127.0.0.1. Each client thread holds one "
        f"keep-alive `httpx.Client` and requests back to back for {args.seconds:g} s per round; "
        f"{args.rounds} rounds per case, rotated; medians over rounds. Every request but "
        f"`/health` is authenticated (bearer token) and reads the run's row from the database.",
        "",
        "| request | clients | requests/s | p50 latency | p95 latency |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for label, clients, runs in rows:
        rps = statistics.median(r["rps"] for r in runs)
        p50 = statistics.median(r["p50"] for r in runs)
        p95 = statistics.median(r["p95"] for r in runs)
        lines.append(
            f"| {label} | {clients} | {rps:,.0f} | {p50 * 1e3:.1f} ms | {p95 * 1e3:.1f} ms |"
        )
    lines += [
        "",
        "Notes:",
        "",
        f"- `GET /backtests/{{id}}/results` answers {payload / 1024:,.0f} KiB of JSON for the "
        "GOOG run (2,148 bars: metrics, 33 trades, equity, cash and position per bar). The "
        "worker encodes it once when the run completes (`results.json` beside the run's "
        "Parquet files); a request checks the token, reads the run's row to check its owner "
        "and status, and sends that file. Decoding the Parquet files and encoding the JSON on "
        "every request instead (`Result.from_parquet` + `to_dict` + `json.dumps`, about 45 ms) "
        "measured 22 requests/s with 1 client and 20 with 8, before that change.",
        "- `GET /backtests/{id}` is the run's database row (status, metrics); `GET /health` "
        "needs no token and touches neither database nor files: the floor of the stack.",
        f"- Whole script took {took:.0f} s; 1-minute load average {loads[0]:.2f} at the start, "
        f"{loads[1]:.2f} at the end (on {os.cpu_count()} CPUs; other work on the machine "
        "slows the rounds it overlaps).",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--save", action="store_true", help=f"also write {RESULTS}")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=3.0, help="per round and case")
    parser.add_argument("--clients", default="1,4,8", help="client thread counts")
    args = parser.parse_args(argv)
    began = time.perf_counter()
    load_at_start = os.getloadavg()[0]
    counts = [int(c) for c in args.clients.split(",")]
    with tempfile.TemporaryDirectory(prefix="fastbt-bench-server-") as folder:
        home = Path(folder)
        process, url, db_url = start_server(home)
        try:
            db = Database(db_url)
            token = create_user(db, "bench")
            db.dispose()
            with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}) as c:
                run_id = completed_backtest(c)
                payload = len(c.get(f"/backtests/{run_id}/results").content)
            cases = [
                ("`GET /backtests/{id}/results`", f"/backtests/{run_id}/results"),
                ("`GET /backtests/{id}`", f"/backtests/{run_id}"),
                ("`GET /health`", "/health"),
            ]
            runs = {(label, n): [] for label, _ in cases for n in counts}
            for round_number in range(args.rounds):
                log(f"round {round_number + 1}/{args.rounds}")
                for label, path in cases:
                    for n in counts:
                        runs[label, n].append(load_round(url, token, path, n, args.seconds))
        finally:
            process.terminate()
            process.wait(timeout=60)
    rows = [(label, n, runs[label, n]) for label, _ in cases for n in counts]
    loads = (load_at_start, os.getloadavg()[0])
    publish(table(rows, payload, args, time.perf_counter() - began, loads), RESULTS, args.save)
    return 0


if __name__ == "__main__":
    sys.exit(main())
