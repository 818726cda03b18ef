"""The notes list (``/notes``): the clinician's unsaved drafts (autosaved, never stored as a note yet), the notes
returned by the biller, the draft notes still to sign with what blocks them, and the notes signed last."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from ptbill.services import note_drafts, note_list, note_returns
from ptbill.web.deps import CurrentViewer, SessionDep, render
from ptbill.web.note_drafts import href_of

router = APIRouter()


@router.get("/notes")
def list_notes(request: Request, viewer: CurrentViewer, session: SessionDep) -> Any:
    mine = viewer.is_clinician
    listed = note_list.notes_list(session, viewer.actor, mine=mine)
    returns = note_returns.open_returns(session, viewer.actor)
    by_id = note_list.notes_by_id(session, viewer.actor, returns, mine=mine)
    returned = [(back, by_id[e]) for e, back in returns.items() if e in by_id]
    unsaved = []
    if viewer.actor.role in note_drafts.WRITERS:
        for item in note_drafts.drafts_of(session, viewer.actor):
            key = note_drafts.parse_key(item.draft_key)
            if key is not None:
                unsaved.append((item, href_of(key)))
    context = {"viewer": viewer, "drafts": listed.drafts, "recent": listed.recent, "mine": mine, "returned": returned}
    return render(request, "notes/list.html", {**context, "unsaved": unsaved, "listed": listed})
