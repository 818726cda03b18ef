"""The engine's rule plan per note shape skips only rules that could report nothing: a differential run.

Notes of many shapes (every scenario, on many payers and days, with the parts the facts of ``registry.FACTS``
test removed or changed, and with and without what the app knows beside the note) are checked twice: through the
plan for their shape and with every rule in force. The reports must be the same; a rule that declares a fact it
can fire without fails here (the rule cases run both ways too, in ``tests/rule_case_plugin.py``).
"""

from __future__ import annotations

import ast
import copy
import json
import random
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from ptbill.domain.chart import CertifiedPlan, NoteSignatures, NoteState
from ptbill.domain.eligibility import EligibilityOnFile
from ptbill.domain.encounter_json import encounter_from_dict
from ptbill.domain.finding import Severity
from ptbill.domain.same_day import SameDayService
from ptbill.reference.catalog import default_catalog
from ptbill.rules import checks
from ptbill.rules.engine import ClinicContext, build_context, check_encounter
from ptbill.rules.registry import CREDENTIAL_FACTS, EVERY_FACT, FACTS, NOTE_TYPE_FACTS, all_rules, note_shape

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
NOTE_TYPES = ["daily_note", "initial_evaluation", "re_evaluation", "progress_report", "discharge_summary"]
CREDENTIALS = ["PT", "PTA", "OT", "OTA", "SLP"]


