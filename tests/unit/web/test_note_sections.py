"""The note form's whole-visit sections: a stored note's sections come back from the form unchanged, empty rows
are dropped (the findings of the rows after them still land on the row they were typed in), and a daily note
written on the form stays a plain format-1 document."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ptbill.domain.encounter_json import encounter_from_dict
from ptbill.web import note_sections

ROOT = Path(__file__).resolve().parents[3]


def evaluation() -> dict[str, Any]:
    document: dict[str, Any] = json.loads((ROOT / "tests/scenarios/medicare-lumbar-evaluation.json").read_text())
    return document


def test_every_section_of_a_stored_evaluation_comes_back_from_the_form() -> None:
    document = evaluation()
    values = note_sections.section_values(document)
    parts, renames = note_sections.build_sections(values)
    assert renames == {}
    for key in ("note_type", "subjective", "flowsheet", "assessment", "plan", "goals"):
        assert parts[key] == document[key], key
    for key, rows in document["objective"].items():
        assert parts["objective"][key] == rows, key
    assert encounter_from_dict(document | parts).goals == encounter_from_dict(document).goals


def test_an_empty_row_is_dropped_and_the_next_row_keeps_its_place_for_findings() -> None:
    form = {
        "note_type": "progress_report",
        "flowsheet[0].exercise": "",
        "flowsheet[1].exercise": "Bridges",
        "flowsheet[1].sets": "2",
        "flowsheet[1].reps": "ten",
    }
    parts, renames = note_sections.build_sections(form)
    assert parts["flowsheet"] == [{"exercise": "Bridges", "sets": 2, "reps": "ten"}]  # "ten" is left for the reader
    assert renames == {"flowsheet[0]": "flowsheet[1]"}


def test_a_daily_note_on_the_form_adds_nothing_to_format_1() -> None:
    form = {"note_type": "daily_note", "subjective.text": " ", "goals[0].id": ""}
    assert note_sections.build_sections(form) == ({}, {})


def test_grids_show_a_spare_row_and_goal_status_only_on_reports() -> None:
    values = note_sections.section_values(evaluation())
    counts = note_sections.row_counts(values)
    assert counts["goals"] == 3
    assert counts["flowsheet"] == 4
    assert "goals[2]" in note_sections.field_names(counts)
    assert not note_sections.shows_goal_status(values)
    assert note_sections.shows_goal_status({"note_type": "discharge_summary"})
