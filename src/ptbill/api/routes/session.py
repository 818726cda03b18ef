"""Logging in and out: the browser gets an HttpOnly session cookie, integrations a bearer token."""

from __future__ import annotations

from fastapi import Request, Response
from fastapi.responses import JSONResponse

from ptbill.api.deps import CurrentActor, SessionDep
from ptbill.api.routing import errors, resource_router
from ptbill.api.schemas.session import MePublic, SessionCreate, SessionPublic
from ptbill.services import app as services
from ptbill.services.web_sessions import SESSION_COOKIE, SESSION_MAX_AGE

router = resource_router("/session", "session")


@router.post(
    "",
    response_model=SessionPublic,
    summary="Log in",
    description="Sets the `ptbill_session` cookie (HttpOnly, SameSite=Lax) and returns the CSRF token the "
    "browser sends with cookie writes, and a bearer token for integrations.",
    responses=errors(401, 422),
)
def log_in(body: SessionCreate, request: Request, response: Response, session: SessionDep) -> SessionPublic | Response:
    state = request.app.state.ptbill
    actor = services.authenticate(session, body.email, body.password)
    if actor is None:
        # Returned, not raised: the transaction commits, so the failed attempt stays in the audit log.
        return JSONResponse({"detail": "wrong email or password"}, status_code=401)
    token = state.signer.issue(actor.user_id)
    response.set_cookie(
        SESSION_COOKIE, token, httponly=True, samesite="lax", secure=state.settings.secure_cookies, path="/"
    )
    return SessionPublic(
        user=MePublic(id=actor.user_id, clinic_id=actor.clinic_id, name=actor.name, role=actor.role),
        csrf_token=state.signer.csrf_token(token),
        token=token,
        expires_in=SESSION_MAX_AGE,
    )


@router.delete(
    "",
    status_code=204,
    response_model=None,
    summary="Log out",
    description="Deletes the session cookie. Tokens are signed, not stored: a bearer token stays valid "
    "until it expires.",
    responses=errors(401, 403),
)
def log_out(actor: CurrentActor, session: SessionDep, request: Request) -> Response:
    services.audit(session, actor, "logout", "user", str(actor.user_id))
    response = Response(status_code=204)
    response.delete_cookie(
        SESSION_COOKIE, httponly=True, samesite="lax", secure=request.app.state.ptbill.settings.secure_cookies
    )
    return response