def _mutations(document: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """The document with a random handful of the parts the facts read removed or changed."""
    d = copy.deepcopy(document)
    if rng.random() < 0.5:
        d["note_type"] = rng.choice(NOTE_TYPES)
    if rng.random() < 0.3:
        d["rendering_provider"]["credential"] = rng.choice(CREDENTIALS)
    if rng.random() < 0.3:
        d.pop("plan_of_care", None)
    if rng.random() < 0.3:
        d["coverage"].pop("authorization", None)
    services = d["services"]
    if rng.random() < 0.3:
        for service in services:
            service["modifiers"] = []
    if rng.random() < 0.25:
        for service in services:
            service.pop("traction", None)
            if service["code"] == "97012":
                service["code"] = rng.choice(["97110", "97140", "97035"])
    for service in services:
        traction = service.get("traction")
        if traction is not None and rng.random() < 0.5:
            for key in rng.sample(
                ["device_type", "body_region", "force_lbs", "mode", "angle_deg", "monitoring_checks"], 2
            ):
                traction.pop(key, None)
            if rng.random() < 0.4:
                traction["device_type"] = rng.choice(["manual", "decompression_table"])
        if rng.random() < 0.2:
            service.pop(rng.choice(["patient_response", "clinical_justification", "start_time"]), None)
    authorization = d["coverage"].get("authorization")
    if authorization is not None and rng.random() < 0.4:
        authorization["visits_approved"], authorization["visits_used"] = rng.choice([(6, 6), (6, 4), (12, 1)])
    if rng.random() < 0.2 and services:
        services[0]["modifiers"] = [*services[0].get("modifiers", []), rng.choice(["59", "XS", "GA", "ZZ", "GY"])]
    if rng.random() < 0.2:
        d["diagnoses"] = rng.sample(["M54.5", "M51.16", "S13.4XXA", "Z99.99", "M54.12"], 2)
    if rng.random() < 0.15:  # template blanks (NOTE_TEMPLATE_BLANK)
        d["assessment"] = rng.choice(["Pain ___/10 after traction.", "Tolerated well."])
        if services:
            services[-1]["patient_response"] = "Reports ___ relief."
    if rng.random() < 0.15:  # text a claim must transliterate or cannot carry (CLAIM_TEXT_NOT_TRANSLITERABLE)
        d["patient"]["last_name"] = rng.choice(["Muñoz-Peña", "王芳", "O\u2019Brien"])
        d["coverage"]["member_id"] = rng.choice(["1EG4TE5MK73", "1EG4\u0663TE5MK73"])
    d["date_of_service"] = (date(2024, 1, 2) + timedelta(days=rng.randrange(1000))).isoformat()
    return d


def _beside(rng: random.Random, day: date, codes: list[str]) -> dict[str, Any]:
    """What the app may know beside the note: a clock, same-day services, an eligibility answer, the chart."""
    kwargs: dict[str, Any] = {}
    if rng.random() < 0.4:
        kwargs["today"] = day + timedelta(days=rng.choice([-3, 0, 30, 200, 400]))
    if rng.random() < 0.3 and codes:
        npi = rng.choice(["1234567893", "1245319599"])
        kwargs["same_day"] = [SameDayService("other-note", rng.choice(codes), rng.randint(1, 3), npi, ())]
    if rng.random() < 0.5:
        kwargs["clinic"] = ClinicContext(
            eligibility=EligibilityOnFile(
                received_on=day - timedelta(days=rng.choice([1, 60])),
                asked_for=day,
                status=rng.choice(["active", "inactive"]),
                visits_remaining=rng.choice([None, 0, 5]),
                prior_auth_required=rng.choice([None, True]),
            )
            if rng.random() < 0.5
            else None,
            visits_this_week=(day - timedelta(days=1), day - timedelta(days=2)) if rng.random() < 0.5 else None,
            certified_plan=CertifiedPlan("the plan of care on the chart", day - timedelta(days=20), day, None, 1)
            if rng.random() < 0.5
            else None,
            signatures=NoteSignatures(rng.choice(list(NoteState))) if rng.random() < 0.5 else None,
        )
    return kwargs


def _cases(count: int, seed: int = 19) -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    rng = random.Random(seed)
    scenarios = sorted(SCENARIOS.glob("*.json"))
    payers = [*sorted(default_catalog().payers()), "no-such-payer"]
    cases = []
    for number in range(count):
        path = scenarios[number % len(scenarios)]
        document = _mutations(json.loads(path.read_text(encoding="utf-8")), rng)
        document["coverage"]["payer"] = rng.choice(payers)
        day = date.fromisoformat(document["date_of_service"])
        kwargs = _beside(rng, day, [s["code"] for s in document["services"]])
        cases.append((f"{path.stem}-{number}", document, kwargs))
    return cases


def test_every_rule_names_known_facts_and_the_plan_keeps_the_rest() -> None:
    assert all(r.needs & ~EVERY_FACT == 0 for r in all_rules())
    assert sum(1 for r in all_rules() if r.needs) >= 30  # the plan skips something on an ordinary note


def test_the_planned_run_gives_every_rule_s_report_on_notes_of_many_shapes() -> None:
    catalog = default_catalog()
    shapes: set[int] = set()
    fired: set[str] = set()
    for name, document, kwargs in _cases(600):
        try:
            encounter = encounter_from_dict(document, name)
        except ValueError:
            continue  # a mutation the format refuses (the refusal has its own tests)
        planned = check_encounter(encounter, catalog, **kwargs)
        every = check_encounter(encounter, catalog, **kwargs, every_rule=True)
        assert planned.to_json() == every.to_json(), name
        assert planned.units == every.units
        fired.update(f.rule for f in every.findings)
        shapes.add(note_shape(build_context(encounter, catalog, **kwargs)))
    # The run is broad: many shapes, and most facts both held and lacked somewhere.
    assert len(shapes) >= 40
    skippable = {r.id for r in all_rules() if r.needs}
    assert len(fired & skippable) >= 35, sorted(skippable - fired)


@pytest.mark.parametrize("fact", sorted(FACTS))
def test_each_fact_is_a_boolean_of_the_context(fact: str) -> None:
    catalog = default_catalog()
    name, document, _kwargs = _cases(1)[0]
    context = build_context(encounter_from_dict(document, name), catalog)
    assert isinstance(FACTS[fact](context), bool)


def test_the_shape_is_every_fact_tested_one_by_one() -> None:
    """``note_shape`` tests the facts of ``NOTE_TYPE_FACTS`` once per note type, and those of ``CREDENTIAL_FACTS``
    once per credential: each must read the type, or the credential, alone."""
    catalog = default_catalog()
    by_type: dict[object, dict[str, bool]] = {}
    by_credential: dict[object, dict[str, bool]] = {}
    for name, document, kwargs in _cases(300, seed=23):
        try:
            context = build_context(encounter_from_dict(document, name), catalog, **kwargs)
        except ValueError:
            continue
        one_by_one = sum(1 << position for position, test in enumerate(FACTS.values()) if test(context))
        assert note_shape(context) == one_by_one, name
        facts = {fact: FACTS[fact](context) for fact in NOTE_TYPE_FACTS}
        assert by_type.setdefault(context.encounter.note_type, facts) == facts, name
        facts = {fact: FACTS[fact](context) for fact in CREDENTIAL_FACTS}
        credential = context.encounter.rendering_provider.credential
        assert by_credential.setdefault(credential, facts) == facts, name
    assert len(by_type) == len(NOTE_TYPES)
    assert len(by_credential) == len(CREDENTIALS)


def test_the_claim_path_s_run_gives_the_same_errors_and_claim_lines() -> None:
    """``blocking_only`` (what ``ptbill claim`` and the claim builder run) leaves out the checks that cannot
    report an error on the payer's day: the errors, in order, and the claim lines must be the full run's. (The
    rule cases run it too, in ``tests/rule_case_plugin.py``: they hold the checks whose hits rise to an error past
    a deadline, which these random notes do not reach.)"""
    catalog = default_catalog()
    errors: set[str] = set()
    for name, document, kwargs in _cases(600, seed=23):
        try:
            encounter = encounter_from_dict(document, name)
        except ValueError:
            continue
        every = check_encounter(encounter, catalog, **kwargs)
        claim_path = check_encounter(encounter, catalog, **kwargs, blocking_only=True)
        wanted = [f.to_json() for f in every.findings if f.severity is Severity.ERROR]
        assert [f.to_json() for f in claim_path.findings if f.severity is Severity.ERROR] == wanted, name
        assert claim_path.claim_lines == every.claim_lines, name
        errors.update(f.rule for f in every.findings if f.severity is Severity.ERROR)
    assert len(errors) >= 25, sorted(errors)  # the run is broad


def _sets_severity(function: ast.FunctionDef) -> bool:
    """The check builds a hit with its own severity (``Hit(..., severity=...)`` or ``lines_hit(..., severity=...)``)."""
    return any(
        isinstance(node, ast.Call)
        and getattr(node.func, "id", None) in {"Hit", "lines_hit"}
        and (any(k.arg == "severity" for k in node.keywords) or len(node.args) >= 6)
        for node in ast.walk(function)
    )


def test_every_check_that_sets_a_hit_s_severity_is_marked_rises() -> None:
    """The claim path runs a check whose usual severity is not an error only when it is marked ``rises``."""
    rises = {r.function_name for r in all_rules() if r.rises}
    setting = set()
    for path in sorted((Path(checks.__file__).parent).glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        setting |= {f.name for f in ast.walk(tree) if isinstance(f, ast.FunctionDef) and _sets_severity(f)}
    assert setting, "the scan finds the checks that set a severity"
    assert setting <= rises, sorted(setting - rises)
