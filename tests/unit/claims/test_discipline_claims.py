"""Claims payers accept for every discipline: a PTA's Medicare visit is billed under the supervising PT
with CQ on its lines, an OT's with GO and the OT taxonomy; pyx12 judges both clean. A claim that would be
rejected (an assistant with no supervisor, a modifier outside the code list) is refused before any X12.
"""

from __future__ import annotations

import copy
import io
import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pdfplumber
import pytest

from ptbill.claims.build import ClaimBuildError, build_claim
from ptbill.claims.cms1500 import page_values, paginate, render_cms1500
from ptbill.claims.x12_837p.writer import Trading, write_batch
from ptbill.domain.claim import Claim
from ptbill.domain.claim_line import ClaimLine
from ptbill.domain.encounter_json import encounter_from_dict
from ptbill.reference.catalog import default_catalog
from ptbill.rules.engine import check_encounter
from ptbill.x12.control_numbers import ControlNumbers
from tests.pyx12_check import pyx12_errors

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
TRADING = Trading("PTBILL01", "Harbor Physical Therapy", "Billing Office", "8055550100", "CLEARHOUSE", "Clearinghouse")
WHEN = datetime(2026, 3, 3, 10, 30)
PTA_NPI = "1003000126"
SUPERVISING_PT_NPI = "1093817462"


def scenario(name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((SCENARIOS / f"{name}.json").read_text())
    return copy.deepcopy(document)


def checked_claim(document: dict[str, Any]) -> Claim:
    encounter = encounter_from_dict(document)
    report = check_encounter(encounter)
    assert report.verdict.value == "ready", [(f.rule, f.message) for f in report.findings]
    return build_claim(encounter, report.claim_lines, default_catalog())


def x12(claim: Claim, tmp_path: Path) -> str:
    return write_batch([claim], TRADING, ControlNumbers(tmp_path / "numbers.sqlite3"), created=WHEN).text


def segments(text: str, name: str) -> list[list[str]]:
    return [s.split("*") for s in text.split("~") if s.strip().startswith(name + "*")]


def test_a_medicare_pta_claim_names_the_supervising_pt_as_rendering_with_cq_and_pyx12_accepts_it(
    tmp_path: Path,
) -> None:
    claim = checked_claim(scenario("medicare-lumbar-pta-cq"))
    assert claim.rendering_provider.npi == SUPERVISING_PT_NPI
    assert claim.rendering_provider.taxonomy == "225100000X"  # the PT's, not the PTA's 225200000X
    assert claim.supervising_provider is None
    assert all("CQ" in line.modifiers and "GP" in line.modifiers for line in claim.lines)
    text = x12(claim, tmp_path)
    assert pyx12_errors(text) == []
    rendering = [(s[3].upper(), s[4].upper(), s[8], s[9]) for s in segments(text, "NM1") if s[1] == "82"]
    assert rendering == [("REYES", "DANA", "XX", SUPERVISING_PT_NPI)]
    assert PTA_NPI not in text
    assert all("CQ" in s[1].split(":") for s in segments(text, "SV1"))


def test_the_pta_claims_paper_form_prints_the_supervising_pt_in_box_24j() -> None:
    claim = checked_claim(scenario("medicare-lumbar-pta-cq"))
    values = page_values(paginate(claim)[0])
    assert values["24J.1"] == SUPERVISING_PT_NPI
    assert values["24J.3"] == SUPERVISING_PT_NPI
    with pdfplumber.open(io.BytesIO(render_cms1500([claim]))) as pdf:
        text = pdf.pages[0].extract_text() or ""
    assert SUPERVISING_PT_NPI in text
    assert PTA_NPI not in text


def test_an_ot_claim_carries_go_and_the_ot_taxonomy_and_pyx12_accepts_it(tmp_path: Path) -> None:
    claim = checked_claim(scenario("medicare-shoulder-ot-clean"))
    assert claim.rendering_provider.taxonomy == "225X00000X"
    text = x12(claim, tmp_path)
    assert pyx12_errors(text) == []
    assert [s[1] for s in segments(text, "SV1")] == ["HC:97530:GO", "HC:97110:GO", "HC:97535:GO"]
    assert ["PRV", "PE", "PXC", "225X00000X"] in segments(text, "PRV")


def test_an_otas_claim_is_billed_under_the_supervising_ot_with_co(tmp_path: Path) -> None:
    document = scenario("medicare-shoulder-ot-clean")
    document["rendering_provider"] = {"name": "Lee Park", "npi": PTA_NPI, "credential": "OTA"}
    document["supervising_provider"] = {"name": "Priya Nand", "npi": "1104025329", "credential": "OT"}
    for service in document["services"]:
        service["modifiers"] = ["GO", "CO"]
    claim = checked_claim(document)
    assert (claim.rendering_provider.npi, claim.rendering_provider.taxonomy) == ("1104025329", "225X00000X")
    text = x12(claim, tmp_path)
    assert pyx12_errors(text) == []
    assert PTA_NPI not in text


def test_a_pta_visit_without_a_supervising_pt_is_blocked_and_cannot_become_a_medicare_claim() -> None:
    document = scenario("medicare-lumbar-pta-cq")
    document["supervising_provider"] = None
    encounter = encounter_from_dict(document)
    report = check_encounter(encounter)
    assert report.verdict.value == "blocked"
    assert [f.rule for f in report.findings if f.severity.value == "error"] == ["ASSISTANT_WITHOUT_SUPERVISOR"]
    with pytest.raises(ClaimBuildError, match="supervising therapist"):
        build_claim(encounter, report.claim_lines, default_catalog())


def test_a_modifier_outside_the_code_list_never_reaches_an_837p() -> None:
    document = scenario("medicare-lumbar-clean")
    document["services"][1]["modifiers"] = ["GP", "ZZ"]
    encounter = encounter_from_dict(document)
    report = check_encounter(encounter)
    assert "MODIFIER_UNKNOWN" in {f.rule for f in report.findings if f.severity.value == "error"}
    # Even a caller that skips the verdict cannot build the claim.
    lines = [
        ClaimLine(line.code, line.modifiers, line.units, line.diagnosis_pointers, line.service_indexes)
        for line in report.claim_lines
    ]
    with pytest.raises(ClaimBuildError, match="ZZ"):
        build_claim(encounter, lines, default_catalog())
