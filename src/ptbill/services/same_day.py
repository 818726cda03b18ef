"""The patient's other notes of the same day, as their latest check planned their claim lines: what the
engine needs to find duplicates and per-day unit limits across notes. One query per check.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ptbill.domain.encounter import Encounter
from ptbill.domain.encounter_json import encounter_from_dict
from ptbill.domain.errors import EncounterFormatError
from ptbill.domain.same_day import SameDayService
from ptbill.storage.tables import EncounterCheckRow, EncounterRow, PatientRow


def same_day_services(session: Session, clinic_id: int, encounter: Encounter) -> tuple[list[SameDayService], list[int]]:
    """The planned lines of the clinic's other notes for this patient and date, and those notes' row ids.

    The note names its patient by chart number (``patient.id``, as the note form writes it); the other
    notes are those filed under that patient of the clinic.
    """
    rows = session.execute(
        select(EncounterRow.id, EncounterRow.external_id, EncounterRow.document, EncounterCheckRow.claim_lines)
        .join(PatientRow, PatientRow.id == EncounterRow.patient_id)
        .join(
            EncounterCheckRow,
            (EncounterCheckRow.encounter_id == EncounterRow.id)
            & (EncounterCheckRow.encounter_version == EncounterRow.version),
        )
        .where(
            EncounterRow.clinic_id == clinic_id,
            PatientRow.clinic_id == clinic_id,
            PatientRow.chart_number == encounter.patient.id,
            EncounterRow.date_of_service == encounter.date_of_service,
            EncounterRow.external_id != encounter.id,
        )
        .order_by(EncounterRow.id, EncounterCheckRow.id)
    ).all()
    latest: dict[int, tuple[str, Encounter, list[dict[str, object]]]] = {}
    for row_id, note_id, document, claim_lines in rows:
        try:
            other = encounter_from_dict(document, note_id)
        except EncounterFormatError:
            continue  # a stored note always parsed when it was saved; one that no longer does bills nothing
        latest[row_id] = (note_id, other, claim_lines)  # the last check of the note's current version wins
    services = [
        _service(note_id, other, line) for note_id, other, claim_lines in latest.values() for line in claim_lines
    ]
    return services, list(latest)


def _service(note_id: str, other: Encounter, line: dict[str, object]) -> SameDayService:
    """A stored claim line (ClaimLine.to_json) of another note."""
    modifiers = line.get("modifiers")
    return SameDayService(
        note_id,
        str(line["code"]),
        int(str(line["units"])),
        other.billed_under.npi,
        tuple(str(m) for m in modifiers) if isinstance(modifiers, list) else (),
    )
