"""The REST service over real HTTP: ``fastbt serve`` in a subprocess on 127.0.0.1."""

import base64
import io
import math
import re
import shutil
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("httpx")
pytest.importorskip("sqlalchemy")

import matplotlib.image
import numpy as np
import pandas as pd
import sqlalchemy

import fastbt
from fastbt.server.db import INTERRUPTED, Database
from tests.server_fixtures import (
    TEST_DB_URL,
    Server,
    fastbt_command,
    render_processes,
    wait_for,
)

GOOG_RUN = {
    "name": "goog 10/30",
    "symbol": "GOOG",
    "strategy": "ma_cross",
    "params": {"fast": 10, "slow": 30},
    "options": {"commission": 0.001},
}
MAX_GRID = 20_000


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    running = Server(
        tmp_path_factory.mktemp("api"), "--max-grid", str(MAX_GRID), "--workers", "2"
    ).start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def alice(server):
    with server.client(server.add_user("alice")) as client:
        yield client


@pytest.fixture(scope="module")
def bob(server):
    with server.client(server.add_user("bob")) as client:
        yield client


@pytest.fixture(scope="module")
def goog_backtest(alice) -> dict:
    """GOOG_RUN, posted and completed once for the tests that only read it."""
    created = alice.post("/backtests", json=GOOG_RUN)
    assert created.status_code == 202, created.text
    return wait_for(alice, f"/backtests/{created.json()['id']}")


def assert_same_metrics(got: dict, expected: dict) -> None:
    assert got.keys() == expected.keys()
    for name, value in expected.items():
        if isinstance(value, float) and math.isnan(value):
            assert math.isnan(got[name]), name
        else:
            assert got[name] == value, name


def assert_png(data: bytes) -> None:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    image = matplotlib.image.imread(io.BytesIO(data), format="png")
    assert image.ndim == 3 and image.shape[0] > 100 and image.shape[1] > 100


def test_health_and_docs_need_no_token(server):
    with server.client() as client:
        assert client.get("/health").json() == {"status": "ok", "version": fastbt.__version__}
        assert client.get("/docs").status_code == 200
        schema = client.get("/openapi.json").json()
    assert {"/backtests", "/backtests/{backtest_id}/results", "/sweeps", "/symbols"} <= set(
        schema["paths"]
    )


def test_the_docs_page_works_offline(server):
    """/docs loaded Swagger UI from a CDN; now every asset comes from the server."""
    with server.client() as client:
        page = client.get("/docs")
        assert page.status_code == 200
        assert not re.search(r"https?:", page.text), page.text
        assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
        assert len(assets) >= 3  # script, style, icon
        for asset in assets:
            assert client.get(asset).status_code == 200, asset
        assert "swagger-ui" in client.get(assets[-1]).text.lower()  # the script, not a stub


def test_small_answers_do_not_wait_for_delayed_acks(server):
    """Nagle's algorithm on the server's sockets would hold each small answer ~40 ms."""
    with server.client() as client:
        client.get("/health")
        times = []
        for _ in range(15):
            started = time.perf_counter()
            client.get("/health")
            times.append(time.perf_counter() - started)
    assert sorted(times)[len(times) // 2] < 0.03, times


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer nonsense", "Bearer fbt.0000000000000000.wrong", "Basic YWxpY2U6eA=="],
)
def test_missing_or_wrong_token_is_401(server, alice, authorization):
    headers = {} if authorization is None else {"Authorization": authorization}
    with server.client() as client:
        for path in ("/backtests", "/sweeps", "/strategies", "/symbols", "/backtests/1"):
            response = client.get(path, headers=headers)
            assert response.status_code == 401, path
            assert response.headers["www-authenticate"] == "Bearer"


def test_a_wrong_secret_for_a_real_key_is_401(server, alice):
    token = alice.headers["authorization"].split()[1]
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    with server.client(forged) as client:
        assert client.get("/backtests").status_code == 401


def test_backtest_is_queued_then_equals_fastbt_run(alice, goog_backtest):
    assert goog_backtest["status"] == "completed", goog_backtest
    assert goog_backtest["error"] is None
    assert goog_backtest["started_at"] and goog_backtest["finished_at"]
    results = alice.get(f"/backtests/{goog_backtest['id']}/results")
    assert results.status_code == 200
    served = fastbt.Result.from_dict(results.json())
    expected = fastbt.run("GOOG", "ma_cross", fast=10, slow=30, commission=0.001)
    assert_same_metrics(served.metrics, expected.metrics)
    assert len(served.trades) == len(expected.trades)
    assert len(served.closed_trades) == expected.metrics["n_trades"] == 32
    pd.testing.assert_series_equal(served.equity, expected.equity, check_freq=False)
    pd.testing.assert_frame_equal(served.trades, expected.trades)
    assert goog_backtest["n_bars"] == len(expected.equity)


def test_like_applies_its_preset_and_given_options_override_it(alice):
    body = {"symbol": "GOOG", "options": {"like": "vectorbt", "fill": "next_open"}}
    created = alice.post("/backtests", json=body)
    assert created.status_code == 202, created.text
    options = created.json()["options"]
    assert options == fastbt.RunOptions.resolve(like="vectorbt", fill="next_open").as_dict()
    assert options["reversal_fee"] == "per_order" and options["fill"] == "next_open"


