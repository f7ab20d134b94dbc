"""The peer-match harness (benchmarks/peers.py) against vectorbt and backtesting.py.

Needs the ``bench`` extra; without vectorbt or backtesting.py every test here is
skipped, so CI without the extra stays green. The v1 scenarios run on today's
options. The v2 scenarios compare the peers with ``fastbt.run(..., like=...)`` once
fastbt has the v2 options, and with ``spec_model.py`` (a plain-Python reading of the
v2 rules) before that.
"""

import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("vectorbt")
pytest.importorskip("backtesting")

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

import peers
import probes
import spec_model

V1 = [s for s in peers.SCENARIOS if not s.v2]
V2 = [s for s in peers.SCENARIOS if s.v2]
DATASETS = peers.datasets()

# Differences that a documented peer behaviour explains: (peer, scenario) -> probe key.
EXPECTED_DIFFERENCES = {
    ("backtesting.py", "v1: long, fees 0.1% + 1.0"): "btpy_fixed_fee_sizing",
    ("backtesting.py", "both, fees 0.1% + 1.0"): "btpy_fixed_fee_sizing",
    ("vectorbt", "both, 20 units: some orders beyond the cash"): "vbt_partial_fill",
    ("vectorbt", "short into ruin, then cover"): "vbt_partial_cover",
}


def check(peer: str, scenario: peers.Scenario, bars, entry, exit_, ours=None) -> bool:
    """The peer matches to 1e-9 (True), or differs where its expected probe says (False)."""
    match, theirs, mine = peers.run_scenario(peer, scenario, bars, entry, exit_, ours)
    assert match.n_trades > 0
    if match.matched:
        return True
    expected = EXPECTED_DIFFERENCES.get((peer, scenario.name))
    assert expected is not None, match.detail
    assert probes.explain(peer, scenario, bars, match, theirs, mine).startswith(expected)
    return False


@pytest.mark.parametrize("name", list(DATASETS))
@pytest.mark.parametrize("peer", list(peers.PEERS))
@pytest.mark.parametrize("scenario", V1, ids=lambda s: s.name)
def test_v1_scenarios_match_or_are_explained(scenario, peer, name):
    matched = check(peer, scenario, *DATASETS[name])
    assert matched == ((peer, scenario.name) not in EXPECTED_DIFFERENCES)


@pytest.mark.parametrize(
    ("scenario", "peer"),
    [(s, peer) for s in V2 for peer in s.peers],
    ids=lambda x: x if isinstance(x, str) else x.name,
)
def test_v2_scenarios_match_or_are_explained(scenario, peer):
    """Against fastbt once it has ``like=``, against the rules' model before that."""
    ours = None if peers.supports_v2() else spec_model.simulate
    results = [
        check(peer, scenario, bars, entry, exit_, ours)
        for bars, entry, exit_ in peers.datasets(scenario.data).values()
    ]
    # an expected difference must still show somewhere, or the peer changed
    assert all(results) == ((peer, scenario.name) not in EXPECTED_DIFFERENCES)


def test_compare_grades_identical_tiny_and_real_differences():
    bars, entry, exit_ = DATASETS["GOOG random"]
    ours = peers.fastbt_trades(bars, entry, exit_, fill="close")
    same = peers.Trades("copy", ours.frame.copy(), ours.final_equity)
    assert peers.compare(same, ours).level == "exact"

    nudged = ours.frame.copy()
    nudged.loc[3, "exit_price"] *= 1 + 1e-12
    assert peers.compare(peers.Trades("x", nudged, ours.final_equity), ours).level == "1e-9"

    nudged.loc[3, "exit_price"] *= 1 + 1e-6
    match = peers.compare(peers.Trades("x", nudged, ours.final_equity), ours)
    assert (match.level, match.trade, match.field) == ("differs", 3, "exit_price")

    shifted = ours.frame.copy()
    shifted.loc[5, "exit_bar"] += 1
    match = peers.compare(peers.Trades("x", shifted, ours.final_equity), ours)
    assert (match.level, match.trade, match.field) == ("differs", 5, "exit_bar")

    match = peers.compare(peers.Trades("x", ours.frame.iloc[:-1], ours.final_equity), ours)
    assert (match.level, match.field) == ("differs", "count")

    match = peers.compare(peers.Trades("x", ours.frame, ours.final_equity + 1e-3), ours)
    assert (match.level, match.field) == ("differs", "final_equity")


def test_peer_trades_follow_the_signals():
    """Sanity of the peer adapters: every trade opens on the bar after an entry
    signal (backtesting.py, next open) or on it (vectorbt, at the close)."""
    bars, entry, exit_ = DATASETS["GOOG random"]
    scenario = peers.Scenario("long", v2=False)
    btpy = peers.backtesting_trades(bars, entry, exit_, scenario).frame
    vbt = peers.vectorbt_trades(bars, entry, exit_, scenario).frame
    assert entry[btpy["entry_bar"].to_numpy(dtype=int) - 1].all()
    assert entry[vbt["entry_bar"].to_numpy(dtype=int)].all()
    opens = bars["open"].to_numpy()[btpy["entry_bar"].to_numpy(dtype=int)]
    assert np.array_equal(btpy["entry_price"].to_numpy(), opens)


@pytest.mark.parametrize("probe", probes.PROBES, ids=lambda p: p.key)
def test_probes_show_the_documented_peer_behaviour(probe):
    value = probe.run()
    if probe.key in (
        "btpy_sl_before_close",
        "btpy_tp_before_close",
        "btpy_sl_first",
        "vbt_sl_first",
    ):
        assert value == probe.fastbt_value  # the peer agrees with fastbt's rule (its preset)
    elif probe.key == "btpy_trail_on_fill_bar":
        assert value == 105.0 * (1 - 0.05)  # trailed to the fill bar's high
    elif probe.key == "btpy_fixed_fee_sizing":
        assert value == 93.0  # floor(10000 / (97.3 + 10))
    elif probe.key == "btpy_one_minus_eps":
        assert value == probe.fastbt_value - 1
    else:  # vbt_partial_cover: only part of the short is covered
        assert 0 < value < probe.fastbt_value


@pytest.mark.parametrize("probe", probes.PROBES, ids=lambda p: p.key)
def test_fastbt_gives_the_hand_computed_value_on_each_probe(probe):
    if not peers.supports_v2():
        pytest.skip("fastbt does not run the v2 options (direction=, sl=, like=, ...) yet")
    assert probe.run("fastbt") == pytest.approx(probe.fastbt_value, rel=1e-12)
