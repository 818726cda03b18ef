"""The checks' quick passes read what their full passes read.

Several checks answer the usual note (nothing wrong) from per-note facts the context works out once
(``CheckContext.service_infos``, ``documented_minutes``, ``modifiers_used``, ``normalized_diagnoses``, the billed
units) or from one test of all the note's text, and only then walk the note naming what is wrong. These tests hold
each fact equal to what it stands for, over notes of many shapes, so a quick pass can never skip a finding the full
pass would make; the rule cases and ``test_rule_plan_shapes`` check the findings themselves.
"""

from __future__ import annotations

import json
from datetime import date
from itertools import chain
from pathlib import Path

import pytest

from ptbill.domain.encounter import normalize_diagnosis
from ptbill.domain.encounter_json import encounter_from_dict
from ptbill.reference.catalog import default_catalog
from ptbill.reference.icd10 import CodeStatus, normalize_code
from ptbill.rules.checks.claim_text import _identifiers, _names_and_addresses, _texts
from ptbill.rules.context import CheckContext
from ptbill.rules.engine import build_context, check_encounter
from tests.unit.rules.test_rule_plan_shapes import _cases

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


def _contexts(count: int) -> list[CheckContext]:
    catalog, contexts = default_catalog(), []
    for name, document, kwargs in _cases(count, seed=29):
        try:
            encounter = encounter_from_dict(document, name)
        except ValueError:
            continue  # a mutation the format refuses
        contexts.append(build_context(encounter, catalog, **kwargs))
    return contexts


def test_the_context_s_per_note_facts_are_what_they_stand_for() -> None:
    for context in _contexts(300):
        services = context.encounter.services
        assert context.service_infos == tuple(context.code_info(s.code) for s in services)
        assert context.documented_minutes == tuple(s.documented_minutes for s in services)
        assert context.modifiers_used == {m for s in services for m in s.modifiers}
        assert context.normalized_diagnoses == tuple(normalize_diagnosis(d) for d in context.encounter.diagnoses)
        assert context.traction_services == tuple((i, s) for i, s in enumerate(services) if context.is_traction(s.code))
        assert [(g.code, g.service_indexes) for g in context.groups] == [
            (code, [i for i, s in enumerate(services) if s.code == code])
            for code in dict.fromkeys(s.code for s in services)
        ]
        for group in context.groups:
            stated = [services[i].units for i in group.service_indexes]
            expected = (
                sum(u for u in stated if u is not None) if None not in stated else context.computed_units(group.code)
            )
            assert context.billed_units(group.code) == expected
        assert context.billed_units("00000") == 0


def _claim_texts(name: str, document: dict[str, object]) -> None:
    encounter = encounter_from_dict(document, name)
    named = chain(_names_and_addresses(encounter), _identifiers(encounter))
    assert sorted(v for v in _texts(encounter) if v) == sorted(v for _, v in named if v), name


@pytest.mark.parametrize("scenario", sorted(p.stem for p in SCENARIOS.glob("*.json")))
def test_the_claim_text_quick_pass_reads_the_fields_the_full_pass_names(scenario: str) -> None:
    document = json.loads((SCENARIOS / f"{scenario}.json").read_text(encoding="utf-8"))
    _claim_texts(scenario, document)
    # Every optional part present, with an address each: the subscriber's, and the providers the note may omit.
    address = {"line1": "1 Elm St", "line2": "Suite 2", "city": "Ojai", "state": "CA", "zip": "93023"}
    document["coverage"]["subscriber"] = {
        "first_name": "Ana",
        "last_name": "Ruiz",
        "birth_date": "1960-01-02",
        "sex": "F",
        "address": address,
    }
    document["coverage"]["group_number"] = "G-17"
    document["coverage"]["authorization"] = {"number": "A-9"}
    document["patient"]["address"] = address
    document["supervising_provider"] = {"name": "Sam Park", "npi": "1093817462", "credential": "PT"}
    document["referring_provider"] = {"name": "Alan Cho", "npi": "1528060639"}
    _claim_texts(f"{scenario} with every part", document)


def test_a_name_outside_the_character_set_in_any_part_is_found() -> None:
    document = json.loads((SCENARIOS / "medicare-lumbar-clean.json").read_text(encoding="utf-8"))
    document["referring_provider"]["name"] = "王芳"
    report = check_encounter(encounter_from_dict(document, "referrer"), default_catalog())
    assert [f.field for f in report.findings if f.rule == "CLAIM_TEXT_NOT_TRANSLITERABLE"] == [
        "referring_provider.name"
    ]


def test_a_code_set_s_remembered_status_is_its_status() -> None:
    """``CodeSetVersion.status`` keeps each code's answer as spelled: asked again, it answers the same."""
    version, _ = default_catalog().icd10_for(date(2026, 3, 2))
    assert version is not None
    for code in ["M54.16", "m5416", " M54.5 ", "M54.5", "Z99.99", "M54.", "", "M54.16", "m5416"]:
        first = version.status(code)
        assert version.status(code) is first
        key = normalize_code(code)
        expected = (
            CodeStatus.BILLABLE
            if key in version.billable_codes
            else CodeStatus.HEADER
            if key in version.header_codes
            else CodeStatus.UNKNOWN
        )
        assert first is expected, code
