"""Portfolio backtests through the REST service (docs/service.md, "Portfolios"):
results equal ``fastbt.run_portfolio`` on the same inputs, weights given as JSON,
bad input refused with 422 at its field, the symbols x bars limit, charts and report."""

import math

import numpy as np
import pandas as pd
import pytest
import sqlalchemy

pytest.importorskip("fastapi")
pytest.importorskip("httpx")

import fastbt
from fastbt.data.samples import read_sample
from fastbt.server.db import Database
from fastbt.storage import MarketStore
from tests.server_fixtures import Server, wait_for

SYMBOLS = ["AAA", "BBB", "CCC"]
N_BARS = 300
MAX_CELLS = 2_000


def _stored_frames() -> dict:
    """Three symbols on one 1d index: GOOG's last bars, scaled and shuffled apart."""
    goog = fastbt.load(read_sample("GOOG")).iloc[-N_BARS:]
    rng = np.random.default_rng(7)
    frames = {}
    for k, symbol in enumerate(SYMBOLS):
        factor = np.exp(np.cumsum(rng.normal(0, 0.01, len(goog)))) * (1 + k)
        frame = goog.copy()
        for column in ("open", "high", "low", "close"):
            frame[column] = goog[column] * factor
        frames[symbol] = frame
    return frames


FRAMES = _stored_frames()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    home = tmp_path_factory.mktemp("portfolio-api")
    market = MarketStore(home)
    for symbol, frame in FRAMES.items():
        market.write(symbol, frame, interval="1d")
    running = Server(home, "--max-portfolio-cells", str(MAX_CELLS)).start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def alice(server):
    with server.client(server.add_user("alice")) as client:
        yield client


def _completed(client, body: dict) -> dict:
    created = client.post("/backtests", json=body)
    assert created.status_code == 202, created.text
    # the first portfolio run may compile its Numba kernels (a minute on a busy machine)
    row = wait_for(client, f"/backtests/{created.json()['id']}", timeout=300)
    assert row["status"] == "completed", row["error"]
    return row


def _same(got: list, expected) -> None:
    expected = [None if isinstance(x, float) and math.isnan(x) else x for x in expected]
    assert got == pytest.approx(expected, rel=1e-12, nan_ok=True)


ROTATION = {
    "symbols": SYMBOLS,
    "strategy": "momentum_rotation",
    "params": {"lookback": 20, "top_k": 2, "rebalance": "M"},
    "options": {"commission": 0.001},
}


@pytest.fixture(scope="module")
def rotation(alice) -> dict:
    return _completed(alice, {"name": "rotation", **ROTATION})


def test_rotation_results_equal_run_portfolio(alice, rotation):
    expected = fastbt.run_portfolio(
        FRAMES, "momentum_rotation", lookback=20, top_k=2, rebalance="M", commission=0.001
    )
    assert rotation["kind"] == "portfolio"
    assert rotation["portfolio"]["symbols"] == SYMBOLS
    assert rotation["n_bars"] == N_BARS
    answer = alice.get(f"/backtests/{rotation['id']}/results")
    got = answer.json()
    assert got["kind"] == "portfolio" and got["symbols"] == SYMBOLS
    _same(got["equity"], expected.equity.tolist())
    _same(got["cash"], expected.cash.tolist())
    for symbol in SYMBOLS:
        _same(got["weights"][symbol], expected.weights[symbol].tolist())
    assert [t["symbol"] for t in got["trade_table"]] == expected.trades["symbol"].tolist()
    assert len(got["trade_table"]) > 0
    for name, value in expected.metrics.items():
        if isinstance(value, float) and not math.isfinite(value):
            continue
        assert got["metrics"][name] == pytest.approx(value, rel=1e-12), name
    back = fastbt.PortfolioResult.from_json(answer.text)
    # the store keeps the bars in UTC; the frames given to run_portfolio here are naive
    assert (back.equity.index.tz_localize(None) == expected.equity.index).all()
    np.testing.assert_allclose(back.equity.to_numpy(), expected.equity.to_numpy(), rtol=1e-12)
    pd.testing.assert_frame_equal(
        back.trades.drop(columns=["entry_time", "exit_time"]),
        expected.trades.drop(columns=["entry_time", "exit_time"]),
    )


