"""The parts of a note are plain values (``parts.py``): frozen, equal and hashed by their fields, pickled whole,
changed only into a copy; pydantic validates straight into them, with the messages of its models, and a pydantic
model can hold one as a field's type. ``ptbill check`` relies on them needing no pydantic at all."""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
from datetime import time
from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import BaseModel, ValidationError

from ptbill.domain.encounter import Encounter, Service, Traction
from ptbill.domain.encounter_json import parse_encounter
from ptbill.domain.encounter_models import PARTS, dump_part, validator_of
from ptbill.domain.note_content import FlowsheetRow, Goal, GoalTerm
from ptbill.domain.parts import Part

ROOT = Path(__file__).resolve().parents[3]
NOTE = ROOT / "tests" / "scenarios" / "medicare-lumbar-clean.json"


def a_note() -> Encounter:
    return parse_encounter(NOTE.read_bytes(), NOTE.name)


def test_a_part_cannot_be_changed_in_place_only_copied_with_changes() -> None:
    note = a_note()
    with pytest.raises(AttributeError, match="frozen"):
        note.id = "other"  # type: ignore[misc]
    with pytest.raises(AttributeError, match="frozen"):
        del note.services
    changed = note.replace(id="enc-2")
    assert (changed.id, note.id) == ("enc-2", "enc-1001")
    assert changed.services is note.services
    with pytest.raises(TypeError, match="no field 'nonsense'"):
        note.replace(nonsense=1)


def test_parts_are_equal_and_hashed_by_their_fields_whichever_reader_made_them() -> None:
    plainly = a_note()
    validated = validator_of(Encounter).validate_python(json.loads(NOTE.read_text(encoding="utf-8")))
    assert type(validated) is Encounter
    assert plainly == validated
    assert hash(plainly) == hash(validated)
    assert plainly != plainly.replace(place_of_service="22")
    assert len({plainly.services[0], validated.services[0], plainly.services[1]}) == 2


def test_a_part_made_in_code_takes_its_defaults_and_refuses_a_missing_field() -> None:
    assert Traction() == Traction(force_changes=(), monitoring_checks=())
    assert Traction().device_type is None
    with pytest.raises(TypeError, match="missing field 'code'"):
        Service()


def test_a_part_survives_pickle_with_its_values() -> None:
    note = a_note()
    again = pickle.loads(pickle.dumps(note))
    assert again == note
    assert again.services[0].documented_minutes == note.services[0].documented_minutes
    with pytest.raises(AttributeError):
        again.id = "x"  # type: ignore[misc]


def test_validation_fills_each_part_with_its_fields_only() -> None:
    service = validator_of(Service).validate_python({"code": "97012", "start_time": "9:05", "end_time": "9:20"})
    assert type(service) is Service
    assert list(vars(service)) == list(Service._fields)
    assert service.start_time == time(9, 5)
    assert service.documented_minutes == 15


def test_validation_words_each_problem_as_the_models_always_did() -> None:
    with pytest.raises(ValidationError) as refused:
        validator_of(Service).validate_python({"code": "9701", "minutes": True, "start_time": "25:00"})
    problems = {(tuple(error["loc"]), error["msg"]) for error in refused.value.errors()}
    assert problems == {
        (("code",), "String should match pattern '^[A-Za-z0-9]{5}$'"),
        (("start_time",), "Value error, not a clock time (expected HH:MM, 24-hour)"),
        (("minutes",), "Value error, not a number"),
    }


def test_a_pydantic_model_can_hold_parts_as_its_fields() -> None:
    class Holder(BaseModel):
        rows: tuple[FlowsheetRow, ...]
        goal: Goal | None = None

    held = Holder.model_validate(
        {
            "rows": [{"exercise": " Bridges ", "sets": 3}],
            "goal": {"id": "G1", "term": "short", "description": "Sit 30 min"},
        }
    )
    assert held.rows == (FlowsheetRow(exercise="Bridges", sets=3),)
    assert held.goal is not None
    assert held.goal.term is GoalTerm.SHORT
    assert held.model_dump(mode="json", exclude_none=True)["rows"] == [{"exercise": "Bridges", "sets": 3}]
    with pytest.raises(ValidationError, match=r"rows\.0\.sets"):
        Holder.model_validate({"rows": [{"exercise": "Bridges", "sets": -1}]})


def test_a_part_dumps_as_json_values_without_its_empty_fields() -> None:
    row = FlowsheetRow(exercise="Bridges", sets=3, load=None)
    assert dump_part(row) == {"exercise": "Bridges", "sets": 3}
    force = validator_of(Traction).validate_python({"force_lbs": "45.50", "monitoring_checks": ["9:05"]})
    assert dump_part(force) == {"force_lbs": "45.50", "force_changes": [], "monitoring_checks": ["09:05:00"]}
    assert force.force_lbs == Decimal("45.50")


def test_every_part_is_validated_and_each_field_has_a_kind_pydantic_knows() -> None:
    for part in PARTS:
        assert issubclass(part, Part)
        assert validator_of(part) is validator_of(part)


def test_checking_a_plain_note_never_imports_pydantic() -> None:
    probe = (
        "import sys\n"
        "from ptbill.domain.encounter_json import parse_encounter\n"
        "from ptbill.rules.engine import check_encounter\n"
        f"report = check_encounter(parse_encounter(open({str(NOTE)!r}, 'rb').read()))\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('pydantic', 'pydantic_core'))\n"
        "print(report.verdict.value, loaded)\n"
    )
    command = [sys.executable, "-c", probe]
    result = subprocess.run(command, capture_output=True, text=True, check=True, cwd=ROOT)
    assert result.stdout.split(" ", 1) == ["ready", "[]\n"]
