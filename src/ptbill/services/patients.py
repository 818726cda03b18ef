"""Patients and their coverages, in the acting user's clinic only; every read and change is audited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ptbill.reference.catalog import default_catalog
from ptbill.services.access import Actor, ConflictError, owned_row
from ptbill.services.audit import audit
from ptbill.services.records import copy_of
from ptbill.storage.tables import CoverageRow, PatientRow


@dataclass(frozen=True, slots=True)
class Patient:
    id: int
    clinic_id: int
    chart_number: str
    first_name: str
    last_name: str
    birth_date: date
    sex: str
    address_line1: str | None
    city: str | None
    state: str | None
    zip: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Coverage:
    id: int
    clinic_id: int
    patient_id: int
    payer_id: str
    member_id: str
    group_number: str | None
    relationship_to_insured: str
    authorization: dict[str, Any] | None
    active: bool
    created_at: datetime


def list_patients(session: Session, actor: Actor) -> list[Patient]:
    rows = list(
        session.scalars(
            select(PatientRow).where(PatientRow.clinic_id == actor.clinic_id).order_by(PatientRow.last_name)
        )
    )
    audit(session, actor, "read", "patient_list", None, f"{len(rows)} patients")
    return [copy_of(Patient, row) for row in rows]


def get_patient(session: Session, actor: Actor, patient_id: int) -> Patient:
    row = owned_row(session, actor, PatientRow, patient_id, "patient")
    audit(session, actor, "read", "patient", str(patient_id))
    return copy_of(Patient, row)


def create_patient(session: Session, actor: Actor, data: dict[str, Any]) -> Patient:
    chart = data.get("chart_number")
    taken = session.scalar(
        select(PatientRow.id).where(PatientRow.clinic_id == actor.clinic_id, PatientRow.chart_number == chart)
    )
    if taken is not None:
        raise ConflictError(f"chart number {chart!r} is already patient {taken}")
    row = PatientRow(clinic_id=actor.clinic_id, **data)
    session.add(row)
    session.flush()
    audit(session, actor, "create", "patient", str(row.id))
    return copy_of(Patient, row)


def coverages_of(session: Session, actor: Actor, patient_id: int) -> list[Coverage]:
    get_patient(session, actor, patient_id)
    rows = session.scalars(
        select(CoverageRow).where(CoverageRow.patient_id == patient_id, CoverageRow.clinic_id == actor.clinic_id)
    )
    return [copy_of(Coverage, row) for row in rows]


def add_coverage(session: Session, actor: Actor, patient_id: int, data: dict[str, Any]) -> Coverage:
    get_patient(session, actor, patient_id)
    if default_catalog().payer(str(data.get("payer_id"))) is None:
        raise ConflictError(f"payer {data.get('payer_id')!r} is not in the payer catalog")
    row = CoverageRow(clinic_id=actor.clinic_id, patient_id=patient_id, **data)
    session.add(row)
    session.flush()
    audit(session, actor, "create", "coverage", str(row.id))
    return copy_of(Coverage, row)
