"""Patients and their coverages, in the acting user's clinic only; every read and change is audited.

Registration reads typed text (``patient_fields``): every problem is named beside its field, and a
patient with the same name and date of birth as one already registered is refused until confirmed.
Search reads a name (last, first, "last, first" or both words), a date of birth or a chart number.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from ptbill.reference.catalog import default_catalog
from ptbill.services.access import Actor, ConflictError, NotFoundError, owned_row
from ptbill.services.audit import audit
from ptbill.services.patient_fields import FieldProblemsError, Fields, parse_day
from ptbill.services.records import copy_of
from ptbill.storage.tables import CoverageRow, PatientRow

SEXES = {"F": "female", "M": "male", "U": "unknown"}
RELATIONSHIPS = {"self": "Self", "spouse": "Spouse", "child": "Child", "other": "Other"}
PRIORITIES = {"1": "Primary", "2": "Secondary", "3": "Tertiary"}
SEARCH_LIMIT = 20
_US_DAY = re.compile(r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})")


@dataclass(frozen=True, slots=True)
class Patient:
    id: int
    clinic_id: int
    chart_number: str
    first_name: str
    middle_name: str | None
    last_name: str
    birth_date: date
    sex: str
    address_line1: str | None
    address_line2: str | None
    city: str | None
    state: str | None
    zip: str | None
    phone: str | None
    email: str | None
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
    priority: int
    subscriber_first_name: str | None
    subscriber_last_name: str | None
    subscriber_birth_date: date | None
    created_at: datetime
    deductible_remaining: Decimal | None = None
    coinsurance_percent: Decimal | None = None
    copay: Decimal | None = None
    cost_sharing_as_of: date | None = None


class DuplicatePatientError(ConflictError):
    """A patient of the clinic has the same name and date of birth; ``matches`` are their ids and charts."""

    def __init__(self, matches: list[tuple[int, str]]) -> None:
        self.matches = matches
        super().__init__(f"{len(matches)} patient(s) with the same name and date of birth: confirm to register anyway")


def list_patients(session: Session, actor: Actor) -> list[Patient]:
    rows = list(
        session.scalars(
            select(PatientRow).where(PatientRow.clinic_id == actor.clinic_id).order_by(PatientRow.last_name)
        )
    )
    audit(session, actor, "read", "patient_list", None, f"{len(rows)} patients")
    return [copy_of(Patient, row) for row in rows]


def _like(term: str) -> str:
    escaped = term.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "%"


def _starts(column: Any, term: str) -> Any:
    return func.lower(column).like(_like(term), escape="\\")


def _birth_day(text: str) -> date | None:
    found = parse_day(text)
    if found is None and (match := _US_DAY.fullmatch(text)):
        try:
            found = date(int(match.group(3)), int(match.group(1)), int(match.group(2)))
        except ValueError:
            return None
    return found


def search_patients(session: Session, actor: Actor, query: str, limit: int = SEARCH_LIMIT) -> list[Patient]:
    """The clinic's patients matching ``query``: a date of birth (YYYY-MM-DD or MM/DD/YYYY), or the start of
    a chart number, a last or first name, "last, first" or "first last"; by name, at most ``limit``."""
    text = " ".join(re.sub(r"[\x00-\x1f\x7f]", " ", query).split())[:80]
    if not text:
        return []
    if (born := _birth_day(text)) is not None:
        condition: Any = PatientRow.birth_date == born
    elif "," in text:
        last, _, first = (part.strip() for part in text.partition(","))
        condition = _starts(PatientRow.last_name, last)
        if first:
            condition = condition & _starts(PatientRow.first_name, first)
    elif " " in text:
        one, two = text.split(" ", 1)
        condition = or_(
            _starts(PatientRow.first_name, one) & _starts(PatientRow.last_name, two),
            _starts(PatientRow.last_name, one) & _starts(PatientRow.first_name, two),
        )
    else:
        condition = or_(
            _starts(PatientRow.last_name, text),
            _starts(PatientRow.first_name, text),
            _starts(PatientRow.chart_number, text),
        )
    rows = list(
        session.scalars(
            select(PatientRow)
            .where(PatientRow.clinic_id == actor.clinic_id, condition)
            .order_by(PatientRow.last_name, PatientRow.first_name, PatientRow.id)
            .limit(limit)
        )
    )
    audit(session, actor, "search", "patient", None, f"{len(rows)} found")
    return [copy_of(Patient, row) for row in rows]


def get_patient(session: Session, actor: Actor, patient_id: int) -> Patient:
    row = owned_row(session, actor, PatientRow, patient_id, "patient")
    audit(session, actor, "read", "patient", str(patient_id))
    return copy_of(Patient, row)


def patient_record(session: Session, actor: Actor, patient_id: int) -> Patient:
    """As ``get_patient``, without an audit row: for a request that repeats what its page view read and
    audited already (the note's live check, sent as the therapist types)."""
    return copy_of(Patient, owned_row(session, actor, PatientRow, patient_id, "patient"))


def read_registration(data: Mapping[str, object], today: date) -> dict[str, Any]:
    """The registration form's typed text as a patient's columns; FieldProblemsError names each bad field."""
    fields = Fields(data)
    values: dict[str, Any] = {
        "chart_number": fields.text("chart_number", 40),
        "first_name": fields.text("first_name", 60, required=True),
        "middle_name": fields.text("middle_name", 60),
        "last_name": fields.text("last_name", 60, required=True),
        "birth_date": fields.day("birth_date", required=True, not_after=today),
        "sex": fields.choice("sex", SEXES),
        "address_line1": fields.text("address_line1", 120),
        "address_line2": fields.text("address_line2", 120),
        "city": fields.text("city", 60),
        "state": fields.state("state"),
        "zip": fields.zip("zip"),
        "phone": fields.phone("phone"),
        "email": fields.email("email"),
    }
    fields.done()
    return values


def duplicates_of(session: Session, actor: Actor, first: str, last: str, born: date) -> list[tuple[int, str]]:
    """Patients of the clinic with this name (any case) and date of birth: (id, chart number)."""
    rows = session.execute(
        select(PatientRow.id, PatientRow.chart_number).where(
            PatientRow.clinic_id == actor.clinic_id,
            func.lower(PatientRow.first_name) == first.lower(),
            func.lower(PatientRow.last_name) == last.lower(),
            PatientRow.birth_date == born,
        )
    )
    return [(row.id, row.chart_number) for row in rows]


def _next_chart_number(session: Session, actor: Actor) -> str:
    count = session.scalar(select(func.count()).where(PatientRow.clinic_id == actor.clinic_id)) or 0
    while True:
        count += 1
        chart = f"P{count:06d}"
        if not _chart_taken(session, actor, chart):
            return chart


def _chart_taken(session: Session, actor: Actor, chart: str) -> int | None:
    return session.scalar(
        select(PatientRow.id).where(PatientRow.clinic_id == actor.clinic_id, PatientRow.chart_number == chart)
    )


def register_patient(
    session: Session, actor: Actor, data: Mapping[str, object], today: date, *, confirmed: bool = False
) -> Patient:
    """Register from typed text: refused with each bad field named, or as a possible duplicate unless confirmed."""
    values = read_registration(data, today)
    if not confirmed and (
        same := duplicates_of(session, actor, values["first_name"], values["last_name"], values["birth_date"])
    ):
        raise DuplicatePatientError(same)
    if values["chart_number"] is None:
        values["chart_number"] = _next_chart_number(session, actor)
    elif (taken := _chart_taken(session, actor, values["chart_number"])) is not None:
        raise FieldProblemsError({"chart_number": f"already the chart of patient {taken}"})
    return create_patient(session, actor, values)


def create_patient(session: Session, actor: Actor, data: dict[str, Any]) -> Patient:
    chart = data.get("chart_number")
    taken = _chart_taken(session, actor, str(chart))
    if taken is not None:
        raise ConflictError(f"chart number {chart!r} is already patient {taken}")
    row = PatientRow(clinic_id=actor.clinic_id, **data)
    session.add(row)
    session.flush()
    audit(session, actor, "create", "patient", str(row.id))
    return copy_of(Patient, row)


def _coverage_rows(session: Session, actor: Actor, patient_id: int) -> list[CoverageRow]:
    return list(
        session.scalars(
            select(CoverageRow)
            .where(CoverageRow.patient_id == patient_id, CoverageRow.clinic_id == actor.clinic_id)
            .order_by(CoverageRow.active.desc(), CoverageRow.priority, CoverageRow.id)
        )
    )


def coverages_of(session: Session, actor: Actor, patient_id: int) -> list[Coverage]:
    """The patient's coverages, active ones first in order: primary, secondary, tertiary."""
    get_patient(session, actor, patient_id)
    return [copy_of(Coverage, row) for row in _coverage_rows(session, actor, patient_id)]


def coverage_records(session: Session, actor: Actor, patient_id: int) -> list[Coverage]:
    """As ``coverages_of`` for a caller that has read (and audited) the patient already."""
    return [copy_of(Coverage, row) for row in _coverage_rows(session, actor, patient_id)]


def read_coverage(data: Mapping[str, object]) -> dict[str, Any]:
    """The coverage form's typed text as a coverage's columns (payer from the catalog, subscriber when not self)."""
    fields = Fields(data)
    payer = fields.text("payer_id", 60, required=True)
    if payer is not None and default_catalog().payer(payer) is None:
        fields.fail("payer_id", "not a payer of the catalog")
    priority = fields.choice("priority", PRIORITIES, default="1")
    relationship = fields.choice("relationship_to_insured", RELATIONSHIPS, default="self")
    values: dict[str, Any] = {
        "payer_id": payer,
        "member_id": fields.text("member_id", 80, required=True),
        "group_number": fields.text("group_number", 50),
        "priority": int(priority) if priority else None,
        "relationship_to_insured": relationship,
        "subscriber_first_name": None,
        "subscriber_last_name": None,
        "subscriber_birth_date": None,
        **read_cost_sharing(fields),
    }
    if relationship not in (None, "self"):
        values["subscriber_first_name"] = fields.text("subscriber_first_name", 60, required=True)
        values["subscriber_last_name"] = fields.text("subscriber_last_name", 60, required=True)
        values["subscriber_birth_date"] = fields.day("subscriber_birth_date", required=True)
    fields.done()
    return values


def read_cost_sharing(fields: Fields) -> dict[str, Any]:
    """The patient's cost sharing on a coverage, as the plan or the eligibility answer states it (all optional)."""
    values = {
        "deductible_remaining": fields.amount("deductible_remaining", Decimal("99999.99")),
        "coinsurance_percent": fields.amount("coinsurance_percent", Decimal(100)),
        "copay": fields.amount("copay", Decimal("9999.99")),
        "cost_sharing_as_of": fields.day("cost_sharing_as_of"),
    }
    stated = [key for key in ("deductible_remaining", "coinsurance_percent", "copay") if values[key] is not None]
    if stated and values["cost_sharing_as_of"] is None and not fields.problems:
        fields.fail("cost_sharing_as_of", "required with a deductible, coinsurance or copay: the day it was checked")
    return values


def add_coverage(session: Session, actor: Actor, patient_id: int, data: dict[str, Any]) -> Coverage:
    get_patient(session, actor, patient_id)
    if default_catalog().payer(str(data.get("payer_id"))) is None:
        raise ConflictError(f"payer {data.get('payer_id')!r} is not in the payer catalog")
    taken = {other.priority for other in _coverage_rows(session, actor, patient_id) if other.active}
    priority = data.get("priority") or next((p for p in (1, 2, 3) if p not in taken), None)
    if priority is None or priority in taken:
        named = PRIORITIES.get(str(priority), "tertiary").lower()
        raise FieldProblemsError({"priority": f"the patient already has a {named} coverage"})
    row = CoverageRow(clinic_id=actor.clinic_id, patient_id=patient_id, **{**data, "priority": priority})
    session.add(row)
    session.flush()
    audit(session, actor, "create", "coverage", str(row.id))
    return copy_of(Coverage, row)


def register_coverage(session: Session, actor: Actor, patient_id: int, data: Mapping[str, object]) -> Coverage:
    owned_row(session, actor, PatientRow, patient_id, "patient")  # another clinic's patient: 404 before the form
    return add_coverage(session, actor, patient_id, read_coverage(data))


def update_cost_sharing(
    session: Session, actor: Actor, patient_id: int, coverage_id: int, data: Mapping[str, object]
) -> Coverage:
    """Replace a coverage's cost sharing (deductible remaining, coinsurance, copay, the day checked): audited."""
    get_patient(session, actor, patient_id)
    row = owned_row(session, actor, CoverageRow, coverage_id, "coverage")
    if row.patient_id != patient_id:
        raise NotFoundError(f"coverage {coverage_id} of patient {patient_id} not found")
    fields = Fields(data)
    values = read_cost_sharing(fields)
    if values["cost_sharing_as_of"] is None and not fields.problems:
        fields.fail("cost_sharing_as_of", "required: the day the payer stated the cost sharing")
    fields.done()
    for key, value in values.items():
        setattr(row, key, value)
    session.flush()
    audit(session, actor, "update", "coverage", str(row.id), "cost sharing")
    return copy_of(Coverage, row)
