"""The note page's side of autosaved drafts (``services/note_drafts.py``): the draft a save commits before it
checks anything, the draft it removes once the note is stored, and what the page shows of a draft.

Opening a note whose draft is newer than the note (or a new note of the same patient and day) fills the form
with the draft and says so, with a button to discard it: nothing typed is lost, and going back to the saved
note is one click. A draft older than the note's last save (someone saved it since) is offered, not filled in.
A draft of a note signed since is listed beside it, for an addendum. The browser keeps its own copy
(``static/note_autosave.js``) under the same key and the same user.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from fastapi import Request

from ptbill.domain.status import EncounterState
from ptbill.services import access
from ptbill.services import note_drafts as drafts
from ptbill.services.db import Session
from ptbill.services.notes import Note
from ptbill.services.patient_fields import FieldProblemsError
from ptbill.services.patients import Patient
from ptbill.web import inputs
from ptbill.web.deps import Viewer, in_zone

# The inputs a draft and the page are compared on: what the note says, not the request's bookkeeping.
_ROW = re.compile(r"([a-z_]+)\[([0-9]{1,3})\]")
_ROWS = {"services": "service", "diagnoses": "diagnosis", "force_changes": "force change", "goals": "goal"}
_BOOKKEEPING = drafts.NOT_KEPT | {"draft_key", "q", "id", "patient_id"}


@dataclass(frozen=True, slots=True)
class DraftView:
    """What the note page shows and needs of the user's draft of the note it shows."""

    key: str
    owner: str  # "<clinic>-<user>": the browser's copy is kept per user
    zone: str  # the clinic's time zone, for the times the browser writes
    autosave: bool  # the form is editable: typing is kept
    href: str  # the note's page (for a new note: the patient and day it was started for)
    saved: str | None = None  # "14:02": when the server's copy was last written, in the clinic's zone
    banner: str | None = None  # "restored", "older" (offered, not filled in) or "signed"
    at: datetime | None = None  # when the draft shown in the banner was written
    changes: list[tuple[str, str]] = field(default_factory=list)  # a signed note's: entries that differ


def href_of(key: drafts.DraftKey) -> str:
    if key.encounter_id is not None:
        return f"/notes/{key.encounter_id}"
    assert key.day is not None
    return "/notes/new?" + urlencode({"patient_id": key.patient_id, "date_of_service": key.day.isoformat()})


def key_of(form: dict[str, str], encounter_id: int | None, patient_id: int | None = None) -> drafts.DraftKey | None:
    """The draft key a note's form is kept under: its stored note's; for a new note, the key the page gave it
    (the patient and the day it was started for), else the patient's and the typed day's."""
    if encounter_id is not None:
        return drafts.DraftKey(drafts.key_for_note(encounter_id), encounter_id=encounter_id)
    patient_id = patient_id or inputs.record_id(form.get("patient_id"))
    given = drafts.parse_key(form.get("draft_key"))
    if given is not None and given.encounter_id is None and given.patient_id == patient_id:
        return given
    day = inputs.day(form.get("date_of_service"))
    if patient_id is None or day is None:
        return None
    return drafts.parse_key(drafts.key_for_new(patient_id, day))


def keep_first(session: Session, viewer: Viewer, form: dict[str, str], encounter_id: int | None) -> None:
    """Commit the form as the user's draft, in a transaction of its own, before the note is checked or saved:
    a check that raises, a save the database refuses or a server killed mid-save leaves the draft."""
    key = key_of(form, encounter_id)
    if key is None or viewer.actor.role not in drafts.WRITERS:
        return
    try:
        with session.begin_nested():
            drafts.save_draft(session, viewer.actor, key.text, form)
    except (access.ConflictError, access.NotFoundError, FieldProblemsError):
        return  # a signed note, or one that is not the clinic's: the save refuses it in its own words
    session.commit()


def saved(session: Session, viewer: Viewer, form: dict[str, str], encounter_id: int | None, note: Note) -> None:
    """The note was stored from this form: its draft goes, in the same transaction."""
    key = key_of(form, encounter_id)
    drafts.consume_draft(session, viewer.actor, key.text if key else None, note.id, note.version)


def _same(draft: dict[str, str], values: dict[str, str]) -> bool:
    def entries(form: dict[str, str]) -> dict[str, str]:
        return {name: value.strip() for name, value in form.items() if value.strip() and name not in _BOOKKEEPING}

    return entries(draft) == entries(values)


def on_page(
    request: Request, session: Session, viewer: Viewer, values: dict[str, str], row: Note | None, patient: Any
) -> tuple[dict[str, str], DraftView | None]:
    """The values the note page shows (the user's draft when it holds their latest typing) and its draft view."""
    if not isinstance(patient, Patient) or viewer.actor.role not in drafts.WRITERS:
        return values, None
    key = key_of(values, row.id if row else None, patient.id)
    if key is None:
        return values, None
    editable = row is None or row.status == EncounterState.DRAFT
    zone = getattr(request.state, "clinic_zone", None) or "UTC"
    view = DraftView(key.text, f"{viewer.actor.clinic_id}-{viewer.actor.user_id}", zone, editable, href_of(key))
    draft = drafts.draft_for(session, viewer.actor, key.text)
    if draft is None:
        discarded = request.method == "GET" and request.query_params.get("draft") == "discarded"
        return values, _with(view, banner="discarded") if discarded and editable else view
    saved_at = f"{in_zone(draft.saved_at, zone):%H:%M}"
    if not editable:
        changes = [(label(name), value) for name, value in draft.form.items() if _differs(name, value, values)]
        drafts.record_use(session, viewer.actor, draft, "read")
        return values, _with(view, banner="signed", at=draft.saved_at, changes=changes)
    if request.method != "GET":  # a refused save shows the form as sent, which the draft now holds
        return values, _with(view, saved=saved_at)
    if _same(draft.form, values):
        drafts.discard_draft(session, viewer.actor, key.text, "the same as the note")
        return values, view
    newer = row is None or drafts.naive_utc(draft.saved_at) >= drafts.naive_utc(row.updated_at)
    if newer or request.query_params.get("draft") == "restore":
        drafts.record_use(session, viewer.actor, draft, "restore")
        restored = {**draft.form, "patient_id": str(patient.id)}
        return restored, _with(view, saved=saved_at, banner="restored", at=draft.saved_at)
    return values, _with(view, banner="older", at=draft.saved_at)


def label(name: str) -> str:
    """An input's name as words: ``services[1].traction.force_lbs`` is "Service 2: force lbs"."""
    rows = [(part, int(number)) for part, number in _ROW.findall(name)]
    last = name.rsplit(".", 1)[-1]
    words = _ROW.sub("", last).replace("_", " ").strip()
    where = ", ".join(f"{_ROWS.get(part, part.replace('_', ' '))} {number + 1}" for part, number in rows)
    text = f"{where.capitalize()}: {words}" if where else words.capitalize()
    return text if words else where.capitalize()


def _differs(name: str, value: str, values: dict[str, str]) -> bool:
    return name not in _BOOKKEEPING and value.strip() != values.get(name, "").strip()


def _with(view: DraftView, **changes: Any) -> DraftView:
    return replace(view, **changes)
