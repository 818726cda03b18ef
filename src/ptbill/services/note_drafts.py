"""Autosaved note drafts: what a clinician typed into a note's form and has not saved yet, so a failed check, a
failed save or a server that dies in the middle of one loses nothing.

A draft is the form's raw values (every input as typed, so an entry the note cannot read yet is kept too), one
per clinic, user and draft key: ``note-12`` for stored draft note 12, ``new-7-2026-11-24`` for a new note of
patient 7 on that day. It is written by one upsert on that key (``INSERT ... ON CONFLICT DO UPDATE``, atomic on
SQLite and PostgreSQL), by the page's autosave and, first and in a transaction of its own, by every save of the
note; the save that stores the note removes it (``consume_draft``) in the note's own transaction. A signed note
has no draft: it is corrected by an addendum. A clinician sees only their own drafts, a clinic only its own.

What the audit log records (ids and counts, never what was typed): the draft's creation; its restore into a
page; its discard; its removal by the save that stored it; a read of its entries shown beside a signed note; the
list of drafts read. Autosave writes a draft every few seconds while a note is typed, so an update is recorded
at most once every ``AUDIT_EVERY`` (10 minutes) per draft, with the number of writes so far: the log says who
changed which patient's draft and when, to within ten minutes, without a row per pause in typing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import case, delete, func, select
from sqlalchemy.orm import Session

from ptbill.services.access import CLINICIANS, Actor, ConflictError, owned_row, require_role
from ptbill.services.audit import audit
from ptbill.services.patient_fields import FieldProblemsError, parse_day
from ptbill.services.records import copy_of
from ptbill.storage.session import dialect_insert
from ptbill.storage.tables import EncounterRow, NoteDraftRow, PatientRow

WRITERS = CLINICIANS | {"admin"}  # who may write notes, and so drafts
AUDIT_EVERY = timedelta(minutes=10)
NOT_KEPT = frozenset({"csrf_token", "action", "confirm_warnings"})  # the request's, not the note's
_NOTE_KEY = re.compile(r"note-([0-9]{1,18})")
_NEW_KEY = re.compile(r"new-([0-9]{1,18})-([0-9]{4}-[0-9]{2}-[0-9]{2})")
_TABLE = NoteDraftRow.__table__


@dataclass(frozen=True, slots=True)
class DraftKey:
    """Which note a draft belongs to: a stored note (``encounter_id``) or a new note of a patient on a day."""

    text: str
    encounter_id: int | None = None
    patient_id: int | None = None
    day: date | None = None


@dataclass(frozen=True, slots=True)
class NoteDraft:
    id: int
    draft_key: str
    encounter_id: int | None
    patient_id: int
    form: dict[str, str]
    saves: int
    created_at: datetime
    saved_at: datetime


@dataclass(frozen=True, slots=True)
class DraftListItem:
    """One of a clinician's unsaved drafts, as the notes list shows it."""

    draft_key: str
    encounter_id: int | None
    patient_id: int
    patient_name: str
    chart_number: str
    date_of_service: str  # as typed in the draft
    note_type: str
    note_status: str | None  # the stored note's status; None for a new note
    saved_at: datetime


def key_for_note(encounter_id: int) -> str:
    return f"note-{encounter_id}"


def key_for_new(patient_id: int, day: date) -> str:
    return f"new-{patient_id}-{day.isoformat()}"


def parse_key(text: str | None) -> DraftKey | None:
    """The key's note, or None for text that is no draft key."""
    if text is None:
        return None
    if found := _NOTE_KEY.fullmatch(text):
        return DraftKey(text, encounter_id=int(found.group(1)))
    if (found := _NEW_KEY.fullmatch(text)) and (day := parse_day(found.group(2))) is not None:
        return DraftKey(text, patient_id=int(found.group(1)), day=day)
    return None


def _key(text: str) -> DraftKey:
    key = parse_key(text)
    if key is None:
        raise FieldProblemsError({"draft_key": "not a note's draft key (note-<id> or new-<patient>-<YYYY-MM-DD>)"})
    return key


def _target(session: Session, actor: Actor, key: DraftKey) -> tuple[int | None, int]:
    """The stored note and the patient of a draft key, the user's clinic's; a signed note takes no draft."""
    if key.encounter_id is not None:
        note = owned_row(session, actor, EncounterRow, key.encounter_id, "encounter")
        if note.status != "draft":
            raise ConflictError(f"note {note.id} is {note.status}; a signed note is corrected by an addendum")
        return note.id, note.patient_id
    assert key.patient_id is not None
    return None, owned_row(session, actor, PatientRow, key.patient_id, "patient").id


def _described(key: DraftKey, fields: int | None = None) -> str:
    what = f"note {key.encounter_id}" if key.encounter_id is not None else f"new note for patient {key.patient_id}"
    return what if fields is None else f"{what}, {fields} fields"


