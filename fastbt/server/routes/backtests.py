"""``/backtests``: create (queued, 202), list, read, delete, results, charts, report."""

from typing import Literal, get_args

from fastapi import APIRouter, HTTPException, Query, Response, status
from fastapi.responses import HTMLResponse
from sqlalchemy import select

import fastbt
from fastbt.server import inputs, portfolio_inputs, render
from fastbt.server.db import Backtest
from fastbt.server.deps import Db, Svc, UserId
from fastbt.server.routes.common import (
    HTML,
    RunId,
    completed_or_409,
    delete_owned,
    files_gone,
    owned_or_404,
    refusals,
    rendered,
    room_or_429,
)
from fastbt.server.schemas import (
    PORTFOLIO_CHARTS,
    BacktestCreate,
    BacktestOut,
    BacktestResults,
    Chart,
    ChartType,
    PortfolioResults,
)

router = APIRouter(prefix="/backtests", tags=["backtests"])


@router.get("", responses=refusals(401), response_model=list[BacktestOut])
def list_backtests(
    user: UserId,
    db: Db,
    skip: int = Query(0, ge=0, le=2**62),
    limit: int = Query(100, ge=1, le=1000),
):
    """Your backtests, oldest first."""
    query = select(Backtest).where(Backtest.owner_id == user).order_by(Backtest.id)
    return db.scalars(query.offset(skip).limit(limit)).all()


@router.post(
    "",
    status_code=status.HTTP_202_ACCEPTED,
    responses=refusals(400, 401, 413, 422, 429),
    response_model=BacktestOut,
)
def create_backtest(body: BacktestCreate, user: UserId, db: Db, svc: Svc, response: Response):
    """Check the request with the library's rules, queue it, and answer at once (pending)."""
    room_or_429(svc.workers.backtests, user, "backtests")
    if body.symbols is not None:
        return _create_portfolio(body, user, db, svc, response)
    checked = inputs.backtest(body, svc.settings.home)
    row = Backtest(
        owner_id=user,
        name=body.name,
        description=body.description,
        strategy=checked.strategy,
        rules=checked.rules,
        params=checked.params,
        symbol=None if body.bars is not None else checked.bars.attrs["symbol"],
        data_ref="upload" if body.bars is not None else None,
        interval=checked.interval,
        options=checked.options.as_dict(),
        start=body.start,
        end=body.end,
        n_bars=len(checked.bars),
        warnings=checked.warnings,
    )
    db.add(row)
    db.flush()
    if body.bars is not None:
        svc.files.write_frame(checked.bars, svc.files.upload_path(row.id), index=True)
    return _queued(row, user, db, svc, response)


def _create_portfolio(body: BacktestCreate, user: int, db, svc, response: Response) -> Backtest:
    if body.symbol is not None:
        raise inputs.InvalidInput(("body", "symbol"), "give symbol or symbols, not both")
    checked = portfolio_inputs.portfolio(body, svc.settings.home, svc.settings.max_portfolio_cells)
    row = Backtest(
        owner_id=user,
        name=body.name,
        description=body.description,
        kind="portfolio",
        portfolio=checked.settings,
        strategy=checked.strategy,
        params=checked.params,
        interval=checked.interval,
        options=checked.options,
        n_bars=len(checked.bars.index),
        warnings=checked.warnings,
    )
    db.add(row)
    db.flush()
    if checked.weights is not None:
        svc.files.write_frame(checked.weights, svc.files.weights_path(row.id), index=True)
    return _queued(row, user, db, svc, response)


def _queued(row: Backtest, user: int, db, svc, response: Response) -> Backtest:
    db.commit()
    svc.workers.submit_backtest(user, row.id)
    response.headers["Location"] = f"/backtests/{row.id}"
    return row


@router.get("/{backtest_id}", responses=refusals(401, 404), response_model=BacktestOut)
def get_backtest(backtest_id: RunId, user: UserId, db: Db):
    """One backtest: status, error, metrics once completed."""
    return owned_or_404(db, Backtest, backtest_id, user)


@router.delete(
    "/{backtest_id}", status_code=status.HTTP_204_NO_CONTENT, responses=refusals(401, 404)
)
def delete_backtest(backtest_id: RunId, user: UserId, db: Db, svc: Svc) -> Response:
    """Delete the backtest and its files (a running one finishes, then its files go too)."""
    return delete_owned(
        db, Backtest, backtest_id, user, svc.workers.cancel_backtest, svc.files.delete_backtest
    )


