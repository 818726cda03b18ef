"""Findings a person can act on: one problem of the visit is reported once, naming every line it
touches; every source is a public document a clinic can open; therapist-facing words hold no shell
command and no claim-format jargon."""

from __future__ import annotations

import copy
import json
import re
from collections import Counter
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from ptbill.domain.encounter_json import encounter_from_dict
from ptbill.domain.finding import Finding
from ptbill.reference.catalog import default_catalog
from ptbill.reference.modifiers import ModifierCodeSet
from ptbill.rules.engine import CheckReport, check_encounter
from ptbill.rules.registry import all_rules

ROOT = Path(__file__).resolve().parents[3]
SCENARIOS = ROOT / "tests" / "scenarios"
# What the product must never send a clinic to: the project's own notebook and specs.
NOTEBOOK = re.compile(r"facts\.md|shared/|spec/|rule-ids\.md|encounter-format\.md|/work/")
SHELL = re.compile(r"ptbill [a-z]+|python -m|\.venv|`|--[a-z]")
JARGON = re.compile(r"\bloop \d{4}|\bSV1\d\d|\bHI\d\d\b|\bNM1\b|\bCLM\d|validator|\bTR3\b")


def scenario(name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((SCENARIOS / f"{name}.json").read_text())
    return copy.deepcopy(document)


def check(document: dict[str, Any]) -> CheckReport:
    return check_encounter(encounter_from_dict(document), today=date(2026, 3, 2))


def only(report: CheckReport, rule: str) -> list[Finding]:
    return [f for f in report.findings if f.rule == rule]


def _no_modifiers(d: dict[str, Any]) -> None:
    for service in d["services"]:
        service["modifiers"] = []


def _past_kx_threshold(d: dict[str, Any]) -> None:
    d["coverage"]["therapy_charges_ytd"] = 2479.00


def _unpointed(d: dict[str, Any]) -> None:
    for service in d["services"]:
        service["diagnosis_pointers"] = []


def _fewer_diagnoses(d: dict[str, Any]) -> None:
    d["diagnoses"] = ["M51.16"]
    for service in d["services"]:
        service["diagnosis_pointers"] = [2]


def _ot_billed_as_pt(d: dict[str, Any]) -> None:
    d["rendering_provider"]["credential"] = "OT"


DAMAGE: dict[str, Callable[[dict[str, Any]], None]] = {
    "every line without a modifier": _no_modifiers,
    "past the KX threshold": _past_kx_threshold,
    "no line points to a diagnosis": _unpointed,
    "every line points past the diagnosis list": _fewer_diagnoses,
    "an OT's visit billed with GP": _ot_billed_as_pt,
}


@pytest.mark.parametrize("damage", list(DAMAGE), ids=list(DAMAGE))
@pytest.mark.parametrize("name", ["medicare-lumbar-clean", "medicare-lumbar-pta-cq"])
def test_a_visits_problem_is_reported_once_whatever_the_number_of_lines(name: str, damage: str) -> None:
    document = scenario(name)
    DAMAGE[damage](document)
    report = check(document)
    per_visit = {r.id for r in all_rules() if r.per_visit}
    counts = Counter(f.rule for f in report.findings)
    assert {rule: n for rule, n in counts.items() if rule in per_visit and n > 1} == {}
    assert len({(f.rule, f.message) for f in report.findings}) == len(report.findings)


def test_gp_missing_on_every_line_is_one_finding_naming_the_three_codes() -> None:
    document = scenario("medicare-lumbar-clean")
    _no_modifiers(document)
    [finding] = only(check(document), "MODIFIER_GP_MISSING")
    assert finding.services == (0, 1, 2)
    assert finding.message == "97012, 97110 and 97140 have no GP modifier."
    assert finding.to_json()["services"] == [0, 1, 2]


def test_kx_past_the_threshold_is_one_finding_for_the_visit() -> None:
    document = scenario("medicare-lumbar-clean")
    _past_kx_threshold(document)
    report = check(document)
    [finding] = only(report, "MODIFIER_KX_MISSING")
    lines_without_kx = [i for line in report.claim_lines if "KX" not in line.modifiers for i in line.service_indexes]
    assert set(finding.services) == set(lines_without_kx)
    assert len(finding.services) > 1


def test_a_pta_visit_without_cq_is_one_finding_and_a_single_line_keeps_its_field() -> None:
    document = scenario("medicare-lumbar-pta-cq")
    for service in document["services"]:
        service["modifiers"] = ["GP"]
    [finding] = only(check(document), "MODIFIER_CQ_MISSING")
    assert finding.services == (0, 1, 2)
    document = scenario("medicare-lumbar-pta-cq")
    document["services"][2]["modifiers"] = ["GP"]
    [finding] = only(check(document), "MODIFIER_CQ_MISSING")
    assert (finding.service, finding.field, finding.to_json()["services"]) == (2, "services[2].modifiers", [2])


def test_a_finding_about_the_whole_encounter_names_no_line() -> None:
    document = scenario("medicare-lumbar-clean")
    document["plan_of_care"] = None
    [finding] = only(check(document), "POC_MISSING")
    assert finding.to_json()["services"] == []


def test_every_rules_source_is_a_public_document_with_its_address() -> None:
    for registered in all_rules():
        source = registered.source
        assert not NOTEBOOK.search(source), f"{registered.id} cites {source}"
        payers_own = source.startswith(("the payer's", "the clinic's", "the authorization's"))
        assert "https://" in source or payers_own, f"{registered.id}: no address a clinic can open: {source}"


def test_docs_rules_md_cites_no_file_outside_the_product() -> None:
    text = (ROOT / "docs" / "rules.md").read_text()
    assert not NOTEBOOK.search(text)


def test_every_shipped_parameter_and_modifier_cites_a_source_outside_the_project() -> None:
    catalog = default_catalog()
    for payer in catalog.payers():
        for name in catalog.snapshot(payer, date(2026, 3, 2)).names():
            for definition in catalog.parameter_history(payer, name):
                for dated in definition.values:
                    assert not NOTEBOOK.search(dated.reference), f"{payer} {name}: {dated.reference}"
    for modifier in ModifierCodeSet.default().modifiers.values():
        assert not NOTEBOOK.search(modifier.source), modifier.code


def test_therapist_facing_words_hold_no_command_and_no_claim_format_jargon() -> None:
    for registered in all_rules():
        for text in (registered.title, registered.fix):
            assert not SHELL.search(text), f"{registered.id}: {text}"
            assert not JARGON.search(text), f"{registered.id}: {text}"
        assert not JARGON.search(registered.source), f"{registered.id}: {registered.source}"
    damaged = []
    for name in ("medicare-lumbar-clean", "medicare-lumbar-pta-cq", "medicare-shoulder-ot-clean"):
        for damage in DAMAGE.values():
            document = scenario(name)
            damage(document)
            damaged.append(check(document))
    for report in damaged:
        for finding in report.findings:
            for text in (finding.message, finding.fix):
                assert not SHELL.search(text), f"{finding.rule}: {text}"
                assert not JARGON.search(text), f"{finding.rule}: {text}"