def test_a_long_short_run_with_stops_equals_fastbt_run(alice):  # needs the v2 engines
    v2 = {"direction": "both", "sl": 0.05, "tp": None, "trail": True}
    body = {**GOOG_RUN, "options": GOOG_RUN["options"] | v2}
    state = wait_for(alice, f"/backtests/{alice.post('/backtests', json=body).json()['id']}")
    assert state["status"] == "completed", state
    served = fastbt.Result.from_dict(alice.get(f"/backtests/{state['id']}/results").json())
    expected = fastbt.run("GOOG", "ma_cross", fast=10, slow=30, commission=0.001, **v2)
    assert served.options == expected.options
    assert_same_metrics(served.metrics, expected.metrics)
    pd.testing.assert_frame_equal(served.trades, expected.trades)
    assert set(served.trades["direction"]) == {"long", "short"}


def test_a_sweep_over_stops_equals_fastbt_sweep(alice):  # needs the v2 kernel's stop grids
    grid = {"fast": [5, 10], "slow": [30], "sl": [0.02, 0.05], "tp": [None, 0.1]}
    body = {"symbols": ["GOOG"], "grid": grid, "options": {"direction": "both"}}
    created = alice.post("/sweeps", json=body)
    assert created.status_code == 202, created.text
    state = wait_for(alice, f"/sweeps/{created.json()['id']}")
    assert state["status"] == "completed", state
    served = alice.get(f"/sweeps/{state['id']}/results", params={"sort": "total_return"}).json()
    expected = fastbt.sweep("GOOG", "ma_cross", grid, direction="both", progress=False)
    best = fastbt.top(expected, 1, "total_return", min_trades=0).iloc[0]
    assert len(served["rows"]) == len(expected) == 8
    assert served["rows"][0]["total_return"] == pytest.approx(best["total_return"], rel=1e-12)


def test_post_answers_202_pending_at_once(alice):
    created = alice.post(
        "/backtests",
        json={"symbol": "GOOG", "strategy": "test_sleepy", "params": {"seconds": 1}},
    )
    assert created.status_code == 202
    body = created.json()
    assert body["status"] == "pending"
    assert created.headers["location"] == f"/backtests/{body['id']}"
    assert created.elapsed.total_seconds() < 1
    assert wait_for(alice, f"/backtests/{body['id']}")["status"] == "completed"


def test_start_and_end_slice_the_data(alice):
    body = {**GOOG_RUN, "start": "2008-01-01", "end": "2010-12-31"}
    state = wait_for(alice, f"/backtests/{alice.post('/backtests', json=body).json()['id']}")
    bars = fastbt.load("GOOG").loc["2008-01-01":"2010-12-31"]
    expected = fastbt.run(bars, "ma_cross", fast=10, slow=30, commission=0.001)
    assert state["n_bars"] == len(bars)
    served = fastbt.Result.from_dict(alice.get(f"/backtests/{state['id']}/results").json())
    assert_same_metrics(served.metrics, expected.metrics)


def test_uploaded_bars_run_like_a_frame(alice):
    bars = fastbt.synthetic(300, seed=7)
    upload = {
        "timestamp": [t.isoformat() for t in bars.index],
        **{c: bars[c].tolist() for c in ("open", "high", "low", "close", "volume")},
    }
    body = {"bars": upload, "strategy": "rsi", "params": {"window": 10}}
    created = alice.post("/backtests", json=body)
    assert created.status_code == 202, created.text
    assert created.json()["data"] == "upload"
    state = wait_for(alice, f"/backtests/{created.json()['id']}")
    served = fastbt.Result.from_dict(alice.get(f"/backtests/{state['id']}/results").json())
    assert_same_metrics(served.metrics, fastbt.run(bars, "rsi", window=10).metrics)


def test_repairs_to_uploaded_bars_are_reported(alice):
    bars = fastbt.synthetic(300, seed=7)
    rows = [*range(10), 11, 10, *range(12, 300), 299]  # two rows swapped, the last repeated
    upload = {
        "timestamp": [bars.index[k].isoformat() for k in rows],
        **{c: bars[c].iloc[rows].tolist() for c in ("open", "high", "low", "close", "volume")},
    }
    created = alice.post("/backtests", json={"bars": upload, "params": {"fast": 5, "slow": 20}})
    assert created.status_code == 202, created.text
    said = created.json()["warnings"]
    assert len(said) == 2, said
    assert "not sorted" in said[0] and "1 row(s) with duplicate timestamps" in said[1]
    state = wait_for(alice, f"/backtests/{created.json()['id']}")
    assert state["warnings"] == said and state["n_bars"] == 300
    clean = alice.post("/backtests", json={"symbol": "GOOG"}).json()
    assert clean["warnings"] == []


def test_an_older_database_gets_the_new_columns(tmp_path):
    """``warnings`` was added to backtests; a database made before it must still work."""
    url = f"sqlite:///{tmp_path / 'old.db'}"
    db = Database(url)
    try:
        db.create_tables()
        with db.engine.begin() as connection:
            connection.execute(sqlalchemy.text("ALTER TABLE backtests DROP COLUMN warnings"))
        db.create_tables()
        columns = {c["name"] for c in sqlalchemy.inspect(db.engine).get_columns("backtests")}
    finally:
        db.dispose()
    assert "warnings" in columns


