"""Autosave of the note form (``POST /notes/drafts``, posted by ``static/note_autosave.js`` a second after typing
stops and when the page is left) and discarding a draft (``POST /notes/drafts/discard``, the note page's banner
and the notes list). Registered before the note pages: "drafts" is not a note's id.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, RedirectResponse

from ptbill.services import access
from ptbill.services import note_drafts as drafts
from ptbill.services.patient_fields import FieldProblemsError
from ptbill.web.deps import CsrfChecked, CurrentViewer, SessionDep, form_values, in_zone
from ptbill.web.note_drafts import href_of

router = APIRouter()
FormDep = Annotated[dict[str, str], Depends(form_values)]


@router.post("/notes/drafts", dependencies=[CsrfChecked])
def autosave(request: Request, viewer: CurrentViewer, session: SessionDep, form: FormDep) -> JSONResponse:
    """Keep the form as the user's draft of its note; the answer says when, in the clinic's time zone."""
    try:
        draft = drafts.save_draft(session, viewer.actor, form.get("draft_key", ""), form)
    except FieldProblemsError as exc:
        return JSONResponse({"detail": str(exc)}, status_code=422)
    except access.ConflictError as exc:
        return JSONResponse({"detail": str(exc)}, status_code=409)
    except (access.NotFoundError, access.ForbiddenError) as exc:
        status = 404 if isinstance(exc, access.NotFoundError) else 403
        return JSONResponse({"detail": "not found" if status == 404 else str(exc)}, status_code=status)
    session.commit()
    local = in_zone(draft.saved_at, getattr(request.state, "clinic_zone", None))
    return JSONResponse({"key": draft.draft_key, "saved": f"{local:%H:%M}", "saved_at": local.isoformat()})


@router.post("/notes/drafts/discard", dependencies=[CsrfChecked])
def discard(viewer: CurrentViewer, session: SessionDep, form: FormDep) -> Any:
    """Throw the draft away and go back to the note as last saved (or to the list it was discarded from)."""
    key = drafts.parse_key(form.get("draft_key"))
    if key is None:
        raise FieldProblemsError({"draft_key": "not a note's draft key"})
    drafts.discard_draft(session, viewer.actor, key.text)
    session.commit()
    if form.get("back") == "list":
        return RedirectResponse("/notes", status_code=303)
    page = href_of(key)
    return RedirectResponse(f"{page}{'&' if '?' in page else '?'}draft=discarded", status_code=303)
