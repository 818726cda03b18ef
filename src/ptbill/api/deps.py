"""FastAPI dependencies named as types: the database session, the acting user, the signer,
and what the claim exports need (trading-partner settings)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Header, HTTPException, Request
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from ptbill.claims.trading import TEST_TRADING, TradingConfig
from ptbill.services import app as services
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


async def _actor(
    request: Request,
    session: SessionDep,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    cookie: Annotated[str | None, Depends(_cookie)],
    x_csrf_token: Annotated[
        str | None, Header(description="The `csrf_token` from POST /api/session; needed on cookie writes.")
    ] = None,
) -> services.Actor:
    """The user behind the request: a Bearer token (integrations) or the session cookie (the browser).

    Cookie-authenticated writes must carry the X-CSRF-Token header; bearer tokens are not sent by
    browsers on their own, so they need none.
    """
    signer = request.app.state.ptbill.signer
    token: str | None = None
    if bearer is not None:
        token = bearer.credentials.strip()
    else:
        token = cookie
        if request.method in UNSAFE_METHODS and token and not signer.csrf_ok(token, x_csrf_token):
            raise HTTPException(status_code=403, detail="missing or wrong X-CSRF-Token header")
    user_id = signer.read(token)
    actor = _known_actor(session, user_id) if user_id is not None else None
    if actor is None:
        raise HTTPException(status_code=401, detail="log in first", headers={"WWW-Authenticate": "Bearer"})
    return actor


CurrentActor = Annotated[services.Actor, Depends(_actor)]

# Who a user id is (clinic, role) is remembered briefly, so a burst of live checks does not read the
# users table on every keystroke; a deactivated user or a changed role takes effect within this time.
ACTOR_CACHE_SECONDS = 30.0
_actors: dict[int, tuple[float, services.Actor]] = {}


def _known_actor(session: Session, user_id: int) -> services.Actor | None:
    now = time.monotonic()
    cached = _actors.get(user_id)
    if cached is not None and now - cached[0] < ACTOR_CACHE_SECONDS:
        return cached[1]
    actor = services.actor_for(session, user_id)
    if actor is None:
        _actors.pop(user_id, None)
        return None
    if len(_actors) > 10_000:
        _actors.clear()
    _actors[user_id] = (now, actor)
    return actor


def _trading(request: Request) -> TradingConfig:
    """The clinic's trading-partner file when the installation has one, else the test submitter/receiver."""
    path = request.app.state.ptbill.settings.data_dir / "trading.yaml"
    return TradingConfig.load(path) if path.is_file() else TradingConfig(TEST_TRADING, {})


TradingDep = Annotated[TradingConfig, Depends(_trading)]

