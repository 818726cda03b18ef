"""The 837P writer: pyx12 judges every generated file clean; bad claims are refused with reasons."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from pathlib import Path

import pytest

from ptbill.claims.build import build_claim
from ptbill.claims.x12_837p.writer import ClaimRejectedError, Trading, write_batch
from ptbill.domain.claim import Claim, ClaimFrequency
from ptbill.domain.encounter_json import parse_encounter
from ptbill.reference.catalog import default_catalog
from ptbill.rules.engine import check_encounter
from ptbill.x12.control_numbers import ControlNumbers
from ptbill.x12.syntax import Delimiters
from tests.pyx12_check import pyx12_errors

ROOT = Path(__file__).resolve().parents[3]
EXAMPLES = sorted((ROOT / "examples").glob("*.json"))
TRADING = Trading("PTBILL01", "Harbor Physical Therapy", "Billing Office", "8055550100", "CLEARHOUSE", "Clearinghouse")
WHEN = datetime(2026, 3, 3, 10, 30)


def claim_for(path: Path) -> Claim:
    encounter = parse_encounter(path.read_bytes(), path.name)
    report = check_encounter(encounter)
    return build_claim(encounter, report.claim_lines, default_catalog())


@pytest.fixture
def numbers(tmp_path: Path) -> ControlNumbers:
    return ControlNumbers(tmp_path / "numbers.sqlite3")


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_each_example_encounter_makes_a_claim_pyx12_accepts(path: Path, numbers: ControlNumbers) -> None:
    batch = write_batch([claim_for(path)], TRADING, numbers, created=WHEN)
    assert pyx12_errors(batch.text) == []


def test_replacement_and_void_claims_carry_frequency_and_original_number(numbers: ControlNumbers) -> None:
    base = claim_for(ROOT / "examples" / "medicare-lumbar-traction-clean.json")
    replacement = dataclasses.replace(base, frequency=ClaimFrequency.REPLACEMENT, original_claim_number="2026061500123")
    void = dataclasses.replace(
        base, claim_id="EX-01-V", frequency=ClaimFrequency.VOID, original_claim_number="2026061500123"
    )
    batch = write_batch([replacement, void], TRADING, numbers, created=WHEN)
    assert pyx12_errors(batch.text) == []
    assert "CLM*EX-01*" in batch.text
    assert "*11:B:7*" in batch.text
    assert "*11:B:8*" in batch.text
    assert batch.text.count("REF*F8*2026061500123~") == 2


@pytest.mark.slow
def test_a_thousand_claim_batch_is_clean(numbers: ControlNumbers) -> None:
    claims = [claim_for(p) for p in EXAMPLES]
    many = [dataclasses.replace(claims[i % len(claims)], claim_id=f"C{i:05d}") for i in range(1000)]
    batch = write_batch(many, TRADING, numbers, created=WHEN)
    assert batch.text.count("CLM*") == 1000
    assert pyx12_errors(batch.text) == []


def test_more_than_the_transaction_limit_opens_another_transaction_set(numbers: ControlNumbers) -> None:
    claims = [dataclasses.replace(claim_for(EXAMPLES[0]), claim_id=f"C{i}") for i in range(7)]
    batch = write_batch(claims, TRADING, numbers, created=WHEN, claims_per_transaction=3)
    assert batch.text.count("ST*837*") == 3
    assert batch.text.count("ISA*") == 1
    assert "GE*3*" in batch.text
    assert pyx12_errors(batch.text) == []


def test_control_numbers_are_never_reused_after_a_restart(tmp_path: Path) -> None:
    claim = claim_for(EXAMPLES[0])
    first = write_batch([claim], TRADING, ControlNumbers(tmp_path / "n.sqlite3"), created=WHEN)
    again = write_batch([claim], TRADING, ControlNumbers(tmp_path / "n.sqlite3"), created=WHEN)  # a new process
    assert again.control_numbers.interchange == first.control_numbers.interchange + 1
    assert again.control_numbers.groups[0] == first.control_numbers.groups[0] + 1
    assert set(again.control_numbers.transactions).isdisjoint(first.control_numbers.transactions)
    assert f"*{again.control_numbers.interchange:09d}*0*P*:~" in again.text


def test_delimiters_are_configurable(numbers: ControlNumbers) -> None:
    trading = dataclasses.replace(
        TRADING,
        delimiters=Delimiters(element="|", component=">", repetition="!", segment="\\", newline_after_segment=True),
    )
    batch = write_batch([claim_for(EXAMPLES[0])], trading, numbers, created=WHEN)
    assert batch.text.startswith("ISA|00|")
    assert "SV1|HC>97012>GP|" in batch.text
    assert pyx12_errors(batch.text) == []


def test_a_claim_without_a_diagnosis_is_refused_with_the_reason(numbers: ControlNumbers) -> None:
    claim = dataclasses.replace(claim_for(EXAMPLES[0]), diagnoses=())
    with pytest.raises(ClaimRejectedError) as refused:
        write_batch([claim], TRADING, numbers, created=WHEN)
    assert any("no diagnosis" in r for r in refused.value.reasons)


def test_a_claim_with_a_bad_npi_is_refused(numbers: ControlNumbers) -> None:
    claim = claim_for(EXAMPLES[0])
    claim = dataclasses.replace(
        claim, rendering_provider=dataclasses.replace(claim.rendering_provider, npi="1093817460")
    )
    with pytest.raises(ClaimRejectedError, match="rendering provider's NPI 1093817460 fails its check digit"):
        write_batch([claim], TRADING, numbers, created=WHEN)


def test_free_text_with_a_delimiter_is_cleaned_not_broken(numbers: ControlNumbers) -> None:
    claim = claim_for(EXAMPLES[0])
    claim = dataclasses.replace(
        claim,
        patient=dataclasses.replace(claim.patient, last_name="O'Brien*Smith~"),
        subscriber=dataclasses.replace(claim.subscriber, last_name="O'Brien*Smith~"),
    )
    batch = write_batch([claim], TRADING, numbers, created=WHEN)
    assert "O'BRIEN SMITH" in batch.text
    assert pyx12_errors(batch.text) == []
