"""Addenda: a signed note never changes; a correction is an addendum with its author, time, reason and text.

An addendum is numbered per note (1, 2, ...) while the note's row is locked, so two at once get two numbers
(and ``uq_note_addenda_sequence`` refuses a repeat). Its time comes from the caller's clock. Every addendum
written or read is audited on the note. ``note_version`` is what a claim records of the note it was built
from: the signed version with its addenda count, and a sha256 of the document with its addenda.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ptbill.domain.clock import SYSTEM_CLOCK, Clock
from ptbill.domain.status import EncounterState
from ptbill.domain.vocabulary import CLINICIANS
from ptbill.services.access import Actor, ConflictError, require_role
from ptbill.services.audit import audit
from ptbill.services.notes import encounter_of
from ptbill.services.patient_fields import FieldProblemsError
from ptbill.services.records import copy_of
from ptbill.storage.tables import EncounterRow, NoteAddendumRow

MAX_REASON = 400
MAX_TEXT = 8_000


@dataclass(frozen=True, slots=True)
class Addendum:
    id: int
    encounter_id: int
    sequence: int
    encounter_version: int
    author_user_id: int | None
    author_name: str
    reason: str
    text: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class NoteVersion:
    """Which note a claim was built from: ``label`` "3+1" is signed version 3 with one addendum."""

    label: str
    sha256: str


def _clean(value: str | None, limit: int, field: str, problems: dict[str, str]) -> str:
    text = (value or "").strip()
    if not text:
        problems[field] = "required"
    elif len(text) > limit:
        problems[field] = f"at most {limit} characters, got {len(text)}"
    elif "\x00" in text:
        problems[field] = "contains a NUL character"
    return text


def add_addendum(
    session: Session,
    actor: Actor,
    encounter_id: int,
    reason: str | None,
    text: str | None,
    *,
    clock: Clock = SYSTEM_CLOCK,
) -> Addendum:
    """Add an addendum to a signed (or billed) note; a draft is edited instead. Therapists and PTAs only."""
    row = encounter_of(session, actor, encounter_id)  # 404 for another clinic's note, before any other answer
    require_role(actor, CLINICIANS)
    problems: dict[str, str] = {}
    reason_text = _clean(reason, MAX_REASON, "reason", problems)
    body = _clean(text, MAX_TEXT, "text", problems)
    if problems:
        raise FieldProblemsError(problems)
    # Lock the note: its status cannot move and the next number is ours until the transaction ends.
    status = session.scalar(select(EncounterRow.status).where(EncounterRow.id == row.id).with_for_update())
    if status == EncounterState.DRAFT:
        raise ConflictError(f"encounter {encounter_id} is a draft: edit it; an addendum corrects a signed note")
    taken = session.scalar(select(func.count()).where(NoteAddendumRow.encounter_id == row.id)) or 0
    addendum = NoteAddendumRow(
        clinic_id=actor.clinic_id,
        encounter_id=row.id,
        sequence=taken + 1,
        encounter_version=row.version,
        author_user_id=actor.user_id,
        author_name=actor.name[:120],
        reason=reason_text,
        text=body,
        created_at=clock.now(),
    )
    session.add(addendum)
    session.flush()
    audit(session, actor, "addendum", "encounter", str(row.id), f"addendum {addendum.sequence} (id {addendum.id})")
    return copy_of(Addendum, addendum)


def _rows(session: Session, clinic_id: int, encounter_id: int) -> list[NoteAddendumRow]:
    query = (
        select(NoteAddendumRow)
        .where(NoteAddendumRow.clinic_id == clinic_id, NoteAddendumRow.encounter_id == encounter_id)
        .order_by(NoteAddendumRow.sequence)
    )
    return list(session.scalars(query))


def addenda_of(session: Session, actor: Actor, encounter_id: int) -> list[Addendum]:
    """A note's addenda, oldest first (audited as a read of the note)."""
    row = encounter_of(session, actor, encounter_id)
    found = [copy_of(Addendum, addendum) for addendum in _rows(session, actor.clinic_id, row.id)]
    audit(session, actor, "read", "encounter", str(row.id), f"{len(found)} addenda")
    return found


def _utc_text(moment: datetime) -> str:
    """The moment in UTC to the second, whether the database hands it back with its zone or without (SQLite)."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.isoformat(timespec="seconds")


def note_version(session: Session, row: EncounterRow) -> NoteVersion:
    """The signed version of the note with its addenda, as a claim built from it now records it."""
    addenda = _rows(session, row.clinic_id, row.id)
    content = {
        "version": row.version,
        "document": row.document,
        "addenda": [
            {
                "sequence": a.sequence,
                "author": a.author_name,
                "at": _utc_text(a.created_at),
                "reason": a.reason,
                "text": a.text,
            }
            for a in addenda
        ],
    }
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), default=str, ensure_ascii=True)
    return NoteVersion(f"{row.version}+{len(addenda)}", hashlib.sha256(canonical.encode()).hexdigest())
