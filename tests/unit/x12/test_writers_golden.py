"""Golden files: the 837P and 835 writers' exact output for a few representative inputs.

Fixed control numbers and timestamps make the output deterministic; a refactor of the writers must
keep every byte. After an intended change to the output, regenerate and review the diff:

    .venv/bin/python -m tests.unit.x12.test_writers_golden
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

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
from ptbill.domain.remittance import (
    Adjustment,
    AdjustmentGroup,
    ClaimPayment,
    ClaimStatus,
    PatientName,
    ProviderAdjustment,
    Remittance,
    ServicePayment,
)
from ptbill.domain.vocabulary import ClaimFilingIndicator
from ptbill.remittance.x12_835.writer import write_835
from ptbill.x12.syntax import Delimiters
from tests.pyx12_check import pyx12_errors

GOLDEN = Path(__file__).resolve().parent / "golden"
WHEN = datetime(2026, 3, 3, 9, 5)
D = Decimal


class FixedNumbers:
    """Control numbers counting up from fixed starting points, one counter per kind."""

    def __init__(self, interchange: int, group: int, transaction: int) -> None:
        self.last = {"interchange": interchange - 1, "group": group - 1, "transaction": transaction - 1}

    def next(self, kind: str, count: int = 1) -> int:
        first = self.last[kind] + 1
        self.last[kind] += count
        return first


CLINIC = PostalAddress("100 Harbor Way", "Santa Barbara", "CA", "93101-2345", line2="Suite 2")
BILLING = ClaimParty("Harbor Physical Therapy", "1245319599", tax_id="123456789", address=CLINIC, taxonomy="225100000X")
OTHER_BILLING = ClaimParty(
    "Bayside Rehab", "1679576722", tax_id="987654321", address=PostalAddress("9 Pier", "Ventura", "CA", "93001")
)
THERAPIST = ClaimParty("Rivera", "1679576722", first_name="Ana", taxonomy="225100000X")
ASSISTANT = ClaimParty("Okafor", "1245319599", first_name="Chidi")
REFERRER = ClaimParty("Nguyen", "1982735627", first_name="Linh")
MEDICARE = ClaimPayer("medicare-ca", "Noridian JE Part B", "01182", ClaimFilingIndicator.MEDICARE_PART_B)
COMMERCIAL = ClaimPayer("aetna", "Aetna", "60054", ClaimFilingIndicator.COMMERCIAL)
PATIENT = Person("José", "García-Lopez", date(1948, 7, 14), "M", PostalAddress("12 Oak St", "Goleta", "CA", "93117"))
PARENT = Person("Maria", "Garcia", date(1970, 2, 1), "F", PostalAddress("12 Oak St", "Goleta", "CA", "93117"))
CHILD = Person("Leo", "Garcia", date(2012, 5, 30), "M", PostalAddress("12 Oak St", "Goleta", "CA", "93117"))
DAY = date(2026, 3, 2)


def _line(
    number: int, code: str, units: int, charge: str, modifiers: tuple[str, ...] = ("GP",), **extra: object
) -> ServiceLine:
    values: dict[str, object] = {
        "line_number": number,
        "code": code,
        "modifiers": modifiers,
        "units": units,
        "charge": D(charge),
        "diagnosis_pointers": (1,),
        "service_date": DAY,
        "place_of_service": "11",
    }
    values.update(extra)
    return ServiceLine(**values)  # type: ignore[arg-type]


MEDICARE_CLAIM = Claim(
    claim_id="EX-01",
    encounter_id="enc-1",
    payer=MEDICARE,
    billing_provider=BILLING,
    rendering_provider=THERAPIST,
    patient=PATIENT,
    subscriber=PATIENT,
    relationship="self",
    member_id="1EG4-TE5-MK73",
    group_number=None,
    diagnoses=("M5416", "M5136", "M62830"),
    lines=(
        _line(1, "97012", 1, "55.00", ("GP", "KX")),
        _line(2, "97110", 2, "120.50", diagnosis_pointers=(1, 2, 3)),
        _line(3, "97140", 1, "60.10", ("GP", "CQ", "59"), place_of_service="22", service_date=date(2026, 3, 3)),
    ),
    place_of_service="11",
    service_date=DAY,
    referring_provider=REFERRER,
    supervising_provider=ASSISTANT,
    prior_authorization="AUTH 77/1",
)

CHILD_CLAIM = Claim(
    claim_id="EX-02",
    encounter_id="enc-2",
    payer=COMMERCIAL,
    billing_provider=BILLING,
    rendering_provider=ClaimParty("Rivera", "1679576722", first_name="Ana"),
    patient=CHILD,
    subscriber=PARENT,
    relationship="child",
    member_id="W123 456*789",
    group_number="GRP-0042",
    diagnoses=("S134XXA",),
    lines=(_line(1, "97012", 1, "80"),),
    place_of_service="11",
    service_date=DAY,
    frequency=ClaimFrequency.REPLACEMENT,
    original_claim_number="2026061500123",
)


def claims_837p_medicare() -> str:
    batch = write_batch([MEDICARE_CLAIM], TRADING, FixedNumbers(17, 4, 9), created=WHEN)
    return batch.text


def claims_837p_mixed() -> str:
    """Two billing providers, a dependent, a replacement and a void, split across transaction sets."""
    void = dataclasses.replace(
        CHILD_CLAIM, claim_id="EX-03", frequency=ClaimFrequency.VOID, original_claim_number="2026061500124"
    )
    spouse = dataclasses.replace(
        MEDICARE_CLAIM, claim_id="EX-04", billing_provider=OTHER_BILLING, relationship="spouse", subscriber=PARENT
    )
    other = dataclasses.replace(
        CHILD_CLAIM,
        claim_id="EX-05",
        relationship="other",
        frequency=ClaimFrequency.ORIGINAL,
        original_claim_number=None,
    )
    trading = dataclasses.replace(
        TRADING,
        usage="T",
        sender_qualifier="30",
        receiver_qualifier="01",
        delimiters=Delimiters("|", ">", "!", "~", newline_after_segment=True),
    )
    batch = write_batch(
        [MEDICARE_CLAIM, CHILD_CLAIM, void, spouse, other],
        trading,
        FixedNumbers(123456789, 999, 1),
        created=datetime(2025, 12, 31, 23, 59),
        batch_reference="BATCH-7",
        claims_per_transaction=2,
    )
    return batch.text


TRADING = Trading("PTBILL01", "Harbor Physical Therapy", "Billing Office", "8055550100", "CLEARHOUSE", "Clearinghouse")


def remittance_835_full() -> str:
    adjustments = tuple(
        Adjustment(AdjustmentGroup.CONTRACTUAL if i % 2 else AdjustmentGroup.PATIENT, str(40 + i), D(f"{i}.50"))
        for i in range(1, 9)
    )
    line = ServicePayment(
        "HC",
        "97012",
        ("GP", "KX"),
        charge=D("55.00"),
        paid=D("30.10"),
        units_paid=D("1"),
        service_start=DAY,
        line_control_number="EX-01-1",
        adjustments=(Adjustment(AdjustmentGroup.CONTRACTUAL, "45", D("24.90"), quantity=D("1.5")),),
        remark_codes=("N130", "M15"),
        allowed_amount=D("30.10"),
    )
    bare_line = ServicePayment("HC", "97110", (), charge=D("120.5"), paid=D("0"), units_paid=D("2.0"))
    claims = (
        ClaimPayment(
            "EX-01",
            ClaimStatus("1"),
            charge=D("175.50"),
            paid=D("30.10"),
            patient_responsibility=D("10"),
            filing_indicator="MB",
            payer_claim_control_number="PCN-77",
            facility_code="11",
            frequency="1",
            adjustments=adjustments,
            remark_codes=("MA01", "N1", "N2", "N3", "N4", "N5"),
            patient=PatientName("García", "José", member_id="1EG4TE5MK73"),
            service_start=DAY,
            service_lines=(line, bare_line),
        ),
        ClaimPayment(
            "EX-02",
            ClaimStatus("4"),
            charge=D("80"),
            paid=D("0"),
            patient=PatientName("Garcia"),
        ),
    )
    plb = tuple(
        ProviderAdjustment("1245319599", date(2026, 12, 31), code, ref, D(amount))
        for code, ref, amount in [
            ("WO", "EX-9", "12.34"),
            ("L6", None, "-1.10"),
            ("FB", "X", "5"),
            ("72", None, "0.01"),
            ("CS", "ADJ", "100"),
            ("WO", "EX-8", "2.20"),
            ("L6", None, "-0.5"),
        ]
    )
    remittance = Remittance(
        payer_name="Noridian JE Part B",
        payer_id="01182",
        payee_name="Harbor Physical Therapy",
        payee_npi="1245319599",
        payee_tax_id="123456789",
        handling=None,
        payment_amount=D("-89.94"),
        credit_debit=None,
        payment_method=None,
        payment_date=date(2026, 3, 20),
        trace_number="EFT-0001",
        originating_company_id=None,
        production_date=date(2026, 3, 18),
        claims=claims,
        provider_adjustments=plb,
    )
    return write_835(
        remittance,
        sender_id="NORIDIAN",
        receiver_id="HARBORPT",
        interchange_control=4321,
        created=WHEN,
        delimiters=Delimiters("*", ":", "^", "~", newline_after_segment=True),
    )


def remittance_835_defaults() -> str:
    """No dates, names or trace on the remittance: the writer's defaults fill them."""
    remittance = Remittance(
        payer_name=None,
        payer_id=None,
        payee_name=None,
        payee_npi=None,
        payee_tax_id=None,
        handling=None,
        payment_amount=D("0"),
        credit_debit=None,
        payment_method=None,
        payment_date=None,
        trace_number=None,
        originating_company_id=None,
        production_date=None,
        claims=(ClaimPayment("EX-3", ClaimStatus("1"), charge=D("10"), paid=D("10")),),
    )
    return write_835(remittance)