def test_stored_symbols_are_listed_and_run(server, alice):
    bars = fastbt.synthetic(400, seed=3)
    fastbt.MarketStore(server.home).write("ACME", bars)
    listing = alice.get("/symbols").json()
    assert {s["symbol"] for s in listing["samples"]} == set(fastbt.SAMPLES)
    acme = next(s for s in listing["stored"] if s["symbol"] == "ACME")
    assert acme["interval"] == "1d" and acme["rows"] == 400
    created = alice.post("/backtests", json={"symbol": "acme", "params": {"fast": 5, "slow": 20}})
    state = wait_for(alice, f"/backtests/{created.json()['id']}")
    assert state["symbol"] == "ACME"
    expected = fastbt.run(fastbt.MarketStore(server.home).read("ACME"), "ma_cross", fast=5, slow=20)
    assert state["metrics"]["total_return"] == expected.metrics["total_return"]


def test_strategies_lists_the_registry(alice):
    listed = {s["name"]: s for s in alice.get("/strategies").json()}
    assert {"ma_cross", "rsi", "test_sleepy"} <= set(listed)
    fast = next(p for p in listed["ma_cross"]["params"] if p["name"] == "fast")
    assert fast == {
        "name": "fast",
        "type": "int",
        "default": 50,
        "minimum": 1,
        "maximum": None,
        "doc": fast["doc"],
    }


@pytest.mark.parametrize("chart_type", ["equity", "drawdown", "returns"])
def test_chart_is_a_png_or_base64(alice, goog_backtest, chart_type):
    path = f"/backtests/{goog_backtest['id']}/chart"
    png = alice.get(path, params={"chart_type": chart_type})
    assert png.status_code == 200
    assert png.headers["content-type"] == "image/png"
    assert_png(png.content)
    encoded = alice.get(path, params={"chart_type": chart_type, "format": "base64"}).json()
    assert encoded["chart_type"] == chart_type and encoded["media_type"] == "image/png"
    assert base64.b64decode(encoded["data"]) == png.content


def test_unknown_chart_type_is_422(alice, goog_backtest):
    response = alice.get(f"/backtests/{goog_backtest['id']}/chart?chart_type=pie")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "chart_type"]


def test_report_is_html(alice, goog_backtest):
    response = alice.get(f"/backtests/{goog_backtest['id']}/report")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "<html" in response.text.lower() and "ma_cross" in response.text


def test_a_slow_chart_does_not_hold_up_another_runs_chart(server, alice, goog_backtest):
    """Rendering was one lock for the whole server: any chart waited for every other."""
    body = {"symbol": "GOOG", "strategy": "test_sleepy", "params": {"seconds": 4}}
    slow = wait_for(alice, f"/backtests/{alice.post('/backtests', json=body).json()['id']}")
    token = alice.headers["authorization"].split()[1]

    def chart(run_id: int, chart_type: str) -> tuple[int, float]:
        with server.client(token) as client:
            response = client.get(f"/backtests/{run_id}/chart", params={"chart_type": chart_type})
            return response.status_code, time.monotonic()

    with ThreadPoolExecutor(2) as pool:
        slow_chart = pool.submit(chart, slow["id"], "price")  # 4 s drawing its indicators
        time.sleep(0.5)
        quick_status, quick_done = chart(goog_backtest["id"], "monthly")
        slow_status, slow_done = slow_chart.result()
    assert quick_status == slow_status == 200
    assert quick_done < slow_done - 1


def test_another_users_runs_are_404(alice, bob, goog_backtest):
    run_id = goog_backtest["id"]
    for path in ("", "/results", "/chart", "/report"):
        response = bob.get(f"/backtests/{run_id}{path}")
        assert response.status_code == 404, path
        assert "ma_cross" not in response.text
    assert bob.delete(f"/backtests/{run_id}").status_code == 404
    assert run_id not in [b["id"] for b in bob.get("/backtests").json()]
    assert alice.get(f"/backtests/{run_id}").status_code == 200


def test_the_largest_id_and_seed_fit_the_database(alice):
    """Ids and seeds are 64-bit in every database (PostgreSQL's INTEGER is 32-bit)."""
    largest = 2**63 - 1
    for path in (f"/backtests/{largest}", f"/sweeps/{largest}"):
        assert alice.get(path).status_code == 404
        assert alice.delete(path).status_code == 404
    body = {"symbols": ["GOOG"], "grid": {"fast": [5, 10], "slow": [20]}, "sample": 1}
    created = alice.post("/sweeps", json={**body, "seed": 2**32 - 1})
    assert created.status_code == 202, created.text
    state = wait_for(alice, f"/sweeps/{created.json()['id']}")
    assert state["status"] == "completed" and state["n_total"] == 1, state


