"""NOTE_TEMPLATE_BLANK's quick pass reads every text its naming pass reads: a blank in any one of them is found."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ptbill.domain.encounter_json import encounter_from_dict
from ptbill.domain.note_content import BLANK
from ptbill.reference.catalog import default_catalog
from ptbill.rules.checks.note_blanks import _parts, _texts
from ptbill.rules.engine import check_encounter

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


@pytest.mark.parametrize("scenario", sorted(p.stem for p in SCENARIOS.glob("*.json")))
def test_the_quick_pass_reads_the_texts_the_parts_name(scenario: str) -> None:
    encounter = encounter_from_dict(json.loads((SCENARIOS / f"{scenario}.json").read_text()), scenario)
    named = sorted(text for _, _, texts in _parts(encounter) for text in texts.values() if text)
    assert sorted(text for text in _texts(encounter) if text) == named


def test_a_blank_in_a_goal_flowsheet_row_or_traction_position_is_found() -> None:
    document = json.loads((SCENARIOS / "medicare-lumbar-evaluation.json").read_text())
    cases = [
        ("goals", lambda d: d["goals"][0].__setitem__("baseline", f"{BLANK} minutes")),
        ("flowsheet", lambda d: d["flowsheet"][0].__setitem__("cues", f"cue {BLANK}")),
        ("traction", lambda d: d["services"][0]["traction"].__setitem__("patient_position", f"supine {BLANK}")),
    ]
    for name, change in cases:
        changed = json.loads(json.dumps(document))
        change(changed)
        report = check_encounter(encounter_from_dict(changed, name), default_catalog())
        assert any(f.rule == "NOTE_TEMPLATE_BLANK" for f in report.findings), name
