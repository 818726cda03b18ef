"""The admin's clinic settings: billing identity, pay-to address, Medicare locality, time zone, claim and
statement defaults, trading partners, and service locations. A refused form comes back with 422, each
message beside its field and every typed value kept."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from ptbill.reference.catalog import default_catalog
from ptbill.services import clinic as clinic_service
from ptbill.services import mailbox_settings
from ptbill.services.access import ForbiddenError
from ptbill.services.clinic import IDENTITY_FIELDS, PLACES_OF_SERVICE, SETTING_FIELDS, SettingsRefusedError
from ptbill.services.db import Session
from ptbill.services.therapy_year import medicare_localities
from ptbill.web.deps import CsrfChecked, CurrentViewer, SessionDep, Viewer, form_values, render
from ptbill.web.inputs import RecordId

router = APIRouter()
FormDep = Annotated[dict[str, str], Depends(form_values)]
SAVED = {
    "settings": "The clinic settings are saved.",
    "location": "The service location is added.",
    "removed": "The service location is removed.",
    "mailbox": "The clearinghouse mailbox is saved.",
    "cosign": "The co-signature rule is saved.",
}


def admin_only(viewer: Viewer) -> Viewer:
    """The admin pages are the admin's: any other role gets the 403 page."""
    if viewer.actor.role != "admin":
        raise ForbiddenError("only an admin can open the admin pages")
    return viewer


def _settings_page(
    request: Request,
    session: Session,
    viewer: Viewer,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    location: tuple[dict[str, str], dict[str, str]] | None = None,
    status: int = 200,
    mailbox: tuple[dict[str, str], dict[str, str]] | None = None,
    **extra: Any,  # another section's typed values and problems (routes/note_cosign.py)
) -> Response:
    clinic = clinic_service.get_clinic(session, viewer.actor)
    if values is None:
        stored = {name: getattr(clinic, name) for name in (*IDENTITY_FIELDS, *SETTING_FIELDS, "medicare_locality")}
        values = {name: "" if value is None else str(value) for name, value in stored.items()}
        values["place_of_service"] = values["place_of_service"] or "11"
    location_values, location_errors = location or ({}, {})
    box = mailbox_settings.get_settings(session, viewer.actor)
    stored_box = {name: getattr(box, name) for name in mailbox_settings.FORM_FIELDS}
    box_values, box_errors = mailbox or ({k: "" if v is None else str(v) for k, v in stored_box.items()}, {})
    context: dict[str, Any] = {
        "viewer": viewer,
        "section": "admin",
        "tab": "clinic",
        "clinic": clinic,
        "values": values,
        "errors": errors or {},
        "localities": medicare_localities(default_catalog(), viewer.clock.today()),
        "zones": clinic_service.time_zones(),
        "places": PLACES_OF_SERVICE,
        "locations": clinic_service.list_locations(session, viewer.actor),
        "location_values": location_values,
        "location_errors": location_errors,
        "mailbox": box,
        "mailbox_values": box_values,
        "mailbox_errors": box_errors,
        "transports": list(mailbox_settings.TRANSPORTS.items()),
        "auths": list(mailbox_settings.AUTHS.items()),
        "saved": SAVED.get(request.query_params.get("saved", "")),
    } | extra
    return render(request, "admin/clinic.html", context, status)


@router.get("/admin")
def admin_home() -> Response:
    return RedirectResponse("/admin/clinic", status_code=303)


@router.get("/admin/clinic")
def clinic_settings(request: Request, viewer: CurrentViewer, session: SessionDep) -> Response:
    return _settings_page(request, session, admin_only(viewer))


@router.post("/admin/clinic", dependencies=[CsrfChecked])
def save_clinic_settings(request: Request, viewer: CurrentViewer, session: SessionDep, form: FormDep) -> Response:
    admin_only(viewer)
    values = {name: form.get(name, "") for name in (*IDENTITY_FIELDS, *SETTING_FIELDS, "medicare_locality")}
    try:
        clinic_service.update_settings(session, viewer.actor, values, viewer.clock.today())
    except SettingsRefusedError as refused:
        session.rollback()
        return _settings_page(request, session, viewer, values, refused.problems, status=422)
    session.commit()
    return RedirectResponse("/admin/clinic?saved=settings", status_code=303)


@router.post("/admin/clinic/locations", dependencies=[CsrfChecked])
def add_location(request: Request, viewer: CurrentViewer, session: SessionDep, form: FormDep) -> Response:
    admin_only(viewer)
    typed = {name: form.get(name, "") for name in ("name", "address_line1", "city", "state", "zip", "npi")}
    try:
        clinic_service.add_location(session, viewer.actor, typed)
    except SettingsRefusedError as refused:
        session.rollback()
        return _settings_page(request, session, viewer, location=(typed, refused.problems), status=422)
    session.commit()
    return RedirectResponse("/admin/clinic?saved=location#locations", status_code=303)


@router.post("/admin/clinic/locations/{location_id}/remove", dependencies=[CsrfChecked])
def remove_location(location_id: RecordId, viewer: CurrentViewer, session: SessionDep) -> Response:
    clinic_service.remove_location(session, admin_only(viewer).actor, location_id)
    session.commit()
    return RedirectResponse("/admin/clinic?saved=removed#locations", status_code=303)


@router.post("/admin/clinic/mailbox", dependencies=[CsrfChecked])
def save_mailbox(request: Request, viewer: CurrentViewer, session: SessionDep, form: FormDep) -> Response:
    """The mailbox's settings; the credential typed is saved encrypted and never put back into the page."""
    admin_only(viewer)
    secret = request.app.state.ptbill.settings.secret_key
    try:
        mailbox_settings.save_settings(session, viewer.actor, form, secret_key=secret, clock=viewer.clock)
    except SettingsRefusedError as refused:
        session.rollback()
        typed = {name: form.get(name, "") for name in mailbox_settings.FORM_FIELDS}
        return _settings_page(request, session, viewer, mailbox=(typed, refused.problems), status=422)
    session.commit()
    return RedirectResponse("/admin/clinic?saved=mailbox#mailbox", status_code=303)