def test_listing_pages_own_runs(bob):
    ids = [
        bob.post("/backtests", json={**GOOG_RUN, "name": f"page {k}"}).json()["id"]
        for k in range(3)
    ]
    assert [b["id"] for b in bob.get("/backtests").json()] == ids
    assert [b["id"] for b in bob.get("/backtests?skip=1&limit=1").json()] == ids[1:2]
    assert bob.get("/backtests?limit=0").status_code == 422
    for run_id in ids:
        wait_for(bob, f"/backtests/{run_id}")


@pytest.mark.parametrize(
    ("body", "loc", "words"),
    [
        ({"symbol": "NOPE"}, ["body", "symbol"], "unknown symbol"),
        ({"symbol": "../../etc/passwd"}, ["body", "symbol"], "invalid symbol"),
        ({}, ["body", "symbol"], "symbol or uploaded bars"),
        ({"symbol": "GOOG", "strategy": "nope"}, ["body", "strategy"], "unknown strategy"),
        ({"symbol": "GOOG", "params": {"fast": 0}}, ["body", "params", "fast"], ">= 1"),
        (
            {"symbol": "GOOG", "params": {"fast": 50, "slow": 20}},
            ["body", "params", "fast"],
            "below 'slow'",
        ),
        ({"symbol": "GOOG", "params": {"speed": 3}}, ["body", "params"], "speed"),
        ({"symbol": "GOOG", "params": {"fast": "x"}}, ["body", "params", "fast"], "number"),
        ({"symbol": "GOOG", "options": {"fill": "later"}}, ["body", "options", "fill"], "fill"),
        ({"symbol": "GOOG", "options": {"cash": -5}}, ["body", "options", "cash"], "positive"),
        (
            {"symbol": "GOOG", "options": {"direction": "sideways"}},
            ["body", "options", "direction"],
            "long, short, both",
        ),
        ({"symbol": "GOOG", "options": {"sl": 1.5}}, ["body", "options", "sl"], "below 1"),
        ({"symbol": "GOOG", "options": {"tp": -0.1}}, ["body", "options", "tp"], "above 0"),
        (
            {"symbol": "GOOG", "options": {"risk_free": -0.01}},
            ["body", "options", "risk_free"],
            "not be negative",
        ),
        (
            {"symbol": "GOOG", "options": {"risk_free": "series"}},
            ["body", "options", "risk_free"],
            "must be a number",
        ),
        ({"symbol": "GOOG", "options": {"trail": "yes"}}, ["body", "options", "trail"], "True"),
        (
            {"symbol": "GOOG", "options": {"entry_expiry": 2.5}},
            ["body", "options", "entry_expiry"],
            "whole number",
        ),
        (
            {"symbol": "GOOG", "options": {"stop_priority": "tp_first"}},
            ["body", "options", "stop_priority"],
            "open_first, sl_first",
        ),
        (
            {"symbol": "GOOG", "options": {"like": "zipline"}},
            ["body", "options", "like"],
            "backtesting.py, vectorbt",
        ),
        (
            {"symbol": "GOOG", "options": {"leverage": 2}},
            ["body", "options", "leverage"],
            "unknown run option",
        ),
        ({"symbol": "GOOG", "start": "someday"}, ["body", "start"], "not a date"),
        ({"symbol": "GOOG", "name": "a\x00b"}, ["body", "name"], "NUL"),
        ({"symbol": "GOOG", "start": "2010-01-01\x00"}, ["body", "start"], "NUL"),
        ({"symbol": "GOOG", "start": "2030-01-01"}, ["body", "start"], "only 0 bar(s)"),
        ({"symbol": "GOOG", "interval": "7x"}, ["body", "interval"], "invalid interval"),
        ({"symbol": "GOOG", "colour": "red"}, ["body", "colour"], "Extra inputs"),
        ({"symbol": "GOOG", "name": 5}, ["body", "name"], "string"),
        (
            {"bars": {"timestamp": ["2024-01-01"], "open": [1], "high": [1], "low": [1]}},
            ["body", "bars", "close"],
            "Field required",
        ),
        (
            {
                "bars": {
                    "timestamp": ["2024-01-01", "2024-01-02"],
                    "open": [1, 1],
                    "high": [1, 1],
                    "low": [1, 2],
                    "close": [1, 1],
                }
            },
            ["body", "bars"],
            "low",
        ),
    ],
)
def test_invalid_backtests_are_422_naming_the_field(alice, body, loc, words):
    response = alice.post("/backtests", json=body)
    assert response.status_code == 422, response.text
    error = response.json()["detail"][0]
    assert error["loc"] == loc
    assert words in error["msg"]