def test_weights_as_object_and_as_rows_equal_run_portfolio(alice):
    index = FRAMES["AAA"].index
    stamps = [index[10], index[100], index[200]]
    table = [{"AAA": 0.5, "BBB": 0.3}, {"AAA": 0.0, "CCC": 0.9}, {"BBB": 1.0, "CCC": None}]
    frame = pd.DataFrame(np.nan, index=index, columns=SYMBOLS)
    for stamp, row in zip(stamps, table, strict=True):
        for symbol, weight in row.items():
            frame.loc[stamp, symbol] = np.nan if weight is None else weight
    expected = fastbt.run_portfolio(FRAMES, weights=frame, commission=0.002, partial=False)
    as_object = {s.date().isoformat(): row for s, row in zip(stamps, table, strict=True)}
    as_rows = [{"timestamp": s.isoformat(), **row} for s, row in zip(stamps, table, strict=True)]
    for weights in (as_object, as_rows):
        body = {"symbols": SYMBOLS, "weights": weights, "options": {"commission": 0.002}}
        row = _completed(alice, {**body, "partial": False})
        assert row["strategy"] == "weights" and row["portfolio"]["weights"] is True
        got = alice.get(f"/backtests/{row['id']}/results").json()
        _same(got["equity"], expected.equity.tolist())
        assert len(got["trade_table"]) == len(expected.trades)


@pytest.mark.parametrize(
    "options",
    [
        {"size": 0.3, "sl": 0.05},
        {"size": 0.3, "direction": "both", "reversal_fee": "per_order", "fixed_fee": 1.0},
    ],
)
def test_per_symbol_strategy_and_order_sequence(alice, options):
    body = {
        "symbols": SYMBOLS,
        "strategy": "ma_cross",
        "params": {"fast": 5, "slow": 20},
        "options": options,
        "order_sequence": "symbol",
    }
    expected = fastbt.run_portfolio(
        FRAMES, "ma_cross", fast=5, slow=20, order_sequence="symbol", **options
    )
    if "direction" in options:
        assert expected.metrics["n_short_trades"] > 0
    row = _completed(alice, body)
    got = alice.get(f"/backtests/{row['id']}/results").json()
    _same(got["equity"], expected.equity.tolist())
    assert len(got["trade_table"]) == len(expected.trades)


def _refused(client, body: dict) -> list:
    answer = client.post("/backtests", json=body)
    assert answer.status_code == 422, answer.text
    return answer.json()["detail"]


def _first_day(symbol_row: dict) -> dict:
    return {FRAMES["AAA"].index[5].date().isoformat(): symbol_row}


@pytest.mark.parametrize(
    ("change", "loc", "words"),
    [
        ({"weights": _first_day({"ZZZ": 0.5})}, ["body", "weights"], "not one of the symbols"),
        ({"weights": _first_day({"AAA": 1.5})}, ["body", "weights"], "[0, 1]"),
        ({"weights": _first_day({"AAA": -0.1})}, ["body", "weights"], "[0, 1]"),
        ({"weights": {"1990-01-02": {"AAA": 0.5}}}, ["body", "weights"], "not a bar"),
        ({"weights": {"not a date": {"AAA": 0.5}}}, ["body", "weights"], "ISO timestamp"),
        ({"weights": [{"AAA": 0.5}]}, ["body", "weights"], "timestamp"),
        ({"strategy": "momentum_rotation"}, ["body", "weights"], "not both"),
        ({"weights": None}, ["body", "strategy"], "strategy or weights"),
        ({"symbols": ["AAA", "NOPE"]}, ["body", "symbols", 1], "unknown symbol"),
        ({"symbols": ["AAA", "AAA"]}, ["body", "symbols", 1], "twice"),
        ({"symbol": "AAA"}, ["body", "symbol"], "not both"),
        ({"start": "2020-01-01"}, ["body", "start"], "single backtests"),
        ({"options": {"direction": "short"}}, ["body", "options", "direction"], "long-only"),
        ({"options": {"size": 0.5}}, ["body", "options", "size"], "target weights"),
        ({"options": {"commission": -1}}, ["body", "options", "commission"], "commission"),
    ],
)
def test_bad_weights_request_is_422_naming_the_field(alice, change, loc, words):
    body = {"symbols": SYMBOLS, "weights": _first_day({"AAA": 0.5}), **change}
    detail = _refused(alice, body)
    assert detail[0]["loc"][: len(loc)] == loc, detail
    assert words in detail[0]["msg"], detail


