"""Encounter format 1: every shared example parses; malformed documents get one line per field."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from ptbill.domain.encounter_json import MAX_NOTE_BYTES, TOO_LARGE, encounter_from_dict, parse_encounter
from ptbill.domain.errors import EncounterFormatError
from ptbill.domain.identifiers import npi_is_valid

ROOT = Path(__file__).resolve().parents[3]
EXAMPLES = sorted([*(ROOT.parent / "shared" / "examples").glob("*.json"), *(ROOT / "examples").glob("*.json")])
CLEAN = ROOT / "tests" / "scenarios" / "medicare-lumbar-clean.json"


def clean() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(CLEAN.read_text())
    return data


def problems(document: dict[str, Any]) -> list[str]:
    with pytest.raises(EncounterFormatError) as caught:
        parse_encounter(json.dumps(document), "enc.json")
    return caught.value.problems


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_every_example_follows_the_format(path: Path) -> None:
    assert parse_encounter(path.read_bytes(), path.name).id


def test_money_is_decimal_and_clock_times_become_minutes() -> None:
    encounter = parse_encounter(json.dumps(clean()))
    assert encounter.coverage.therapy_charges_ytd == Decimal("1850.00")
    assert encounter.services[0].documented_minutes == 18  # 09:02 to 09:20
    assert encounter.services[1].documented_minutes == 23


def test_a_bad_date_is_named_with_its_value() -> None:
    document = clean()
    document["date_of_service"] = "2026-13-45"
    assert problems(document) == ['date_of_service: not a date: "2026-13-45"']


def test_an_end_before_its_start_is_an_error_not_a_negative_duration() -> None:
    document = clean()
    document["services"][0]["end_time"] = "08:50"
    assert problems(document) == ["services[0]: end_time 08:50 is before start_time 09:02"]


def test_every_problem_gets_its_own_line() -> None:
    document = clean()
    del document["patient"]["sex"]
    document["services"][1]["minutes"] = "twenty"
    document["services"][0]["traction"]["device_type"] = "laser"
    document["coverage"]["therapy_charges_ytd"] = True
    found = problems(document)
    assert len(found) == 4
    assert "patient.sex: required field is missing" in found
    assert 'services[1].minutes: not a whole number: "twenty"' in found
    assert any(p.startswith("services[0].traction.device_type: must be one of") for p in found)
    assert "coverage.therapy_charges_ytd: not a number: true" in found


@pytest.mark.parametrize("bad", ["9:5", "24:00", "12:60", "noon", 930])
def test_clock_times_must_be_hh_mm(bad: object) -> None:
    document = clean()
    document["services"][0]["start_time"] = bad
    assert problems(document)[0].startswith("services[0].start_time: not a clock time")


def test_broken_json_says_where() -> None:
    with pytest.raises(EncounterFormatError) as caught:
        parse_encounter(b'{"id": "x",', "enc.json")
    assert caught.value.problems[0].startswith("not valid JSON")


def test_a_json_array_is_not_an_encounter() -> None:
    with pytest.raises(EncounterFormatError, match="must be a JSON object"):
        parse_encounter(b"[]", "enc.json")


def test_optional_fields_may_be_null_or_absent() -> None:
    document = clean()
    for key in ("supervising_provider", "referring_provider", "plan_of_care", "total_treatment_minutes"):
        document.pop(key, None)
    document["place_of_service"] = None
    encounter = parse_encounter(json.dumps(document))
    assert encounter.place_of_service == "11"
    assert encounter.plan_of_care is None


def test_codes_and_modifiers_are_upper_cased() -> None:
    document = clean()
    document["services"][2]["code"] = "97140"
    document["services"][2]["modifiers"] = ["gp", "59"]
    encounter = parse_encounter(json.dumps(document))
    assert encounter.services[2].modifiers == ("GP", "59")


@pytest.mark.parametrize(
    ("npi", "valid"),
    [
        ("1245319599", True),
        ("1093817462", True),
        ("1528060639", True),
        ("1245319598", False),
        ("124531959", False),
        ("12453195990", False),
        ("12453l9599", False),
    ],
)
def test_npi_check_digit(npi: str, valid: bool) -> None:
    assert npi_is_valid(npi) is valid


def test_a_note_over_the_size_limit_is_refused_by_name_before_it_is_parsed() -> None:
    document = clean()
    document["services"][0]["clinical_justification"] = "Radicular pain. " * (MAX_NOTE_BYTES // 16)
    for text in (json.dumps(document), json.dumps(document).encode()):
        with pytest.raises(EncounterFormatError) as caught:
            parse_encounter(text, "enc.json")
        assert caught.value.problems == [TOO_LARGE]
        assert "128 KiB" in TOO_LARGE
    with pytest.raises(EncounterFormatError) as caught:
        encounter_from_dict(document, "note")  # what the API and the note form read
    assert caught.value.problems == [TOO_LARGE]


def test_a_note_of_many_small_values_is_measured_too() -> None:
    document = clean()
    document["diagnoses"] = ["M51.16"] * (MAX_NOTE_BYTES // 8)
    with pytest.raises(EncounterFormatError) as caught:
        encounter_from_dict(document, "note")
    assert caught.value.problems == [TOO_LARGE]


def test_a_note_with_long_free_text_under_the_limit_is_read() -> None:
    document = clean()
    document["services"][0]["clinical_justification"] = "Radicular pain, worse on sitting. " * 3000  # ~100 KB
    assert parse_encounter(json.dumps(document)).services[0].clinical_justification.startswith("Radicular")
    assert encounter_from_dict(document).id == document["id"]
