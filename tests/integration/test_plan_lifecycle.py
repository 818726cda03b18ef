"""The plan-of-care checks read the chart (SQLite and PostgreSQL): the week's visits are the patient's signed
notes in the database, not what the note says; the certified plan is the chart's stored plan or the note the
physician certified; each read is audited, and another patient's or clinic's notes never count."""

from __future__ import annotations

import copy
import json
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ptbill.domain.clock import FixedClock
from ptbill.domain.encounter_json import encounter_from_dict
from ptbill.rules.engine import CheckReport
from ptbill.services import access, patients, plans_of_care
from ptbill.services import notes as notes_service
from ptbill.storage.tables import AuditRow
from tests.integration.test_storage_services import make_clinic

ROOT = Path(__file__).resolve().parents[2]
CLEAN: dict[str, Any] = json.loads((ROOT / "tests/scenarios/medicare-lumbar-clean.json").read_text())
CLOCK = FixedClock(date(2026, 3, 20))  # the plan: 2026-02-20 to 2026-05-20, twice a week, certified 2026-02-25


def visit(day: str, note_id: str, chart: str = "C-1", **plan: Any) -> dict[str, Any]:
    document = copy.deepcopy(CLEAN) | {"id": note_id, "date_of_service": day}
    document["plan_of_care"] |= plan
    document["patient"]["id"] = chart  # the chart number, as the note form writes it (make_clinic's patient: C-1)
    return document


def saved(session: Session, pt: access.Actor, patient_id: int, document: dict[str, Any], *, sign: bool) -> int:
    row, _ = notes_service.save_encounter(session, pt, document, patient_id, clock=CLOCK)
    if sign:
        notes_service.sign_encounter(session, pt, row.id, clock=CLOCK)
    return row.id


def check(session: Session, pt: access.Actor, document: dict[str, Any]) -> CheckReport:
    return notes_service.check_for_clinic(session, pt.clinic_id, encounter_from_dict(document), clock=CLOCK)


def rule_messages(report: CheckReport, rule: str) -> list[str]:
    return [f.message for f in report.findings if f.rule == rule]


def test_the_weeks_visits_are_counted_from_the_signed_notes_in_the_chart(session: Session) -> None:
    pt, _, patient = make_clinic(session, "week")
    saved(session, pt, patient.id, visit("2026-03-09", "w-mon"), sign=True)
    tuesday = saved(session, pt, patient.id, visit("2026-03-10", "w-tue"), sign=False)  # a draft is not a visit yet
    saved(session, pt, patient.id, visit("2026-03-06", "w-last-fri"), sign=True)  # last week
    other = patients.create_patient(
        session,
        pt,
        {"chart_number": "C-2", "first_name": "Bo", "last_name": "Other", "birth_date": date(1950, 1, 2), "sex": "M"},
    )
    saved(session, pt, other.id, visit("2026-03-10", "w-other", "C-2"), sign=True)  # another patient
    elsewhere, _, far = make_clinic(session, "week-elsewhere")
    saved(session, elsewhere, far.id, visit("2026-03-10", "w-far"), sign=True)  # another clinic
    wednesday = visit("2026-03-11", "w-wed")
    assert rule_messages(check(session, pt, wednesday), "POC_FREQUENCY_EXCEEDED") == []  # Monday and this one
    notes_service.sign_encounter(session, pt, tuesday, clock=CLOCK)
    assert rule_messages(check(session, pt, wednesday), "POC_FREQUENCY_EXCEEDED") == [
        "This is visit 3 in the week of 2026-03-09 (the patient was also seen on 2026-03-09 and 2026-03-10); "
        "the plan certifies at most 2 a week."
    ]
    # The note's own visit number says nothing of the week: only the chart does.
    assert rule_messages(check(session, pt, visit("2026-03-11", "w-wed", visit_number=1)), "POC_FREQUENCY_EXCEEDED")
    reads = session.scalars(
        select(AuditRow.detail).where(AuditRow.entity == "patient", AuditRow.entity_id == str(patient.id))
    ).all()
    assert "2 other visit days of the week for a check" in reads


def test_a_change_from_the_note_the_physician_certified_is_found(session: Session) -> None:
    pt, _, patient = make_clinic(session, "changed")
    certified = saved(session, pt, patient.id, visit("2026-03-02", "c-1"), sign=True)
    raised = visit("2026-03-04", "c-2", frequency_per_week=3)
    assert rule_messages(check(session, pt, raised), "POC_CHANGE_NOT_CERTIFIED") == [
        "The plan of care changed since it was certified on 2026-02-25 (note c-1 of 2026-03-02): 3 visits a week "
        "where 2 were certified. A significant change needs the physician's or NPP's signature."
    ]
    recertified = visit("2026-03-04", "c-2", frequency_per_week=3, certified_date="2026-03-03")
    assert rule_messages(check(session, pt, recertified), "POC_CHANGE_NOT_CERTIFIED") == []
    assert rule_messages(check(session, pt, visit("2026-03-04", "c-2")), "POC_CHANGE_NOT_CERTIFIED") == []
    details = session.scalars(
        select(AuditRow.detail).where(AuditRow.entity == "encounter", AuditRow.entity_id == str(certified))
    ).all()
    assert "certified plan for a check" in details


def test_the_charts_stored_plan_signed_on_the_certification_date_is_the_certified_plan(session: Session) -> None:
    pt, _, patient = make_clinic(session, "stored")
    plans_of_care.add_plan(
        session,
        pt,
        patient.id,
        {
            "start_date": "2026-02-20",
            "end_date": "2026-04-03",
            "visits_per_week": "2",
            "duration_weeks": "6",
            "physician_name": "Dr. Kim Lee",
            "physician_npi": "1245319599",
            "signed_on": "2026-02-25",
            "diagnoses": "M54.16",
        },
    )
    extended = visit("2026-03-02", "s-1", end_date="2026-05-20")
    assert rule_messages(check(session, pt, extended), "POC_CHANGE_NOT_CERTIFIED") == [
        "The plan of care changed since it was certified on 2026-02-25 (the plan of care on the chart): the plan "
        "runs to 2026-05-20 where it was certified to 2026-04-03. A significant change needs the physician's or "
        "NPP's signature."
    ]
    within = visit("2026-03-02", "s-1", end_date="2026-04-03")
    assert rule_messages(check(session, pt, within), "POC_CHANGE_NOT_CERTIFIED") == []


def test_the_plan_sent_for_signature_is_the_one_certified(session: Session) -> None:
    pt, _, patient = make_clinic(session, "sent")
    saved(session, pt, patient.id, visit("2026-02-20", "e-1", certified_date=None), sign=True)
    first_certified = visit("2026-03-02", "e-2", frequency_per_week=3)  # the first note with the signature date
    assert rule_messages(check(session, pt, first_certified), "POC_CHANGE_NOT_CERTIFIED") == [
        "The plan of care changed since it was certified on 2026-02-25 (note e-1 of 2026-02-20): 3 visits a week "
        "where 2 were certified. A significant change needs the physician's or NPP's signature."
    ]