@pytest.mark.parametrize(
    ("change", "loc", "words"),
    [
        ({"strategy": "nope"}, ["body", "strategy"], "nope"),
        ({"params": {"top_k": 9}}, ["body", "params", "top_k"], "number of symbols"),
        ({"params": {"lookback": N_BARS}}, ["body", "params", "lookback"], "below"),
        ({"params": {"speed": 1}}, ["body", "params"], "speed"),
        ({"options": {"sl": 0.1}}, ["body", "options", "sl"], "strategy portfolios"),
        ({"align": "outer"}, ["body", "align"], ""),
        ({"order_sequence": "random"}, ["body", "order_sequence"], ""),
        ({"symbols": []}, ["body", "symbols"], ""),
    ],
)
def test_bad_strategy_request_is_422_naming_the_field(alice, change, loc, words):
    detail = _refused(alice, {**ROTATION, **change})
    assert detail[0]["loc"][: len(loc)] == loc, detail
    assert words in detail[0]["msg"], detail


def test_portfolio_fields_without_symbols_are_422(alice):
    for field, value in (("weights", {}), ("partial", False), ("align", "inner")):
        detail = _refused(alice, {"symbol": "GOOG", field: value})
        assert detail[0]["loc"] == ["body", field] and "symbols" in detail[0]["msg"]


def test_symbols_that_do_not_share_an_index_need_align(alice):
    detail = _refused(alice, {**ROTATION, "symbols": ["AAA", "GOOG"], "interval": "1d"})
    assert detail[0]["loc"] == ["body", "symbols"] and "align" in detail[0]["msg"]


def test_symbols_times_bars_over_the_limit_is_422(server, alice):
    # 3 x 300 = 900 cells fit under 2,000; eight copies of the data do not
    market = MarketStore(server.home)
    extra = [f"X{k}" for k in range(5)]
    for symbol in extra:
        market.write(symbol, FRAMES["AAA"], interval="1d")
    detail = _refused(alice, {**ROTATION, "symbols": SYMBOLS + extra})
    assert detail[0]["loc"] == ["body", "symbols"]
    assert "8 symbols x 300 bars = 2,400" in detail[0]["msg"]
    assert "--max-portfolio-cells" in detail[0]["msg"]


def test_charts_and_report(alice, rotation):
    base = f"/backtests/{rotation['id']}"
    for chart_type in ("equity", "drawdown", "weights"):
        answer = alice.get(f"{base}/chart", params={"chart_type": chart_type})
        assert answer.status_code == 200 and answer.content[:4] == b"\x89PNG", chart_type
    refused = alice.get(f"{base}/chart", params={"chart_type": "price"})
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"] == ["query", "chart_type"]
    assert "equity, drawdown, weights" in refused.json()["detail"][0]["msg"]
    report = alice.get(f"{base}/report")
    assert report.status_code == 200 and report.headers["content-type"].startswith("text/html")
    for symbol in SYMBOLS:
        assert symbol in report.text


def test_single_backtest_has_no_weights_chart(alice):
    row = _completed(alice, {"symbol": "AAA", "params": {"fast": 5, "slow": 20}})
    assert row["kind"] == "single" and row["portfolio"] is None
    refused = alice.get(f"/backtests/{row['id']}/chart", params={"chart_type": "weights"})
    assert refused.status_code == 422 and "weights" in refused.json()["detail"][0]["msg"]


def test_openapi_documents_the_portfolio_fields(server):
    with server.client() as client:
        schema = client.get("/openapi.json").json()
    create = schema["components"]["schemas"]["BacktestCreate"]
    assert {"symbols", "weights", "order_sequence", "partial", "align"} <= set(create["properties"])
    assert any("symbols" in example for example in create["examples"])
    assert any("weights" in example for example in create["examples"])


def test_a_database_from_before_portfolios_gains_the_columns(tmp_path):
    """A backtests table without kind/portfolio (an older server's) gets them at start,
    and its rows read as single backtests."""
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = sqlalchemy.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sqlalchemy.text("CREATE TABLE backtests (id INTEGER PRIMARY KEY)"))
    engine.dispose()
    db = Database(url)
    db.create_tables()
    columns = {c["name"] for c in sqlalchemy.inspect(db.engine).get_columns("backtests")}
    db.dispose()
    assert {"kind", "portfolio"} <= columns
