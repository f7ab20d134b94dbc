"""Fair use of a shared server: per-user limits, round-robin between users, and
cancelling a running sweep. Each test starts its own ``fastbt serve``."""

import time
from datetime import datetime

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("httpx")

import itertools

import fastbt
from fastbt.server.fair import FairQueue, QueueFull
from tests.server_fixtures import Server, wait_for


def sleepy(seconds: float, tag: int = 0) -> dict:
    return {"symbol": "GOOG", "strategy": "test_sleepy", "params": {"seconds": seconds, "tag": tag}}


def started(state: dict) -> datetime:
    return datetime.fromisoformat(state["started_at"])


def test_the_queue_serves_the_user_served_longest_ago_first():
    queue = FairQueue(max_waiting=10, max_running=1)
    for run_id in range(1, 6):
        queue.put("a", run_id)
    assert queue.take() == ("a", 1)
    queue.put("b", 100)
    queue.done("a")
    assert queue.take() == ("b", 100)  # FIFO would give a's run 2
    queue.done("b")
    assert queue.take() == ("a", 2)


def test_the_queue_caps_waiting_runs_per_user_and_forgets_discarded_ones():
    queue = FairQueue(max_waiting=2, max_running=1)
    queue.put("a", 1)
    queue.put("a", 2)
    with pytest.raises(QueueFull):
        queue.check_room("a")
    queue.check_room("b")  # another user's room is their own
    assert queue.discard(2) and not queue.discard(2)
    queue.check_room("a")


def test_on_chunk_stops_a_sweep_between_chunks(tmp_path):
    """The hook the server cancels sweeps with: what it raises ends the sweep, and the
    chunks already finished are the only ones written."""
    calls = []

    def stop_after_two(done: int, total: int) -> None:
        calls.append((done, total))
        if len(calls) == 2:
            raise RuntimeError("deleted")

    grid = {"fast": list(range(2, 12)), "slow": [30]}
    with pytest.raises(fastbt.SweepError, match="deleted"):
        fastbt.sweep(
            "GOOG",
            "ma_cross",
            grid,
            out=tmp_path,
            chunk_size=2,
            progress=False,
            on_chunk=stop_after_two,
        )
    assert calls == [(2, 10), (4, 10)]
    assert len(list(tmp_path.glob("*.parquet"))) == 2


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    # defaults but the queue: 2 workers, at most 1 running backtest per user
    running = Server(
        tmp_path_factory.mktemp("fair"), "--max-queued-per-user", "4", "--report-cache", "2"
    ).start()
    yield running
    running.stop()


def test_one_user_cannot_starve_another(server):
    alice = server.client(server.add_user("alice"))
    bob = server.client(server.add_user("bob"))
    with alice, bob:
        ids, refused = [], None
        for tag in range(7):
            response = alice.post("/backtests", json=sleepy(0.6, tag))
            if response.status_code == 429:
                refused = response
                break
            assert response.status_code == 202, response.text
            ids.append(response.json()["id"])
        assert refused is not None and len(ids) <= 5  # 4 waiting + 1 running
        assert int(refused.headers["retry-after"]) > 0
        assert "--max-queued-per-user" in refused.json()["detail"]
        mine = bob.post("/backtests", json=sleepy(0))
        assert mine.status_code == 202, mine.text  # alice's limit is hers alone
        bobs = wait_for(bob, f"/backtests/{mine.json()['id']}", timeout=30)
        alices = [wait_for(alice, f"/backtests/{run_id}", timeout=60) for run_id in ids]
    assert bobs["status"] == "completed"
    later = [state for state in alices if started(state) > started(bobs)]
    assert len(later) >= len(alices) - 1, (bobs, alices)  # FIFO would start bob's last
    # one user never holds both workers: alice's runs did not overlap
    spans = sorted((started(s), datetime.fromisoformat(s["finished_at"])) for s in alices)
    assert all(end <= next_start for (_, end), (next_start, _) in itertools.pairwise(spans))


def test_deleting_waiting_runs_makes_room_again(server):
    with server.client(server.add_user("carol")) as carol:
        ids = []
        while (response := carol.post("/backtests", json=sleepy(1))).status_code == 202:
            ids.append(response.json()["id"])
            assert len(ids) <= 5
        assert response.status_code == 429
        waiting = [i for i in ids if carol.get(f"/backtests/{i}").json()["status"] == "pending"]
        assert carol.delete(f"/backtests/{waiting[-1]}").status_code == 204
        again = carol.post("/backtests", json=sleepy(0))
        assert again.status_code == 202, again.text
        for run_id in [*ids, again.json()["id"]]:
            if run_id != waiting[-1]:
                assert wait_for(carol, f"/backtests/{run_id}", timeout=60)["status"] == "completed"


def test_deleting_a_running_sweep_stops_it_and_removes_its_files(server):
    with server.client(server.add_user("dave")) as dave:
        grid = {"seconds": [0.25], "tag": {"start": 0, "stop": 200}}  # 50 s in 20 chunks
        body = {"symbols": ["GOOG"], "strategy": "test_sleepy", "grid": grid}
        sweep_id = dave.post("/sweeps", json=body).json()["id"]
        folder = server.home / "server" / "sweeps" / str(sweep_id)
        deadline = time.monotonic() + 30
        while dave.get(f"/sweeps/{sweep_id}").json()["n_done"] == 0:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert list((folder / "table").glob("*.parquet"))  # parts are written
        deleted = time.monotonic()
        assert dave.delete(f"/sweeps/{sweep_id}").status_code == 204
        assert dave.get(f"/sweeps/{sweep_id}").status_code == 404
        quick = {"symbols": ["GOOG"], "grid": {"fast": [5, 10], "slow": [20]}}
        after = wait_for(dave, f"/sweeps/{dave.post('/sweeps', json=quick).json()['id']}", 30)
        assert after["status"] == "completed"
        # the sweep worker was free again within a chunk (3 s), not after 50 s
        assert time.monotonic() - deleted < 10
        assert not folder.exists()
        assert sorted(p.name for p in folder.parent.iterdir()) == [str(after["id"])]


def test_rendered_reports_are_kept_least_recently_used_first(server):
    with server.client(server.add_user("erin")) as erin:
        body = {"symbols": ["GOOG"], "grid": {"fast": [5, 10], "slow": [20, 30]}}
        sweep = wait_for(erin, f"/sweeps/{erin.post('/sweeps', json=body).json()['id']}")
        cache = server.home / "server" / "sweeps" / str(sweep["id"]) / "cache"
        for metric in ("sharpe", "total_return", "sharpe", "max_drawdown"):
            report = erin.get(f"/sweeps/{sweep['id']}/report", params={"metric": metric})
            assert report.status_code == 200
        kept = sorted(p.name for p in cache.iterdir())
        assert kept == ["report-max_drawdown-20.html", "report-sharpe-20.html"]  # 2 kept
        again = erin.get(f"/sweeps/{sweep['id']}/report", params={"metric": "total_return"})
        assert again.status_code == 200 and "total_return" in again.text