def _answered(
    number: int, code: str, modifiers: tuple[str, ...], units: int, paid: str, *cas: tuple[str, str, str]
) -> OtherPayerLine:
    adjustments = tuple(Adjustment(AdjustmentGroup(group), reason, D(value)) for group, reason, value in cas)
    owed = sum((a.amount for a in adjustments if a.group is AdjustmentGroup.PATIENT), D(0))
    return OtherPayerLine(number, code, modifiers, units, D(paid), adjustments, date(2026, 3, 20), owed)


# Medicare's answer on MEDICARE_CLAIM, as its Medigap secondary reads it: each line's paid + CAS = its charge.
MEDICARE_ANSWER = OtherPayer(
    sequence="P",
    payer_name=MEDICARE.name,
    payer_identifier=MEDICARE.payer_identifier,
    filing_indicator=MEDICARE.filing_indicator,
    subscriber=InsuredName(PATIENT.last_name, PATIENT.first_name),
    relationship="self",
    member_id="1EG4-TE5-MK73",
    group_number=None,
    paid=D("70.00"),
    adjudicated=date(2026, 3, 20),
    patient_liability=D("37.50"),
    lines=(
        _answered(
            1, "97012", ("GP", "KX"), 1, "30.00", ("CO", "45", "15.00"), ("PR", "2", "7.50"), ("CO", "253", "2.50")
        ),
        _answered(2, "97110", ("GP",), 2, "0.00", ("CO", "45", "100.50"), ("PR", "1", "20.00")),
        _answered(3, "97140", ("GP", "CQ", "59"), 1, "40.00", ("CO", "45", "10.10"), ("PR", "2", "10.00")),
    ),
)