@pytest.mark.parametrize(
    ("body", "loc", "words"),
    [
        ({"symbols": [], "grid": {"fast": [5]}}, ["body", "symbols"], "at least 1"),
        ({"symbols": ["GOOG"], "grid": {"speed": [1]}}, ["body", "grid"], "speed"),
        ({"symbols": ["GOOG", "NOPE"], "grid": {"fast": [5]}}, ["body", "symbols", 1], "NOPE"),
        ({"symbols": ["GOOG", "goog"], "grid": {"fast": [5]}}, ["body", "symbols", 1], "twice"),
        ({"symbols": ["GOOG"], "grid": {"fast": [50], "slow": [10]}}, ["body", "grid"], "no valid"),
        ({"symbols": ["GOOG"], "grid": {"fast": []}}, ["body", "grid", "fast"], "no values"),
        ({"symbols": ["GOOG"], "grid": {"fast": [2.5]}}, ["body", "grid", "fast"], "whole"),
        ({"symbols": ["GOOG"], "grid": {"fast": [None, 5]}}, ["body", "grid", "fast"], "numbers"),
        (
            {"symbols": ["GOOG"], "grid": {"fast": [5]}, "description": "\x00"},
            ["body", "description"],
            "NUL",
        ),
        (
            {"symbols": ["GOOG"], "grid": {"fast": [5]}, "options": {"size": 2}},
            ["body", "options", "size"],
            "size",
        ),
    ],
)
def test_invalid_sweeps_are_422_naming_the_field(alice, body, loc, words):
    response = alice.post("/sweeps", json=body)
    assert response.status_code == 422, response.text
    error = response.json()["detail"][0]
    assert error["loc"] == loc
    assert words in error["msg"]


def test_a_grid_over_the_limit_is_422_with_the_limit(alice):
    grid = {"fast": {"start": 1, "stop": 201}, "slow": {"start": 1, "stop": 201}}
    response = alice.post("/sweeps", json={"symbols": ["GOOG"], "grid": grid})
    assert response.status_code == 422
    error = response.json()["detail"][0]
    assert error["loc"] == ["body", "grid"]
    assert f"{MAX_GRID:,}" in error["msg"] and "40,000" in error["msg"]


BIG = "1" * 400  # a whole number no float can hold; stands for "BIG" in the bodies below


@pytest.mark.parametrize(
    ("path", "raw", "loc"),
    [
        ("/backtests", '{"symbol": "\\ud800"}', ["body", "symbol"]),
        ("/backtests", '{"symbol": "GOOG", "name": "a\\udfffb"}', ["body", "name"]),
        (
            "/backtests",
            '{"symbol": "GOOG", "options": {"fill": "\\ud800"}}',
            ["body", "options", "fill"],
        ),
        (
            "/backtests",
            '{"symbol": "GOOG", "params": {"fast": "\\ud800"}}',
            ["body", "params", "fast"],
        ),
        ("/backtests", '{"symbol": "GOOG", "params": {"\\ud800": 1}}', ["body", "params"]),
        ("/sweeps", '{"symbols": ["GOOG", "\\ud800"], "grid": {}}', ["body", "symbols", 1]),
        ("/sweeps", '{"symbols": ["GOOG"], "grid": {"\\ud800": [1]}}', ["body", "grid"]),
        (
            "/backtests",
            '{"symbol": "GOOG", "options": {"cash": BIG}}',
            ["body", "options", "cash"],
        ),
        (
            "/backtests",
            '{"symbol": "GOOG", "options": {"commission": -BIG}}',
            ["body", "options", "commission"],
        ),
        (
            "/backtests",
            '{"symbol": "GOOG", "params": {"fast": BIG}}',
            ["body", "params", "fast"],
        ),
        (
            "/sweeps",
            '{"symbols": ["GOOG"], "grid": {"fast": [5, BIG]}}',
            ["body", "grid", "fast"],
        ),
        (
            "/sweeps",
            '{"symbols": ["GOOG"], "grid": {"fast": [5]}, "options": {"size": BIG}}',
            ["body", "options", "size"],
        ),
    ],
)
def test_unencodable_text_and_huge_numbers_are_422_naming_the_field(alice, path, raw, loc):
    """Lone UTF-16 surrogates (valid JSON escapes, not Unicode) and integers too large
    for a float were 500s; they are refused before the library sees them."""
    content = raw.replace("BIG", BIG).encode()
    response = alice.post(path, content=content, headers={"content-type": "application/json"})
    assert response.status_code == 422, response.text
    error = response.json()["detail"][0]
    assert error["loc"][: len(loc)] == loc
    assert any(words in error["msg"] for words in ("surrogate", "unicode", "too large"))


def test_a_nested_option_or_parameter_value_is_422_naming_it(alice):
    """Values are walked by no recursive check: a list 900 deep was a RecursionError."""
    for field in ("params", "options"):
        deep = f'{{"symbol": "GOOG", "{field}": {{"a": {"[" * 900}{"]" * 900}}}}}'
        response = alice.post(
            "/backtests", content=deep.encode(), headers={"content-type": "application/json"}
        )
        assert response.status_code == 422, response.text
        error = response.json()["detail"][0]
        assert error["loc"] == ["body", field, "a"] and "not a JSON array" in error["msg"]


def test_a_commission_of_1_or_more_is_422(alice):
    response = alice.post("/backtests", json={"symbol": "GOOG", "options": {"commission": 5}})
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == ["body", "options", "commission"]


