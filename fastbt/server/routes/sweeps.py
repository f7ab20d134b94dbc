"""``/sweeps``: create (queued, 202), list, read with progress, delete, results, report."""

import json
from typing import Literal

import pandas as pd
from fastapi import APIRouter, Query, Response, status
from fastapi.responses import HTMLResponse
from sqlalchemy import select

import fastbt
from fastbt.formatting import json_safe
from fastbt.kernels.metrics import METRIC_NAMES
from fastbt.server import inputs, render
from fastbt.server.db import Sweep
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
from fastbt.server.schemas import SweepCreate, SweepOut, SweepResults
from fastbt.server.worker import sweep_chunk_size, sweep_progress

router = APIRouter(prefix="/sweeps", tags=["sweeps"])
Metric = Literal[METRIC_NAMES]


def _out(svc: Svc, row: Sweep) -> SweepOut:
    """The sweep as stored, with progress counted live while it runs."""
    out = SweepOut.model_validate(row)
    out.n_done, out.progress = sweep_progress(row, svc.files)
    return out


@router.get("", responses=refusals(401), response_model=list[SweepOut])
def list_sweeps(
    user: UserId,
    db: Db,
    svc: Svc,
    skip: int = Query(0, ge=0, le=2**62),
    limit: int = Query(100, ge=1, le=1000),
):
    """Your sweeps, oldest first."""
    query = select(Sweep).where(Sweep.owner_id == user).order_by(Sweep.id)
    return [_out(svc, row) for row in db.scalars(query.offset(skip).limit(limit))]


@router.post(
    "",
    status_code=status.HTTP_202_ACCEPTED,
    responses=refusals(400, 401, 413, 422, 429),
    response_model=SweepOut,
)
def create_sweep(body: SweepCreate, user: UserId, db: Db, svc: Svc, response: Response):
    """Check the grid with the library's rules and the size limit, queue it, answer at once."""
    room_or_429(svc.workers.sweeps, user, "sweeps")
    checked = inputs.sweep(body, svc.settings.home, svc.settings.max_grid)
    row = Sweep(
        owner_id=user,
        name=body.name,
        description=body.description,
        strategy=checked.strategy,
        rules=checked.rules,
        grid=body.model_dump()["grid"],
        symbols=checked.symbols,
        interval=body.interval or "",  # "": each symbol's own
        options=checked.options.as_dict(),
        sample=body.sample,
        seed=body.seed,
        n_sets=checked.n_sets,
        n_total=checked.n_sets * len(checked.symbols),
        chunk_size=sweep_chunk_size(checked.n_sets),
    )
    db.add(row)
    db.commit()
    svc.workers.submit_sweep(user, row.id)
    response.headers["Location"] = f"/sweeps/{row.id}"
    return _out(svc, row)


@router.get("/{sweep_id}", responses=refusals(401, 404), response_model=SweepOut)
def get_sweep(sweep_id: RunId, user: UserId, db: Db, svc: Svc):
    """One sweep: status, progress (live while running), summary once completed."""
    return _out(svc, owned_or_404(db, Sweep, sweep_id, user))


@router.delete("/{sweep_id}", status_code=status.HTTP_204_NO_CONTENT, responses=refusals(401, 404))
def delete_sweep(sweep_id: RunId, user: UserId, db: Db, svc: Svc) -> Response:
    """Delete the sweep and its files; a running sweep stops after its current chunk."""
    return delete_owned(db, Sweep, sweep_id, user, svc.workers.cancel_sweep, svc.files.delete_sweep)


def _table(svc: Svc, row: Sweep) -> pd.DataFrame:
    completed_or_409(row)
    try:
        return fastbt.load_sweep(svc.files.table_dir(row.id))
    except ValueError as error:
        raise files_gone(row, error) from None


@router.get(
    "/{sweep_id}/results", responses=refusals(401, 404, 409, 410), response_model=SweepResults
)
def sweep_results(
    sweep_id: RunId,
    user: UserId,
    db: Db,
    svc: Svc,
    sort: Metric = "sharpe",
    skip: int = Query(0, ge=0, le=10**9),
    limit: int = Query(100, ge=1, le=1000),
) -> Response:
    """Rows ranked by ``sort`` (best first, NaN last), ``limit`` of them from ``skip``."""
    row = owned_or_404(db, Sweep, sweep_id, user)
    table = _table(svc, row)
    ranked = fastbt.top(table, skip + limit, sort, min_trades=0).iloc[skip:]
    payload = {
        "id": row.id,
        "sort": sort,
        "skip": skip,
        "limit": limit,
        "n_rows": len(table),
        "rows": json_safe(ranked.to_dict(orient="records")),
    }
    return Response(json.dumps(payload, allow_nan=False), media_type="application/json")


@router.get("/{sweep_id}/report", responses=HTML | refusals(401, 404, 409, 410))
def sweep_report(
    sweep_id: RunId,
    user: UserId,
    db: Db,
    svc: Svc,
    metric: Metric = "sharpe",
    top_n: int = Query(20, ge=1, le=500),
) -> HTMLResponse:
    """The self-contained HTML report of a completed sweep."""
    row = owned_or_404(db, Sweep, sweep_id, user)
    completed_or_409(row)
    path = svc.files.sweep_dir(row.id) / "cache" / f"report-{metric}-{top_n}.html"
    title = row.name or f"sweep {row.id}"
    table_dir = svc.files.table_dir(row.id)
    return HTMLResponse(
        rendered(svc, row, path, render.sweep_report, table_dir, metric, top_n, title)
    )
