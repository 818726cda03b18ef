"""The clinic's facts a note's check needs, read in one statement: its configuration revision
(``clinic_config``), Medicare locality and co-signature rule, whether it verifies eligibility in ptbill, and the
note's patient. ``notes.check_for_clinic`` hands them to the services that read the rest (same-day notes,
eligibility answer, plan-of-care facts, signed ABNs, the year's therapy amount).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import Session

from ptbill.domain.encounter import Encounter
from ptbill.storage.tables import (
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
    row = session.execute(
        select(
            ClinicRow.config_revision,
            ClinicRow.medicare_locality,
            ClinicRow.assistant_cosign_from,
            or_(asked, answered),
            func.coalesce(saved, by_chart),
        ).where(ClinicRow.id == clinic_id)
    ).first()
    if row is None:
        patient_id = session.scalar(select(func.coalesce(saved, by_chart)))
        verifies = bool(session.scalar(select(or_(asked, answered))))
        return ClinicFacts(f"no clinic {clinic_id}", None, None, verifies, patient_id)
    revision, locality, cosign_from, verifies, patient_id = row
    return ClinicFacts(revision, locality, cosign_from, bool(verifies), patient_id)