@pytest.mark.parametrize(
    ("content", "content_type", "documented_as"),
    [
        (b'{"symbol": ', "application/json", "not a JSON object"),  # not JSON
        (b'{"symbol": "GOOG"}', "text/plain", "not a JSON object"),  # JSON, but not said so
        (b"symbol=GOOG&fast=5", "application/x-www-form-urlencoded", "not a JSON object"),
        (b'["GOOG"]', "application/json", "not a JSON object"),  # JSON, not an object
        (b'{"symbol": "\xff"}', "application/json", "not UTF-8"),
        (b'{"params": {"a": ' + b"[" * 5000 + b"]" * 5000 + b"}}", "application/json", "deeply"),
    ],
)
def test_bodies_that_are_not_json_objects_get_the_documented_status(
    server, alice, content, content_type, documented_as
):
    """The status the schema gives for each kind of body that is not JSON is the one
    answered (it documented 400 "not JSON" while answering 422)."""
    schema = alice.get("/openapi.json").json()
    for path in ("/backtests", "/sweeps"):
        responses = schema["paths"][path]["post"]["responses"]
        codes = {
            code for code, answer in responses.items() if documented_as in answer["description"]
        }
        response = alice.post(path, content=content, headers={"content-type": content_type})
        assert codes == {str(response.status_code)}, (path, response.text, responses)


def test_a_sample_asked_for_at_another_interval_is_422(alice):
    response = alice.post("/backtests", json={"symbol": "GOOG", "interval": "1m"})
    assert response.status_code == 422, response.text
    error = response.json()["detail"][0]
    assert error["loc"] == ["body", "interval"]
    assert "GOOG has 1d bars, not 1m" in error["msg"]
    sweep = {"symbols": ["GOOG", "EURUSD"], "grid": {"fast": [5]}, "interval": "1h"}
    response = alice.post("/sweeps", json=sweep)
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == ["body", "interval"]
    hourly = alice.post("/backtests", json={"symbol": "EURUSD", "interval": "1h"})
    assert hourly.status_code == 202, hourly.text
    assert hourly.json()["interval"] == "1h"
    unasked = alice.post("/backtests", json={"symbol": "EURUSD"})
    assert unasked.json()["interval"] == "1h"  # the bars it runs on, not "1d"
    assert wait_for(alice, f"/backtests/{unasked.json()['id']}")["status"] == "completed"


def test_head_health_answers_without_a_body(server):
    with server.client() as client:
        response = client.head("/health")
    assert response.status_code == 200
    assert response.content == b""


@pytest.mark.skipif(TEST_DB_URL is not None, reason="SQLite files only")
def test_the_database_files_are_private(server, goog_backtest):
    files = {p.name: p.stat().st_mode & 0o777 for p in server.home.glob("api.db*")}
    assert set(files) == {"api.db", "api.db-wal", "api.db-shm"}
    assert set(files.values()) == {0o600}, {name: oct(mode) for name, mode in files.items()}


def test_a_body_over_the_cap_is_413(server, alice):
    filler = "x" * (1 << 20)
    response = alice.post("/backtests", json={**GOOG_RUN, "description": filler})
    assert response.status_code == 413
    chunks = (b" " * 65536 for _ in range(20))  # streamed, no Content-Length
    streamed = alice.post(
        "/backtests", content=chunks, headers={"content-type": "application/json"}
    )
    assert streamed.status_code == 413


def test_a_run_that_raises_is_failed_with_its_message(alice):
    created = alice.post("/backtests", json={"symbol": "GOOG", "strategy": "test_explode"})
    state = wait_for(alice, f"/backtests/{created.json()['id']}")
    assert state["status"] == "failed"
    assert state["error"] == "RuntimeError: boom: this strategy always fails"
    for path in ("/results", "/chart", "/report"):
        response = alice.get(f"/backtests/{state['id']}{path}")
        assert response.status_code == 409
        assert "failed" in response.json()["detail"] and "boom" in response.json()["detail"]
    assert alice.get(f"/backtests/{state['id']}").status_code == 200


def test_a_sweep_that_raises_is_failed_with_its_message(alice):
    body = {"symbols": ["GOOG"], "strategy": "test_explode", "grid": {}}
    state = wait_for(alice, f"/sweeps/{alice.post('/sweeps', json=body).json()['id']}")
    assert state["status"] == "failed"
    assert "boom: this strategy always fails" in state["error"]
    assert alice.get(f"/sweeps/{state['id']}/results").status_code == 409


