"""Numbers in the 837P and 835 readers: ASCII digits only, bounded before they are converted, so a
5,000-digit element is a typed problem naming its segment, never Python's int-conversion ValueError."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from ptbill.claims.build import build_claim
from ptbill.claims.x12_837p.reader import read_837p
from ptbill.claims.x12_837p.writer import Trading, write_batch
from ptbill.domain.encounter_json import parse_encounter
from ptbill.domain.errors import RemittanceFormatError
from ptbill.reference.catalog import default_catalog
from ptbill.remittance.x12_835.reader import read_835
from ptbill.rules.engine import check_encounter
from ptbill.x12.control_numbers import ControlNumbers
from ptbill.x12.envelope import check_envelopes
from ptbill.x12.errors import X12Error
from tests.unit.remittance.synthetic_835 import medicare_remittance

ROOT = Path(__file__).resolve().parents[3]
HUGE = "9" * 5000


@pytest.fixture(scope="module")
def claim_file(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = ROOT / "examples" / "medicare-lumbar-traction-clean.json"
    encounter = parse_encounter(path.read_bytes())
    claim = build_claim(encounter, check_encounter(encounter).claim_lines, default_catalog())
    trading = Trading("PTBILL01", "Harbor PT", "Billing", "8055550100", "CLEARHOUSE", "Clearinghouse")
    numbers = ControlNumbers(tmp_path_factory.mktemp("numbers") / "n.sqlite3")
    return write_batch([claim], trading, numbers, created=datetime(2026, 3, 3, 10, 30)).text


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        ("LX*1~", f"LX*{HUGE}~", "LX01 line number '999"),
        ("UN*1***1:2~", "UN*1***1:" + HUGE + "~", "SV107 diagnosis pointer '999"),
        ("*UN*1*", f"*UN*{HUGE}*", "SV104 quantity '999"),
        ("*28.46*", f"*{HUGE}.46*", "SV102 line charge '999"),
        ("SE*34*", f"SE*{HUGE}*", "SE01 '999"),
        ("DTP*472*D8*20260302~", "DTP*472*D8*20260302" + "0" * 5000 + "~", "is not a date"),
    ],
)
def test_a_5000_digit_element_in_an_837p_is_a_problem_naming_its_segment(
    claim_file: str, old: str, new: str, problem: str
) -> None:
    assert old in claim_file
    data = claim_file.replace(old, new, 1).encode()
    problems = [str(p) for transaction in read_837p(data) for p in transaction.all_problems()]
    assert any(problem in p and p.startswith("segment ") for p in problems), problems
    assert all(len(p) < 300 for p in problems)  # a quoted value is clipped, never 5,000 characters
    assert all(isinstance(p, X12Error) for p in check_envelopes(data))


def clp_with_charge(charge: str) -> str:
    text = medicare_remittance()
    clp = next(s.strip() for s in text.split("~") if s.strip().startswith("CLP*PT1001*"))
    parts = clp.split("*")
    parts[3] = charge
    return text.replace(clp, "*".join(parts))


@pytest.mark.parametrize("charge", ["١٨٠", "18０", HUGE, "1" * 19])
def test_an_835_amount_in_other_digits_or_too_long_is_refused_naming_the_element(charge: str) -> None:
    with pytest.raises(RemittanceFormatError) as refused:
        list(read_835(clp_with_charge(charge)))
    assert refused.value.segment_id == "CLP"
    assert "CLP03" in str(refused.value)
    assert len(str(refused.value)) < 200


def test_an_835_date_in_other_digits_is_not_read_as_a_date() -> None:
    text = medicare_remittance().replace("DTM*405*20261118", "DTM*405*٢٠٢٦١١١٨")
    remittance = next(iter(read_835(text)))
    assert remittance.production_date is None
