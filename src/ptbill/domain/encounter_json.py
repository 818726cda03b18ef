"""Reading encounter format 1 from JSON, with one readable line per problem (never a traceback)."""

from __future__ import annotations

import itertools
import json
import re
from typing import TYPE_CHECKING, Any

from ptbill.domain.encounter import Encounter, build_validators, validators_built
from ptbill.domain.encounter_plain import plain_encounter
from ptbill.domain.errors import EncounterFormatError

if TYPE_CHECKING:
    from pydantic import ValidationError

# The largest note ptbill reads. A traction note is 2 to 5 KB; this leaves room for pages of free text,
# while a note's size times the work of checking and storing it stays well inside a worker's memory.
MAX_NOTE_BYTES = 128 * 1024
TOO_LARGE = f"(document): the note is larger than {MAX_NOTE_BYTES // 1024} KiB, the most ptbill reads in one note"

# No field of an encounter needs more digits; a longer JSON integer is kept as text, so the field it sits in
# is named in the error instead of json.loads failing on Python's 4,300-digit conversion limit.
MAX_INTEGER_DIGITS = 30


class LongNumber:
    """A JSON integer with more digits than any encounter field holds, left unconverted; no field accepts it."""

    def __init__(self, digits: int) -> None:
        self.digits = digits

    def __str__(self) -> str:
        return f"a number of {self.digits} digits"


def _bounded_int(text: str) -> int | LongNumber:
    digits = len(text.lstrip("-"))
    return int(text) if digits <= MAX_INTEGER_DIGITS else LongNumber(digits)


# A run of more digits than MAX_INTEGER_DIGITS anywhere in the text (a number, or digits in a string or a
# fraction): only then does json.loads need ``_bounded_int``, whose call per integer costs a third of its time.
# Found by mapping each digit to "0" and every other byte to a space (a regular expression takes 15 times longer).
_DIGITS_ONLY = bytes(ord("0") if ord("0") <= byte <= ord("9") else ord(" ") for byte in range(256))
_LONG_RUN = b"0" * (MAX_INTEGER_DIGITS + 1)


def _short_numbers(text: str | bytes) -> bool:
    """No JSON integer in ``text`` has more than MAX_INTEGER_DIGITS digits, so json.loads may convert them all
    itself. Only UTF-8 bytes and ASCII text are looked at (json.loads also reads UTF-16 and UTF-32, whose digits
    are not runs of bytes): anything else says no, and ``_bounded_int`` converts."""
    if isinstance(text, bytes):
        if json.detect_encoding(text) != "utf-8":
            return False
    elif text.isascii():
        text = text.encode("ascii")
    else:
        return False
    return _LONG_RUN not in text.translate(_DIGITS_ONLY)


_MESSAGES = {
    "missing": "required field is missing",
    "string_type": "not a text value",
    "int_type": "not a whole number",
    "int_parsing": "not a whole number",
    "int_from_float": "not a whole number",
    "float_parsing": "not a number",
    "decimal_parsing": "not a number",
    "decimal_type": "not a number",
    "list_type": "not a list",
    "tuple_type": "not a list",
    "model_type": "not an object",
    "dict_type": "not an object",
    "model_attributes_type": "not an object",
    "date_type": "not a date",
    "bool_type": "not true or false",
    "literal_error": "must be 1 (the only format there is)",
    "too_long": "too many entries",
}


def _location(loc: tuple[int | str, ...]) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        elif part.startswith(("function-", "function_")):
            continue
        else:
            text += f".{part}" if text else part
    return text or "(document)"


def _describe(error: Any) -> str:
    kind = error["type"]
    if kind == "value_error":
        message = str(error["ctx"]["error"]) if "ctx" in error else error["msg"]
    elif kind == "enum":
        message = f"must be one of {error['ctx']['expected']}"
    elif kind == "string_pattern_mismatch":
        message = "not in the expected form"
    elif kind in ("greater_than_equal", "greater_than"):
        message = error["msg"].lower()
    elif kind == "decimal_max_places":
        message = "has more than 2 decimal places"
    else:
        message = _MESSAGES.get(kind, error["msg"][0].lower() + error["msg"][1:])
    if isinstance(error.get("input"), LongNumber):
        message += f": {error['input']}"
    elif kind != "missing" and "input" in error and not isinstance(error["input"], dict | list):
        shown = _shown(error["input"])
        message += f": {shown if len(shown) <= 60 else shown[:57] + '...'}"
    return message


