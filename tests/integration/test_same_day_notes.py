"""The app checks a note against the patient's other notes of the same day (SQLite and PostgreSQL):
the same code by the same provider is a duplicate, the daily MUE counts every provider's units, and
another patient's or another clinic's notes are never seen. Reading them is audited."""

from __future__ import annotations

import copy
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ptbill.domain.clock import SYSTEM_CLOCK
from ptbill.rules.engine import CheckReport
from ptbill.services import notes as notes_service
from ptbill.services import patients
from ptbill.storage.tables import AuditRow
from tests.integration.test_storage_services import CLEAN, make_clinic

OTHER_PT = {"name": "Alan Cho", "npi": "1528060639", "credential": "PT"}


def note(note_id: str, **changes: Any) -> dict[str, Any]:
    """The clean visit of the patient the note form would name: chart C-1, the one make_clinic files."""
    document = copy.deepcopy(CLEAN)
    document["id"] = note_id
    document["patient"] = {**CLEAN["patient"], "id": "C-1"}
    document.update(changes)
    return document


def rules_of(report: CheckReport) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for finding in report.findings:
        found.setdefault(finding.rule, []).append(finding.message)
    return found


def test_the_same_visit_written_twice_is_a_duplicate_naming_the_first_note(session: Session) -> None:
    pt, _, patient = make_clinic(session, "dup1")
    first, report = notes_service.save_encounter(session, pt, note("N-1"), patient.id)
    assert report.verdict.value == "ready"
    _, report = notes_service.save_encounter(session, pt, note("N-2"), patient.id)
    [message] = rules_of(report)["DUPLICATE_SERVICE"]
    assert "97012, 97110 and 97140 are also billed in note N-1" in message
    assert report.verdict.value == "blocked"
    reads = session.scalars(
        select(AuditRow.detail).where(AuditRow.entity == "encounter", AuditRow.entity_id == str(first.id))
    ).all()
    assert "same-day lines for a check" in reads


def test_traction_by_two_therapists_the_same_day_passes_the_daily_mue(session: Session) -> None:
    pt, _, patient = make_clinic(session, "dup2")
    notes_service.save_encounter(session, pt, note("N-1"), patient.id)
    second = note("N-2", rendering_provider=OTHER_PT)
    second["services"] = second["services"][:1]
    second["total_treatment_minutes"] = 18
    _, report = notes_service.save_encounter(session, pt, second, patient.id)
    found = rules_of(report)
    assert "DUPLICATE_SERVICE" not in found
    assert found["UNITS_EXCEED_MUE"] == [
        "1 unit of 97012 is billed here and 1 in note N-1 the same day; the medically unlikely edit allows 1 a day."
    ]


def test_another_day_another_patient_and_another_clinic_are_not_the_same_visit(session: Session) -> None:
    pt, _, patient = make_clinic(session, "dup3")
    other_pt, _, other_clinic_patient = make_clinic(session, "dup4")
    notes_service.save_encounter(session, pt, note("N-1"), patient.id)
    day_after = (date.fromisoformat(CLEAN["date_of_service"]) + timedelta(days=1)).isoformat()
    _, report = notes_service.save_encounter(session, pt, note("N-2", date_of_service=day_after), patient.id)
    assert "DUPLICATE_SERVICE" not in rules_of(report)
    rosa = patients.create_patient(
        session,
        pt,
        {
            "chart_number": "C-2",
            "first_name": "Rosa",
            "last_name": "Testwell",
            "birth_date": date(1950, 1, 2),
            "sex": "F",
        },
    )
    someone_else = note("N-3")
    someone_else["patient"] = {**CLEAN["patient"], "id": "C-2", "first_name": "Rosa"}
    _, report = notes_service.save_encounter(session, pt, someone_else, rosa.id)
    assert "DUPLICATE_SERVICE" not in rules_of(report)
    _, report = notes_service.save_encounter(session, other_pt, note("N-4"), other_clinic_patient.id)
    assert "DUPLICATE_SERVICE" not in rules_of(report)


def test_the_live_check_refuses_a_note_dated_after_today(session: Session) -> None:
    pt, _, _ = make_clinic(session, "dup5")
    after_today = (SYSTEM_CLOCK.today() + timedelta(days=1)).isoformat()
    report = notes_service.check_document(session, pt, note("N-9", date_of_service=after_today))
    assert "DATE_OF_SERVICE_IN_FUTURE" in rules_of(report)
    report = notes_service.check_document(session, pt, note("N-9", date_of_service=SYSTEM_CLOCK.today().isoformat()))
    assert "DATE_OF_SERVICE_IN_FUTURE" not in rules_of(report)
