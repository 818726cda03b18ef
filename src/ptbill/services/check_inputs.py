"""The clinic's facts a note's check needs, read in one statement: its configuration revision
(``clinic_config``), Medicare locality and co-signature rule, whether it verifies eligibility in ptbill, the
note's patient, and whether that patient has other notes that day or signed ABNs (the statements that read them
run only then). ``notes.check_for_clinic`` hands them to the services that read the rest (same-day notes,
eligibility answer, plan-of-care facts, signed ABNs, the year's therapy amount).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import BindParameter, Date, String, bindparam, exists, func, or_, select
from sqlalchemy.orm import Session

from ptbill.domain.encounter import Encounter
from ptbill.storage.tables import (
    AbnRow,
    ClinicRow,
    EligibilityRequestRow,
    EligibilityResponseRow,
    EncounterRow,
    PatientRow,
)


@dataclass(frozen=True, slots=True)
class ClinicFacts:
    """The clinic's facts a check needs, and the note's patient (the saved note's, else the one whose chart
    number the note carries; None: neither)."""

    config_revision: str
    medicare_locality: str | None
    assistant_cosign_from: date | None
    verifies_eligibility: bool
    patient_id: int | None
    # Whether the patient (by the note's chart number) has other notes that day, or signed ABNs: when not, the
    # check does not ask for them (most checks).
    other_notes_that_day: bool = True
    signed_abns: bool = True


_CLINIC: BindParameter[int] = bindparam("clinic_id")  # typed by the columns it is compared with
_NOTE = bindparam("note_id", type_=String)
_CHART = bindparam("chart_number", type_=String)
_DAY = bindparam("day", type_=Date)
_SAVED = (  # the saved note's patient
    select(EncounterRow.patient_id)
    .where(EncounterRow.clinic_id == _CLINIC, EncounterRow.external_id == _NOTE)
    .scalar_subquery()
)
_BY_CHART = (
    select(PatientRow.id).where(PatientRow.clinic_id == _CLINIC, PatientRow.chart_number == _CHART).scalar_subquery()
)
_PATIENT = func.coalesce(_SAVED, _BY_CHART)
_VERIFIES = or_(  # the clinic verifies eligibility in ptbill: it has asked (a 270) or recorded (a 271) once
    exists().where(EligibilityRequestRow.clinic_id == _CLINIC),
    exists().where(EligibilityResponseRow.clinic_id == _CLINIC),
)
_CHARTED = (PatientRow.clinic_id == _CLINIC) & (PatientRow.chart_number == _CHART)
_THAT_DAY = exists().where(  # as same_day.same_day_services finds them, their checks aside
    EncounterRow.patient_id == PatientRow.id,
    _CHARTED,
    EncounterRow.clinic_id == _CLINIC,
    EncounterRow.date_of_service == _DAY,
    EncounterRow.external_id != _NOTE,
)
_ABNS = exists().where(  # as abn.signed_abns_for finds them
    AbnRow.patient_id == PatientRow.id, _CHARTED, AbnRow.clinic_id == _CLINIC, AbnRow.signed_on.is_not(None)
)
# Built once: a check only binds its values (building the statement cost more than running it).
_FACTS = select(
    ClinicRow.config_revision,
    ClinicRow.medicare_locality,
    ClinicRow.assistant_cosign_from,
    _VERIFIES,
    _PATIENT,
    _THAT_DAY,
    _ABNS,
).where(ClinicRow.id == _CLINIC)
_WITHOUT_CLINIC = select(_VERIFIES, _PATIENT)


def clinic_facts(session: Session, clinic_id: int, encounter: Encounter) -> ClinicFacts:
    """One statement: the clinic's row and the note's patient. A clinic without a row has no facts (its id
    comes from a logged-in user, so it does not happen outside tests)."""
    values = {
        "clinic_id": clinic_id,
        "note_id": encounter.id,
        "chart_number": encounter.patient.id,
        "day": encounter.date_of_service,
    }
    if session.autoflush:
        session.flush()  # what session.execute does first, so a caller's pending change (a new revision) is read
    connection = session.connection()  # the statement selects columns: the ORM's execute would add only overhead
    row = connection.execute(_FACTS, values).first()
    if row is None:
        verifies, patient_id = connection.execute(_WITHOUT_CLINIC, values).one()
        return ClinicFacts(f"no clinic {clinic_id}", None, None, bool(verifies), patient_id)
    revision, locality, cosign_from, verifies, patient_id, others, signed = row
    return ClinicFacts(revision, locality, cosign_from, bool(verifies), patient_id, bool(others), bool(signed))