def claims_837p_secondary() -> str:
    """The Medicare claim sent on to a Medigap plan: SBR*S, loops 2320/2330A/2330B and a 2430 per line."""
    secondary = dataclasses.replace(
        MEDICARE_CLAIM,
        claim_id="EX-01-S",
        payer=COMMERCIAL,
        member_id="MS88123456",
        prior_authorization=None,
        payer_sequence="S",
        other_payers=(MEDICARE_ANSWER,),
    )
    return write_batch([secondary], TRADING, FixedNumbers(21, 6, 12), created=WHEN).text


def test_the_secondary_golden_claim_is_clean_for_pyx12() -> None:
    assert pyx12_errors(claims_837p_secondary()) == []


CASES: dict[str, Callable[[], str]] = {
    "837p_secondary.x12": claims_837p_secondary,
    "837p_medicare.x12": claims_837p_medicare,
    "837p_mixed.x12": claims_837p_mixed,
    "835_full.x12": remittance_835_full,
    "835_defaults.x12": remittance_835_defaults,
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_writer_output_is_unchanged(name: str) -> None:
    expected = (GOLDEN / name).read_bytes().decode("ascii")
    assert CASES[name]() == expected


def regenerate() -> None:
    GOLDEN.mkdir(exist_ok=True)
    for name, make in CASES.items():
        (GOLDEN / name).write_bytes(make().encode("ascii"))
        print(f"wrote {GOLDEN / name}")


if __name__ == "__main__":
    regenerate()
