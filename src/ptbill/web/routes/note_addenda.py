"""Addenda on the note page: a signed note is corrected by an addendum (author, time, reason, text), never edited.

The form sits under the signed note; a refused addendum re-renders the note with the reason and text as typed
and the problem named.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse

from ptbill.services import access, addenda
from ptbill.services import notes as notes_service
from ptbill.services.patient_fields import FieldProblemsError
from ptbill.web.deps import CsrfChecked, CurrentViewer, SessionDep, form_values
from ptbill.web.inputs import RecordId
from ptbill.web.routes.notes import stored_page

router = APIRouter()
FormDep = Annotated[dict[str, str], Depends(form_values)]


@router.post("/notes/{encounter_id}/addenda", dependencies=[CsrfChecked])
def add_addendum(
    request: Request, encounter_id: RecordId, viewer: CurrentViewer, session: SessionDep, form: FormDep
) -> Any:
    reason, text = form.get("reason", ""), form.get("text", "")
    try:
        addenda.add_addendum(session, viewer.actor, encounter_id, reason, text, clock=viewer.clock)
    except (FieldProblemsError, access.ConflictError) as exc:
        session.rollback()
        row = notes_service.get_encounter(session, viewer.actor, encounter_id)
        if isinstance(exc, FieldProblemsError):
            named = "; ".join(f"{'Reason' if k == 'reason' else 'Text'}: {v}" for k, v in exc.problems.items())
            message, status = f"The addendum was not added. {named}.", 422
        else:
            message, status = f"The addendum was not added: {exc}.", 409
        typed = {"reason": reason, "text": text, "problems": getattr(exc, "problems", {})}
        return stored_page(request, session, viewer, row, message, "error", status, addendum=typed)
    session.commit()
    return RedirectResponse(f"/notes/{encounter_id}?outcome=amended#addenda", status_code=303)
