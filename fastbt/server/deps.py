"""Request dependencies: the server's services, a database session per request,
and the authenticated user."""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from fastbt.server.auth import TokenChecker
from fastbt.server.db import Database
from fastbt.server.render import Renderers
from fastbt.server.settings import Settings
from fastbt.server.storage import RunFiles
from fastbt.server.worker import Workers


@dataclass(frozen=True)
class Services:
    """Everything a handler may need, built once by ``create_app``."""

    settings: Settings
    db: Database
    files: RunFiles
    workers: Workers
    renderers: Renderers
    tokens: TokenChecker


def services(request: Request) -> Services:
    return request.app.state.services


def session(svc: Annotated[Services, Depends(services)]) -> Iterator[Session]:
    """One session per request, closed (and rolled back if uncommitted) afterwards."""
    with svc.db.session() as db_session:
        yield db_session


_bearer = HTTPBearer(auto_error=False, description="a token from `fastbt user add NAME`")


def current_user(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    svc: Annotated[Services, Depends(services)],
) -> int:
    """The id of the user whose bearer token came with the request; 401 otherwise."""
    challenge = {"WWW-Authenticate": "Bearer"}
    if credentials is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "missing token: send Authorization: Bearer <token>",
            headers=challenge,
        )
    user_id = svc.tokens.user_id(credentials.credentials)
    if user_id is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "invalid token", headers=challenge)
    return user_id


Svc = Annotated[Services, Depends(services)]
Db = Annotated[Session, Depends(session)]
UserId = Annotated[int, Depends(current_user)]
