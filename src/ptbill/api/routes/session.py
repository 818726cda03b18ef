"""Logging in and out: the browser gets an HttpOnly session cookie, integrations a bearer token; both
are the same server-side session, so logging out ends both at once."""

from __future__ import annotations

from fastapi import Request, Response
from fastapi.responses import JSONResponse

from ptbill.api.deps import CurrentLogin, SessionDep, client_of, now_of
from ptbill.api.routing import errors, locked_out, resource_router
from ptbill.api.schemas.session import MePublic, SessionCreate, SessionPublic
from ptbill.services import accounts, two_factor
from ptbill.services.sessions import SESSION_LIFETIME
from ptbill.services.two_factor import SecondFactorError
from ptbill.services.web_sessions import SESSION_COOKIE

router = resource_router("/session", "session")


@router.post(
    "",
    response_model=SessionPublic,
    summary="Log in",
    description="Sets the `ptbill_session` cookie (HttpOnly, SameSite=Lax) and returns the CSRF token the "
    "browser sends with cookie writes, and a bearer token for integrations. After 10 wrong passwords for an "
    "account in 15 minutes (or 50 from one address), logins are refused with 429 until the window moves on "
    "or an admin clears the account (POST /api/users/{user_id}/unlock). An account with two-step login also "
    "sends `code`; without it the answer is 401 with `second_factor_required`.",
    responses=errors(401, 403, 422, 429),
)
def log_in(body: SessionCreate, request: Request, response: Response, session: SessionDep) -> SessionPublic | Response:
    state = request.app.state.ptbill
    now = now_of(request)
    try:
        login = accounts.log_in(session, body.email, body.password, now, client_of(request))
    except accounts.LoginLockedError as locked:
        return locked_out(locked, now)
    if login is None:
        # Returned, not raised: the transaction commits, so the failed attempt stays in the audit log.
        return JSONResponse({"detail": "wrong email or password"}, status_code=401)
    if isinstance(login, accounts.SecondFactorNeeded):
        if not body.code:
            detail = "this account uses two-step login: send the authenticator app's code as `code`"
            return JSONResponse({"detail": detail, "second_factor_required": True}, status_code=401)
        try:
            login = accounts.finish_login(session, login.user_id, body.code, now, client_of(request))
        except SecondFactorError as refused:
            return JSONResponse({"detail": str(refused), "second_factor_required": True}, status_code=401)
    elif two_factor.first_step_due(session, login.actor) == "two_factor":
        session.rollback()  # no session is opened
        detail = "the clinic requires two-step login for this role: set it up on the web page Two-step login first"
        return JSONResponse({"detail": detail}, status_code=403)
    response.set_cookie(
        SESSION_COOKIE, login.token, httponly=True, samesite="lax", secure=state.settings.secure_cookies, path="/"
    )
    actor = login.actor
    return SessionPublic(
        user=MePublic(id=actor.user_id, clinic_id=actor.clinic_id, name=actor.name, role=actor.role),
        csrf_token=state.signer.csrf_token(login.token),
        token=login.token,
        expires_in=int(SESSION_LIFETIME.total_seconds()),
    )


@router.delete(
    "",
    status_code=204,
    response_model=None,
    summary="Log out",
    description="Ends the session at once: its cookie and its bearer token are refused from the next request on.",
    responses=errors(401, 403),
)
def log_out(login: CurrentLogin, session: SessionDep, request: Request) -> Response:
    accounts.log_out(session, login.actor, login.token, now_of(request))
    response = Response(status_code=204)
    response.delete_cookie(
        SESSION_COOKIE, httponly=True, samesite="lax", secure=request.app.state.ptbill.settings.secure_cookies
    )
    return response
