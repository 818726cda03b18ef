"""The last visit a note is compared with: what a new note starts from, and what a saved note changed of it.

The last visit is the patient's latest note before the day (``notes.previous_traction``); its document is read
(an audited read) and ``note_changes.carried`` gives the inputs the next note starts from. The new-note page
fills them in and marks each one the therapist changes; a saved or signed note lists what it changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from ptbill.services import notes as notes_service
from ptbill.services import patients as patients_service
from ptbill.services.db import Session
from ptbill.web import note_changes, note_form
from ptbill.web.deps import Viewer


@dataclass(frozen=True, slots=True)
class LastVisit:
    """The patient's note before this one, as copy-forward uses it."""

    encounter_id: int
    date_of_service: str
    traction: dict[str, Any]  # its traction section: the force story beside today's force
    start: dict[str, str]  # the inputs the next note starts from
    payer: str | None  # the coverage it billed

    @property
    def force_source(self) -> dict[str, Any]:
        return {"traction": self.traction}


def last_visit(session: Session, viewer: Viewer, patient_id: int, before: date) -> LastVisit | None:
    previous = notes_service.previous_traction(session, viewer.actor, patient_id, before=before)
    if previous is None:
        return None
    last = notes_service.get_encounter(session, viewer.actor, previous["encounter_id"])
    stored, _renames = note_form.form_values(last.document)
    return LastVisit(
        previous["encounter_id"],
        previous["date_of_service"],
        dict(previous["traction"]),
        note_changes.carried(stored),
        (last.document.get("coverage") or {}).get("payer"),
    )


def start_values(session: Session, viewer: Viewer, last: LastVisit, patient_id: int) -> dict[str, str]:
    """The new note's carried inputs, and the coverage the last visit billed when it is still active."""
    values = dict(last.start)
    for candidate in patients_service.coverages_of(session, viewer.actor, patient_id):
        if candidate.payer_id == last.payer and candidate.active:
            values["coverage_id"] = str(candidate.id)
    return values


def page_context(last: LastVisit | None, values: dict[str, str], *, editable: bool, saved: bool) -> dict[str, Any]:
    """What the note page shows of the last visit: the marks while the note is written (``was``, ``carried``),
    and once it is saved, the changes since the last visit."""
    if last is None:
        return {"was": {}, "carried": None, "changes": None}
    marks = note_changes.marks(last.start)
    return {
        "was": marks["fields"] if editable else {},  # inputs drawn by the fx macros mark themselves (fx.was_note)
        "carried": marks if editable else None,
        "changes": note_changes.changes(last.start, values) if saved else None,
    }
