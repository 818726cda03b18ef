"""The admin's views: the audit log (filtered, and as CSV), the clinic's live sessions with revoke, and the
reference data installed (what `ptbill reference status` prints)."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from ptbill.domain.errors import ReferenceDataError
from ptbill.services import audit_views
from ptbill.services import users as users_service
from ptbill.services.audit_views import AuditFilter
from ptbill.services.clinic import clinic_zone
from ptbill.services.db import Session
from ptbill.services.reference_status import reference_status
from ptbill.services.web_sessions import SESSION_COOKIE
from ptbill.web.deps import CsrfChecked, CurrentViewer, SessionDep, Viewer, now_of, render
from ptbill.web.inputs import OptionalRecordId, RecordId, day
from ptbill.web.routes.admin import admin_only

router = APIRouter()
Text = Annotated[str, Query(max_length=60)]


def _filter(user: int | None, entity: str, entity_id: str, action: str, start: str, end: str) -> AuditFilter:
    # No one types a NUL, and PostgreSQL text cannot compare with one: dropped, as in every form.
    entity, entity_id, action = (text.replace("\x00", "").strip() for text in (entity, entity_id, action))
    return AuditFilter(user, entity, entity_id, action, day(start), day(end))


def _typed(user: int | None, entity: str, entity_id: str, action: str, start: str, end: str) -> dict[str, str]:
    return {
        "user": "" if user is None else str(user),
        "entity": entity,
        "entity_id": entity_id,
        "action": action,
        "from": start,
        "to": end,
    }


@router.get("/admin/audit")
def audit_log(
    request: Request,
    viewer: CurrentViewer,
    session: SessionDep,
    user: Annotated[OptionalRecordId, Query()] = None,
    entity: Text = "",
    entity_id: Text = "",
    action: Text = "",
    start: Annotated[str, Query(alias="from", max_length=10)] = "",
    end: Annotated[str, Query(alias="to", max_length=10)] = "",
) -> Response:
    admin_only(viewer)
    errors = {
        name: "Type a day as YYYY-MM-DD." for name, text in (("from", start), ("to", end)) if text and not day(text)
    }
    wanted = _filter(user, entity, entity_id, action, start, end)
    zone = clinic_zone(session, viewer.actor.clinic_id)
    actions, entities = audit_views.audit_choices(session, viewer.actor)
    typed = _typed(user, entity, entity_id, action, start, end)
    context: dict[str, Any] = {
        "viewer": viewer,
        "tab": "audit",
        "lines": audit_views.audit_lines(session, viewer.actor, wanted, zone),
        "limit": audit_views.PAGE_SIZE,
        "users": users_service.list_users(session, viewer.actor),
        "actions": actions,
        "entities": entities,
        "values": typed,
        "errors": errors,
        "csv_query": urlencode({k: v for k, v in typed.items() if v and k not in errors}),
        "zone": zone,
    }
    return render(request, "admin/audit.html", context, 422 if errors else 200)


@router.get("/admin/audit.csv")
def audit_csv(
    viewer: CurrentViewer,
    session: SessionDep,
    user: Annotated[OptionalRecordId, Query()] = None,
    entity: Text = "",
    entity_id: Text = "",
    action: Text = "",
    start: Annotated[str, Query(alias="from", max_length=10)] = "",
    end: Annotated[str, Query(alias="to", max_length=10)] = "",
) -> Response:
    admin_only(viewer)
    zone = clinic_zone(session, viewer.actor.clinic_id)
    text = audit_views.audit_csv(session, viewer.actor, _filter(user, entity, entity_id, action, start, end), zone)
    headers = {"Content-Disposition": 'attachment; filename="audit-log.csv"'}
    return Response(text, media_type="text/csv; charset=utf-8", headers=headers)


def _sessions_page(request: Request, session: Session, viewer: Viewer) -> Response:
    own = request.cookies.get(SESSION_COOKIE)
    context = {
        "viewer": viewer,
        "tab": "sessions",
        "sessions": audit_views.live_sessions(session, viewer.actor, now_of(request), own),
        "saved": "The session is ended." if request.query_params.get("saved") == "revoked" else None,
    }
    return render(request, "admin/sessions.html", context)


@router.get("/admin/sessions")
def live_sessions(request: Request, viewer: CurrentViewer, session: SessionDep) -> Response:
    return _sessions_page(request, session, admin_only(viewer))


@router.post("/admin/sessions/{session_id}/revoke", dependencies=[CsrfChecked])
def revoke_session(request: Request, session_id: RecordId, viewer: CurrentViewer, session: SessionDep) -> Response:
    audit_views.revoke_session(session, admin_only(viewer).actor, session_id, now_of(request))
    session.commit()
    return RedirectResponse("/admin/sessions?saved=revoked", status_code=303)


@router.get("/admin/reference")
def reference_data(request: Request, viewer: CurrentViewer) -> Response:
    admin_only(viewer)
    folder = request.app.state.ptbill.settings.data_dir / "reference"
    try:
        lines, problem = reference_status(folder), None
    except ReferenceDataError as error:
        lines, problem = [], str(error)
    context = {"viewer": viewer, "tab": "reference", "lines": lines, "problem": problem, "folder": folder}
    return render(request, "admin/reference.html", context)
