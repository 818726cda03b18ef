"""Logging in and out of the pages, and changing one's own password.

The login form itself is protected from cross-site posting: before there is a session, the form's
CSRF token is bound to a random pre-session cookie, so another site cannot log a browser into an
account of its choosing.
"""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response

from ptbill.domain.vocabulary import BILLERS
from ptbill.services import accounts
from ptbill.services.clinic_setup import clinic_count
from ptbill.services.passwords import MIN_LENGTH, PasswordRefusedError
from ptbill.services.web_sessions import SESSION_COOKIE
from ptbill.web.deps import (
    CSRF_FIELD,
    CsrfChecked,
    CsrfRefusedError,
    CurrentViewer,
    EnrolmentViewer,
    SessionDep,
    Viewer,
    client_of,
    form_values,
    now_of,
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
    return "/queue" if role in BILLERS else "/notes"


def _login_page(
    request: Request,
    email: str = "",
    error: str | None = None,
    next_path: str = "/",
    status: int = 200,
    notice: str | None = None,
) -> Response:
    nonce = request.cookies.get(LOGIN_COOKIE) or secrets.token_urlsafe(24)
    context = {
        "email": email,
        "error": error,
        "notice": notice,
        "next": safe_next(next_path),
        "csrf": signer_of(request).csrf_token(nonce),
    }
    response = render(request, "auth/login.html", context, status_code=status)
    response.set_cookie(LOGIN_COOKIE, nonce, max_age=3600, httponly=True, samesite="lax", secure=_secure(request))
    return response


@router.get("/login")
def login_form(
    request: Request,
    session: SessionDep,
    next: Annotated[str | None, Query()] = None,
    setup: Annotated[str | None, Query(max_length=10)] = None,
) -> Response:
    if clinic_count(session) == 0:  # a new installation: the first-run page comes first
        return RedirectResponse("/setup", status_code=303)
    done = "Your clinic is set up. Log in as its administrator." if setup == "done" else None
    return _login_page(request, next_path=next or "/", notice=done)


@router.post("/login")
def login(request: Request, session: SessionDep, form: FormDep) -> Response:
    if not signer_of(request).csrf_ok(request.cookies.get(LOGIN_COOKIE), form.get(CSRF_FIELD)):
        raise CsrfRefusedError
    email = form.get("email", "").strip()
    try:
        login = accounts.log_in(session, email, form.get("password", ""), now_of(request), client_of(request))
    except accounts.LoginLockedError as locked:
        session.commit()
        return _login_page(request, email, str(locked), form.get("next", "/"), 429)
    session.commit()  # a failed attempt stays in the audit log and counts toward the login limit
    if login is None:
        return _login_page(
            request, email, "That email and password don't match an active account.", form.get("next", "/"), 401
        )
    if isinstance(login, accounts.SecondFactorNeeded):
        from ptbill.web.routes.two_factor import start_code_step

        return start_code_step(request, login.user_id, form.get("next", "/"))
    target = safe_next(form.get("next"))
    response = RedirectResponse(home_for(login.actor.role) if target == "/" else target, status_code=303)
    # No max_age: a browser-session cookie; the session itself ends after a working day, or at logout.
    response.set_cookie(SESSION_COOKIE, login.token, httponly=True, samesite="lax", secure=_secure(request))
    response.delete_cookie(LOGIN_COOKIE)
    return response


@router.post("/logout", dependencies=[CsrfChecked])
def logout(request: Request, viewer: EnrolmentViewer, session: SessionDep) -> Response:
    accounts.log_out(session, viewer.actor, request.cookies.get(SESSION_COOKIE, ""), now_of(request))
    session.commit()
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


def _password_page(
    request: Request, viewer: Viewer, errors: dict[str, str] | None = None, changed: bool = False, status: int = 200
) -> Response:
    required = request.query_params.get("required") == "1"
    context = {
        "viewer": viewer,
        "errors": errors or {},
        "changed": changed,
        "required": required,
        "min_length": MIN_LENGTH,
    }
    return render(request, "auth/password.html", context, status_code=status)


@router.get("/account/password")
def password_form(request: Request, viewer: EnrolmentViewer) -> Response:
    return _password_page(request, viewer, changed=request.query_params.get("changed") == "1")


@router.post("/account/password", dependencies=[CsrfChecked])
def change_password(request: Request, viewer: EnrolmentViewer, session: SessionDep, form: FormDep) -> Response:
    new = form.get("new_password", "")
    if new != form.get("new_password_again", ""):
        mismatch = {"new_password_again": "The two new passwords are not the same."}
        return _password_page(request, viewer, mismatch, status=422)
    try:
        accounts.change_password(
            session,
            viewer.actor,
            form.get("current_password", ""),
            new,
            now_of(request),
            client_of(request),
            request.cookies.get(SESSION_COOKIE, ""),
        )
    except PasswordRefusedError as refused:
        session.commit()  # a wrong current password counts toward the login limit
        return _password_page(request, viewer, {refused.field: str(refused).capitalize() + "."}, status=422)
    except accounts.LoginLockedError as locked:
        return _password_page(request, viewer, {"current_password": str(locked)}, status=429)
    session.commit()
    return RedirectResponse("/account/password?changed=1", status_code=303)


@router.get("/")
def home(viewer: CurrentViewer) -> Any:
    return RedirectResponse(home_for(viewer.actor.role), status_code=303)
