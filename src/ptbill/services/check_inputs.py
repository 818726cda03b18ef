"""The clinic's facts a note's check needs, read in one statement: its configuration revision
(``clinic_config``), Medicare locality and co-signature rule, whether it verifies eligibility in ptbill, the
note's patient, and whether that patient has other notes that day or signed ABNs (the statements that read them
run only then). ``notes.check_for_clinic`` hands them to the services that read the rest (same-day notes,
eligibility answer, plan-of-care facts, signed ABNs, the year's therapy amount).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import exists, func, or_, select
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


def clinic_facts(session: Session, clinic_id: int, encounter: Encounter) -> ClinicFacts:
    """One statement: the clinic's row and the note's patient. A clinic without a row has no facts (its id
    comes from a logged-in user, so it does not happen outside tests)."""
    saved = (
        select(EncounterRow.patient_id)
        .where(EncounterRow.clinic_id == clinic_id, EncounterRow.external_id == encounter.id)
        .scalar_subquery()
    )
    by_chart = (
        select(PatientRow.id)
        .where(PatientRow.clinic_id == clinic_id, PatientRow.chart_number == encounter.patient.id)
        .scalar_subquery()
    )
    asked = exists().where(EligibilityRequestRow.clinic_id == clinic_id)
    answered = exists().where(EligibilityResponseRow.clinic_id == clinic_id)
    charted = (PatientRow.clinic_id == clinic_id) & (PatientRow.chart_number == encounter.patient.id)
    that_day = exists().where(  # as same_day.same_day_services finds them, their checks aside
        EncounterRow.patient_id == PatientRow.id,
        charted,
        EncounterRow.clinic_id == clinic_id,
        EncounterRow.date_of_service == encounter.date_of_service,
        EncounterRow.external_id != encounter.id,
    )
    abns = exists().where(  # as abn.signed_abns_for finds them
        AbnRow.patient_id == PatientRow.id, charted, AbnRow.clinic_id == clinic_id, AbnRow.signed_on.is_not(None)
    )
    row = session.execute(
        select(
            ClinicRow.config_revision,
            ClinicRow.medicare_locality,
            ClinicRow.assistant_cosign_from,
            or_(asked, answered),
            func.coalesce(saved, by_chart),
            that_day,
            abns,
        ).where(ClinicRow.id == clinic_id)
    ).first()
    if row is None:
        patient_id = session.scalar(select(func.coalesce(saved, by_chart)))
        verifies = bool(session.scalar(select(or_(asked, answered))))
        return ClinicFacts(f"no clinic {clinic_id}", None, None, verifies, patient_id)
    revision, locality, cosign_from, verifies, patient_id, others, signed = row
    return ClinicFacts(revision, locality, cosign_from, bool(verifies), patient_id, bool(others), bool(signed))
