"""`parse_encounter` lets json.loads convert integers itself when no run of more than MAX_INTEGER_DIGITS digits
is in the text; a differential test against always converting with ``_bounded_int`` (the reader before)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ptbill.domain import encounter_json
from ptbill.domain.encounter_json import MAX_INTEGER_DIGITS, parse_encounter
from ptbill.domain.errors import EncounterFormatError

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "medicare-lumbar-traction-clean.json"


def _outcome(text: str | bytes) -> str:
    try:
        return repr(parse_encounter(text, "note.json"))
    except EncounterFormatError as error:
        return f"refused: {error.problems}"


def _variants() -> list[str | bytes]:
    note = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    texts: list[str] = [json.dumps(note)]
    for digits in (MAX_INTEGER_DIGITS - 1, MAX_INTEGER_DIGITS, MAX_INTEGER_DIGITS + 1, 5000):
        number = "9" * digits
        text = json.dumps(note)
        texts.append(text.replace('"visit_number": 5', f'"visit_number": -{number}'))  # an integer field
        texts.append(text.replace('"visits_used": 4', f'"visits_used": {number}'))
        texts.append(text.replace('"place_of_service": "11"', f'"place_of_service": {number}'))  # a text field
        texts.append(json.dumps({**note, "id": number}))  # digits in a string: the careful path, same result
        texts.append(text.replace('"angle_deg": 15', f'"angle_deg": 15.{number}'))  # a fraction
    variants: list[str | bytes] = []
    for text in texts:
        variants += [text, text.encode("utf-8"), text.encode("utf-16"), ("\ufeff" + text).encode("utf-8")]
        variants.append(text.replace('"id": "', '"id": "\u00e9', 1))  # not ASCII
    return variants


@pytest.mark.parametrize("text", _variants())
def test_the_same_encounter_or_the_same_problems_as_always_bounding(
    text: str | bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = _outcome(text)
    monkeypatch.setattr(encounter_json, "_short_numbers", lambda _text: False)
    assert now == _outcome(text)


def test_a_long_run_of_digits_takes_the_careful_path() -> None:
    short = encounter_json._short_numbers
    assert short(b'{"a": ' + b"1" * MAX_INTEGER_DIGITS + b"}")
    assert not short(b'{"a": ' + b"1" * (MAX_INTEGER_DIGITS + 1) + b"}")
    assert not short('{"a": "' + "1" * (MAX_INTEGER_DIGITS + 1) + '"}')
    assert not short('{"a": 1}'.encode("utf-16"))
    assert not short('{"a": "\u00e9"}')
