"""What can be run: ``/strategies``, ``/symbols``; and ``/health`` (the only open route)."""

import pandas as pd
from fastapi import APIRouter

import fastbt
from fastbt.data.samples import SAMPLES
from fastbt.server.deps import Svc, UserId
from fastbt.server.routes.common import refusals
from fastbt.server.schemas import Health, StrategyOut, Symbols

router = APIRouter()


@router.get("/health", response_model=Health, tags=["service"])
@router.head("/health", response_model=Health, tags=["service"], operation_id="health_head")
def health() -> Health:
    """Liveness; needs no token. HEAD answers the same status without a body."""
    return Health(version=fastbt.__version__)


@router.get(
    "/strategies", responses=refusals(401), response_model=list[StrategyOut], tags=["catalogue"]
)
def strategies(user: UserId) -> list[StrategyOut]:
    """The strategy registry: names, parameters with types, defaults and bounds."""
    return [
        StrategyOut(
            name=spec.name,
            description=spec.description,
            params=[
                {
                    "name": p.name,
                    "type": p.kind.__name__,
                    "default": p.default,
                    "minimum": p.minimum,
                    "maximum": p.maximum,
                    "doc": p.doc,
                }
                for p in spec.params
            ],
        )
        for spec in fastbt.list_strategies()
    ]


def _text(value) -> str | None:
    return None if value is None or pd.isna(value) else str(value)


@router.get("/symbols", responses=refusals(401), response_model=Symbols, tags=["catalogue"])
def symbols(user: UserId, svc: Svc) -> Symbols:
    """The bundled samples and every series in the server's market store."""
    listing = fastbt.MarketStore(svc.settings.home).list()
    stored = [
        {
            "symbol": row["symbol"],
            "interval": row["interval"],
            "first": _text(row.get("first")),
            "last": _text(row.get("last")),
            "rows": None if pd.isna(row.get("rows")) else int(row["rows"]),
            "source": _text(row.get("source")),
            "error": _text(row.get("error")),
        }
        for row in listing.to_dict(orient="records")
    ]
    samples = [{"symbol": name, "description": text} for name, text in SAMPLES.items()]
    return Symbols(samples=samples, stored=stored)
