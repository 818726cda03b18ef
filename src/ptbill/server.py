"""The clinic app: the JSON API under /api and the web pages under /, served by one FastAPI app.

Both delivery layers call the same services; this module only wires them to the database, the
session signer and the error pages.
"""

from __future__ import annotations

import gc
from dataclasses import dataclass

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session, sessionmaker
from starlette.types import ASGIApp, Receive, Scope, Send

from ptbill import __version__
from ptbill.domain.encounter import build_validators
from ptbill.domain.errors import EncounterFormatError, PtbillError
from ptbill.jobs.runner import JobRunner
from ptbill.log_privacy import withhold_exception_messages
from ptbill.reference.catalog import ReferenceCatalog, configure_default_catalog
from ptbill.services.access import ConflictError, ForbiddenError, NotFoundError
from ptbill.services.claims import CONTROL_NUMBER_FILE
from ptbill.services.sessions import Clock, system_clock
from ptbill.services.web_sessions import SessionSigner
from ptbill.settings import Settings
from ptbill.storage.control_numbers import StoredControlNumbers
from ptbill.storage.session import DatabaseBusyError, make_engine, session_factory, transaction

WARM_UP_REQUESTS = 200  # after these, the process's heap is settled again (SettleAfterWarmUp)


@dataclass
class AppState:
    settings: Settings
    sessions: sessionmaker[Session]
    signer: SessionSigner
    clock: Clock  # session expiry and login limits; tests move it
    jobs: JobRunner  # background jobs: procrastinate's queue on PostgreSQL, in-process on SQLite


def create_app(settings: Settings | None = None, clock: Clock = system_clock) -> FastAPI:
    settings = settings or Settings.from_environment()
    withhold_exception_messages()  # uvicorn has set up its logging by now; a crash log names no patient
    build_validators()  # the encounter's, deferred for the command line: built before the first request
    reference_dir = settings.data_dir / "reference"
    if reference_dir.is_dir():
        configure_default_catalog(ReferenceCatalog(installed_dir=reference_dir))
    app = FastAPI(
        title="ptbill",
        version=__version__,
        summary="Traction-note checks, claims and remittances for physical-therapy clinics.",
        openapi_url="/api/openapi.json",
        docs_url=None,  # served by ptbill.web.main from the vendored Swagger UI: it works offline
        redoc_url=None,
    )
    sessions = session_factory(make_engine(settings.database_url))
    app.state.ptbill = AppState(
        settings, sessions, SessionSigner(settings.secret_key), clock, JobRunner(settings, sessions)
    )
    legacy_numbers = settings.data_dir / CONTROL_NUMBER_FILE  # where earlier versions kept them
    if legacy_numbers.is_file():
        with transaction(app.state.ptbill.sessions) as session:
            StoredControlNumbers(session).continue_after_file(legacy_numbers)

    @app.exception_handler(EncounterFormatError)
    async def _format_error(_request: Request, exc: EncounterFormatError) -> JSONResponse:
        return JSONResponse(
            {"detail": "the note does not follow encounter format 1", "problems": exc.problems}, status_code=422
        )

    for error, status in (
        (NotFoundError, 404),
        (ForbiddenError, 403),
        (ConflictError, 409),
        (DatabaseBusyError, 503),
        (PtbillError, 400),
    ):
        app.add_exception_handler(error, _handler(status))

    from ptbill.api.main import NoStore
    from ptbill.api.main import router as api_router
    from ptbill.web.main import mount as mount_web

    app.include_router(api_router, prefix="/api")
    app.add_middleware(NoStore)
    mount_web(app)
    return app


def serving_app() -> FastAPI:
    """The app as ``ptbill serve`` runs it: one app for the life of the process, its heap settled when it is
    built and again after its first requests. Each uvicorn worker process builds its own (``--workers``)."""
    app = create_app()
    app.add_middleware(SettleAfterWarmUp)
    settle_heap()
    return app


class SettleAfterWarmUp:
    """Settle the heap once more after the process's first ``requests`` requests: what they loaded for good (the
    reference data of the payers and dates asked for, the routes' caches, the database's prepared statements) is
    then out of the collector's scans too. One full collection then, about 0.1 s, once per worker."""

    def __init__(self, app: ASGIApp, requests: int = WARM_UP_REQUESTS) -> None:
        self.app = app
        self.requests = requests
        self.settled = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)
        if self.settled or scope["type"] != "http":
            return
        self.requests -= 1
        if self.requests <= 0:
            self.settled = True
            settle_heap()


def settle_heap() -> None:
    """Take what lives as long as the process (the modules, the routes and their validators, the reference
    data loaded so far) out of the garbage collector's full scans: collect once, then ``gc.freeze()``.

    A full (generation 2) collection otherwise walks every object the app holds, about 265,000 after the first
    requests, which took 145 ms on this project's bench machine and landed on whichever request triggered it: a
    page whose median is 120 ms then shows a 95th percentile near 300 ms. Frozen, a full collection walks only
    what requests created since (about 60,000 objects, 16 ms). Only for a process that serves one app for its
    life (``ptbill serve``, the page and API benches); tests build many apps and never call it, since frozen
    objects are never collected.
    """
    gc.collect()
    gc.freeze()


def _handler(status: int):  # type: ignore[no-untyped-def]
    async def handle(_request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=status)

    return handle
