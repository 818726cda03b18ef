"""A patient's plans of care with the referral each answers: certification dates, frequency and duration,
the certifying physician and signature date, diagnoses (billable ICD-10-CM codes on the first day), and
when the next progress report is due (Medicare: at least once every 10 treatment days)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ptbill.domain.status import EncounterState
from ptbill.domain.vocabulary import Role
from ptbill.reference.catalog import default_catalog
from ptbill.reference.icd10 import CodeStatus, normalize_code
from ptbill.services.access import Actor, owned_row, require_role
from ptbill.services.audit import audit
from ptbill.services.patient_fields import Fields
from ptbill.services.records import copy_of
from ptbill.storage.tables import EncounterRow, PatientRow, PlanOfCareRow

PLANNERS = frozenset({Role.THERAPIST, Role.ADMIN})  # who may establish a plan of care
PROGRESS_EVERY = 10  # treatment days between progress reports (Medicare Benefit Policy Manual ch. 15 §220.3)


@dataclass(frozen=True, slots=True)
class PlanOfCare:
    id: int
    clinic_id: int
    patient_id: int
    start_date: date
    end_date: date
    visits_per_week: int
    duration_weeks: int
    physician_name: str
    physician_npi: str
    signed_on: date | None
    diagnoses: list[str]
    referring_provider_name: str | None
    referring_provider_npi: str | None
    referral_date: date | None
    created_at: datetime
    visits: int  # signed or billed notes from the first day to the last
    progress_due_at: int  # the visit by which the next progress report is due

    def state(self, today: date) -> str:
        if today < self.start_date:
            return "not yet in force"
        if today > self.end_date:
            return "expired"
        return "in force" if self.signed_on else "in force, not signed"


def plan_records(session: Session, actor: Actor, patient_id: int) -> list[PlanOfCare]:
    """The patient's plans, latest first, with visits counted (the caller has read the patient)."""
    rows = session.scalars(
        select(PlanOfCareRow)
        .where(PlanOfCareRow.clinic_id == actor.clinic_id, PlanOfCareRow.patient_id == patient_id)
        .order_by(PlanOfCareRow.start_date.desc(), PlanOfCareRow.id.desc())
    ).all()
    days = session.scalars(
        select(EncounterRow.date_of_service).where(
            EncounterRow.clinic_id == actor.clinic_id,
            EncounterRow.patient_id == patient_id,
            EncounterRow.status != EncounterState.DRAFT,
        )
    ).all()
    found = []
    for row in rows:
        visits = sum(1 for day in days if row.start_date <= day <= row.end_date)
        due = (visits // PROGRESS_EVERY + 1) * PROGRESS_EVERY
        found.append(copy_of(PlanOfCare, row, visits=visits, progress_due_at=due))
    return found


def plans_of(session: Session, actor: Actor, patient_id: int) -> list[PlanOfCare]:
    owned_row(session, actor, PatientRow, patient_id, "patient")
    audit(session, actor, "read", "plans_of_care", str(patient_id))
    return plan_records(session, actor, patient_id)


def _dotted(code: str) -> str:
    return f"{code[:3]}.{code[3:]}" if len(code) > 3 and "." not in code else code


def read_plan(data: Mapping[str, object]) -> dict[str, Any]:
    fields = Fields(data)
    values: dict[str, Any] = {
        "start_date": fields.day("start_date", required=True),
        "end_date": fields.day("end_date", required=True),
        "visits_per_week": fields.whole("visits_per_week", 1, 7),
        "duration_weeks": fields.whole("duration_weeks", 1, 52),
        "physician_name": fields.text("physician_name", 120, required=True),
        "physician_npi": fields.npi("physician_npi", required=True),
        "signed_on": fields.day("signed_on"),
        "referring_provider_name": fields.text("referring_provider_name", 120),
        "referring_provider_npi": fields.npi("referring_provider_npi"),
        "referral_date": fields.day("referral_date"),
    }
    start, end = values["start_date"], values["end_date"]
    if start and end and end < start:
        fields.fail("end_date", "before the first day")
    if values["referring_provider_npi"] and not values["referring_provider_name"]:
        fields.fail("referring_provider_name", "required with the referring provider's NPI")
    raw_codes = [code for code in re.split(r"[\s,;]+", fields.raw("diagnoses")) if code]
    codes = [_dotted(normalize_code(code)) for code in raw_codes]
    if not codes:
        fields.fail("diagnoses", "at least one ICD-10-CM code")
    elif len(codes) > 12:
        fields.fail("diagnoses", "at most 12 codes")
    elif start is not None:
        version, _exact = default_catalog().icd10_for(start)
        wrong = [raw for raw, code in zip(raw_codes, codes, strict=True) if version.status(code) != CodeStatus.BILLABLE]
        if wrong:
            fields.fail("diagnoses", f"not billable ICD-10-CM codes on the first day: {', '.join(wrong)[:120]}")
    values["diagnoses"] = list(dict.fromkeys(codes))
    fields.done()
    return values


def add_plan(session: Session, actor: Actor, patient_id: int, data: Mapping[str, object]) -> PlanOfCare:
    owned_row(session, actor, PatientRow, patient_id, "patient")
    require_role(actor, PLANNERS)
    row = PlanOfCareRow(clinic_id=actor.clinic_id, patient_id=patient_id, **read_plan(data))
    session.add(row)
    session.flush()
    audit(session, actor, "create", "plan_of_care", str(row.id))
    return copy_of(PlanOfCare, row, visits=0, progress_due_at=PROGRESS_EVERY)