def _shown(value: Any) -> str:
    if isinstance(value, int) and abs(value).bit_length() > 100:  # json.dumps refuses past 4,300 digits
        return "a number too large to show"
    return json.dumps(value, default=str)


def problems_of(exc: ValidationError) -> list[str]:
    lines = []
    for error in exc.errors(include_url=False):
        loc = error["loc"]
        # Pydantic reports a model-level check at the model's location: name the first field it mentions.
        lines.append(f"{_location(loc)}: {_describe(error)}")
    return lines


def _json_size(document: object) -> int:
    """About how many bytes ``document`` takes as JSON, without writing it out (which would cost as much
    memory as the note again), stopping once past the limit; iterative, so deep nesting cannot overflow."""
    size, pending = 0, [document]
    while pending and size <= MAX_NOTE_BYTES:
        value = pending.pop()
        if isinstance(value, str):
            size += len(value) + 2
        elif isinstance(value, dict):
            size += 2 + 2 * len(value)
            pending.extend(value.keys())
            pending.extend(value.values())
        elif isinstance(value, list | tuple):
            size += 2 + len(value)
            pending.extend(value)
        elif isinstance(value, int) and not isinstance(value, bool):
            size += value.bit_length() * 3 // 10 + 1  # its decimal digits, without converting it
        else:
            size += 5  # true, false, null, a float
    return size


def parse_encounter(text: str | bytes, source: str = "<input>") -> Encounter:
    """Parse and validate one encounter document; raise EncounterFormatError naming each bad field. Once the
    validators are built a note is read in pydantic's JSON mode (``_read_in_json_mode``); before, a plainly valid
    note is read without them (``encounter_plain``). Both give the encounter json.loads and ``_validated`` give,
    and anything else is read that way, so every problem is worded as before."""
    if len(text) > MAX_NOTE_BYTES:  # characters or bytes: a str's UTF-8 is never shorter
        raise EncounterFormatError(source, [TOO_LARGE])
    if validators_built():
        encounter = _read_in_json_mode(text)
        if encounter is not None:
            return _with_known_goals(encounter, source)
    return _parse_in_python_mode(text, source)


def _read_in_json_mode(text: str | bytes) -> Encounter | None:
    """The encounter pydantic reads straight from the JSON text, or None if it refuses the text for any reason.

    Reading the text in pydantic's JSON mode (its own parser, no Python dict of the note in between) costs
    about a fifth less than json.loads and pydantic's Python mode. What it accepts, it reads into the
    same encounter, since the two modes differ only where JSON mode refuses or the models never look:
    - every date, clock time, number and count field, and every list but the ABN's (of text), has a
      ``mode="before"`` validator, which is handed the Python value of the JSON (an int, a float, a str, a list,
      a dict, as json.loads gives them), and what is inside it is then validated in Python mode as before;
    - the other fields are text, choices, true/false and objects, which both modes take from JSON text,
      text, true/false and objects alike; ``format`` (a Literal) reads 1, 1.0 and true alike in both;
    - numbers: the same int or correctly rounded float as json.loads, NaN and Infinity included; a duplicate
      key's last value wins, as in json.loads;
    - the parser refuses what json.loads refuses (control characters in text, a BOM in a str, leading zeros,
      trailing data ...) and more: a lone surrogate escape, which pydantic's Python mode then refuses naming the
      field, a UTF-8 BOM or UTF-16/32 bytes and nesting past the parser's depth, which json.loads reads. Those go
      to the Python-mode path;
    - an integer of more than 4,300 digits is refused by the parser (where json.loads needs ``_bounded_int``);
      below that, a 128 KiB note of the longest integers it takes is read in about the
      time of a 128 KiB note of short ones, so the size limit bounds the work as ``_bounded_int`` does.
    tests/unit/domain/test_encounter_json_mode.py compares the two paths on notes, fixtures and mutations."""
    from ptbill.domain.encounter_models import encounter_validator

    try:
        return encounter_validator().validate_json(text)  # type: ignore[no-any-return]
    except Exception:  # whatever the failure, the Python-mode path decides, and words the problems
        return None


