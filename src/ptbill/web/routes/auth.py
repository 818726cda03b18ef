"""Logging in and out of the pages.

The login form itself is protected from cross-site posting: before there is a session, the form's
CSRF token is bound to a random pre-session cookie, so another site cannot log a browser into an
account of its choosing.
"""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response

from ptbill.services import app as services
from ptbill.services.web_sessions import SESSION_COOKIE
from ptbill.web.deps import (
    CSRF_FIELD,
    CsrfChecked,
    CsrfRefusedError,
    CurrentViewer,
    SessionDep,
    form_values,
    render,
    signer_of,
)

router = APIRouter()
LOGIN_COOKIE = "ptbill_login"  # the pre-session nonce the login form's CSRF token is bound to
FormDep = Annotated[dict[str, str], Depends(form_values)]


def _secure(request: Request) -> bool:
    return bool(request.app.state.ptbill.settings.secure_cookies)


def safe_next(target: str | None) -> str:
    """Only a path on this site: never another host (``//evil.example``) after logging in."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def home_for(role: str) -> str:
    return "/queue" if role in services.BILLERS else "/notes"


def _login_page(
    request: Request, email: str = "", error: str | None = None, next_path: str = "/", status: int = 200
) -> Response:
    nonce = request.cookies.get(LOGIN_COOKIE) or secrets.token_urlsafe(24)
    response = render(
        request,
        "auth/login.html",
        {"email": email, "error": error, "next": safe_next(next_path), "csrf": signer_of(request).csrf_token(nonce)},
        status_code=status,
    )
    response.set_cookie(LOGIN_COOKIE, nonce, max_age=3600, httponly=True, samesite="lax", secure=_secure(request))
    return response


@router.get("/login")
def login_form(request: Request, next: Annotated[str | None, Query()] = None) -> Response:
    return _login_page(request, next_path=next or "/")


@router.post("/login")
def login(request: Request, session: SessionDep, form: FormDep) -> Response:
    if not signer_of(request).csrf_ok(request.cookies.get(LOGIN_COOKIE), form.get(CSRF_FIELD)):
        raise CsrfRefusedError
    email = form.get("email", "").strip()
    actor = services.authenticate(session, email, form.get("password", ""))
    if actor is None:
        session.commit()  # keep the audit record of the failed attempt
        return _login_page(
            request, email, "That email and password don't match an active account.", form.get("next", "/"), 401
        )
    session.commit()
    target = safe_next(form.get("next"))
    response = RedirectResponse(home_for(actor.role) if target == "/" else target, status_code=303)
    # No max_age: a browser-session cookie; the signed token itself expires after a working day.
    response.set_cookie(
        SESSION_COOKIE, signer_of(request).issue(actor.user_id), httponly=True, samesite="lax", secure=_secure(request)
    )
    response.delete_cookie(LOGIN_COOKIE)
    return response


@router.post("/logout", dependencies=[CsrfChecked])
def logout(viewer: CurrentViewer, session: SessionDep) -> Response:
    services.audit(session, viewer.actor, "logout", "user", str(viewer.actor.user_id))
    session.commit()
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/")
def home(viewer: CurrentViewer) -> Any:
    return RedirectResponse(home_for(viewer.actor.role), status_code=303)
