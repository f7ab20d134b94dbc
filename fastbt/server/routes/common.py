"""What the backtest and sweep routes share: run ids, 404 for others' runs, 409 until
completed, and the refusals each route documents in the OpenAPI schema."""

import logging
from pathlib import Path as FilePath
from typing import Annotated

from fastapi import HTTPException, Path, Response, status
from sqlalchemy import select
from sqlalchemy.orm import Session

from fastbt.server.db import COMPLETED
from fastbt.server.fair import FairQueue, QueueFull
from fastbt.server.schemas import Error, Invalid

log = logging.getLogger("fastbt.server")

RETRY_AFTER = 10  # seconds a client refused with 429 is told to wait
HTML = {200: {"description": "a self-contained HTML page", "content": {"text/html": {}}}}
RunId = Annotated[int, Path(ge=1, le=2**63 - 1, description="the run's id")]


def refusals(*codes: int) -> dict:
    """OpenAPI ``responses`` for the given error status codes."""
    why = {
        400: "the body cannot be parsed: not UTF-8 text, or JSON nested too deeply",
        401: "missing or invalid bearer token",
        404: "no such run among yours",
        409: "the run is not completed (yet), so it has no results",
        410: "the run's files were removed outside the server",
        413: "request body over the server's cap",
        422: "a field breaks a rule (loc names it), or the body is not a JSON object "
        "sent as application/json",
        429: "you have the most waiting runs the server queues per user; see Retry-After",
    }
    return {
        code: {"model": Invalid if code == 422 else Error, "description": why[code]}
        for code in codes
    }


def owned_or_404(db: Session, model, run_id: int, user_id: int):
    """The caller's run; another user's run is reported exactly like a missing one."""
    row = db.scalar(select(model).where(model.id == run_id, model.owner_id == user_id))
    if row is None:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, f"{model.__tablename__[:-1]} {run_id} not found"
        )
    return row


def delete_owned(db: Session, model, run_id: int, user_id: int, *then) -> Response:
    """Delete the caller's run (404 for others'), then call each of ``then`` with its
    id (take it off the queue, remove its files); 204."""
    db.delete(owned_or_404(db, model, run_id, user_id))
    db.commit()
    for step in then:
        step(run_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def room_or_429(queue: FairQueue, user_id: int, kind: str) -> None:
    """429 with Retry-After if the caller already has the most waiting runs allowed."""
    try:
        queue.check_room(user_id)
    except QueueFull:
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            f"you have {queue.max_waiting} {kind} waiting, the most this server queues per "
            f"user (fastbt serve --max-queued-per-user); retry when some have started, "
            f"or delete some",
            headers={"Retry-After": str(RETRY_AFTER)},
        ) from None


def completed_or_409(row) -> None:
    """Results exist only for completed runs; say what the run is doing instead."""
    if row.status != COMPLETED:
        kind = type(row).__tablename__[:-1]
        why = f": {row.error}" if row.error else ""
        raise HTTPException(
            status.HTTP_409_CONFLICT, f"{kind} {row.id} is {row.status}, no results{why}"
        )


def rendered(svc, row, path: FilePath, function, *args) -> bytes:
    """The cached chart or report at ``path``, else ``function(*args)`` run in the render
    processes (``fastbt.server.render``) and cached; 410 if the run's files are unreadable."""
    try:
        return svc.files.cached(path, lambda: svc.renderers.render(function, *args))
    except ValueError as error:
        raise files_gone(row, error) from None


def files_gone(row, error: Exception) -> HTTPException:
    """The run's files are missing or unreadable (removed outside the server). The
    cause goes to the server log; the answer names no server paths."""
    kind = type(row).__tablename__[:-1]
    log.warning("files of %s %s unreadable: %s", kind, row.id, error)
    return HTTPException(
        status.HTTP_410_GONE, f"the files of {kind} {row.id} are missing or unreadable"
    )