def _parse_in_python_mode(text: str | bytes, source: str) -> Encounter:
    """json.loads, then the plain reader (before the validators are built) or pydantic's Python mode."""
    try:
        data = json.loads(text) if _short_numbers(text) else json.loads(text, parse_int=_bounded_int)
    except json.JSONDecodeError as exc:
        raise EncounterFormatError(
            source, [f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"]
        ) from None
    except UnicodeDecodeError:
        raise EncounterFormatError(source, ["not valid JSON: the file is not UTF-8 text"]) from None
    except RecursionError:
        raise EncounterFormatError(source, ["not valid JSON: nested too deeply to be an encounter"]) from None
    if not isinstance(data, dict):
        raise EncounterFormatError(source, ["(document): an encounter must be a JSON object"])
    # The text was at most MAX_NOTE_BYTES, so what it decoded to is too: no need to walk it again.
    if _plain_reader_pays() and _plain_text(text):
        encounter = plain_encounter(data)
        if encounter is not None:
            return encounter
    return _validated(data, source)


# The plain reader saves a process importing pydantic and building the validators (0.23 s on a quiet machine,
# 0.3 s under load: round 9), but pydantic's compiled validators then read each note about twice as fast as it
# does (150 against 320 us a note under load, json.loads included). They pay for themselves after about 1,500
# notes. So a process reads its first PLAIN_NOTES notes plainly (one note, a folder of them) and builds the
# validators for the rest (a batch of thousands, ``ptbill claim``): both give the same encounter
# (tests/unit/domain/test_encounter_plain.py).
PLAIN_NOTES = 1000
_plain_reads = itertools.count()


def _plain_reader_pays() -> bool:
    """Whether the next note is read by the plain reader: not once the validators are built or the quota is spent."""
    if validators_built():
        return False
    if next(_plain_reads) >= PLAIN_NOTES:
        build_validators()
        return False
    return True


# A \uD800-\uDFFF escape may decode to a lone surrogate, which pydantic refuses as text: pydantic reads it.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_SURROGATE_ESCAPE_BYTES = re.compile(rb"\\u[dD][89a-fA-F]")


def _plain_text(text: str | bytes) -> bool:
    """No lone surrogate can be in what ``text`` decodes to (the plain reader's one blind spot)."""
    if isinstance(text, bytes):
        return _SURROGATE_ESCAPE_BYTES.search(text) is None
    if _SURROGATE_ESCAPE.search(text) is not None:
        return False
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            return False
    return True


def encounter_from_dict(data: dict[str, Any], source: str = "<input>") -> Encounter:
    """An encounter from a document already in memory (an API body, a stored note), its size bounded first."""
    if _json_size(data) > MAX_NOTE_BYTES:
        raise EncounterFormatError(source, [TOO_LARGE])
    return _validated(data, source)


def _validated(data: dict[str, Any], source: str) -> Encounter:
    from pydantic import ValidationError

    from ptbill.domain.encounter_models import encounter_validator

    try:
        encounter = encounter_validator().validate_python(data)
    except ValidationError as exc:
        raise EncounterFormatError(source, problems_of(exc)) from None
    return _with_known_goals(encounter, source)


def _with_known_goals(encounter: Encounter, source: str) -> Encounter:
    """The encounter pydantic read, refused if a service names a goal the note does not list (the one check
    across fields the models leave to the reader, whichever mode read it)."""
    unknown = encounter.unknown_goal_references()
    if unknown:
        raise EncounterFormatError(source, unknown)
    return encounter
