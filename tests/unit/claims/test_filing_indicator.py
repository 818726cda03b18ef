"""The claim filing indicator is a dated payer parameter whose default comes from the payer type: the 837P
SBR09 and the CMS-1500's item 1 follow it, and pyx12 accepts every one."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import pytest

from ptbill.claims.build import build_claim
from ptbill.claims.cms1500.form import program_box
from ptbill.claims.x12_837p.writer import Trading, write_batch
from ptbill.domain.claim import Claim
from ptbill.domain.encounter_json import parse_encounter
from ptbill.domain.vocabulary import ClaimFilingIndicator, PayerType
from ptbill.reference.catalog import default_catalog
from ptbill.rules.engine import check_encounter
from ptbill.x12.control_numbers import ControlNumbers
from tests.pyx12_check import pyx12_errors

ROOT = Path(__file__).resolve().parents[3]
CLEAN = ROOT / "examples" / "medicare-lumbar-traction-clean.json"
TRADING = Trading("PTBILL01", "Harbor Physical Therapy", "Billing Office", "8055550100", "CLEARHOUSE", "Clearinghouse")
WHEN = datetime(2026, 3, 3, 10, 30)

# One shipped payer of each kind, the code its claims are filed under, and item 1's box.
BY_PAYER = [
    ("ca-medicare-south", PayerType.MEDICARE, "MB", "medicare"),
    ("united-health-care-oh-medicaid", PayerType.MEDICAID, "MC", "medicaid"),
    ("bardavon-health-innovations", PayerType.WORKERS_COMP, "WC", "other"),
    ("optum-vaccn-regions-1-2-3", PayerType.VA_CCN, "VA", "other"),
    ("fl-bcbs", PayerType.COMMERCIAL, "BL", "other"),  # a Blue Cross plan says so in its own folder
    ("aetna", PayerType.COMMERCIAL, "CI", "other"),
]


def claim_for_payer(payer_id: str) -> Claim:
    encounter = parse_encounter(CLEAN.read_bytes(), CLEAN.name)
    encounter = encounter.replace(coverage=encounter.coverage.replace(payer=payer_id, authorization=None))
    report = check_encounter(encounter)
    return build_claim(encounter, report.claim_lines, default_catalog())


@pytest.mark.parametrize(("payer_id", "payer_type", "code", "box"), BY_PAYER, ids=[p[2] for p in BY_PAYER])
def test_sbr09_follows_the_payer_type_and_pyx12_accepts_it(
    payer_id: str, payer_type: PayerType, code: str, box: str, tmp_path: Path
) -> None:
    payer = default_catalog().payer(payer_id)
    assert payer is not None
    assert payer.type is payer_type
    claim = claim_for_payer(payer_id)
    assert claim.payer.filing_indicator == code
    text = write_batch([claim], TRADING, ControlNumbers(tmp_path / "numbers.sqlite3"), created=WHEN).text
    sbr = re.search(r"~SBR\*([^~]*)~", text)
    assert sbr is not None
    assert sbr.group(1).split("*")[8] == code
    assert pyx12_errors(text) == []
    assert program_box(claim.payer.filing_indicator) == box


def test_a_clinic_can_change_a_payers_filing_indicator_from_a_date() -> None:
    snapshot = default_catalog().snapshot("aetna", datetime(2026, 3, 2).date())
    changed = snapshot.with_overrides({"claims.filing_indicator": "HM"})
    assert snapshot.choice("claims.filing_indicator") == "CI"
    assert changed.choice("claims.filing_indicator") == ClaimFilingIndicator.HMO


def test_a_filing_indicator_outside_the_code_list_is_refused() -> None:
    from ptbill.reference.declarations import InvalidValueError, declared

    with pytest.raises(InvalidValueError, match="must be one of"):
        declared("claims.filing_indicator").parse("XX")
