"""The notes list (``/notes``): the drafts a therapist still owns, each with how many blocking findings its
latest check has, the notes signed most recently, and for a therapist the assistants' notes waiting for their
co-signature (the latest check's NOTE_COSIGN_MISSING). Drafts are the therapist's work, never the biller's
queue. Reads the list's columns only: the patient from the patients table, the latest check's findings
through max(encounter_checks.id), never a note's JSON document.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session, aliased

from ptbill.domain.status import EncounterState
from ptbill.domain.vocabulary import Role
from ptbill.services.access import Actor
from ptbill.services.audit import audit
from ptbill.storage.tables import EncounterCheckRow, EncounterRow, PatientRow

_LATEST = aliased(EncounterCheckRow, name="latest_check")
_ANY = aliased(EncounterCheckRow, name="any_check")


@dataclass(frozen=True, slots=True)
class NoteListItem:
    id: int
    date_of_service: date
    patient_name: str
    chart_number: str
    status: str
    verdict: str | None
    version: int
    errors: int  # the latest check's blocking findings
    warnings: int
    waiting: str | None = None  # the latest check's "waiting for co-signature by ..." (NOTE_COSIGN_MISSING)


@dataclass(frozen=True, slots=True)
class NoteList:
    drafts: tuple[NoteListItem, ...]
    recent: tuple[NoteListItem, ...]
    to_cosign: tuple[NoteListItem, ...] = ()  # assistants' signed notes waiting for a therapist's co-signature


def _items(
    session: Session, actor: Actor, where: Sequence[ColumnElement[bool]], limit: int | None
) -> list[NoteListItem]:
    latest_id = (
        select(func.max(_ANY.id)).where(_ANY.encounter_id == EncounterRow.id).correlate(EncounterRow)
    ).scalar_subquery()
    query = (
        select(
            EncounterRow.id,
            EncounterRow.date_of_service,
            EncounterRow.status,
            EncounterRow.verdict,
            EncounterRow.version,
            PatientRow.last_name,
            PatientRow.first_name,
            PatientRow.chart_number,
            _LATEST.findings,
        )
        .select_from(EncounterRow)
        .join(PatientRow, PatientRow.id == EncounterRow.patient_id)
        .outerjoin(_LATEST, _LATEST.id == latest_id)
        .where(EncounterRow.clinic_id == actor.clinic_id, *where)
        .order_by(EncounterRow.date_of_service.desc(), EncounterRow.id.desc())
    )
    items = []
    for row in session.execute(query.limit(limit) if limit is not None else query):
        severities = [f.get("severity") for f in row.findings or []]
        items.append(
            NoteListItem(
                id=row.id,
                date_of_service=row.date_of_service,
                patient_name=f"{row.last_name}, {row.first_name}",
                chart_number=row.chart_number,
                status=row.status,
                verdict=row.verdict,
                version=row.version,
                errors=severities.count("error"),
                warnings=severities.count("warning"),
                waiting=next((f.get("message") for f in row.findings or [] if _holds(f)), None),
            )
        )
    return items


def _holds(finding: dict[str, object]) -> bool:
    return finding.get("rule") == "NOTE_COSIGN_MISSING" and finding.get("severity") == "error"


def notes_list(session: Session, actor: Actor, *, mine: bool, recent: int = 25) -> NoteList:
    """The drafts (a clinician's own when ``mine``) and the ``recent`` notes signed or billed last."""
    draft_where = [EncounterRow.status == EncounterState.DRAFT]
    if mine:
        draft_where.append(EncounterRow.therapist_user_id == actor.user_id)
    drafts = _items(session, actor, draft_where, None)
    signed = _items(session, actor, [EncounterRow.status != EncounterState.DRAFT], recent)
    waiting: list[NoteListItem] = []
    if actor.role == Role.THERAPIST:  # the therapists co-sign (services.cosign)
        held = _LATEST.finding_rules.contains(" NOTE_COSIGN_MISSING ", autoescape=True)
        waiting = _items(session, actor, [EncounterRow.status == EncounterState.SIGNED, held], None)
    counts = f"{len(drafts)} drafts, {len(signed)} recent notes, {len(waiting)} to co-sign"
    audit(session, actor, "read", "encounter_list", None, counts)
    return NoteList(tuple(drafts), tuple(signed), tuple(waiting))


def notes_by_id(session: Session, actor: Actor, ids: Iterable[int], *, mine: bool) -> dict[int, NoteListItem]:
    """The list rows of these notes (a clinician's own when ``mine``), by id: the returned notes' rows."""
    wanted = list(ids)
    if not wanted:
        return {}
    where: list[ColumnElement[bool]] = [EncounterRow.id.in_(wanted)]
    if mine:
        where.append(EncounterRow.therapist_user_id == actor.user_id)
    return {item.id: item for item in _items(session, actor, where, None)}
