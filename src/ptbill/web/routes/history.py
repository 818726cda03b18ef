"""An encounter's history: each saved version with the verdict and findings the engine gave it and
the rule-set version that gave them, and every audit event (who, what, when).

This is what a biller shows an auditor or a payer: what the note said, when, and what was known then.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from ptbill.reference.catalog import default_catalog
from ptbill.services import access
from ptbill.services import notes as notes_service
from ptbill.web.deps import CurrentViewer, SessionDep, render
from ptbill.web.inputs import RecordId

router = APIRouter()
ACTIONS = {
    "create": "created the note",
    "update": "saved a new version",
    "sign": "signed",
    "read": "opened",
    "export": "exported",
}


@router.get("/notes/{encounter_id}/history")
def history(request: Request, encounter_id: RecordId, viewer: CurrentViewer, session: SessionDep) -> Any:
    found = notes_service.encounter_history(session, viewer.actor, encounter_id)
    row = found["encounter"]
    people: dict[int, str] = {}
    for event in found["events"]:
        if event.user_id is not None and event.user_id not in people:
            actor = access.actor_for(session, event.user_id)
            people[event.user_id] = actor.name if actor else f"former user {event.user_id}"
    versions = list(reversed(found["checks"]))  # newest first: the question is usually "what now?"
    payer = default_catalog().payer(row.payer_id)
    patient = row.document.get("patient") or {}
    return render(
        request,
        "notes/history.html",
        {
            "viewer": viewer,
            "row": row,
            "patient": f"{patient.get('first_name', '')} {patient.get('last_name', '')}".strip(),
            "payer": payer.name if payer else row.payer_id,
            "versions": versions,
            "events": list(reversed(found["events"])),
            "people": people,
            "actions": ACTIONS,
        },
    )
