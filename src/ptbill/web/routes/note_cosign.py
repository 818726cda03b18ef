"""Co-signature on the note page: the supervising therapist co-signs an assistant's signed note there (the note
waits "for co-signature by ..." until then), and the admin sets the clinic's own rule for its state on the clinic
settings page. A refusal re-renders the page with the reason; the co-signature itself is ``services.cosign``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from ptbill.services import access, cosign
from ptbill.services import notes as notes_service
from ptbill.services.clinic import SettingsRefusedError
from ptbill.web import inputs
from ptbill.web.deps import CsrfChecked, CurrentViewer, SessionDep, form_values
from ptbill.web.inputs import RecordId
from ptbill.web.routes.admin import _settings_page, admin_only
from ptbill.web.routes.notes import stored_page

router = APIRouter()
FormDep = Annotated[dict[str, str], Depends(form_values)]
FIELD = "assistant_cosign_from"


@router.post("/notes/{encounter_id}/cosign", dependencies=[CsrfChecked])
def cosign_note(request: Request, encounter_id: RecordId, viewer: CurrentViewer, session: SessionDep) -> Any:
    try:
        cosign.cosign_note(session, viewer.actor, encounter_id, clock=viewer.clock)
    except (access.ConflictError, access.ForbiddenError) as exc:
        session.rollback()
        row = notes_service.get_encounter(session, viewer.actor, encounter_id)
        status = 403 if isinstance(exc, access.ForbiddenError) else 409
        return stored_page(request, session, viewer, row, f"Not co-signed: {exc}.", "error", status)
    session.commit()
    return RedirectResponse(f"/notes/{encounter_id}#cosign", status_code=303)


@router.post("/admin/clinic/cosign", dependencies=[CsrfChecked])
def save_cosign_rule(request: Request, viewer: CurrentViewer, session: SessionDep, form: FormDep) -> Response:
    """The first date of service from which the clinic's state requires a co-signature; empty: none."""
    admin_only(viewer)
    typed = form.get(FIELD, "").strip()
    since = inputs.day(typed) if typed else None
    try:
        if typed and since is None:
            raise SettingsRefusedError({FIELD: f"{typed[:40]!r} is not a date (YYYY-MM-DD)."})
        cosign.set_assistant_cosign(session, viewer.actor, since)
    except SettingsRefusedError as refused:
        session.rollback()
        return _settings_page(
            request, session, viewer, status=422, cosign_values={FIELD: typed}, cosign_errors=refused.problems
        )
    session.commit()
    return RedirectResponse("/admin/clinic?saved=cosign#cosign", status_code=303)
