"""``parse_encounter`` reads a note in pydantic's JSON mode once the validators are built: it must answer every
text exactly as the Python-mode path (json.loads, then pydantic's Python mode) does, the same encounter
(equal, the same classes, value types and set fields, the same JSON) or the same problems, word for word.

Compared on the bench's synthetic notes, on every example, scenario and rule case, on hostile notes, and on
seeded random mutations written out by a JSON writer of our own, which also writes what ``json.dumps`` never
does: duplicate keys, escaped letters, lone surrogates, ints as 1.0 or 1e0, -0, integers of thousands of digits,
NaN, a BOM, UTF-16, stray whitespace, control characters, trailing data, a cut-off text."""

from __future__ import annotations

import copy
import json
import random
import re
import sys
from pathlib import Path
from typing import Any

import pytest

from ptbill.domain.encounter import Encounter, build_validators
from ptbill.domain.encounter_json import (
    LongNumber,
    _parse_in_python_mode,
    _read_in_json_mode,
    parse_encounter,
)
from ptbill.domain.encounter_models import dump_part, encounter_validator
from ptbill.domain.errors import EncounterFormatError
from tests.hostile import hostile_encounter, json_paths
from tests.unit.domain.test_encounter_plain import DOCUMENTS, EDGES, full_document, shape

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "bench"))
from check_throughput import synthetic  # noqa: E402 - the bench is no package


@pytest.fixture(autouse=True, scope="module")
def _validators_built() -> None:
    build_validators()  # JSON mode is read only once they are


def answer(read: Any, text: str | bytes) -> tuple[Any, ...]:
    """What a reader makes of ``text``: the encounter (its shape and JSON) or the problems it names."""
    try:
        encounter = read(text)
    except EncounterFormatError as exc:
        return ("refused", exc.problems)
    return ("read", shape(encounter), dump_part(encounter))


def python_mode(text: str | bytes) -> Encounter:
    return _parse_in_python_mode(text, "<input>")


def assert_same_answer(text: str | bytes) -> tuple[bool, bool]:
    """Both paths answer alike; whether JSON mode read the note itself, and whether the note was refused."""
    expected = answer(python_mode, text)
    assert answer(parse_encounter, text) == expected
    fast = _read_in_json_mode(text)
    if fast is not None:
        reference = encounter_validator().validate_python(json.loads(text))
        assert fast == reference
        assert dump_part(fast) == dump_part(reference)
    return fast is not None, expected[0] == "refused"


def test_synthetic_notes_are_read_in_json_mode_into_the_same_encounter() -> None:
    notes = synthetic(200, seed=11)
    assert all(assert_same_answer(note)[0] for note in notes)
    assert all(assert_same_answer(note.decode())[0] for note in notes[:20])


def test_every_example_scenario_and_rule_case_reads_alike() -> None:
    read_fast = 0
    for number, (_, document) in enumerate(DOCUMENTS()):
        text = json.dumps(document) if number % 2 else json.dumps(document, ensure_ascii=False, indent=1).encode()
        read_fast += assert_same_answer(text)[0]
    assert read_fast > len(DOCUMENTS()) // 2


def test_hostile_notes_read_alike() -> None:
    r = random.Random(3)
    for number in range(200):
        text = hostile_encounter(r)
        assert_same_answer(text if number % 2 else text.encode("utf-8", "surrogatepass"))


class Raw:
    """JSON text written as it stands: the number forms ``json.dumps`` never writes."""

    def __init__(self, text: str) -> None:
        self.text = text


RAW_NUMBERS = ["1.0", "1e0", "1E+1", "-0", "-0.0", "0.1", "1e400", "-1e400", "NaN", "Infinity", "-Infinity"]
RAW_NUMBERS += ["1" * 31, "-" + "9" * 40, "7" * 4299, "7" * 4301, "0.1000000000000000055511151231257827"]
RAW_NUMBERS += ["45.25e0", "4525e-2", "1e-7", "99999.0", "99999.5", "5e-324", "123456789012.5", "2.50"]
VALUES: list[Any] = [value for value in EDGES if not isinstance(value, LongNumber)]
VALUES += [Raw(number) for number in RAW_NUMBERS]
VALUES += ["\u00e9t\u00e9", "\U0001f600", "a\ud800", "\udc00", "x\x00y", "tab\there", "12", " 97110 "]


def write(value: Any, r: random.Random) -> str:
    """JSON text of ``value``, written a little differently each time (spacing, escapes, number forms), with
    now and then a key written twice (the first or the second time with another value)."""
    space = r.choice(["", "", " ", "\n", "\t", "\r\n  "])
    if isinstance(value, Raw):
        return value.text
    if isinstance(value, dict):
        items = [(key, write(item, r)) for key, item in value.items()]
        if items and r.random() < 0.04:
            position = r.randrange(len(items))
            key = items[position][0]
            twice = (key, write(value[key] if r.random() < 0.5 else r.choice(VALUES), r))
            items.insert(position + r.choice([0, 1]), twice)
        fields = [f"{write(key, r)}{space}:{space}{item}" for key, item in items]
        return "{" + space + f",{space}".join(fields) + space + "}"
    if isinstance(value, list | tuple):
        return "[" + space + f",{space}".join(write(item, r) for item in value) + space + "]"
    if isinstance(value, str):
        if value and r.random() < 0.1:  # one character as a \\u escape, upper or lower case hex
            at = r.randrange(len(value))
            escape = f"\\u{ord(value[at]):04x}" if ord(value[at]) < 0x10000 else json.dumps(value[at])[1:-1]
            escape = escape.upper().replace("\\U", "\\u") if r.random() < 0.5 else escape
            return json.dumps(value[:at]).removesuffix('"') + escape + json.dumps(value[at + 1 :])[1:]
        return json.dumps(value, ensure_ascii=r.random() < 0.5)
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, int) and r.random() < 0.3:
        return r.choice([f"{value}.0", f"{value}e0", f"{value}0e-1", f"{value}E+00"])
    return json.dumps(value, allow_nan=True)


