"""``create_app``: the FastAPI application for one ``Settings``.

At start-up it creates missing tables, fails the runs a previous server left
unfinished (removing their partial sweep tables) and starts the workers; at
shutdown it stops taking jobs. OpenAPI docs are at ``/docs`` (served offline).
"""

import json
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response

import fastbt
from fastbt.server import data_warnings
from fastbt.server.auth import TokenChecker
from fastbt.server.db import Database
from fastbt.server.deps import Services
from fastbt.server.docs import add_docs
from fastbt.server.inputs import InvalidInput
from fastbt.server.limits import BodyLimit
from fastbt.server.render import Renderers
from fastbt.server.routes import backtests, catalog, sweeps
from fastbt.server.settings import Settings
from fastbt.server.storage import RunFiles
from fastbt.server.worker import Workers

DESCRIPTION = """Backtests as a service. Create a user with `fastbt user add NAME` and send
its token as `Authorization: Bearer <token>`. POST /backtests and POST /sweeps answer
202 at once with a pending run; poll GET /backtests/{id} (or /sweeps/{id}, which shows
progress) until it is completed or failed, then read its results, charts and report."""


NOT_JSON = "the body must be a JSON object, sent with Content-Type: application/json"


def _invalid_input(_request: Request, error: InvalidInput) -> JSONResponse:
    """422 in FastAPI's own error shape, ``loc`` naming the field at fault."""
    detail = [{"type": "value_error", "loc": list(error.loc), "msg": str(error)}]
    return JSONResponse({"detail": detail}, status_code=422)


def _invalid_request(_request: Request, error: RequestValidationError) -> Response:
    """FastAPI's 422 without echoing the refused ``input`` (it may be the whole body,
    or nested too deep to encode), as ASCII JSON: a lone surrogate in ``loc`` cannot
    be encoded as UTF-8. A body that is not a JSON object is told how to send one."""
    detail = jsonable_encoder(
        [{k: v for k, v in e.items() if k != "input"} for e in error.errors()]
    )
    for item in detail:
        if item["type"] == "model_attributes_type" and tuple(item["loc"]) == ("body",):
            item["msg"] = NOT_JSON
    return Response(json.dumps({"detail": detail}), status_code=422, media_type="application/json")


def create_app(settings: Settings | None = None) -> FastAPI:
    """The API over ``settings`` (defaults: SQLite and run files under $FASTBT_HOME)."""
    settings = settings or Settings()
    data_warnings.install()
    db = Database(settings.database)
    files = RunFiles(settings.runs_root, settings.report_cache)
    workers = Workers(db, files, settings)
    renderers = Renderers(settings.imports)

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        db.create_tables()
        for sweep_id in db.fail_interrupted():
            files.delete_sweep(sweep_id)  # a partial table nobody can finish or read
        workers.start()
        renderers.start()
        yield
        workers.shutdown()
        renderers.shutdown()
        db.dispose()

    app = FastAPI(
        title="fastbt",
        version=fastbt.__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # served by add_docs, without a CDN
        redoc_url=None,  # ReDoc would load from a CDN
    )
    add_docs(app)
    app.state.services = Services(settings, db, files, workers, renderers, TokenChecker(db))
    app.add_exception_handler(InvalidInput, _invalid_input)
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body)
    for router in (catalog.router, backtests.router, sweeps.router):
        app.include_router(router)
    return app