def _result(svc: Svc, row: Backtest) -> fastbt.Result | fastbt.PortfolioResult:
    completed_or_409(row)
    kind = fastbt.PortfolioResult if row.is_portfolio else fastbt.Result
    try:
        return kind.from_parquet(svc.files.result_dir(row.id))
    except ValueError as error:
        raise files_gone(row, error) from None


@router.get(
    "/{backtest_id}/results",
    responses=refusals(401, 404, 409, 410),
    response_model=BacktestResults | PortfolioResults,
)
def backtest_results(backtest_id: RunId, user: UserId, db: Db, svc: Svc) -> Response:
    """Metrics, trades and the per-bar equity, cash and position (``Result.to_dict``;
    ``fastbt.Result.from_dict`` turns the answer back into a Result). A portfolio's:
    ``PortfolioResult.to_dict`` (``fastbt.PortfolioResult.from_json`` reads it back) plus
    ``kind``, the trade table with symbols and the weights held."""
    row = owned_or_404(db, Backtest, backtest_id, user)
    completed_or_409(row)
    path = svc.files.results_path(row.id)
    try:
        data = path.read_bytes()
    except FileNotFoundError:  # written when the run completed; rebuilt if removed since
        svc.files.write_results(row.id, _result(svc, row))
        data = path.read_bytes()
    return Response(data, media_type="application/json")


@router.get(
    "/{backtest_id}/chart",
    response_model=Chart,
    responses={
        200: {"content": {"image/png": {}}, "description": "PNG, or JSON with base64"},
        **refusals(401, 404, 409, 410, 422),
    },
)
def backtest_chart(
    backtest_id: RunId,
    user: UserId,
    db: Db,
    svc: Svc,
    chart_type: ChartType = "equity",
    format: Literal["png", "base64"] = "png",
) -> Response:
    """A chart of a completed backtest as PNG, or as base64 in JSON with ``format=base64``.
    A portfolio has the equity, drawdown and weights charts; a single backtest all but
    weights."""
    row = owned_or_404(db, Backtest, backtest_id, user)
    completed_or_409(row)
    _chart_exists(row, chart_type)
    draw = render.portfolio_chart if row.is_portfolio else render.backtest_chart
    path = svc.files.backtest_dir(row.id) / "cache" / f"{chart_type}.png"
    extra = () if row.is_portfolio else (row.rules,)
    png = rendered(svc, row, path, draw, svc.files.result_dir(row.id), chart_type, *extra)
    if format == "png":
        return Response(png, media_type="image/png")
    chart = Chart(id=row.id, chart_type=chart_type, data=_base64(png))
    return Response(chart.model_dump_json(), media_type="application/json")


@router.get("/{backtest_id}/report", responses=HTML | refusals(401, 404, 409, 410))
def backtest_report(backtest_id: RunId, user: UserId, db: Db, svc: Svc) -> HTMLResponse:
    """The self-contained HTML report of a completed backtest."""
    row = owned_or_404(db, Backtest, backtest_id, user)
    completed_or_409(row)
    path = svc.files.backtest_dir(row.id) / "cache" / "report.html"
    title = row.name or f"backtest {row.id}"
    report = render.portfolio_report if row.is_portfolio else render.backtest_report
    extra = () if row.is_portfolio else (row.rules,)
    html = rendered(svc, row, path, report, svc.files.result_dir(row.id), title, *extra)
    return HTMLResponse(html)


def _chart_exists(row: Backtest, chart_type: str) -> None:
    """422 at chart_type for a chart this kind of backtest does not have."""
    single = tuple(c for c in get_args(ChartType) if c not in ("weights",))
    kinds = PORTFOLIO_CHARTS if row.is_portfolio else single
    if chart_type not in kinds:
        kind = "a portfolio" if row.is_portfolio else "a single-symbol backtest"
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_ENTITY,
            [
                {
                    "type": "value_error",
                    "loc": ["query", "chart_type"],
                    "msg": f"{kind} has no {chart_type} chart; choose one of {', '.join(kinds)}",
                }
            ],
        )


def _base64(png: bytes) -> str:
    from fastbt.report import to_base64

    return to_base64(png)
