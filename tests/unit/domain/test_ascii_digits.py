"""Digits are ASCII digits: every identifier, date, time and number of a note refuses Arabic-Indic (٣),
superscript (²) and fullwidth (３) digits naming the field, and numbers are bounded."""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

import pytest

from ptbill.domain.encounter_json import encounter_from_dict, parse_encounter
from ptbill.domain.errors import EncounterFormatError
from ptbill.domain.identifiers import bounded_int, is_ascii_digits, npi_is_valid
from ptbill.rules.engine import check_encounter

ROOT = Path(__file__).resolve().parents[3]
CLEAN: dict[str, Any] = json.loads((ROOT / "examples" / "medicare-lumbar-traction-clean.json").read_text())
OTHER_DIGITS = ["٣", "²", "３", "۳", "३"]  # Arabic-Indic, superscript, fullwidth, Persian, Devanagari

FIELDS = [
    ("billing_provider.tax_id", "95451234{}"),
    ("billing_provider.address.zip", "9310{}"),
    ("patient.address.zip", "93117-123{}"),
    ("place_of_service", "1{}"),
    ("date_of_service", "2026-03-0{}"),
    ("patient.birth_date", "196{}-04-02"),
    ("services.0.start_time", "09:0{}"),
    ("services.0.traction.monitoring_checks.0", "09:1{}"),
    ("services.1.minutes", "2{}"),
    ("coverage.authorization.visits_used", "{}"),
    ("coverage.therapy_charges_ytd", "185{}.00"),
    ("services.0.traction.force_lbs", "6{}"),
    ("services.0.traction.angle_deg", "1{}"),
]


def changed(path: str, value: Any) -> dict[str, Any]:
    document = json.loads(json.dumps(CLEAN))
    *parents, last = path.split(".")
    node: Any = document
    for part in parents:
        node = node[int(part)] if is_ascii_digits(part) else node[part]
    node[int(last) if is_ascii_digits(last) else last] = value
    return document


def shown(path: str) -> str:
    parts = path.split(".")
    return "".join(f"[{p}]" if is_ascii_digits(p) else (f".{p}" if i else p) for i, p in enumerate(parts))


@pytest.mark.parametrize("digit", OTHER_DIGITS)
@pytest.mark.parametrize(("field", "template"), FIELDS, ids=[f for f, _ in FIELDS])
def test_other_script_digits_are_refused_naming_the_field(field: str, template: str, digit: str) -> None:
    assert encounter_from_dict(changed(field, template.format("3")))  # the same value in ASCII digits is fine
    with pytest.raises(EncounterFormatError) as refused:
        encounter_from_dict(changed(field, template.format(digit)))
    assert any(problem.startswith(f"{shown(field)}: ") for problem in refused.value.problems), refused.value.problems


@pytest.mark.parametrize("digit", OTHER_DIGITS)
@pytest.mark.parametrize("role", ["billing_provider", "rendering_provider", "referring_provider"])
def test_an_npi_with_other_script_digits_is_invalid(role: str, digit: str) -> None:
    npi = CLEAN[role]["npi"][:-1] + digit
    assert not npi_is_valid(npi)
    findings = check_encounter(encounter_from_dict(changed(f"{role}.npi", npi))).findings
    assert any(f.rule == "NPI_INVALID" and f.field == f"{role}.npi" for f in findings)


@pytest.mark.parametrize("digits", [31, 4301, 100_000])
@pytest.mark.parametrize("field", ["total_treatment_minutes", "coverage.therapy_charges_ytd", "id"])
def test_a_json_integer_of_any_length_is_a_bad_field_never_a_value_error(field: str, digits: int) -> None:
    text = json.dumps(changed(field, "HUGE")).replace('"HUGE"', "7" * digits)
    with pytest.raises(EncounterFormatError) as refused:
        parse_encounter(text)
    assert refused.value.problems == [f"{field}: {refused.value.problems[0].split(': ', 1)[1]}"]
    assert f"a number of {digits} digits" in refused.value.problems[0]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-32"])
@pytest.mark.parametrize("digits", [30, 31, 5000])
def test_an_integer_is_bounded_in_every_encoding_json_reads(encoding: str, digits: int) -> None:
    # The parser converts integers itself where no run of digits is long; UTF-16 and UTF-32 spread the digits.
    text = json.dumps(changed("total_treatment_minutes", "HUGE")).replace('"HUGE"', "7" * digits).encode(encoding)
    with pytest.raises(EncounterFormatError) as refused:
        parse_encounter(text)
    shown = f"input should be less than or equal to 99999: {'7' * digits}"
    expected = shown if digits <= 30 else f"not a whole number: a number of {digits} digits"
    assert refused.value.problems == [f"total_treatment_minutes: {expected}"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("total_treatment_minutes", 100_000),
        ("services.0.diagnosis_pointers.0", 10**20),
        ("coverage.therapy_charges_ytd", "1e999999999"),
        ("services.0.traction.force_lbs", "Infinity"),
        ("services.0.traction.angle_deg", "1_5"),
    ],
)
def test_numbers_are_bounded(field: str, value: Any) -> None:
    with pytest.raises(EncounterFormatError) as refused:
        encounter_from_dict(changed(field, value))
    assert refused.value.problems[0].startswith(f"{shown(field)}: ")


def test_bounded_int_converts_ascii_digits_only_and_never_raises() -> None:
    assert bounded_int("0042", 5) == 42
    assert [bounded_int(t, 5) for t in ("٣", "²", "３", "", "-1", "1 ", "123456", "9" * 5000)] == [None] * 8


def _digit_classes(path: Path) -> list[str]:
    """Where a source file lets Unicode digits through: a `\\d` in a text pattern, or str.isdigit/isnumeric/
    isdecimal outside ``is_ascii_digits`` (docstrings and bytes patterns, which are ASCII-only, aside)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
    }
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            if "\\d" in node.value:
                found.append(f"{path.name}:{node.lineno}: \\d in {node.value!r}")
        elif isinstance(node, ast.Attribute) and node.attr in ("isdigit", "isnumeric", "isdecimal"):
            found.append(f"{path.name}:{node.lineno}: .{node.attr}")
    return found


def test_no_source_file_accepts_other_script_digits() -> None:
    """The class, not the instances: a new pattern with \\d or a new isdigit() fails here."""
    source = ROOT / "src" / "ptbill"
    found = [line for path in sorted(source.rglob("*.py")) for line in _digit_classes(path)]
    allowed = [line for line in found if line.startswith("identifiers.py:") and line.endswith(".isdigit")]
    assert len(allowed) == 1  # is_ascii_digits itself: text.isascii() and text.isdigit()
    assert [line for line in found if line not in allowed] == []
