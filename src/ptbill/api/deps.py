"""FastAPI dependencies named as types: the database session, the acting user, the signer."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Header, HTTPException, Request
from sqlalchemy.orm import Session

from ptbill.services import app as services
from ptbill.services.web_sessions import SESSION_COOKIE

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _db(request: Request) -> Iterator[Session]:
    """One transaction per request: committed when the handler returns, rolled back on any error."""
    factory = request.app.state.ptbill.sessions
    with factory() as session, session.begin():
        yield session


SessionDep = Annotated[Session, Depends(_db)]


def _actor(
    request: Request,
    session: SessionDep,
    authorization: Annotated[str | None, Header()] = None,
    x_csrf_token: Annotated[str | None, Header()] = None,
) -> services.Actor:
    """The user behind the request: a Bearer token (integrations) or the session cookie (the browser).

    Cookie-authenticated writes must carry the X-CSRF-Token header; bearer tokens are not sent by
    browsers on their own, so they need none.
    """
    signer = request.app.state.ptbill.signer
    token: str | None = None
    if authorization and authorization.lower().startswith("bearer "):
        token = authorization[7:].strip()
    else:
        token = request.cookies.get(SESSION_COOKIE)
        if request.method in UNSAFE_METHODS and token and not signer.csrf_ok(token, x_csrf_token):
            raise HTTPException(status_code=403, detail="missing or wrong X-CSRF-Token header")
    user_id = signer.read(token)
    actor = services.actor_for(session, user_id) if user_id is not None else None
    if actor is None:
        raise HTTPException(status_code=401, detail="log in first", headers={"WWW-Authenticate": "Bearer"})
    return actor


CurrentActor = Annotated[services.Actor, Depends(_actor)]