def save_draft(session: Session, actor: Actor, draft_key: str, form: Mapping[str, str]) -> NoteDraft:
    """Keep the form as the user's draft of the key's note: created, or replaced whole, in one upsert."""
    require_role(actor, WRITERS)
    key = _key(draft_key)
    encounter_id, patient_id = _target(session, actor, key)
    values = {name: value for name, value in form.items() if name not in NOT_KEPT}
    values["draft_key"] = key.text
    insert = dialect_insert(session)(_TABLE)
    # Within one statement, so the row lock (PostgreSQL) or the single writer (SQLite) decides once: a write ten
    # minutes after the last audited one is audited, and stamps itself as that write.
    due = _TABLE.c.audited_at <= _minutes_ago(session, AUDIT_EVERY)
    statement = (
        insert.values(
            clinic_id=actor.clinic_id,
            user_id=actor.user_id,
            draft_key=key.text,
            encounter_id=encounter_id,
            patient_id=patient_id,
            form=values,
            saves=1,
            saved_at=func.now(),
            audited_at=func.now(),
            audited_save=1,
        )
        .on_conflict_do_update(
            index_elements=[_TABLE.c.clinic_id, _TABLE.c.user_id, _TABLE.c.draft_key],
            set_={
                "form": insert.excluded.form,
                "saves": _TABLE.c.saves + 1,
                "saved_at": func.now(),
                "audited_at": case((due, func.now()), else_=_TABLE.c.audited_at),
                "audited_save": case((due, _TABLE.c.saves + 1), else_=_TABLE.c.audited_save),
            },
        )
        .returning(*_TABLE.c)
    )
    row = session.execute(statement).one()
    if row.saves == 1:
        audit(session, actor, "create", "note_draft", str(row.id), _described(key, len(values)))
    elif row.audited_save == row.saves:
        detail = f"{_described(key, len(values))}, write {row.saves}"
        audit(session, actor, "update", "note_draft", str(row.id), detail)
    return copy_of(NoteDraft, row, form=dict(row.form))


def _minutes_ago(session: Session, span: timedelta) -> Any:
    """The database's clock ``span`` ago, in the form it stores ``func.now()`` (drafts are stamped by the
    database's clock, as the notes' ``updated_at`` is, so a draft and its note compare)."""
    if session.get_bind().dialect.name == "sqlite":
        return func.datetime("now", f"-{int(span.total_seconds())} seconds")
    return func.now() - span


def naive_utc(moment: datetime) -> datetime:
    """A stored moment as naive UTC (SQLite hands moments back without their zone, PostgreSQL with it)."""
    return moment if moment.tzinfo is None else moment.astimezone(UTC).replace(tzinfo=None)


def draft_for(session: Session, actor: Actor, draft_key: str) -> NoteDraft | None:
    """The user's draft of the key's note, if any (not audited: the caller records what it does with it)."""
    row = session.scalar(
        select(NoteDraftRow).where(
            NoteDraftRow.clinic_id == actor.clinic_id,
            NoteDraftRow.user_id == actor.user_id,
            NoteDraftRow.draft_key == draft_key,
        )
    )
    return None if row is None else copy_of(NoteDraft, row, form=dict(row.form))


def record_use(session: Session, actor: Actor, draft: NoteDraft, action: str) -> None:
    """Audit a draft's entries read into a page: ``restore`` into the form, ``read`` beside a signed note."""
    audit(
        session, actor, action, "note_draft", str(draft.id), f"{_described(_key(draft.draft_key))}, write {draft.saves}"
    )


def _remove(session: Session, actor: Actor, draft_key: str, action: str, detail: str) -> bool:
    removed = session.execute(
        delete(NoteDraftRow)
        .where(
            NoteDraftRow.clinic_id == actor.clinic_id,
            NoteDraftRow.user_id == actor.user_id,
            NoteDraftRow.draft_key == draft_key,
        )
        .returning(NoteDraftRow.id)
    ).scalar_one_or_none()
    if removed is None:
        return False
    audit(session, actor, action, "note_draft", str(removed), detail)
    return True


def discard_draft(session: Session, actor: Actor, draft_key: str, why: str = "discarded by its author") -> bool:
    """Throw the user's draft of the key's note away; False when there was none."""
    key = _key(draft_key)
    return _remove(session, actor, key.text, "discard", f"{_described(key)}: {why}")


def consume_draft(session: Session, actor: Actor, draft_key: str | None, encounter_id: int, version: int) -> bool:
    """The note was saved from this draft's form: the draft goes, in the save's transaction."""
    key = parse_key(draft_key) or DraftKey(key_for_note(encounter_id), encounter_id=encounter_id)
    return _remove(session, actor, key.text, "consume", f"{_described(key)}: saved as note {encounter_id} v{version}")


def drafts_of(session: Session, actor: Actor) -> list[DraftListItem]:
    """The user's unsaved drafts, newest first, with their patient and their note's status (list columns)."""
    rows = session.execute(
        select(
            NoteDraftRow.draft_key,
            NoteDraftRow.encounter_id,
            NoteDraftRow.patient_id,
            NoteDraftRow.form,
            NoteDraftRow.saved_at,
            PatientRow.last_name,
            PatientRow.first_name,
            PatientRow.chart_number,
            EncounterRow.status,
        )
        .join(PatientRow, PatientRow.id == NoteDraftRow.patient_id)
        .outerjoin(EncounterRow, EncounterRow.id == NoteDraftRow.encounter_id)
        .where(NoteDraftRow.clinic_id == actor.clinic_id, NoteDraftRow.user_id == actor.user_id)
        .order_by(NoteDraftRow.saved_at.desc(), NoteDraftRow.id.desc())
    ).all()
    if rows:
        audit(session, actor, "read", "note_draft_list", None, f"{len(rows)} drafts")
    return [
        DraftListItem(
            draft_key=row.draft_key,
            encounter_id=row.encounter_id,
            patient_id=row.patient_id,
            patient_name=f"{row.last_name}, {row.first_name}",
            chart_number=row.chart_number,
            date_of_service=str(row.form.get("date_of_service", ""))[:40],
            note_type=str(row.form.get("note_type", ""))[:40],
            note_status=row.status,
            saved_at=row.saved_at,
        )
        for row in rows
    ]
