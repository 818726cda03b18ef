"""Bounds checked by pydantic's core accept and refuse exactly what the Python callbacks did, with the same words."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ptbill.domain.encounter_json import parse_encounter
from ptbill.domain.errors import EncounterFormatError

CLEAN = Path(__file__).resolve().parents[2] / "scenarios" / "medicare-lumbar-clean.json"


def _with(path: tuple[str | int, ...], value: Any) -> bytes:
    document = json.loads(CLEAN.read_text())
    target = document
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    return json.dumps(document).encode()


def _problems(document: bytes) -> list[str]:
    with pytest.raises(EncounterFormatError) as caught:
        parse_encounter(document)
    return caught.value.problems


@pytest.mark.parametrize(("value", "minutes"), [(12, 12), ("12", 12), (" 7 ", 7), (3.0, 3), (0, 0), (99_999, 99_999)])
def test_a_count_takes_whole_numbers_also_written_as_text(value: Any, minutes: int) -> None:
    assert parse_encounter(_with(("services", 1, "minutes"), value)).services[1].minutes == minutes


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        (True, "services[1].minutes: not a number: true"),
        (-1, "services[1].minutes: input should be greater than or equal to 0: -1"),
        (100_000, "services[1].minutes: input should be less than or equal to 99999: 100000"),
        (2.5, "services[1].minutes: not a whole number: 2.5"),
        ("x", 'services[1].minutes: not a whole number: "x"'),
    ],
)
def test_a_bad_count_is_named_as_before(value: Any, problem: str) -> None:
    assert _problems(_with(("services", 1, "minutes"), value)) == [problem]


def test_a_large_negative_amount_is_told_it_is_negative_not_that_it_is_long() -> None:
    # Money keeps its callback: natively the digits would be tested first, and the message would change.
    problems = _problems(_with(("coverage", "therapy_charges_ytd"), -1_234_567_890_123))
    assert problems == ["coverage.therapy_charges_ytd: input should be greater than or equal to 0: -1234567890123"]


def test_an_angle_with_too_many_digits_is_named() -> None:
    problems = _problems(_with(("services", 0, "traction", "angle_deg"), 1_234_567_890_123))
    assert problems == [
        "services[0].traction.angle_deg: decimal input should have no more than 12 digits in total: 1234567890123"
    ]
