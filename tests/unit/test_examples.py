"""Every example encounter, ours and the shared ones, gets the verdict it was written for."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from ptbill.domain.encounter_json import parse_encounter
from ptbill.rules.engine import check_encounter

ROOT = Path(__file__).resolve().parents[2]
OURS = ROOT / "examples"
SHARED = ROOT.parent / "shared" / "examples"
EXPECTED: dict[str, dict[str, object]] = yaml.safe_load((OURS / "expected-verdicts.yaml").read_text())
# The shared examples come without expectations; these are what their content calls for.
SHARED_EXPECTED = {
    "medicare-lumbar-traction-clean.json": {"verdict": "ready", "rules": []},
    "commercial-manual-traction-mistakes.json": {
        "verdict": "blocked",
        "rules": ["TRACTION_NOT_MECHANICAL", "TIME_NOT_DOCUMENTED", "JUSTIFICATION_MISSING"],
    },
    "medicare-cervical-traction-pta.json": {"verdict": "blocked", "rules": ["MODIFIER_CQ_MISSING"]},
}


def test_there_are_at_least_ten_examples_each_with_an_expectation() -> None:
    files = {p.name for p in OURS.glob("*.json")}
    assert len(files) >= 10
    assert files == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_our_example_gets_its_verdict(name: str) -> None:
    report = check_encounter(parse_encounter((OURS / name).read_bytes(), name))
    assert report.verdict.value == EXPECTED[name]["verdict"]
    assert {f.rule for f in report.findings if f.severity.value != "info"} == set(EXPECTED[name]["rules"])  # type: ignore[arg-type]


@pytest.mark.skipif(not SHARED.exists(), reason="shared/examples is not beside the checkout")
@pytest.mark.parametrize("name", sorted(SHARED_EXPECTED))
def test_shared_example_gets_its_verdict(name: str) -> None:
    report = check_encounter(parse_encounter((SHARED / name).read_bytes(), name))
    expected = SHARED_EXPECTED[name]
    assert report.verdict.value == expected["verdict"]
    assert set(expected["rules"]) <= {f.rule for f in report.findings}  # type: ignore[arg-type]


def test_the_clean_visit_raises_no_finding_of_any_rule() -> None:
    report = check_encounter(parse_encounter((OURS / "medicare-lumbar-traction-clean.json").read_bytes()))
    assert report.findings == ()
