"""A patient's prior authorizations, and how much of each is used: counted from the patient's signed
and billed notes inside the authorization's dates (visits), or the units their checks planned to bill
for the codes it covers (units)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ptbill.domain.identifiers import bounded_int
from ptbill.domain.status import EncounterState
from ptbill.domain.vocabulary import Role
from ptbill.services.access import Actor, owned_row, require_role
from ptbill.services.audit import audit
from ptbill.services.patient_fields import Fields
from ptbill.services.records import copy_of
from ptbill.storage.tables import AuthorizationRow, CoverageRow, EncounterRow, PatientRow

AUTHORIZERS = frozenset({Role.THERAPIST, Role.BILLER, Role.ADMIN})
UNIT_KINDS = {"visits": "Visits", "units": "Units"}
_CODE = re.compile(r"[0-9A-Z][0-9]{3}[0-9A-Z]")


@dataclass(frozen=True, slots=True)
class Authorization:
    id: int
    clinic_id: int
    patient_id: int
    coverage_id: int | None
    number: str
    unit_kind: str
    approved: int
    valid_from: date
    valid_to: date
    codes: list[str]
    created_at: datetime
    used: int
    left: int

    def in_force(self, today: date) -> bool:
        return self.valid_from <= today <= self.valid_to


def _codes_of(note: EncounterRow) -> set[str]:
    return {str(s.get("code", "")) for s in note.document.get("services") or [] if isinstance(s, dict)}


def _used(row: AuthorizationRow, notes: list[EncounterRow]) -> int:
    covered = set(row.codes)
    used = 0
    for note in notes:
        if note.status == EncounterState.DRAFT or not row.valid_from <= note.date_of_service <= row.valid_to:
            continue
        if row.unit_kind == "visits":
            used += 1 if not covered or _codes_of(note) & covered else 0
        else:
            lines = note.checks[-1].claim_lines if note.checks else []
            used += sum(int(line.get("units") or 0) for line in lines if not covered or line.get("code") in covered)
    return used


def authorization_records(session: Session, actor: Actor, patient_id: int) -> list[Authorization]:
    """The patient's authorizations, newest first, with used and left (the caller has read the patient)."""
    rows = session.scalars(
        select(AuthorizationRow)
        .where(AuthorizationRow.clinic_id == actor.clinic_id, AuthorizationRow.patient_id == patient_id)
        .order_by(AuthorizationRow.valid_from.desc(), AuthorizationRow.id.desc())
    ).all()
    if not rows:
        return []
    notes = list(
        session.scalars(
            select(EncounterRow).where(EncounterRow.clinic_id == actor.clinic_id, EncounterRow.patient_id == patient_id)
        )
    )
    found = []
    for row in rows:
        used = _used(row, notes)
        found.append(copy_of(Authorization, row, used=used, left=max(row.approved - used, 0)))
    return found


def authorizations_of(session: Session, actor: Actor, patient_id: int) -> list[Authorization]:
    owned_row(session, actor, PatientRow, patient_id, "patient")
    audit(session, actor, "read", "authorizations", str(patient_id))
    return authorization_records(session, actor, patient_id)


def read_authorization(data: Mapping[str, object], coverage_ids: set[int]) -> dict[str, Any]:
    fields = Fields(data)
    coverage = fields.raw("coverage_id")
    coverage_id = bounded_int(coverage, 19)
    if coverage_id not in coverage_ids:
        coverage_id = None
    if coverage and coverage_id is None:
        fields.fail("coverage_id", "not one of the patient's coverages")
    codes = [code.upper() for code in re.split(r"[\s,]+", fields.raw("codes")) if code]
    if any(not _CODE.fullmatch(code) for code in codes) or len(codes) > 20:
        fields.fail("codes", "CPT or HCPCS codes of 5 characters (97012, 97110), separated by commas; at most 20")
    values: dict[str, Any] = {
        "coverage_id": coverage_id,
        "number": fields.text("number", 50, required=True),
        "unit_kind": fields.choice("unit_kind", UNIT_KINDS, default="visits"),
        "approved": fields.whole("approved", 1, 10_000),
        "valid_from": fields.day("valid_from", required=True),
        "valid_to": fields.day("valid_to", required=True),
        "codes": sorted(set(codes)),
    }
    if values["valid_from"] and values["valid_to"] and values["valid_to"] < values["valid_from"]:
        fields.fail("valid_to", "before the first day")
    fields.done()
    return values


def add_authorization(session: Session, actor: Actor, patient_id: int, data: Mapping[str, object]) -> Authorization:
    owned_row(session, actor, PatientRow, patient_id, "patient")
    require_role(actor, AUTHORIZERS)
    coverages = set(
        session.scalars(
            select(CoverageRow.id).where(CoverageRow.clinic_id == actor.clinic_id, CoverageRow.patient_id == patient_id)
        )
    )
    row = AuthorizationRow(clinic_id=actor.clinic_id, patient_id=patient_id, **read_authorization(data, coverages))
    session.add(row)
    session.flush()
    audit(session, actor, "create", "authorization", str(row.id))
    return copy_of(Authorization, row, used=0, left=row.approved)
