"""The admin's people: the providers roster (PT, PTA, OT, OTA, SLP) and the clinic's user accounts
(invite, role, deactivate, password reset, two-step login, lockouts)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from ptbill.domain.vocabulary import CLINICIANS, ROLES
from ptbill.services import accounts, login_limits, two_factor
from ptbill.services import providers as providers_service
from ptbill.services import users as users_service
from ptbill.services.access import ConflictError
from ptbill.services.clinic import SettingsRefusedError, get_clinic
from ptbill.services.db import Session
from ptbill.services.passwords import PasswordRefusedError
from ptbill.services.two_factor import ROLES_THAT_CAN_BE_REQUIRED, SecondFactorError
from ptbill.web.deps import CsrfChecked, CurrentViewer, SessionDep, Viewer, form_lists, form_values, now_of, render
from ptbill.web.inputs import RecordId
from ptbill.web.routes.admin import admin_only

router = APIRouter()
FormDep = Annotated[dict[str, str], Depends(form_values)]
ListsDep = Annotated[dict[str, list[str]], Depends(form_lists)]
DONE = {
    "provider": "The provider is saved.",
    "role": "The role is changed.",
    "deactivated": "The account is deactivated; its sessions have ended.",
    "activated": "The account is active again.",
    "two-factor": "Two-step login is turned off for that user; they set it up again at their next login.",
    "required": "The roles that must use two-step login are saved.",
    "unlocked": "The failed logins are cleared: the user can log in now.",
}


def _providers_page(
    request: Request,
    session: Session,
    viewer: Viewer,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    roster = providers_service.list_providers(session, viewer.actor)
    context: dict[str, Any] = {
        "viewer": viewer,
        "tab": "providers",
        "providers": roster,
        "names": {p.id: p.name for p in roster},
        "supervisors": [
            (str(p.id), f"{p.name} ({p.discipline})") for p in roster if p.active and p.discipline in ("PT", "OT")
        ],
        "disciplines": list(providers_service.DISCIPLINES.items()),
        "values": values or {},
        "errors": errors or {},
        "saved": DONE.get(request.query_params.get("saved", "")),
    }
    return render(request, "admin/providers.html", context, status)


@router.get("/admin/providers")
def providers(request: Request, viewer: CurrentViewer, session: SessionDep) -> Response:
    return _providers_page(request, session, admin_only(viewer))


@router.post("/admin/providers", dependencies=[CsrfChecked])
def add_provider(request: Request, viewer: CurrentViewer, session: SessionDep, form: FormDep) -> Response:
    admin_only(viewer)
    try:
        providers_service.add_provider(session, viewer.actor, form)
    except SettingsRefusedError as refused:
        session.rollback()
        typed = {name: form.get(name, "") for name in providers_service.FIELDS}
        return _providers_page(request, session, viewer, typed, refused.problems, 422)
    session.commit()
    return RedirectResponse("/admin/providers?saved=provider", status_code=303)


@router.post("/admin/providers/{provider_id}/active", dependencies=[CsrfChecked])
def provider_active(
    request: Request, provider_id: RecordId, viewer: CurrentViewer, session: SessionDep, form: FormDep
) -> Response:
    admin_only(viewer)
    try:
        providers_service.set_provider_active(session, viewer.actor, provider_id, form.get("active") == "yes")
    except SettingsRefusedError as refused:
        session.rollback()
        return _providers_page(request, session, viewer, errors=refused.problems, status=409)
    session.commit()
    return RedirectResponse("/admin/providers?saved=provider", status_code=303)


def _users_page(
    request: Request,
    session: Session,
    viewer: Viewer,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    secret: tuple[str, str] | None = None,
    status: int = 200,
) -> Response:
    clinic = get_clinic(session, viewer.actor)
    context: dict[str, Any] = {
        "viewer": viewer,
        "tab": "users",
        "users": users_service.list_users(session, viewer.actor),
        "roles": [(str(role), str(role).replace("_", " ")) for role in ROLES],
        "required": set((clinic.two_factor_roles or "").split(",")) - {""},
        "requirable": ROLES_THAT_CAN_BE_REQUIRED,
        "providers": [(str(p.id), f"{p.name} ({p.discipline}, NPI {p.npi})") for p in _on_roster(session, viewer)],
        "values": values or {},
        "errors": errors or {},
        "secret": secret,  # (whose, the temporary password): shown on this one page only
        "saved": DONE.get(request.query_params.get("saved", "")),
    }
    return render(request, "admin/users.html", context, status)


def _on_roster(session: Session, viewer: Viewer) -> list[providers_service.Provider]:
    return [p for p in providers_service.list_providers(session, viewer.actor) if p.active]


@router.get("/admin/users")
def users(request: Request, viewer: CurrentViewer, session: SessionDep) -> Response:
    return _users_page(request, session, admin_only(viewer))


@router.post("/admin/users", dependencies=[CsrfChecked])
def invite_user(request: Request, viewer: CurrentViewer, session: SessionDep, form: FormDep) -> Response:
    """A new account with a one-time temporary password, shown on the answer page only."""
    admin_only(viewer)
    typed = {name: " ".join(form.get(name, "").split()) for name in ("name", "email", "role")}
    errors: dict[str, str] = {}
    if not 1 <= len(typed["name"]) <= 120 or not typed["name"].isprintable():
        errors["name"] = "The user's name is required (at most 120 characters)."
    email = typed["email"]
    if "@" not in email or len(email) > 200 or not email.isascii() or not email.isprintable():
        errors["email"] = "An email address is required."
    if typed["role"] not in ROLES:
        errors["role"] = "Choose a role."
    typed["provider_id"] = form.get("provider_id", "").strip()
    provider = {str(p.id): p for p in _on_roster(session, viewer)}.get(typed["provider_id"])
    if typed["role"] in CLINICIANS and provider is None:  # their notes name them by NPI and credential
        errors["provider_id"] = "A therapist or assistant signs notes as a provider: choose them on the roster."
    if errors:
        return _users_page(request, session, viewer, values=typed, errors=errors, status=422)
    try:
        account = {name: typed[name] for name in ("name", "email", "role")}
        if provider is not None:
            account |= {"credential": provider.discipline, "npi": provider.npi}
        user, password = users_service.invite_user(session, viewer.actor, account)
    except ConflictError as refused:
        session.rollback()
        return _users_page(
            request, session, viewer, values=typed, errors={"email": str(refused).capitalize() + "."}, status=409
        )
    except PasswordRefusedError:  # pragma: no cover - a generated password is never a common one
        session.rollback()
        raise
    session.commit()
    return _users_page(request, session, viewer, secret=(user.name, password))


@router.post("/admin/users/two-factor-roles", dependencies=[CsrfChecked])
def require_two_factor(request: Request, viewer: CurrentViewer, session: SessionDep, lists: ListsDep) -> Response:
    admin_only(viewer)
    try:
        two_factor.require_for_roles(session, viewer.actor, lists.get("roles", []))
    except SecondFactorError as refused:
        session.rollback()
        return _users_page(request, session, viewer, errors={"roles": str(refused)}, status=422)
    session.commit()
    return RedirectResponse("/admin/users?saved=required", status_code=303)


@router.post("/admin/users/{user_id}/role", dependencies=[CsrfChecked])
def change_role(
    request: Request, user_id: RecordId, viewer: CurrentViewer, session: SessionDep, form: FormDep
) -> Response:
    users_service.change_role(session, admin_only(viewer).actor, user_id, form.get("role", ""))
    session.commit()
    return RedirectResponse("/admin/users?saved=role", status_code=303)


@router.post("/admin/users/{user_id}/active", dependencies=[CsrfChecked])
def user_active(
    request: Request, user_id: RecordId, viewer: CurrentViewer, session: SessionDep, form: FormDep
) -> Response:
    active = form.get("active") == "yes"
    accounts.set_active(session, admin_only(viewer).actor, user_id, active, now_of(request))
    session.commit()
    return RedirectResponse(f"/admin/users?saved={'activated' if active else 'deactivated'}", status_code=303)


@router.post("/admin/users/{user_id}/password", dependencies=[CsrfChecked])
def reset_password(request: Request, user_id: RecordId, viewer: CurrentViewer, session: SessionDep) -> Response:
    """A one-time temporary password, shown on the answer page only (never in an address)."""
    admin_only(viewer)
    password = users_service.reset_password(session, viewer.actor, user_id, now_of(request))
    session.commit()
    whose = next((u.name for u in users_service.list_users(session, viewer.actor) if u.id == user_id), "")
    return _users_page(request, session, viewer, secret=(whose, password))


@router.post("/admin/users/{user_id}/two-factor-off", dependencies=[CsrfChecked])
def two_factor_off(user_id: RecordId, viewer: CurrentViewer, session: SessionDep) -> Response:
    two_factor.turn_off(session, admin_only(viewer).actor, user_id)
    session.commit()
    return RedirectResponse("/admin/users?saved=two-factor", status_code=303)


@router.post("/admin/users/{user_id}/unlock", dependencies=[CsrfChecked])
def unlock(user_id: RecordId, viewer: CurrentViewer, session: SessionDep) -> Response:
    login_limits.clear_lockout(session, admin_only(viewer).actor, user_id)
    session.commit()
    return RedirectResponse("/admin/users?saved=unlocked", status_code=303)
