"""Claims written by our 837P writer read back as the same claims, under the control numbers the writer used."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from ptbill.claims.x12_837p.reader import read_837p
from ptbill.claims.x12_837p.writer import Trading, write_batch
from ptbill.domain.claim import (
    Claim,
    ClaimFrequency,
    ClaimParty,
    ClaimPayer,
    InsuredName,
    OtherPayer,
    OtherPayerLine,
    Person,
    PostalAddress,
    ServiceLine,
)
from ptbill.domain.remittance import Adjustment, AdjustmentGroup
from ptbill.domain.vocabulary import ClaimFilingIndicator
from ptbill.x12.control_numbers import ControlNumbers
from ptbill.x12.errors import X12MappingError

TRADING = Trading("PTBILL01", "Harbor Physical Therapy", "Billing Office", "8055550100", "CLEARHOUSE", "Clearinghouse")
WHEN = datetime(2026, 11, 26, 9, 30)
ADDRESS = PostalAddress("100 HARBOR WAY", "SANTA BARBARA", "CA", "931011234")
CLINIC = ClaimParty("HARBOR PHYSICAL THERAPY", "1234567893", tax_id="371234567", address=ADDRESS, taxonomy="225100000X")
THERAPIST = ClaimParty("RIVERA", "1245319599", first_name="JO", taxonomy="225100000X")
MEDICARE = ClaimPayer("medicare-ca", "MEDICARE PART B", "01182", filing_indicator=ClaimFilingIndicator.MEDICARE_PART_B)
PATIENT = Person("ANNA", "EXAMPLE", date(1951, 5, 1), "F", ADDRESS)
SPOUSE = Person("BEN", "EXAMPLE", date(1949, 1, 2), "M", ADDRESS)
VISIT = date(2026, 11, 2)
TRACTION = ServiceLine(1, "97012", ("GP",), 1, Decimal("35.00"), (1,), VISIT, "11")
EXERCISE = ServiceLine(2, "97110", ("GP", "KX"), 2, Decimal("70.50"), (1, 2), VISIT, "11")


def self_insured() -> Claim:
    return Claim(
        claim_id="ENC-0001",
        encounter_id="ENC-0001",
        payer=MEDICARE,
        billing_provider=CLINIC,
        rendering_provider=THERAPIST,
        patient=PATIENT,
        subscriber=PATIENT,
        relationship="self",
        member_id="1EG4TE5MK73",
        group_number=None,
        diagnoses=("M5450", "M5416"),
        lines=(TRACTION, EXERCISE),
        place_of_service="11",
        service_date=VISIT,
        prior_authorization="AUTH-77",
        created=date(2026, 11, 26),
    )


def dependent() -> Claim:
    return dataclasses.replace(
        self_insured(),
        claim_id="ENC-0002",
        encounter_id="ENC-0002",
        subscriber=SPOUSE,
        relationship="spouse",
        member_id="1EG4TE5MK74",
        group_number="GRP-9",
        diagnoses=("M5450",),
        lines=(TRACTION,),
        frequency=ClaimFrequency.REPLACEMENT,
        original_claim_number="2026110500123",
        prior_authorization=None,
        referring_provider=ClaimParty("NGUYEN", "1003000126", first_name="LE"),
    )


@pytest.fixture
def numbers(tmp_path: Path) -> ControlNumbers:
    return ControlNumbers(tmp_path / "numbers.sqlite3")


def test_a_self_insured_claim_comes_back_whole(numbers: ControlNumbers) -> None:
    written = self_insured()
    batch = write_batch([written], TRADING, numbers, created=WHEN)
    (transaction,) = read_837p(batch.text)
    (parsed,) = transaction.claims
    assert transaction.all_problems() == []
    # The 837P has no ptbill payer id; NM109 (the clearinghouse's payer id) stands in for it.
    assert parsed.claim == dataclasses.replace(written, payer=dataclasses.replace(MEDICARE, id="01182"))
    assert parsed.ok


def test_control_numbers_match_what_the_writer_used(numbers: ControlNumbers) -> None:
    batch = write_batch([self_insured(), self_insured()], TRADING, numbers, created=WHEN, claims_per_transaction=1)
    transactions = list(read_837p(batch.text))
    used = batch.control_numbers
    assert [int(t.envelope.interchange_control_number) for t in transactions] == [used.interchange] * 2
    assert {int(t.envelope.group_control_number) for t in transactions} == set(used.groups)
    assert [int(t.envelope.transaction_control_number) for t in transactions] == list(used.transactions)
    assert [c.envelope for t in transactions for c in t.claims] == [t.envelope for t in transactions]
    assert transactions[0].envelope.sender_id == "PTBILL01"


def test_a_dependent_claim_reads_back_except_the_subscriber_birth_date(numbers: ControlNumbers) -> None:
    """The TR3 sends the subscriber's DMG only when the subscriber is the patient, and Claim needs it."""
    written = dependent()
    batch = write_batch([written], TRADING, numbers, created=WHEN)
    (parsed,) = (c for t in read_837p(batch.text) for c in t.claims)
    assert parsed.claim is None
    assert [p.detail for p in parsed.problems] == [
        "the subscriber BEN EXAMPLE has no DMG (the TR3 sends it only when the subscriber is the patient), and a "
        "Claim needs the subscriber's birth date and sex"
    ]
    assert all(isinstance(p, X12MappingError) for p in parsed.problems)
    assert parsed.lines == written.lines
    assert parsed.diagnoses == written.diagnoses
    assert parsed.claim_id == "ENC-0002"


def test_a_secondary_claim_reads_back_with_the_primarys_answer(numbers: ControlNumbers) -> None:
    """Loops 2320/2330A/2330B and each line's 2430 come back as the OtherPayer the writer was given."""
    adjudicated = date(2026, 11, 20)
    co, pr = AdjustmentGroup.CONTRACTUAL, AdjustmentGroup.PATIENT
    medicare = OtherPayer(
        sequence="P",
        payer_name="MEDICARE PART B",
        payer_identifier="01182",
        filing_indicator=ClaimFilingIndicator.MEDICARE_PART_B,
        subscriber=InsuredName("EXAMPLE", "ANNA"),
        relationship="self",
        member_id="1EG4TE5MK73",
        group_number=None,
        paid=Decimal("40.25"),
        adjudicated=adjudicated,
        patient_liability=Decimal("28.35"),
        lines=(
            OtherPayerLine(
                1,
                "97012",
                ("GP",),
                1,
                Decimal("0"),
                (Adjustment(co, "45", Decimal("20.5")), Adjustment(pr, "1", Decimal("14.5"))),
                adjudicated,
                Decimal("14.5"),
            ),
            OtherPayerLine(
                2,
                "97110",
                ("GP", "KX"),
                2,
                Decimal("40.25"),
                (Adjustment(co, "45", Decimal("16.4")), Adjustment(pr, "2", Decimal("13.85"))),
                adjudicated,
                Decimal("13.85"),
            ),
        ),
    )
    aetna = ClaimPayer("aetna", "AETNA", "60054", filing_indicator=ClaimFilingIndicator.COMMERCIAL)
    written = dataclasses.replace(
        self_insured(), payer=aetna, member_id="MS88", payer_sequence="S", other_payers=(medicare,)
    )
    batch = write_batch([written], TRADING, numbers, created=WHEN)
    (transaction,) = read_837p(batch.text)
    (parsed,) = transaction.claims
    assert transaction.all_problems() == []
    assert parsed.claim == dataclasses.replace(written, payer=dataclasses.replace(aetna, id="60054"))