def test_sweep_equals_fastbt_sweep(alice, bob):
    grid = {"fast": {"start": 5, "stop": 16}, "slow": [20, 25, 30, 35, 40]}
    body = {"symbols": ["GOOG", "EURUSD"], "grid": grid, "options": {"commission": 0.001}}
    created = alice.post("/sweeps", json=body)
    assert created.status_code == 202, created.text
    assert created.json()["n_total"] == 2 * 11 * 5
    state = wait_for(alice, f"/sweeps/{created.json()['id']}")
    assert state["status"] == "completed", state
    assert state["progress"] == 1.0 and state["n_done"] == state["n_total"] == 110
    assert state["summary"]["n_sets"] == 55
    url = f"/sweeps/{state['id']}/results"
    served = pd.DataFrame(alice.get(url, params={"sort": "sharpe", "limit": 1000}).json()["rows"])
    expected = fastbt.sweep(
        ["GOOG", "EURUSD"],
        "ma_cross",
        {"fast": range(5, 16), "slow": [20, 25, 30, 35, 40]},
        commission=0.001,
        progress=False,
    )
    ranked = fastbt.top(expected, len(expected), "sharpe", min_trades=0).reset_index(drop=True)
    verdict = fastbt.sweep_verdict(
        fastbt.sweep(
            ["GOOG", "EURUSD"],
            "ma_cross",
            {"fast": range(5, 16), "slow": [20, 25, 30, 35, 40]},
            commission=0.001,
            progress=False,
            blocks=16,
        )
    ).table
    served_verdict = pd.DataFrame(state["summary"]["verdict"])
    assert list(served_verdict.symbol) == ["GOOG", "EURUSD"]
    for name in ("pbo", "dsr", "sr0", "n_trials", "prob_loss", "slope"):
        np.testing.assert_allclose(served_verdict[name], verdict[name], rtol=1e-12)
    # every digit: pandas' to_json kept 10 decimals (1e-11 became 0.0)
    pd.testing.assert_frame_equal(served, ranked, check_dtype=False, check_exact=True)
    page = alice.get(url, params={"sort": "sharpe", "skip": 10, "limit": 5}).json()
    assert page["n_rows"] == 110
    assert pd.DataFrame(page["rows"]).equals(served.iloc[10:15].reset_index(drop=True))
    report = alice.get(f"/sweeps/{state['id']}/report")
    assert report.status_code == 200 and "<html" in report.text.lower()
    for path in ("", "/results", "/report"):
        assert bob.get(f"/sweeps/{state['id']}{path}").status_code == 404, path
    assert bob.delete(f"/sweeps/{state['id']}").status_code == 404
    assert state["id"] not in [row["id"] for row in bob.get("/sweeps").json()]


def test_sweep_reports_progress_while_running(alice):
    grid = {"seconds": [0.1], "tag": {"start": 0, "stop": 20}}
    body = {"symbols": ["BTCUSD"], "strategy": "test_sleepy", "grid": grid}
    created = alice.post("/sweeps", json=body)
    assert created.status_code == 202, created.text
    seen = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        state = alice.get(f"/sweeps/{created.json()['id']}").json()
        seen.append((state["status"], state["progress"], state["n_done"]))
        if state["status"] in ("completed", "failed"):
            break
        time.sleep(0.05)
    assert state["status"] == "completed", state
    assert state["progress"] == 1.0 and state["n_done"] == 20
    partial = [(p, n) for status, p, n in seen if status == "running" and 0 < p < 1]
    assert partial, seen
    assert all(n == round(p * 20) for p, n in partial)
    progress = [p for _, p, _ in seen]
    assert progress == sorted(progress), seen


def test_delete_removes_the_row_and_the_files(server, alice):
    state = wait_for(alice, f"/backtests/{alice.post('/backtests', json=GOOG_RUN).json()['id']}")
    folder = server.home / "server" / "backtests" / str(state["id"])
    assert alice.get(f"/backtests/{state['id']}/chart").status_code == 200
    assert (folder / "result" / "series.parquet").exists() and (folder / "cache").exists()
    assert alice.delete(f"/backtests/{state['id']}").status_code == 204
    assert not folder.exists()
    assert alice.get(f"/backtests/{state['id']}").status_code == 404
    assert alice.delete(f"/backtests/{state['id']}").status_code == 404

    body = {"symbols": ["GOOG"], "grid": {"fast": [5, 10], "slow": [20]}}
    sweep = wait_for(alice, f"/sweeps/{alice.post('/sweeps', json=body).json()['id']}")
    table = server.home / "server" / "sweeps" / str(sweep["id"]) / "table" / "sweep.json"
    assert table.exists()
    assert alice.delete(f"/sweeps/{sweep['id']}").status_code == 204
    assert not table.parent.exists()
    assert alice.get(f"/sweeps/{sweep['id']}").status_code == 404


def test_results_are_rebuilt_from_parquet_and_lost_files_are_410(server, alice):
    state = wait_for(alice, f"/backtests/{alice.post('/backtests', json=GOOG_RUN).json()['id']}")
    folder = server.home / "server" / "backtests" / str(state["id"])
    url = f"/backtests/{state['id']}/results"
    first = alice.get(url).content
    (folder / "results.json").unlink()
    assert alice.get(url).content == first
    shutil.rmtree(folder)
    for path in (url, f"/backtests/{state['id']}/chart"):
        response = alice.get(path)
        assert response.status_code == 410
        assert "missing or unreadable" in response.json()["detail"]
        assert str(server.home) not in response.text  # no server paths in answers
    assert alice.get(f"/backtests/{state['id']}").json()["status"] == "completed"


def test_concurrent_clients(server, alice, bob):
    tokens = [c.headers["authorization"].split()[1] for c in (alice, bob)]

    def session(k: int) -> tuple[int, float]:
        with server.client(tokens[k % 2]) as client:
            body = {"symbol": "EURUSD", "strategy": "rsi", "params": {"window": 5 + k}}
            created = client.post("/backtests", json=body)
            assert created.status_code == 202, created.text
            state = wait_for(client, f"/backtests/{created.json()['id']}")
            assert client.get("/backtests").status_code == 200
            results = client.get(f"/backtests/{state['id']}/results")
            assert results.status_code == 200
            return k, results.json()["metrics"]["total_return"]

    with ThreadPoolExecutor(8) as pool:
        outcomes = list(pool.map(session, range(8)))
    for k, total_return in outcomes:
        expected = fastbt.run("EURUSD", "rsi", window=5 + k).metrics["total_return"]
        assert total_return == expected


