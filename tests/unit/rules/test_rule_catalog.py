"""Every stable id of spec/rule-ids.md has a check, a firing case and a quiet case; docs/rules.md is current."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from ptbill.rules.catalog_doc import SPEC_EXTRAS, rules_markdown
from ptbill.rules.registry import all_rules

ROOT = Path(__file__).resolve().parents[3]
SPEC = ROOT.parent / "shared" / "spec" / "rule-ids.md"
CASES = ROOT / "tests" / "rule_cases"


def spec_ids() -> set[str]:
    return set(re.findall(r"^\| `([A-Z0-9_]+)` \|", SPEC.read_text(), flags=re.MULTILINE))


def case_files() -> dict[str, list[dict[str, object]]]:
    found: dict[str, list[dict[str, object]]] = {}
    for path in CASES.rglob("*.yaml"):
        data = yaml.safe_load(path.read_text())
        found.setdefault(data["rule"], []).extend(data["cases"])
    return found


@pytest.mark.skipif(not SPEC.exists(), reason="shared/spec is not beside the checkout")
def test_every_spec_id_has_a_registered_check() -> None:
    registered = {r.id for r in all_rules()}
    assert spec_ids() - registered == set()
    assert registered - spec_ids() <= SPEC_EXTRAS


def test_every_rule_fires_in_a_case_and_stays_quiet_in_another() -> None:
    cases = case_files()
    for registered in all_rules():
        mine = cases.get(registered.id, [])
        assert any(not c.get("quiet") for c in mine), f"{registered.id} has no case where it fires"
        assert any(c.get("quiet") for c in mine), f"{registered.id} has no case where it stays quiet"


def test_case_files_are_named_after_their_check_function() -> None:
    functions = {r.id: r.function_name for r in all_rules()}
    for path in CASES.rglob("*.yaml"):
        rule_id = yaml.safe_load(path.read_text())["rule"]
        assert path.stem == functions[rule_id], f"{path} holds {rule_id}, whose check is {functions[rule_id]}"


def test_every_rule_has_a_source_a_fix_and_a_plain_title() -> None:
    for registered in all_rules():
        assert registered.source, registered.id
        assert registered.fix, registered.id
        assert registered.title, registered.id


def test_docs_rules_md_is_generated_from_the_registry() -> None:
    assert (ROOT / "docs" / "rules.md").read_text() == rules_markdown(), "run: ptbill rules --markdown > docs/rules.md"
