"""FastAPI dependencies named as types: the database session, the acting user and their session token,
the clock, and what the claim exports need (trading-partner settings)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Header, HTTPException, Request
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer

from ptbill.claims.trading import TEST_TRADING, TradingConfig
from ptbill.domain.clock import Clock
from ptbill.services import access
from ptbill.services.accounts import Client
from ptbill.services.db import Session
from ptbill.services.login_state import login_for_token
from ptbill.services.web_sessions import SESSION_COOKIE

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

# Declared as security schemes (not bare headers) so the OpenAPI document says how to authenticate.
_bearer = HTTPBearer(
    auto_error=False, scheme_name="bearer", description="The `token` that POST /api/session returns (integrations)."
)
_cookie = APIKeyCookie(
    name=SESSION_COOKIE,
    auto_error=False,
    scheme_name="session_cookie",
    description="The browser's session cookie; writes made with it must send the X-CSRF-Token header.",
)


async def _db(request: Request) -> AsyncIterator[Session]:
    """One transaction per request: committed when the handler returns, rolled back on any error.

    The dependency is async on purpose: the database is local and each statement takes well under a
    millisecond, so running it on the event loop costs less than a hop to the thread pool and back."""
    factory = request.app.state.ptbill.sessions
    with factory() as session, session.begin():
        yield session


SessionDep = Annotated[Session, Depends(_db)]


async def _token(
    request: Request,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    cookie: Annotated[str | None, Depends(_cookie)],
    x_csrf_token: Annotated[
        str | None, Header(description="The `csrf_token` from POST /api/session; needed on cookie writes.")
    ] = None,
) -> str | None:
    """The session token of the request: a Bearer token (integrations) or the session cookie (the browser).

    Cookie-authenticated writes must carry the X-CSRF-Token header; bearer tokens are not sent by
    browsers on their own, so they need none.
    """
    if bearer is not None:
        return bearer.credentials.strip()
    signer = request.app.state.ptbill.signer
    if request.method in UNSAFE_METHODS and cookie and not signer.csrf_ok(cookie, x_csrf_token):
        raise HTTPException(status_code=403, detail="missing or wrong X-CSRF-Token header")
    return cookie


@dataclass(frozen=True, slots=True)
class LoggedIn:
    """The request's session token and the user it belongs to."""

    token: str
    actor: access.Actor
    first_step: str | None = None  # two_factor.first_step_due, read with the session (login_state)


async def _logged_in(request: Request, session: SessionDep, token: Annotated[str | None, Depends(_token)]) -> LoggedIn:
    """The live session behind the request, looked up on every request (nothing cached), so a logout
    or a deactivation takes effect on the next one."""
    login = login_for_token(session, token, request.app.state.ptbill.clock())
    if login is None or token is None:
        raise HTTPException(status_code=401, detail="log in first", headers={"WWW-Authenticate": "Bearer"})
    return LoggedIn(token, login.actor, login.first_step)


CurrentLogin = Annotated[LoggedIn, Depends(_logged_in)]


async def _actor(login: CurrentLogin, session: SessionDep) -> access.Actor:
    """The logged-in user, once they have replaced a temporary password an admin gave them (only
    changing the password and logging out take a session that has not)."""
    if login.first_step == "password":
        raise HTTPException(
            status_code=403,
            detail="this account has a temporary password: choose your own first (PUT /api/me/password)",
        )
    return login.actor


CurrentActor = Annotated[access.Actor, Depends(_actor)]


@asynccontextmanager
async def actor_in_transaction(request: Request) -> AsyncIterator[tuple[access.Actor, Session]]:
    """What ``CurrentActor`` and ``SessionDep`` give a handler, for a route that skips FastAPI's dependency solving
    (the live check, ``routes.encounters``): the same functions in the same order, so the same refusals (401, the
    CSRF and temporary-password 403s). The transaction commits when the block ends, before the answer is sent, and
    rolls back on any error."""
    token = await _token(request, await _bearer(request), await _cookie(request), request.headers.get("x-csrf-token"))
    factory = request.app.state.ptbill.sessions
    with factory() as session, session.begin():
        actor = await _actor(await _logged_in(request, session, token), session)
        yield actor, session


def now_of(request: Request) -> datetime:
    moment: datetime = request.app.state.ptbill.clock()
    return moment


def clock_of(request: Request) -> Clock:
    """The installation's clock (Settings): today for checks and default dates; PTBILL_TODAY pins it."""
    clock: Clock = request.app.state.ptbill.settings.clock
    return clock


async def _clock(request: Request) -> Clock:
    # async: a plain function dependency would be run on the thread pool, a hop there and back per request
    return clock_of(request)


ClockDep = Annotated[Clock, Depends(_clock)]


def client_of(request: Request) -> Client:
    return Client(request.client.host if request.client else None, request.headers.get("user-agent"))


def _trading(request: Request) -> TradingConfig:
    """The clinic's trading-partner file when the installation has one, else the test submitter/receiver."""
    path = request.app.state.ptbill.settings.data_dir / "trading.yaml"
    return TradingConfig.load(path) if path.is_file() else TradingConfig(TEST_TRADING, {})


TradingDep = Annotated[TradingConfig, Depends(_trading)]
