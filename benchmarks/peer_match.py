"""The peer-match table: fastbt's ``like=`` presets against vectorbt and backtesting.py.

    python benchmarks/peer_match.py [--save] [--v1-only]

Every scenario of ``peers.SCENARIOS`` runs the same signal arrays (fastbt's
ma_cross on GOOG, random signals on GOOG and on synthetic bars; tailored bars for
ruin) through a peer and through ``fastbt.run(..., like=<peer>)``, and compares the
trades (entry and exit bars, direction, prices, quantity, fees, pnl) and the final
equity: "exact" (bit for bit), "1e-9" (relative), or the first difference with the
peer behaviour that explains it (``probes.py``). The probes table shows each such
behaviour on a few hand-made bars. Scenarios marked v1 use only today's options
(no ``like``). Until fastbt has the v2 options, the other rows compare the peer with
``spec_model.py`` (a plain-Python reading of the v2 rules), marked [model]. Exit
code 1 when a difference is not explained. Needs the ``bench`` extra. ``--save``
also writes benchmarks/results/peers.md.
"""

import argparse
import importlib.metadata
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import spec_model
from peers import PEERS, SCENARIOS, compare, datasets, run_scenario, supports_v2
from probes import explain, run_probes

RESULTS = Path(__file__).resolve().parent / "results" / "peers.md"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def cell(peer: str, scenario, bars, entry, exit_, v2: bool) -> tuple[str, bool]:
    """One table cell and whether it matched or differed for a known reason."""
    model = None if v2 or not scenario.v2 else spec_model.simulate
    try:
        match, theirs, ours = run_scenario(peer, scenario, bars, entry, exit_, model)
    except Exception as error:  # a peer that cannot run a scenario is a finding, not a crash
        return f"could not run: {type(error).__name__}: {error}", False
    mark = "" if model is None else " [model]"
    if match.level == "exact":
        return f"exact ({match.n_trades} trades){mark}", True
    if match.level == "1e-9":
        return f"1e-9 ({match.n_trades} trades; {match.detail}){mark}", True
    why = explain(peer, scenario, bars, match, theirs, ours)
    if not why and model is None and scenario.v2:  # triage: does the rules' model agree?
        second = compare(theirs, spec_model.simulate(peer, bars, entry, exit_, scenario))
        if second.matched:
            why = "NOT EXPLAINED; spec_model.py matches the peer here, so look at fastbt first"
            return f"**differs**: {match.detail}. Why: {why}", False
    return f"**differs**{mark}: {match.detail}. Why: {why or 'NOT EXPLAINED'}", bool(why)


def versions() -> str:
    names = ("fastbt", "vectorbt", "backtesting", "numpy", "pandas", "numba")
    found = []
    for name in names:
        try:
            found.append(f"{name} {importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            found.append(f"{name} missing")
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"{now} · Python {platform.python_version()} · " + " · ".join(found)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--save", action="store_true", help=f"also write {RESULTS}")
    parser.add_argument("--v1-only", action="store_true", help="only the v1 scenarios")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    v2 = supports_v2()
    scenarios = [s for s in SCENARIOS if not (args.v1_only and s.v2)]
    data = {kind: datasets(kind) for kind in {s.data for s in scenarios}}

    lines = [
        "## Peer match: fastbt `like=` presets against vectorbt and backtesting.py",
        "",
        versions(),
        "",
        '| scenario | signals | vectorbt (`like="vectorbt"`) | backtesting.py '
        '(`like="backtesting.py"`) |',
        "| --- | --- | --- | --- |",
    ]
    if not v2:
        lines[4:4] = [
            "fastbt does not run the v2 options yet: rows marked [model] compare the peer with "
            "`spec_model.py`, a plain-Python reading of the v2 execution rules.",
            "",
        ]
    all_matched = True
    summary: dict[str, dict[str, list[str]]] = {}  # scenario -> peer -> short verdicts
    for scenario in scenarios:
        for name, (bars, entry, exit_) in data[scenario.data].items():
            log(f"{scenario.name} / {name} ...")
            cells = []
            for peer in PEERS:
                if peer not in scenario.peers:
                    cells.append("n/a (the peer has no such option)")
                    continue
                text, matched = cell(peer, scenario, bars, entry, exit_, v2)
                cells.append(text)
                all_matched &= matched
                verdict = text.split(" ")[0].replace("*", "").rstrip(":")
                if verdict == "differs":
                    verdict += f" ({text.split('Why: ')[-1].split(':')[0].split(';')[0]})"
                summary.setdefault(scenario.name, {}).setdefault(peer, []).append(verdict)
            lines.append(f"| {scenario.name} | {name} | " + " | ".join(cells) + " |")

    lines += [
        "",
        "### Summary (one verdict per signal set; [model] rows: see above)",
        "",
        "| scenario | vectorbt | backtesting.py |",
        "| --- | --- | --- |",
    ]
    for name, by_peer in summary.items():
        shown = [", ".join(by_peer.get(peer, ["n/a"])) for peer in PEERS]
        lines.append(f"| {name} | " + " | ".join(shown) + " |")

    lines += [
        "",
        "### Peer behaviours on hand-made bars",
        "",
        "| probe | peer | behaviour | fastbt's rule gives | peer gives | fastbt gives |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for probe, value in run_probes():
        same = "same" if value == probe.fastbt_value else "**differs**"
        if v2:
            ours = probe.run("fastbt")
            mine = (
                f"{ours:g} ({'as the rule' if ours == probe.fastbt_value else '**NOT the rule**'})"
            )
            all_matched &= ours == probe.fastbt_value
        else:
            mine = "needs v2"
        lines.append(
            f"| `{probe.key}` | {probe.peer} | {probe.behaviour} | {probe.field} "
            f"{probe.fastbt_value:g} ({probe.why}) | {probe.field} {value:g} ({same}) | {mine} |"
        )
    lines += ["", f"Whole script took {time.perf_counter() - started:.0f} s."]
    table = "\n".join(lines) + "\n"
    print(table)
    if args.save:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(table, encoding="utf-8")
        log(f"wrote {RESULTS}")
    return 0 if all_matched else 1


if __name__ == "__main__":
    sys.exit(main())
