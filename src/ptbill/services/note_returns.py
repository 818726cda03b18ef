"""A note the biller returns to its therapist with a message, seen on the therapist's notes list and the note.

A note signed but not billed goes back to draft (compare-and-set, ``domain.status``) so the therapist can fix
it and sign again; a billed note stays billed, and the message asks for a correction. Signing the note again,
or the biller, resolves the return.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ptbill.domain.clock import SYSTEM_CLOCK, Clock
from ptbill.domain.status import EncounterState, refusal
from ptbill.domain.vocabulary import BILLERS
from ptbill.services.access import Actor, ConflictError, InvalidChangeError, NotFoundError, require_role
from ptbill.services.audit import audit
from ptbill.services.billing import claim_row, rows_changed
from ptbill.services.notes import encounter_of
from ptbill.services.records import copy_of
from ptbill.storage.tables import ClaimRow, EncounterRow, NoteReturnRow

MAX_MESSAGE = 1000


@dataclass(frozen=True, slots=True)
class NoteReturn:
    id: int
    encounter_id: int
    claim_id: int | None
    message: str
    returned_by_user_id: int | None
    returned_at: datetime
    resolved_at: datetime | None
    back_to_draft: bool = False  # this return moved the note back to draft


def return_note(
    session: Session,
    actor: Actor,
    encounter_id: int,
    message: str,
    claim_id: int | None = None,
    *,
    clock: Clock = SYSTEM_CLOCK,
) -> NoteReturn:
    """Send the note back to its therapist with ``message`` (audited); a signed, unbilled note becomes a draft."""
    require_role(actor, BILLERS)
    text = (message or "").strip()
    if not text:
        raise InvalidChangeError("message", "message: say what the therapist should change")
    if len(text) > MAX_MESSAGE or not text.replace("\n", " ").replace("\r", "").isprintable():
        raise InvalidChangeError("message", f"message: at most {MAX_MESSAGE} printable characters")
    row = encounter_of(session, actor, encounter_id)
    if claim_id is not None and claim_row(session, actor, claim_id).encounter_id != row.id:
        raise NotFoundError(f"claim {claim_id} is not a claim of note {encounter_id}")
    back_to_draft = False
    if row.status == EncounterState.DRAFT:
        raise ConflictError(f"note {encounter_id} is a draft: its therapist has not signed it yet")
    if row.status == EncounterState.SIGNED:
        why = refusal(f"note {encounter_id}", row.status, EncounterState.DRAFT)
        moved = rows_changed(
            session,
            update(EncounterRow)
            .where(EncounterRow.id == row.id, EncounterRow.status == EncounterState.SIGNED)
            .values(status=EncounterState.DRAFT),
        )
        session.expire(row, ["status"])
        if why is not None or moved != 1:
            raise ConflictError(why or f"note {encounter_id} was billed or changed by another request a moment ago")
        back_to_draft = True
    stored = NoteReturnRow(
        clinic_id=actor.clinic_id,
        encounter_id=row.id,
        claim_id=claim_id,
        message=text,
        returned_by_user_id=actor.user_id,
        returned_at=clock.now(),
    )
    session.add(stored)
    session.flush()
    detail = "back to draft" if back_to_draft else "billed: asks for a correction"
    audit(session, actor, "create", "note_return", str(stored.id), f"encounter {row.id}: {detail}")
    audit(session, actor, "update", "encounter", str(row.id), f"returned to the therapist ({detail})")
    return copy_of(NoteReturn, stored, back_to_draft=back_to_draft)


def return_claim_note(
    session: Session, actor: Actor, claim_id: int, message: str, *, clock: Clock = SYSTEM_CLOCK
) -> NoteReturn:
    """Return the note a claim was built from (the claim page's and the API's action)."""
    require_role(actor, BILLERS)
    encounter_id = session.scalar(
        select(ClaimRow.encounter_id).where(ClaimRow.clinic_id == actor.clinic_id, ClaimRow.id == claim_id)
    )
    if encounter_id is None:
        raise NotFoundError(f"claim {claim_id} not found")
    return return_note(session, actor, encounter_id, message, claim_id, clock=clock)


def resolve_return(session: Session, actor: Actor, return_id: int, *, clock: Clock = SYSTEM_CLOCK) -> NoteReturn:
    """The biller closes a return (the correction was made)."""
    require_role(actor, BILLERS)
    row = session.get(NoteReturnRow, return_id)
    if row is None or row.clinic_id != actor.clinic_id:
        raise NotFoundError(f"note return {return_id} not found")
    if row.resolved_at is None:
        row.resolved_at = clock.now()
        session.flush()
        audit(session, actor, "update", "note_return", str(row.id), "resolved")
    return copy_of(NoteReturn, row, back_to_draft=False)


def open_returns(session: Session, actor: Actor, encounter_ids: Sequence[int] | None = None) -> dict[int, NoteReturn]:
    """The latest unresolved return of each note (of ``encounter_ids``, else the clinic's), by note id."""
    query = select(NoteReturnRow).where(NoteReturnRow.clinic_id == actor.clinic_id, NoteReturnRow.resolved_at.is_(None))
    if encounter_ids is not None:
        query = query.where(NoteReturnRow.encounter_id.in_(list(encounter_ids)))
    found = {
        row.encounter_id: copy_of(NoteReturn, row, back_to_draft=False)
        for row in session.scalars(query.order_by(NoteReturnRow.id))
    }
    if found:
        audit(session, actor, "read", "note_return", None, f"{len(found)} open")
    return found


def returns_of(session: Session, actor: Actor, encounter_id: int) -> list[NoteReturn]:
    """Every return of one note, oldest first."""
    rows = session.scalars(
        select(NoteReturnRow)
        .where(NoteReturnRow.clinic_id == actor.clinic_id, NoteReturnRow.encounter_id == encounter_id)
        .order_by(NoteReturnRow.id)
    )
    return [copy_of(NoteReturn, row, back_to_draft=False) for row in rows]


def resolve_on_sign(session: Session, encounter_id: int, now: datetime) -> None:
    """Signing the note again resolves its open returns."""
    session.execute(
        update(NoteReturnRow)
        .where(NoteReturnRow.encounter_id == encounter_id, NoteReturnRow.resolved_at.is_(None))
        .values(resolved_at=now),
        execution_options={"synchronize_session": False},
    )


@dataclass(frozen=True, slots=True)
class NoteClaim:
    id: int
    patient_control_number: str


def claims_of_note(session: Session, actor: Actor, encounter_id: int) -> list[NoteClaim]:
    """The claims built from one note (its original and any corrections or voids), oldest first."""
    query = (
        select(ClaimRow.id, ClaimRow.patient_control_number)
        .where(ClaimRow.clinic_id == actor.clinic_id, ClaimRow.encounter_id == encounter_id)
        .order_by(ClaimRow.id)
    )
    return [NoteClaim(row.id, row.patient_control_number) for row in session.execute(query)]
