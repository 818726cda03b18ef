"""The first-run set-up page: on an empty database, the clinic's billing identity and its first admin.

Only the person at the server can use it: `ptbill serve` prints a one-time token (kept hashed in the data
folder) and the page asks for it. Once a clinic exists the page sends everyone to the login. Like the
login form, it is protected from cross-site posting by a token bound to a pre-session cookie.
"""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response

from ptbill.services.clinic_setup import (
    ClinicIdentity,
    SetupRefusedError,
    SetupTokenError,
    clinic_count,
    setup_with_token,
)
from ptbill.services.passwords import MIN_LENGTH, PasswordRefusedError
from ptbill.web.deps import CSRF_FIELD, CsrfRefusedError, SessionDep, form_values, render, signer_of

router = APIRouter()
SETUP_COOKIE = "ptbill_setup"  # the pre-session nonce the form's CSRF token is bound to
FormDep = Annotated[dict[str, str], Depends(form_values)]
FIELDS = ("token", "clinic_name", "npi", "tax_id", "address_line1", "city", "state", "zip", "admin_name", "admin_email")
# The field each of the set-up service's problems belongs beside (a problem starts "field: ...").
PROBLEM_FIELDS = {
    "name": "clinic_name",
    "npi": "npi",
    "tax_id": "tax_id",
    "address": "address_line1",
    "city": "city",
    "state": "state",
    "zip": "zip",
    "admin email": "admin_email",
    "admin name": "admin_name",
}


def _page(
    request: Request, values: dict[str, str], errors: dict[str, str] | None = None, status: int = 200
) -> Response:
    nonce = request.cookies.get(SETUP_COOKIE) or secrets.token_urlsafe(24)
    context = {
        "values": values,
        "errors": errors or {},
        "csrf": signer_of(request).csrf_token(nonce),
        "min_length": MIN_LENGTH,
    }
    response = render(request, "setup/setup.html", context, status_code=status)
    secure = bool(request.app.state.ptbill.settings.secure_cookies)
    response.set_cookie(SETUP_COOKIE, nonce, max_age=3600, httponly=True, samesite="strict", secure=secure)
    return response


@router.get("/setup")
def setup_form(
    request: Request, session: SessionDep, token: Annotated[str | None, Query(max_length=200)] = None
) -> Response:
    if clinic_count(session) > 0:
        return RedirectResponse("/login", status_code=303)
    return _page(request, {"token": token or ""})


def _errors_of(problems: list[str]) -> dict[str, str]:
    errors: dict[str, str] = {}
    for problem in problems:
        name, _, message = problem.partition(": ")
        field = PROBLEM_FIELDS.get(name, "clinic_name")
        errors[field] = " ".join(filter(None, [errors.get(field), message[:1].upper() + message[1:] + "."]))
    return errors


@router.post("/setup")
def setup(request: Request, session: SessionDep, form: FormDep) -> Response:
    if not signer_of(request).csrf_ok(request.cookies.get(SETUP_COOKIE), form.get(CSRF_FIELD)):
        raise CsrfRefusedError
    if clinic_count(session) > 0:
        return RedirectResponse("/login", status_code=303)
    values = {name: form.get(name, "") for name in FIELDS}  # what was typed comes back, never the password
    password = form.get("password", "")
    if password != form.get("password_again", ""):
        return _page(request, values, {"password_again": "The two passwords are not the same."}, 422)
    identity = ClinicIdentity(
        values["clinic_name"],
        values["npi"],
        values["tax_id"],
        values["address_line1"],
        values["city"],
        values["state"],
        values["zip"],
    )
    data_dir = request.app.state.ptbill.settings.data_dir
    try:
        setup_with_token(
            session, data_dir, values["token"], identity, values["admin_email"], values["admin_name"], password
        )
    except SetupTokenError as refused:
        session.rollback()
        return _page(request, values, {"token": str(refused).capitalize() + "."}, 403)
    except SetupRefusedError as refused:
        session.rollback()
        return _page(request, values, _errors_of(refused.problems), 422)
    except PasswordRefusedError as refused:
        session.rollback()
        return _page(request, values, {"password": str(refused).capitalize() + "."}, 422)
    session.commit()
    response = RedirectResponse("/login?setup=done", status_code=303)
    response.delete_cookie(SETUP_COOKIE)
    return response
