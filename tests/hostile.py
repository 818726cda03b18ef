"""Hostile inputs for the fuzz tests and bench/fuzz.py: valid documents mutated field by field.

Every generator takes a ``random.Random``: the tests get one from Hypothesis (``st.randoms()``, so
failures shrink and replay), the long run in ``bench/fuzz.py`` a seeded one. Each ``run_*`` function
feeds one input to a reader (and for encounters on through the engine and every claim writer) and
returns what happened; any exception outside ptbill's typed hierarchy escapes it, which is the bug.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from ptbill.claims.build import build_claim
from ptbill.claims.cms1500 import render_cms1500
from ptbill.claims.fhir import claims_to_fhir_json
from ptbill.claims.x12_837p.reader import read_837p
from ptbill.claims.x12_837p.writer import Trading, write_batch
from ptbill.domain.encounter_json import parse_encounter
from ptbill.domain.errors import EncounterFormatError, PtbillError, RemittanceFormatError
from ptbill.reference.catalog import default_catalog
from ptbill.remittance.denials import classify, classify_each
from ptbill.remittance.x12_835.reader import balance_problems, read_835
from ptbill.rules.engine import check_encounter
from ptbill.x12.control_numbers import ControlNumbers
from ptbill.x12.envelope import check_envelopes
from ptbill.x12.errors import X12Error
from ptbill.x12.reader import read_segments

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT.parent / "shared" / "external" / "x12"

# --- alphabets ----------------------------------------------------------------------------------------

OTHER_DIGITS = "٠١٢٣٤٥٦٧٨٩۰۱۲۳०१२३০১২৩０１２３⁰¹²³₁₂𝟙𝟚"
DELIMITERS = ["*", "~", ":", "^", "A*B~C:D^E", "|", ">", "\n", "\r\n", "~~", "*:*"]
MARKUP = [
    "L>R",
    "<br>",
    "<R>",
    "<L5>",
    "<WNL>",
    '<a href="http://x">x</a>',
    '<img src="/etc/passwd"/>',
    "&amp;",
    "&",
    "<b>",
    "]]>",
]
SCRIPTS = ["王芳", "Иванова", "Muñoz-Peña", "Nguyễn", "Đặng", "Weiß", "ÆØÅ", "\u202eRTL", "\ufeffBOM", "ﬁ", "Ω"]
CONTROL = ["\x00", "A\x00B", "\x07", "\x1b[31m", "\x7f", "\u0085", "\u2028", "\t", ""]
NUMERIC_TEXT = [
    "٣",
    "²",
    "３",
    "١٢٣",
    "9" * 5000,
    "-" + "9" * 5000,
    "1" * 19,
    "1e999",
    "-0",
    "0.000000001",
    "NaN",
    "Infinity",
    "1_000",
    " 12 ",
    "12.",
    ".5",
    "-1",
    "99999999999999999999.99",
]
DATES = ["2026-02-30", "2026-13-01", "0000-00-00", "9999-12-31", "2026-03-02T00:00", "٢٠٢٦-٠٣-٠٢", "24:00", "23:60"]
X12_DATES = ["20260230", "20261301", "00000000", "٢٠٢٦٠٣٠٢", "2026030", "202603020", "CCYYMMDD"]
HOSTILE_TEXT = [*DELIMITERS, *MARKUP, *SCRIPTS, *CONTROL, *NUMERIC_TEXT, *DATES, "x" * 10_000]
# JSON tokens spliced into the text raw: integers past every limit, non-finite floats, wrong types.
RAW_JSON = [
    "9" * 31,
    "9" * 4301,
    "9" * 20_000,
    "-" + "9" * 5000,
    "1e999999",
    "-1e999999",
    "1" * 40 + ".5",
    "NaN",
    "Infinity",
    "-Infinity",
    "-0",
    "0.1",
    "-1",
    "true",
    "false",
    "null",
    "[]",
    "{}",
    '[1, "a", null, {}]',
    '{"": ""}',
    "[" * 50 + "]" * 50,
]
X12_VALUES = [*DELIMITERS, *MARKUP, *SCRIPTS, *CONTROL, *NUMERIC_TEXT, *X12_DATES, "HC:97012:GP::::::::", "x" * 1000]


def _other_digits(text: str, r: random.Random) -> str:
    """``text`` with each ASCII digit, at random, swapped for a digit of another script."""
    return "".join(r.choice(OTHER_DIGITS) if c.isascii() and c.isdigit() and r.random() < 0.6 else c for c in text)


def _insert(text: str, r: random.Random) -> str:
    at = r.randint(0, len(text))
    return text[:at] + r.choice(HOSTILE_TEXT[:-1]) + text[at:]


# --- encounters -----------------------------------------------------------------------------------------

ENCOUNTER_FILES = sorted((ROOT / "examples").glob("*.json")) + sorted((ROOT / "tests" / "scenarios").glob("*.json"))
ENCOUNTERS: list[dict[str, Any]] = [json.loads(p.read_text(encoding="utf-8")) for p in ENCOUNTER_FILES]


def json_paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """The path (keys and indexes) of every value inside ``node``, depth first, ``node`` itself left out."""
    found = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            found += json_paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += json_paths(value, (*prefix, index))
    return found


# Free text of a note: the names, addresses, identifiers and clinical words the claim formats and PDFs carry.
TEXT_FIELDS = frozenset(
    {"id", "name", "first_name", "last_name", "line1", "line2", "city", "member_id", "group_number", "number"}
    | {"device_name", "patient_position", "patient_response", "clinical_justification", "reason"}
)
TEXT_VALUES = [*DELIMITERS, *MARKUP, *SCRIPTS, *CONTROL]


def hostile_encounter(r: random.Random, base: dict[str, Any] | None = None) -> str:
    """A valid encounter with one to four fields changed to hostile values, as JSON text.

    Half the changes go to free-text fields and keep them text, so that many notes still reach the
    engine and the claim writers; the other half may change any field into anything.
    """
    document = json.loads(json.dumps(base if base is not None else r.choice(ENCOUNTERS)))
    raw: list[str] = []
    for _ in range(r.choice([1, 1, 1, 2, 2, 3, 4])):
        paths = json_paths(document)
        texts = [p for p in paths if p[-1] in TEXT_FIELDS]
        if not paths:
            break
        textual = bool(texts) and r.random() < 0.5
        *parents, last = r.choice(texts if textual else paths)
        node: Any = document
        for part in parents:
            node = node[part]
        current = node[last]
        if textual:
            text = current if isinstance(current, str) else ""
            node[last] = r.choice([r.choice(TEXT_VALUES), text + r.choice(TEXT_VALUES), _other_digits(text, r)])
            continue
        kind = r.randrange(8)
        if kind == 0:
            value: Any = r.choice(HOSTILE_TEXT)
        elif kind == 1:
            raw.append(r.choice(RAW_JSON))
            value = f"@@RAW{len(raw) - 1}@@"
        elif kind == 2 and isinstance(current, str | int | float) and not isinstance(current, bool):
            value = _other_digits(str(current), r)
        elif kind == 3 and isinstance(current, str):
            value = _insert(current, r)
        elif kind == 4 and isinstance(node, dict):
            del node[last]
            continue
        elif kind == 5 and isinstance(node, list):
            node.insert(last, json.loads(json.dumps(current)))
            continue
        elif kind == 6 and isinstance(node, dict):
            node[r.choice(["extra", "", "\x00", "<b>"])] = r.choice(HOSTILE_TEXT)
            continue
        else:
            value = r.choice([None, [], {}, True, 0, -1, 10**20, 1.5, [current], {"value": current}])
        node[last] = value
    text = json.dumps(document, ensure_ascii=r.random() < 0.5)
    for index, token in enumerate(raw):
        text = text.replace(f'"@@RAW{index}@@"', token)
    return text


TRADING = Trading("PTBILL01", "Harbor PT", "Billing", "8055550100", "CLEARHOUSE", "Clearinghouse")
CREATED = datetime(2026, 3, 3, 10, 30)


class EncounterTarget:
    """One note through everything a note goes through: the reader, the engine, the claim, every writer."""

    def __init__(self, numbers: ControlNumbers) -> None:
        self.catalog = default_catalog()
        self.numbers = numbers

    def __call__(self, text: str) -> str:
        try:
            encounter = parse_encounter(text, "fuzz")
        except EncounterFormatError as refused:
            problems = refused.problems
        else:
            problems = []
        if problems:  # one short line per field, never a dump of the value
            assert all(0 < len(p) < 500 for p in problems), problems
            return "refused by the reader"
        report = check_encounter(encounter, self.catalog)
        json.dumps(report.to_json())
        try:  # as `ptbill claim --allow-blocked` does: the writers must hold whatever the engine says
            claim = build_claim(encounter, report.claim_lines, self.catalog)
        except PtbillError:
            return f"{report.verdict.value}, no claim"
        outcomes = [report.verdict.value]
        try:
            batch = write_batch([claim], TRADING, self.numbers, created=CREATED).text
        except PtbillError:
            outcomes.append("837P refused")
        else:
            assert all(" " <= c <= "~" for c in batch), "the 837P holds a character outside the X12 set"
            assert len(list(read_segments(batch))) == batch.count("~"), "a value broke a segment"
            outcomes.append("837P written")
        try:
            render_cms1500([claim], draw_form=False)
        except PtbillError:
            outcomes.append("CMS-1500 refused")
        try:
            json.loads(claims_to_fhir_json([claim]))
        except PtbillError:
            outcomes.append("FHIR refused")
        return ", ".join(outcomes)


# --- X12 files ------------------------------------------------------------------------------------------


def hostile_x12(r: random.Random, text: str) -> str:
    """An X12 text with one to four elements or components replaced, digits swapped, or segments moved."""
    segments = text.split("~")
    for _ in range(r.randint(1, 4)):
        index = r.randrange(len(segments))
        segment = segments[index]
        kind = r.randrange(6)
        if kind == 4:
            segments.insert(r.randrange(len(segments) + 1), segment)
            continue
        if kind == 5 and len(segments) > 1:
            del segments[index]
            continue
        elements = segment.split("*")
        position = r.randrange(1, len(elements)) if len(elements) > 1 and not segment.lstrip().startswith("ISA") else 0
        if position == 0 and r.random() < 0.8:
            continue  # the ISA is fixed width: damage it rarely, the reader's header checks have their own tests
        components = elements[position].split(":")
        which = r.randrange(len(components))
        if kind == 0:
            components[which] = r.choice(X12_VALUES)
        elif kind == 1:
            components[which] = _other_digits(components[which], r)
        elif kind == 2:
            components[which] = _insert(components[which], r)
        else:
            components[which] = r.choice(["9" * r.choice([19, 4301, 5000]), "", "-", "0", components[which] * 2])
        elements[position] = ":".join(components)
        segments[index] = "*".join(elements)
    return "~".join(segments)


def _837p_bases() -> list[str]:
    names = [
        "stupidedi/837P_005010X222A1/commercial-health-insurance.edi",
        "stupidedi/837P_005010X222A1/COB-claim-from-billing-provider-to-payer-b.edi",
        "imsweb/837P_5010_negative/x12_valid.txt",
    ]
    found = [(SAMPLES / n).read_text(encoding="ascii") for n in names if (SAMPLES / n).is_file()]
    encounter = parse_encounter((ROOT / "examples" / "medicare-lumbar-traction-clean.json").read_bytes())
    claim = build_claim(encounter, check_encounter(encounter).claim_lines, default_catalog())
    numbers = ControlNumbers(":memory:")
    try:
        return [write_batch([claim], TRADING, numbers, created=CREATED).text, *found]
    finally:
        numbers.close()


def _835_bases() -> list[str]:
    from tests.unit.remittance.synthetic_835 import medicare_remittance

    names = [
        "stupidedi/835_005010X221A1/dollars-and-data-sent-together.edi",
        "stupidedi/835_005010X221A1/secondary-payments.edi",
        "edi-835-parser/emedny_sample.txt",
    ]
    found = [(SAMPLES / n).read_text(encoding="ascii") for n in names if (SAMPLES / n).is_file()]
    return [medicare_remittance(), *found]


BASES_837P = _837p_bases()
BASES_835 = _835_bases()


def _read_claims(data: bytes, chunk_size: int) -> int:
    claims = 0
    for transaction in read_837p(data, chunk_size=chunk_size):
        for problem in transaction.all_problems():
            assert isinstance(problem, X12Error)
            assert str(problem)
        for parsed in transaction.claims:
            assert parsed.claim is not None or parsed.problems  # a missing Claim always comes with its reasons
            if parsed.claim is not None:
                assert parsed.claim.lines == parsed.lines
                claims += 1
    return claims


def _check_envelopes(data: bytes, chunk_size: int) -> int:
    problems = check_envelopes(data, chunk_size=chunk_size)
    assert all(str(problem) for problem in problems)
    return len(problems)


def run_837p(data: str | bytes, chunk_size: int = 1 << 16) -> str:
    """Both 837P readers to the end, touching every result as a caller would; only X12Error may escape them."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    outcomes = []
    for read, found, none in (
        (_read_claims, "claims read", "no claim read"),
        (_check_envelopes, "envelope problems", "envelopes clean"),
    ):
        try:
            outcomes.append(found if read(raw, chunk_size) else none)
        except X12Error as stopped:
            outcomes.append(f"stopped: {type(stopped).__name__}" if str(stopped) else "stopped without a message")
    return ", ".join(outcomes)


def run_835(data: str | bytes) -> str:
    """The 835 reader, balancing and denial classification; only RemittanceFormatError may come out.

    A reader bug wrapped as an "internal error" fails too.
    """
    try:
        remittances = list(read_835(data))
    except RemittanceFormatError as refused:
        refusal, remittances = str(refused) or "(empty message)", []
    else:
        refusal = ""
    assert "internal error" not in refusal, refusal
    for remittance in remittances:
        balance_problems(remittance)
        for claim in remittance.claims:
            classify(claim)
            classify_each(claim)
    return "refused" if refusal else "read"


def hostile_837p(r: random.Random) -> str:
    return hostile_x12(r, r.choice(BASES_837P))


def hostile_835(r: random.Random) -> str:
    return hostile_x12(r, r.choice(BASES_835))


Generate = Callable[[random.Random], str]
Run = Callable[[str], str]


def targets(numbers: ControlNumbers) -> dict[str, tuple[Generate, Run]]:
    """Each fuzz target by name: how its inputs are made and what reads them."""
    return {
        "encounter": (hostile_encounter, EncounterTarget(numbers)),
        "837p": (hostile_837p, run_837p),
        "835": (hostile_835, run_835),
    }