def mutated(document: dict[str, Any], r: random.Random) -> dict[str, Any]:
    document = copy.deepcopy(document)
    for _ in range(r.choice([1, 1, 2, 3])):
        path = r.choice(json_paths(document))
        parent = document
        for step in path[:-1]:
            parent = parent[step]
        action = r.random()
        if action < 0.7:
            parent[path[-1]] = copy.deepcopy(r.choice(VALUES))
        elif action < 0.85:
            del parent[path[-1]]
        elif isinstance(parent, dict):
            parent[r.choice(["unknown", "format", "note_type", "goals", "minutes"])] = copy.deepcopy(r.choice(VALUES))
    return document


def damaged(text: str, r: random.Random) -> str | bytes:
    """Now and then a text json.loads and JSON mode may read differently, or not at all."""
    kind = r.random()
    if kind < 0.04:
        return "\ufeff" + text
    if kind < 0.08:
        return b"\xef\xbb\xbf" + text.encode("utf-8", "surrogatepass")
    if kind < 0.12:
        return text.encode(r.choice(["utf-16", "utf-16-le", "utf-32-be"]), "surrogatepass")
    if kind < 0.15:
        return text + r.choice([" x", "\f", "\u00a0", ",", "{}", " // note"])
    if kind < 0.18:
        return text[: r.randrange(len(text))]
    if kind < 0.21:
        at = re.search(r':\s*"', text).end()  # type: ignore[union-attr] - every note holds text
        return text[:at] + r.choice(["\t", "\n", "\x1f", "\x7f", "\ud800"]) + text[at:]
    if kind < 0.5:
        return text.encode("utf-8", "surrogatepass")
    return text


def test_mutated_notes_read_alike() -> None:
    r = random.Random(17)
    documents = [document for _, document in DOCUMENTS()]
    read_fast = refused = 0
    for _ in range(800):
        document = r.choice(documents)
        text = damaged(write(mutated(document, r) if r.random() < 0.6 else document, r), r)
        fast, refused_it = assert_same_answer(text)
        read_fast += fast
        refused += refused_it
    # the comparison means something only if both kinds of answer are many
    assert read_fast > 160
    assert refused > 160


def test_every_number_field_with_every_number_form() -> None:
    """Each number and count field (one of each name), and ``format``, written in each of the number forms."""
    evaluation = dict(DOCUMENTS())["tests/scenarios/medicare-lumbar-evaluation.json"]
    seen = set()
    for document in (full_document(), copy.deepcopy(evaluation)):
        for path in json_paths(document):
            parent = document
            for step in path[:-1]:
                parent = parent[step]
            value = parent[path[-1]]
            name = next(step for step in reversed(path) if isinstance(step, str))
            if name in seen or not (type(value) in (int, float) or name == "format"):
                continue
            seen.add(name)
            parent[path[-1]] = "@number@"
            text = json.dumps(document)
            for number in [*RAW_NUMBERS, "true", "null", '"1.50"']:
                assert_same_answer(text.replace('"@number@"', number))
            parent[path[-1]] = value
    assert len(seen) > 25


# JSON text in an ignored key, which only the parser sees: near-JSON json.loads refuses (JSON mode must too), and
# the odd forms both read.
ODD_JSON = ["-NaN", "+Infinity", "infinity", "nan", "inf", "True", "None", "1_000", "0x10", "1e", "1e+", "-", "00"]
ODD_JSON += ["1.e5", "-.5", "Infinity1", "NaNx", "tru", "nul", "1 2", "[1,]", "[,1]", "{,}", '{"a" 1}', '{"a":}']
ODD_JSON += ['"\\a"', '"\\\'"', '"\\u12"', '"\\u12G4"', '"\x7f"', '"\\/"', '"\\uD800\\uDC00"', '"\\', "1.5e3.2"]
ODD_JSON += ["-0e-0", "0.0e", "[" * 300 + "]" * 300, "[" * 100 + "]" * 100, '"\u2028"', "\u2028", "\x00", '"\\x41"']


def test_odd_json_in_an_ignored_key_reads_alike() -> None:
    text = json.dumps(dict(DOCUMENTS())["tests/scenarios/medicare-lumbar-clean.json"])
    for odd in ODD_JSON:
        odd_text = text[:-1] + f', "unknown": {odd}}}'
        assert_same_answer(odd_text)
        assert_same_answer(odd_text.encode("utf-8", "surrogatepass"))


def test_a_note_naming_an_unknown_goal_is_refused_alike() -> None:
    document = copy.deepcopy(dict(DOCUMENTS())["tests/scenarios/medicare-lumbar-evaluation.json"])
    assert document["goals"]
    document["services"][0]["goal_ids"] = ["NOPE"]
    text = json.dumps(document)
    assert _read_in_json_mode(text) is not None
    with pytest.raises(EncounterFormatError) as raised:
        parse_encounter(text)
    assert raised.value.problems == ["services[0].goal_ids[0]: no goal with id 'NOPE' among the note's goals"]
    assert answer(parse_encounter, text) == answer(python_mode, text)
