"""The whole visit (format 1 additions): a format-1 note is a daily note; the new sections read typed, and a
bad value is refused naming its field."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from ptbill.domain.encounter_json import parse_encounter
from ptbill.domain.errors import EncounterFormatError
from ptbill.domain.note_content import GoalStatus, NoteType

ROOT = Path(__file__).resolve().parents[3]
CLEAN = ROOT / "tests" / "scenarios" / "medicare-lumbar-clean.json"


def evaluation() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(CLEAN.read_text())
    document.update(
        {
            "format": 1,
            "note_type": "initial_evaluation",
            "subjective": {"text": "Low back pain for 6 weeks, worse sitting.", "pain_now": 6, "pain_worst": 8},
            "objective": {
                "range_of_motion": [{"joint": "lumbar spine", "motion": "flexion", "degrees": 40}],
                "strength": [{"muscle_group": "hip abductors", "grade": "4-", "side": "left"}],
                "special_tests": [{"name": "straight leg raise", "result": "positive", "side": "left"}],
                "outcome_measures": [{"name": "Oswestry", "score": 42, "scale_max": 100}],
            },
            "flowsheet": [{"exercise": "bridges", "sets": 2, "reps": 10, "cues": "neutral spine"}],
            "assessment": "Lumbar radiculopathy with limited sitting tolerance.",
            "plan": "Traction, exercise and manual therapy 2-3x/week for 6 weeks.",
            "goals": [
                {
                    "id": "STG1",
                    "term": "short",
                    "description": "Sit 30 minutes without leg pain",
                    "baseline": "10 minutes",
                    "target": "30 minutes",
                    "target_date": "2026-03-20",
                }
            ],
        }
    )
    document["plan_of_care"].update({"frequency_per_week": 2, "frequency_max_per_week": 3, "duration_weeks": 6})
    document["services"][0]["goal_ids"] = ["STG1"]
    return document


def problems(document: dict[str, Any]) -> list[str]:
    with pytest.raises(EncounterFormatError) as caught:
        parse_encounter(json.dumps(document), "note.json")
    return caught.value.problems


def test_a_format_1_note_is_a_daily_note_with_no_new_sections() -> None:
    encounter = parse_encounter(CLEAN.read_bytes())
    assert encounter.note_type is NoteType.DAILY_NOTE
    assert encounter.format is None
    assert (encounter.subjective, encounter.objective, encounter.assessment, encounter.plan) == (None,) * 4
    assert encounter.goals == ()
    assert encounter.flowsheet == ()
    assert encounter.services[0].goal_ids == ()


def test_an_evaluation_reads_every_section_typed() -> None:
    encounter = parse_encounter(json.dumps(evaluation()))
    assert encounter.note_type is NoteType.INITIAL_EVALUATION
    assert encounter.note_type.is_evaluation
    assert encounter.subjective is not None
    assert encounter.subjective.pain_now == 6
    assert encounter.objective is not None
    assert encounter.objective.measured
    assert encounter.objective.range_of_motion[0].degrees == Decimal(40)
    assert encounter.objective.outcome_measures[0].scale_max == Decimal(100)
    assert encounter.flowsheet[0].reps == 10
    assert encounter.goals[0].target_date == date(2026, 3, 20)
    assert encounter.plan_of_care is not None
    assert encounter.plan_of_care.most_visits_per_week == 3
    assert encounter.services[0].goal_ids == ("STG1",)


def test_a_progress_report_records_each_goal_status() -> None:
    document = evaluation() | {"note_type": "progress_report"}
    document["goals"][0] |= {"status": "progressing", "progress": "Sits 20 minutes"}
    encounter = parse_encounter(json.dumps(document))
    assert encounter.note_type.reports_progress
    assert encounter.goals[0].status is GoalStatus.PROGRESSING


def test_null_new_sections_are_absent() -> None:
    document = evaluation() | {"note_type": None, "goals": None, "flowsheet": None, "objective": None}
    encounter = parse_encounter(json.dumps(document))
    assert encounter.note_type is NoteType.DAILY_NOTE
    assert encounter.goals == ()
    assert encounter.objective is None


def test_bad_sections_are_named_one_line_per_field() -> None:
    document = evaluation()
    document.update(
        {
            "format": 2,
            "note_type": "soap",
            "subjective": {"pain_now": 11},
            "flowsheet": [{"exercise": "", "sets": True}],
        }
    )
    document["objective"]["strength"][0]["grade"] = "6"
    document["objective"]["outcome_measures"][0] |= {"score": 60, "scale_max": 50}
    document["goals"][0] |= {"term": "mid", "target_date": "2026-02-30"}
    document["plan_of_care"]["frequency_max_per_week"] = 1
    lines = problems(document)
    fields = [line.split(":")[0] for line in lines]
    assert fields == [
        "plan_of_care",
        "format",
        "note_type",
        "subjective.pain_now",
        "objective.strength[0].grade",
        "objective.outcome_measures[0]",
        "flowsheet[0].exercise",
        "flowsheet[0].sets",
        "goals[0].term",
        "goals[0].target_date",
    ]
    assert "frequency_max_per_week 1 is below frequency_per_week 2" in lines[0]
    assert "score 60 is outside its scale 0-50" in lines[5]


def test_goal_ids_are_unique_and_services_point_at_listed_goals() -> None:
    document = evaluation()
    document["goals"].append(dict(document["goals"][0], term="long"))
    assert problems(document) == ["goals: goals[1].id 'STG1' repeats an earlier goal's id"]
    document = evaluation()
    document["services"][0]["goal_ids"] = ["LTG9"]
    assert problems(document) == ["services[0].goal_ids[0]: no goal with id 'LTG9' among the note's goals"]


def test_a_daily_note_may_point_at_goals_it_does_not_carry() -> None:
    document: dict[str, Any] = json.loads(CLEAN.read_text())
    document["services"][0]["goal_ids"] = ["STG1"]
    assert parse_encounter(json.dumps(document)).services[0].goal_ids == ("STG1",)
