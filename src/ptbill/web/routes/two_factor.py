"""Two-factor authentication on the pages: the code step of the login, and the user's own enrolment
(QR code or typed secret, a first code to prove it, recovery codes shown once).

A clinic that requires a second factor of a user's role sends that user here from every page until they
have enrolled (``web.deps``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response

from ptbill.services import accounts, two_factor
from ptbill.services.web_sessions import SESSION_COOKIE
from ptbill.web.deps import (
    CSRF_FIELD,
    CsrfChecked,
    CsrfRefusedError,
    EnrolmentViewer,
    SessionDep,
    Viewer,
    client_of,
    form_values,
    now_of,
    render,
    signer_of,
)
from ptbill.web.routes.auth import LOGIN_COOKIE, home_for, safe_next

router = APIRouter()
PENDING_COOKIE = "ptbill_2fa"  # the signed pending login between the password and the code
FormDep = Annotated[dict[str, str], Depends(form_values)]


def _secure(request: Request) -> bool:
    return bool(request.app.state.ptbill.settings.secure_cookies)


def _secret(request: Request) -> str:
    return str(request.app.state.ptbill.settings.secret_key)


def start_code_step(request: Request, user_id: int, next_path: str) -> Response:
    """After the right password of a user with a second factor: ask for the code."""
    response = RedirectResponse(f"/login/code?next={safe_next(next_path)}", status_code=303)
    value = two_factor.pending_login(_secret(request), user_id, now_of(request))
    response.set_cookie(
        PENDING_COOKIE, value, max_age=300, httponly=True, samesite="strict", secure=_secure(request), path="/login"
    )
    return response


def _code_page(request: Request, next_path: str, error: str | None = None, status: int = 200) -> Response:
    nonce = request.cookies.get(LOGIN_COOKIE) or ""
    context = {"error": error, "next": safe_next(next_path), "csrf": signer_of(request).csrf_token(nonce)}
    response = render(request, "auth/code.html", context, status_code=status)
    if not request.cookies.get(LOGIN_COOKIE):
        response.set_cookie(LOGIN_COOKIE, nonce, max_age=3600, httponly=True, samesite="lax", secure=_secure(request))
    return response


@router.get("/login/code")
def code_form(request: Request, next: Annotated[str | None, Query(max_length=500)] = None) -> Response:
    if two_factor.pending_user(_secret(request), request.cookies.get(PENDING_COOKIE), now_of(request)) is None:
        return RedirectResponse("/login", status_code=303)
    return _code_page(request, next or "/")


@router.post("/login/code")
def code(request: Request, session: SessionDep, form: FormDep) -> Response:
    if not signer_of(request).csrf_ok(request.cookies.get(LOGIN_COOKIE), form.get(CSRF_FIELD)):
        raise CsrfRefusedError
    now = now_of(request)
    user_id = two_factor.pending_user(_secret(request), request.cookies.get(PENDING_COOKIE), now)
    if user_id is None:
        return RedirectResponse("/login", status_code=303)
    try:
        login = accounts.finish_login(session, user_id, form.get("code", ""), now, client_of(request))
    except two_factor.SecondFactorError as refused:
        session.commit()  # a wrong code counts toward the login limit
        return _code_page(request, form.get("next", "/"), str(refused).capitalize() + ".", 401)
    session.commit()
    target = safe_next(form.get("next"))
    response = RedirectResponse(home_for(login.actor.role) if target == "/" else target, status_code=303)
    response.set_cookie(SESSION_COOKIE, login.token, httponly=True, samesite="lax", secure=_secure(request))
    response.delete_cookie(PENDING_COOKIE, path="/login")
    response.delete_cookie(LOGIN_COOKIE)
    return response


def _account_page(
    request: Request,
    session: SessionDep,
    viewer: Viewer,
    *,
    error: str | None = None,
    codes: list[str] | None = None,
    status: int = 200,
) -> Response:
    state = two_factor.status_of(session, viewer.actor)
    context = {
        "viewer": viewer,
        "enrolled": state.enrolled,
        "required": state.required,
        "enrolment": state.enrolment,
        "codes_left": state.codes_left,
        "codes": codes,
        "error": error,
    }
    return render(request, "auth/two_factor.html", context, status_code=status)


@router.get("/account/two-factor")
def account(request: Request, viewer: EnrolmentViewer, session: SessionDep) -> Response:
    return _account_page(request, session, viewer)


@router.post("/account/two-factor/start", dependencies=[CsrfChecked])
def start(request: Request, viewer: EnrolmentViewer, session: SessionDep) -> Response:
    two_factor.begin_enrolment(session, viewer.actor)
    session.commit()
    return RedirectResponse("/account/two-factor", status_code=303)


@router.post("/account/two-factor/confirm", dependencies=[CsrfChecked])
def confirm(request: Request, viewer: EnrolmentViewer, session: SessionDep, form: FormDep) -> Response:
    try:
        codes = two_factor.confirm_enrolment(session, viewer.actor, form.get("code", ""), now_of(request))
    except two_factor.SecondFactorError as refused:
        session.rollback()
        return _account_page(request, session, viewer, error=str(refused).capitalize() + ".", status=422)
    session.commit()
    return _account_page(request, session, viewer, codes=codes)
