"""ptbill's note templates as reference data: each file reads as a template and as a note, and a file that does
not is refused naming the file and each bad field, before any template is offered."""

from __future__ import annotations

from pathlib import Path

import pytest

from ptbill.domain.errors import ReferenceDataError
from ptbill.domain.note_content import NoteType
from ptbill.domain.note_template import BLANK, as_encounter
from ptbill.reference.catalog import default_catalog
from ptbill.reference.note_templates import TEMPLATES_DIR, load_templates, shipped_templates

GOOD = """\
name: Lumbar test
body_region: lumbar
diagnoses: [M51.1]
traction: {device_type: motorized_table, mode: static, angle_deg: 10, patient_position: prone}
services: [{code: "97012", modifiers: [GP]}]
"""


def test_every_shipped_template_loads_and_reads_as_a_note_of_every_type() -> None:
    shipped = shipped_templates()
    assert [s.key for s in shipped] == ["cervical-radiculopathy", "lumbar-radiculopathy", "lumbar-stenosis"]
    assert len(list(TEMPLATES_DIR.glob("*.yaml"))) == len(shipped)
    codes = default_catalog().procedure_codes
    for item in shipped:
        template = item.template
        for note_type in NoteType:
            encounter = as_encounter(template, note_type)
            traction = encounter.services[0].traction
            assert traction is not None
            assert traction.force_lbs is None  # the force is always the patient's
            assert all(s.start_time is None and s.minutes is None for s in encounter.services)
        assert {s.code for s in template.services} <= set(codes), item.key
        assert all(s.modifiers == ("GP",) for s in template.services), item.key
        assert template.outcome_measures, item.key
        assert any(goal.term.value == "long" for goal in template.goals), item.key
        assert BLANK in (template.assessment or ""), item.key
        assert BLANK in (template.plan or ""), item.key
    names = {item.key: [m.name for m in item.template.outcome_measures] for item in shipped}
    assert names == {
        "cervical-radiculopathy": ["Neck Disability Index"],
        "lumbar-radiculopathy": ["Oswestry Disability Index"],
        "lumbar-stenosis": ["Oswestry Disability Index"],
    }


@pytest.mark.parametrize(
    ("text", "problems"),
    [
        (
            GOOD.replace("mode: static", "mode: static, force_lbs: 60"),
            ["note_templates/bad.yaml: traction.force_lbs: not a part of a template: 60"],
        ),
        (
            GOOD + "flowsheet: [{exercise: Bridge, sets: ten}]\ngoals: [{id: STG1, term: soon, description: x}]\n",
            [
                "note_templates/bad.yaml: flowsheet[0].sets: not a number (digits 0-9, with an optional decimal point):"
                ' "ten"',
                "note_templates/bad.yaml: goals[0].term: must be one of 'short' or 'long': \"soon\"",
            ],
        ),
        (
            GOOD.replace("[M51.1]", "[M5]").replace("lumbar\n", "lumbar_spine\n", 1),
            [
                "note_templates/bad.yaml: body_region: must be one of 'cervical', 'thoracic', 'lumbar', 'pelvic',"
                " 'upper_extremity' or 'lower_extremity': \"lumbar_spine\"",
                "note_templates/bad.yaml: diagnoses: not an ICD-10-CM code or the start of one (M54.1, M51.16)",
            ],
        ),
        (GOOD + "name: Twice\n", None),  # a key written twice: refused with its line
    ],
)
def test_a_bad_template_is_refused_naming_its_file_and_field(
    tmp_path: Path, text: str, problems: list[str] | None
) -> None:
    (tmp_path / "good.yaml").write_text(GOOD.replace("Lumbar test", "Fine"))
    (tmp_path / "bad.yaml").write_text(text)
    with pytest.raises(ReferenceDataError) as caught:
        load_templates(tmp_path)
    if problems is None:
        assert "note_templates/bad.yaml: line 6: duplicate key 'name' (first on line 1)" in str(caught.value)
    else:
        assert str(caught.value).splitlines() == problems


def test_two_templates_of_one_name_or_a_file_name_of_capitals_are_refused(tmp_path: Path) -> None:
    (tmp_path / "one.yaml").write_text(GOOD)
    (tmp_path / "two.yaml").write_text(GOOD)
    with pytest.raises(ReferenceDataError, match="more than one template is named Lumbar test"):
        load_templates(tmp_path)
    (tmp_path / "two.yaml").unlink()
    (tmp_path / "Three.yaml").write_text(GOOD.replace("Lumbar test", "Other"))
    with pytest.raises(ReferenceDataError, match=r"Three\.yaml: a template's file name is lower-case"):
        load_templates(tmp_path)