def test_restart_keeps_results_and_fails_interrupted_runs(tmp_path):
    server = Server(tmp_path / "api", "--workers", "1").start()
    try:
        token = server.add_user("dora")
        with server.client(token) as client:
            done = wait_for(
                client, f"/backtests/{client.post('/backtests', json=GOOG_RUN).json()['id']}"
            )
            results = client.get(f"/backtests/{done['id']}/results").json()
            body = {"symbols": ["GOOG"], "grid": {"fast": [5, 10], "slow": [20, 30]}}
            sweep = wait_for(client, f"/sweeps/{client.post('/sweeps', json=body).json()['id']}")
            rows = client.get(f"/sweeps/{sweep['id']}/results").json()
            sleepy = {"symbol": "GOOG", "strategy": "test_sleepy", "params": {"seconds": 30}}
            slow = client.post("/backtests", json=sleepy).json()["id"]
            queued = client.post("/backtests", json=sleepy).json()["id"]  # one worker: waits
            grid = {"seconds": [0.2], "tag": {"start": 0, "stop": 200}}  # 40 s, 20 chunks
            body = {"symbols": ["GOOG"], "strategy": "test_sleepy", "grid": grid}
            slow_sweep = client.post("/sweeps", json=body).json()["id"]
            while client.get(f"/backtests/{slow}").json()["status"] != "running":
                time.sleep(0.05)
            while client.get(f"/sweeps/{slow_sweep}").json()["n_done"] == 0:
                time.sleep(0.05)  # running, with part of its table written
            assert client.get(f"/backtests/{queued}").json()["status"] == "pending"
        renderers = render_processes(server.home)
        assert len(renderers) == 2 or not Path("/proc").exists()
        server.stop(kill=True)  # as if the machine died mid-run
        deadline = time.monotonic() + 10
        while render_processes(server.home):  # orphans would wait for work for ever
            assert time.monotonic() < deadline, render_processes(server.home)
            time.sleep(0.1)
        partial = server.home / "server" / "sweeps" / str(slow_sweep)
        assert list((partial / "table").glob("*.parquet"))
        server.start()
        assert not partial.exists()  # an interrupted sweep's partial table is removed
        with server.client(token) as client:
            assert client.get(f"/backtests/{done['id']}").json() == done
            assert client.get(f"/backtests/{done['id']}/results").json() == results
            assert client.get(f"/sweeps/{sweep['id']}/results").json() == rows
            for path in (f"/backtests/{slow}", f"/backtests/{queued}", f"/sweeps/{slow_sweep}"):
                interrupted = client.get(path).json()
                assert interrupted["status"] == "failed", path
                assert interrupted["error"] == INTERRUPTED
                assert interrupted["finished_at"] is not None
    finally:
        server.stop()


def test_user_add_prints_a_token_once(server):
    created = fastbt_command("user", "add", "erin", "--db", server.db_url, home=server.home)
    assert created.returncode == 0, created.stderr
    token = created.stdout.strip()
    assert token.startswith("fbt.") and len(created.stdout.splitlines()) == 1
    with server.client(token) as client:
        assert client.get("/backtests").json() == []
    again = fastbt_command("user", "add", "erin", "--db", server.db_url, home=server.home)
    assert again.returncode == 2
    assert again.stderr == "fastbt: error: user 'erin' already exists\n"


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("serve", "--port", "70000"), "--port must be 0-65535"),
        (("serve", "--host", "no.such.host.invalid"), "cannot listen on no.such.host.invalid"),
        (("serve", "--workers", "0"), "workers must be a positive"),
        (("serve", "--max-queued-per-user", "0"), "max_queued_per_user must be a positive"),
        (("serve", "--max-running-per-user", "-1"), "max_running_per_user must be a positive"),
        (("serve", "--report-cache", "0"), "report_cache must be a positive"),
        (("serve", "--db", "nosuchdb://x"), "--db nosuchdb://x"),
        (("user", "add", " "), "user name must be"),
    ],
)
def test_bad_server_commands_exit_2_with_one_line(tmp_path, args, words):
    finished = fastbt_command(*args, home=tmp_path)
    assert finished.returncode == 2
    assert len(finished.stderr.splitlines()) == 1 and words in finished.stderr


def test_a_taken_port_is_one_line_exit_2(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        finished = fastbt_command("serve", "--port", port, home=tmp_path)
    assert finished.returncode == 2
    assert finished.stderr.startswith(f"fastbt: error: cannot listen on 127.0.0.1:{port}: ")
    assert len(finished.stderr.splitlines()) == 1


def test_the_cli_does_not_import_the_server_libraries(tmp_path):
    code = (
        "import sys; from fastbt.cli import build_parser; build_parser(); "
        "print(sorted(m for m in ('fastapi', 'uvicorn', 'sqlalchemy') if m in sys.modules))"
    )
    import subprocess
    import sys

    finished = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert finished.stdout.strip() == "[]", finished.stderr
