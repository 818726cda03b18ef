"""Copy-forward and the changes since the last visit: what a new note starts from, what the page marks, and
the list a saved note shows, compared the way a therapist reads it (exercises by name, goals by id)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest

from ptbill.web import note_changes, note_form
from ptbill.web.inputs import clock_time
from ptbill.web.note_changes import Change

ROOT = Path(__file__).resolve().parents[3]
T = note_form.T


def _values(name: str) -> dict[str, str]:
    document: dict[str, Any] = json.loads((ROOT / "tests/scenarios" / name).read_text())
    return note_form.form_values(document)[0]


@pytest.fixture
def start() -> dict[str, str]:
    """What the daily note after the evaluation starts from."""
    return note_changes.carried(_values("medicare-lumbar-evaluation.json"))


def test_copy_forward_keeps_the_plan_and_settings_and_leaves_todays_facts_empty(start: dict[str, str]) -> None:
    assert start[T + "force_lbs"] == "65"
    assert start["diagnoses[1]"] == "M54.16"
    assert (start["services[1].code"], start["services[1].modifiers"]) == ("97110", "GP")
    assert (start["flowsheet[0].exercise"], start["goals[1].id"]) == ("bridges", "LTG1")
    assert start["plan_of_care.visit_number"] == "2"  # the evaluation was visit 1
    assert start["plan_of_care.visits_since_progress_report"] == "1"  # the evaluation's day was treatment day 1
    for today in (
        "services[0].start_time",
        "services[0].end_time",
        "services[0].patient_response",
        "services[0].clinical_justification",
        "services[1].minutes",
        "subjective.text",
        "subjective.pain_now",
        "assessment",
        "total_treatment_minutes",
        T + "monitoring_checks",
    ):
        assert today not in start, today


def test_the_visit_counters_move_on_by_one_after_a_daily_note() -> None:
    stored = {
        "note_type": "daily_note",
        "plan_of_care.visit_number": "6",
        "plan_of_care.visits_since_progress_report": "5",
    }
    carried = note_changes.carried(stored)
    assert (carried["plan_of_care.visit_number"], carried["plan_of_care.visits_since_progress_report"]) == ("7", "6")


def test_an_evaluation_code_is_that_days_and_is_not_carried() -> None:
    stored = {"services[1].code": "97162", "services[1].modifiers": "GP", "services[2].code": "97110"}
    assert note_changes.carried(stored) == {"services[2].code": "97110"}


def test_after_a_progress_report_the_visits_since_it_start_again() -> None:
    stored = {"note_type": "progress_report", "plan_of_care.visit_number": "10"}
    stored["plan_of_care.visits_since_progress_report"] = "9"
    assert note_changes.carried(stored)["plan_of_care.visits_since_progress_report"] == "0"


def test_nothing_changed_lists_nothing(start: dict[str, str]) -> None:
    today = dict(start, **{"services[0].start_time": "09:05", "services[1].minutes": "23", "assessment": "Better."})
    assert note_changes.changes(start, today) == []


def test_a_changed_setting_says_what_it_was_in_the_words_of_its_input(start: dict[str, str]) -> None:
    today = dict(start, **{T + "force_lbs": "70", T + "device_type": "decompression_table", "diagnoses[1]": "M54.17"})
    assert note_changes.changes(start, today) == [
        Change("Diagnoses", "Diagnosis 2", "M54.16", "M54.17", "changed", "diagnoses[1]"),
        Change(
            "Traction",
            "Device type",
            "motorized traction table",
            "decompression table (VAX-D, DRX…)",
            "changed",
            T + "device_type",
        ),
        Change("Traction", "Force", "65 lb", "70 lb", "changed", T + "force_lbs"),
    ]
    assert note_changes.changes(start, today)[2].text == "Force: 65 lb → 70 lb"


def test_an_exercise_progressed_added_and_removed_is_matched_by_name_not_by_row(start: dict[str, str]) -> None:
    today = {name: value for name, value in start.items() if not name.startswith("flowsheet[")}
    today.update(
        {  # the bike left off, bridges moved up a row and progressed, a new exercise below
            "flowsheet[0].exercise": "bridges",
            "flowsheet[0].sets": "3",
            "flowsheet[0].reps": "10",
            "flowsheet[0].cues": "neutral spine",
            "flowsheet[1].exercise": "Bird dog",
            "flowsheet[1].sets": "2",
            "flowsheet[1].reps": "8",
        }
    )
    found = note_changes.changes(start, today)
    assert [c.text for c in found] == [
        "bridges: 2 × 10, neutral spine → 3 × 10, neutral spine",
        "Bird dog: added (2 × 8)",
        "recumbent bike: removed (was 8 min)",
    ]
    assert {c.part for c in found} == {"Exercise flowsheet"}


def test_a_service_left_off_and_one_added_are_named_by_code(start: dict[str, str]) -> None:
    today = dict(start, **{"services[2].code": "", "services[3].code": "97112", "services[3].modifiers": "GP"})
    today["services[1].modifiers"] = "GP, KX"
    assert [c.text for c in note_changes.changes(start, today)] == [
        "97110 modifiers: GP → GP, KX",
        "97112: added (GP)",
        "97140: removed (was GP)",
    ]


def test_a_goal_is_matched_by_id_and_its_status_is_the_reports(start: dict[str, str]) -> None:
    today = dict(start, **{"goals[0].target": "45 minutes", "goals[1].status": "progressing"})
    assert [c.text for c in note_changes.changes(start, today)] == ["STG1 target: 30 minutes → 45 minutes"]
    report = dict(today, note_type="progress_report")
    assert [c.item for c in note_changes.changes(start, report)] == ["STG1 target", "LTG1 status"]
    dropped = {name: value for name, value in start.items() if not name.startswith("goals[1]")}
    assert [c.text for c in note_changes.changes(start, dropped)] == [
        "LTG1: removed (was Return to full shifts at work (cashier, standing))"
    ]


def test_a_changed_visit_count_is_compared_with_the_count_copy_forward_gave(start: dict[str, str]) -> None:
    today = dict(start, **{"plan_of_care.visit_number": "3"})
    assert [c.text for c in note_changes.changes(start, today)] == ["This visit's number: 2 → 3"]
    assert "plan_of_care.visit_number" not in note_changes.marks(start)["fields"]  # counted on, not copied


def test_the_marks_give_each_carried_value_and_row_in_words(start: dict[str, str]) -> None:
    marks = note_changes.marks(start)
    assert marks["fields"][T + "force_lbs"] == {"value": "65", "text": "65 lb"}
    assert marks["fields"][T + "angle_deg"] == {"value": "15", "text": "15°"}
    assert marks["fields"][T + "mode"]["text"] == "intermittent"
    assert marks["rows"]["flowsheet[0]"] == "bridges 2 × 10, neutral spine"
    assert marks["rows"]["services[2]"] == "97140 GP"
    assert all(mark["value"] for mark in marks["fields"].values())  # an empty value has nothing to say


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("0905", "09:05"),
        ("905", "09:05"),
        ("9:05", "09:05"),
        ("9.05", "09:05"),
        ("1230", "12:30"),
        ("2:30 pm", "14:30"),
        ("2pm", "14:00"),
        ("12am", "00:00"),
        ("09:02", "09:02"),
        ("9", "9"),  # a bare hour is too easily a slip: left for the check to name
        ("2460", "2460"),
        ("13pm", "13pm"),
        ("nine", "nine"),
    ],
)
def test_a_clock_time_typed_quickly_is_read_as_hh_mm(typed: str, read: str) -> None:
    assert clock_time(typed) == read


def test_the_form_reads_typed_clock_times_into_the_document() -> None:
    form = {"services[0].start_time": "905", "services[0].end_time": "9:23", T + "monitoring_checks": "911 0918"}
    assert note_form.form_minutes(form) == 18
    service = note_form.build_document(form, _parties()).document["services"][0]
    assert (service["start_time"], service["end_time"]) == ("09:05", "09:23")
    assert service["traction"]["monitoring_checks"] == ["09:11", "09:18"]


def _parties() -> note_form.NoteParties:
    """The header's rows, only as far as the builder reads them."""
    place = {"address_line1": None, "city": None, "state": None, "zip": None}
    clinic = SimpleNamespace(name="Harbor PT", npi="1234567893", tax_id="123456789", **place)
    patient = SimpleNamespace(
        chart_number="C1", first_name="Ada", last_name="Byrne", birth_date=date(1950, 1, 1), sex="F", **place
    )
    return note_form.NoteParties(
        cast(Any, clinic), {"name": "T", "npi": None, "credential": "PT"}, cast(Any, patient), None
    )
