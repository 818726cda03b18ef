"""The 837P reader on the shared samples: TR3 examples map to Claims; each imsweb negative file reports its fault."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from ptbill.claims.x12_837p.reader import ClaimTransaction, ParsedClaim, read_837p, read_claims
from ptbill.domain.claim import Claim, ClaimFrequency, ClaimParty, ClaimPayer, Person, PostalAddress, ServiceLine
from ptbill.domain.vocabulary import ClaimFilingIndicator
from ptbill.x12.errors import (
    X12ControlNumberError,
    X12CountError,
    X12ElementError,
    X12EnvelopeError,
    X12Error,
    X12LoopError,
    X12MappingError,
    X12SegmentError,
    X12SyntaxError,
)

SAMPLES = Path(__file__).resolve().parents[3].parent / "shared" / "external" / "x12"
TR3_837P = SAMPLES / "stupidedi" / "837P_005010X222A1"
NEGATIVE = SAMPLES / "imsweb" / "837P_5010_negative"
STUPIDEDI_FILES = sorted(TR3_837P.glob("*.edi"))


def read_all(path: Path) -> tuple[list[ClaimTransaction], list[ParsedClaim], list[X12Error]]:
    """Every transaction, claim and problem (envelope ones included, known once the file is read to the end)."""
    transactions = list(read_837p(path))
    claims = [c for t in transactions for c in t.claims]
    seen: dict[int, X12Error] = {}
    for t in transactions:
        for problem in t.all_problems():
            seen.setdefault(id(problem), problem)
    return transactions, claims, sorted(seen.values(), key=lambda p: p.segment_number or 0)


# -- the TR3 examples (stupidedi): every claim maps, nothing wrong in the files themselves ---------------

# What the Claim cannot hold from these valid files, by file: (problem count, fragment). Everything else is clean.
TR3_MAPPING_NOTES = {
    "anesthesia.edi": (1, "SV103 is MJ (minutes)"),
    "home-infusion-therapy-pharmacy-(adjudicated-with-HCPCS-in-loop-2400-or-NDC-in-loop-2410).edi": (
        6,
        "service period 2004-02-01..2004-02-07 (RD8)",
    ),
    "home-infusion-therapy-pharmacy-(adjudicated-with-NDC-in-loop-2410).edi": (6, "(RD8)"),
    "medicare-secondary-payer-COB.edi": (1, "the referring provider LEE BRYHT has no NPI"),
}


def test_the_tr3_folder_holds_the_16_examples() -> None:
    assert len(STUPIDEDI_FILES) == 16


@pytest.mark.parametrize("path", STUPIDEDI_FILES, ids=lambda p: p.name)
def test_every_tr3_837p_example_maps_to_a_claim(path: Path) -> None:
    transactions, claims, problems = read_all(path)
    assert len(transactions) == 1
    assert len(claims) == 1
    parsed = claims[0]
    assert parsed.claim is not None
    assert parsed.claim.claim_id == parsed.claim_id
    assert len(parsed.claim.lines) == len(parsed.loop.children_with("2400"))
    assert parsed.claim.total_charge == Decimal(parsed.loop.start.segment.element(2))  # CLM02 balances
    assert all(isinstance(p, X12MappingError) for p in problems), problems
    count, fragment = TR3_MAPPING_NOTES.get(path.name, (0, ""))
    assert len(problems) == count
    assert all(fragment in str(p) for p in problems)
    ids = parsed.envelope
    isa = path.read_text().split("~")[0].split("*")
    assert (ids.interchange_control_number, ids.usage, ids.version) == (isa[13], isa[15], "005010X222A1")


def test_commercial_health_insurance_maps_field_by_field() -> None:
    (parsed,) = read_claims(TR3_837P / "commercial-health-insurance.edi")
    billing = ClaimParty(
        last_name_or_organization="BEN KILDARE SERVICE",
        npi="9876543210",
        tax_id="587654321",
        address=PostalAddress("234 SEAWAY ST", "MIAMI", "FL", "33111"),
        taxonomy="203BF0100Y",
    )

    def line(number: int, code: str, charge: str, pointer: int, day: date) -> ServiceLine:
        return ServiceLine(number, code, (), 1, Decimal(charge), (pointer,), day, "11")

    assert parsed.claim == Claim(
        claim_id="26463774",
        encounter_id="26463774",
        payer=ClaimPayer(
            "999996666", "KEY INSURANCE COMPANY", "999996666", filing_indicator=ClaimFilingIndicator.COMMERCIAL
        ),
        billing_provider=billing,
        rendering_provider=billing,  # no 2310B: the billing provider rendered the service
        patient=Person("TED", "SMITH", date(1973, 5, 1), "M", PostalAddress("236 N MAIN  ST", "MIAMI", "FL", "33413")),
        subscriber=Person("JANE", "SMITH", date(1943, 5, 1), "F"),
        relationship="child",
        member_id="JS00111223333",
        group_number="2222-SJ",
        diagnoses=("0340", "V7389"),
        lines=(
            line(1, "99213", "40", 1, date(2006, 10, 3)),
            line(2, "87070", "15", 1, date(2006, 10, 3)),
            line(3, "99214", "35", 2, date(2006, 10, 10)),
            line(4, "86663", "10", 2, date(2006, 10, 10)),
        ),
        place_of_service="11",
        service_date=date(2006, 10, 3),
        frequency=ClaimFrequency.ORIGINAL,
        created=date(2006, 10, 15),
    )
    assert parsed.diagnosis_code_set == "ICD-9-CM"
    assert (parsed.envelope.interchange_control_number, parsed.envelope.group_control_number) == ("000010216", "20213")
    assert parsed.envelope.transaction_control_number == "0021"
    assert parsed.ok


def test_the_loop_hierarchy_follows_the_hl_parents() -> None:
    (transaction,) = read_837p(TR3_837P / "commercial-health-insurance.edi")
    root = transaction.hierarchy
    assert [loop.id for loop in root.children] == ["1000A", "1000B", "2000A"]
    provider = root.children[2]
    assert [loop.id for loop in provider.children] == ["2010AA", "2010AB", "2000B"]
    subscriber = provider.children[2]
    assert [loop.id for loop in subscriber.children] == ["2010BA", "2010BB", "2000C"]
    patient = subscriber.children[2]
    assert [loop.id for loop in patient.children] == ["2010CA", "2300"]
    claim = patient.children[1]
    assert [loop.id for loop in claim.children] == ["2400"] * 4
    assert claim.ancestor("2000A") is provider
    assert [r.id for r in claim.children[0].segments] == ["LX", "SV1", "DTP"]
    assert claim.first("HI") is not None
    assert claim.name == "Claim Information"


def test_coordination_of_benefits_loops_nest_under_2320() -> None:
    (transaction,) = read_837p(TR3_837P / "COB-claim-from-billing-provider-to-payer-b.edi")
    (parsed,) = transaction.claims
    claim_loop = parsed.loop
    assert [loop.id for loop in claim_loop.children] == ["2310B", "2310C", "2320", "2400", "2400", "2400"]
    assert [loop.id for loop in claim_loop.children[2].children] == ["2330A", "2330B"]
    assert [loop.id for loop in claim_loop.children[3].children] == ["2430"]
    assert parsed.claim is not None
    assert parsed.claim.rendering_provider == ClaimParty(
        "KILDARE", "1999996666", first_name="BEN", taxonomy="204C00000X"
    )
    assert parsed.claim.lines[0].diagnosis_pointers == (1, 2, 3, 4)
    assert parsed.claim.relationship == "child"


def test_medicare_secondary_claim_keeps_its_rendering_provider_and_drops_the_npi_less_referrer() -> None:
    (parsed,) = read_claims(TR3_837P / "medicare-secondary-payer-COB.edi")
    assert parsed.claim is not None
    assert parsed.claim.payer.is_medicare  # SBR09 MB
    assert parsed.claim.relationship == "self"
    assert parsed.claim.rendering_provider.npi == "9090909090"
    assert parsed.claim.referring_provider is None
    assert parsed.claim.lines[0].modifiers == ("25",)
    assert not parsed.ok


def test_line_details_modifiers_descriptions_and_ranges() -> None:
    (anesthesia,) = read_claims(TR3_837P / "anesthesia.edi")
    assert anesthesia.claim is not None
    assert anesthesia.claim.lines[0].modifiers == ("QK", "QS", "P1")
    assert anesthesia.claim.lines[0].units == 61  # minutes, as the problem says
    (infusion,) = read_claims(
        TR3_837P / "home-infusion-therapy-pharmacy-(adjudicated-with-HCPCS-in-loop-2400-or-NDC-in-loop-2410).edi"
    )
    assert infusion.claim is not None
    assert [line.description for line in infusion.claim.lines][3:] == [
        "Sod Chl 0.9%see NDC#",
        "Sod Chl 0.9% see NDC#",
        "Hep Lock see NDC#",
    ]
    assert infusion.claim.lines[0].service_date == date(2004, 2, 1)
    assert infusion.claim.lines[0].place_of_service == "12"  # SV105


# -- the imsweb negative files: each is wrong somewhere, and says so -----------------------------------

# Every imsweb file shares these faults, so they are checked once (test_faults_every_imsweb_file_shares) and left
# out of the table: ISA11 is 'U' in a 00501 ISA; SE01 says 25; HI sends qualifiers and codes as separate elements
# ('HI*BK*8901*BF*87200'); no subscriber DMG (so no birth date and no Claim); SBR02 empty with no patient HL;
# CLM02 (500) does not match the lines; a second subscriber HL reuses HL01 2 and names a parent 3 that does not exist.


@dataclass(frozen=True)
class Negative:
    file: str
    intent: str  # what the imsweb authors broke, read from the file
    outcome: str  # "reported": the fault is found; "clean": only wrong at a level this reader does not check
    claims: int
    mapped: int  # claims that became a Claim
    reports: tuple[tuple[type[X12Error], str], ...]
    not_checked: str = ""


NEGATIVES = (
    Negative(
        "x12_ambiguous_loop.txt",
        "NM1*82 after the line's DTP: 2310B (claim) or 2420A (line) rendering provider?",
        "reported",
        1,
        1,
        (
            (X12MappingError, "has its own rendering provider (2420A); a ServiceLine does not keep one"),
            (X12SegmentError, "segment 28 (HI): ends with an empty element or component (trailing separators)"),
        ),
        "PRV*PE*PXC*2420A carries a loop id where a taxonomy code belongs (code lists are not checked)",
    ),
    Negative(
        "x12_bad_segment_identifier.txt",
        "segment ids '', 'Nd4' and 'NM31' in place of PER, N4 and NM1",
        "reported",
        2,
        0,
        (
            (X12SegmentError, "segment 6 (no id): '' is not a segment id"),
            (X12SegmentError, "segment 11 (Nd4): 'Nd4' is not a segment id"),
            (X12SegmentError, "segment 20 (NM31): 'NM31' is not a segment id"),
            (X12LoopError, "loop 1000A (Submitter Name) has no PER"),
            (X12LoopError, "loop 2010AA (Billing Provider Name) has no N4"),
            (X12LoopError, "loop 2000B (Subscriber Hierarchical Level) has no loop 2010BA"),
            (X12MappingError, "no subscriber: the 2000B has no 2010BA"),
        ),
    ),
    Negative(
        "x12_bad_valid_code.txt",
        "NM1*117 where the billing provider's NM1*85 belongs",
        "reported",
        2,
        0,
        (
            (X12LoopError, "segment 9 (NM1): NM101 '117' opens no loop in loop 2000A"),
            (X12LoopError, "loop 2000A (Billing Provider Hierarchical Level) has no loop 2010AA"),
            (X12MappingError, "no billing provider: the claim's 2000A has no 2010AA"),
        ),
    ),
    Negative(
        "x12_loop_errors1_exceeds_max_1_parent.txt",
        "2010AA twice in one 2000A",
        "reported",
        1,
        0,
        ((X12LoopError, "segment 15 (NM1): another 2010AA (Billing Provider Name) in loop 2000A"),),
    ),
    Negative(
        "x12_loop_errors2_exceeds_max_repeats_multiple_parents.txt",
        "a second 2000A reusing HL01 1, with 2010AA twice",
        "reported",
        2,
        0,
        (
            (X12LoopError, "segment 27 (HL): HL01 1 is already the id of the HL at segment 8"),
            (X12LoopError, "segment 34 (NM1): another 2010AA (Billing Provider Name)"),
        ),
    ),
    Negative(
        "x12_loop_errors3_missing_loops.txt",
        "2010AA missing",
        "reported",
        1,
        0,
        (
            (X12LoopError, "loop 2000A (Billing Provider Hierarchical Level) has no loop 2010AA"),
            (X12MappingError, "no billing provider"),
        ),
    ),
    Negative(
        "x12_many_claims.txt",
        "820 claims in one ST (a volume test; its faults are the shared ones)",
        "reported",
        820,
        0,
        (
            (X12CountError, "SE01 says 25 segments, the transaction has 11486"),
            (X12MappingError, "has no DMG"),
        ),
    ),
    Negative(
        "x12_missing_elements.txt",
        "NM102 empty in 1000B; CLM05 (place of service, frequency) empty",
        "reported",
        2,
        0,
        (
            (X12ElementError, "segment 7 (NM1): NM102 entity type '' must be 1 (person) or 2 (organization)"),
            (X12MappingError, "segment 31 (CLM): CLM05-1 place of service is empty"),
        ),
    ),
    Negative(
        "x12_missing_required_loop_in_one_repeat.txt",
        "one subscriber HL without its 2010BA; a second 2000A reusing HL01 1",
        "reported",
        2,
        0,
        (
            (X12LoopError, "loop 2000B (Subscriber Hierarchical Level) has no loop 2010BA"),
            (X12LoopError, "HL01 1 is already the id of the HL at segment 8"),
            (X12MappingError, "no subscriber: the 2000B has no 2010BA"),
        ),
    ),
    Negative(
        "x12_missing_required_loops_mult_repeats.txt",
        "two claims whose service line has no LX; a DTP*472 with the unknown format RD9",
        "reported",
        5,
        0,
        (
            (
                X12LoopError,
                "segment 33 (SV1): SV1 does not belong in loop 2300 (Claim Information) here; it belongs in loop 2400",
            ),
            (X12LoopError, "segment 59 (SV1): SV1 does not belong in loop 2300"),
            (X12MappingError, "the claim has no service line (2400)"),
        ),
        "the RD9 date and the 6-digit code 478330 sit in the LX-less line, which never becomes a 2400, so they are "
        "not read",
    ),
    Negative(
        "x12_multiple_gs.txt",
        "three GS..GE groups in one interchange",
        "reported",
        6,
        0,
        (
            (X12CountError, "IEA01 says 1 functional groups, the interchange has 3"),
            (X12ControlNumberError, "segment 38 (GS): GS06 1 is already used by the group at segment 2"),
            (X12ControlNumberError, "segment 74 (GS): GS06 1 is already used by the group at segment 2"),
        ),
    ),
    Negative(
        "x12_multiple_isa.txt",
        "two interchanges in one file (well nested, ISA13 905 and 906: not a fault)",
        "reported",
        4,
        0,
        (
            (X12CountError, "segment 36 (SE): SE01 says 25"),
            (X12CountError, "segment 74 (SE): SE01 says 25"),
        ),
        "nothing beyond the shared faults: two interchanges in a file are allowed",
    ),
    Negative(
        "x12_multiple_st.txt",
        "two ST..SE in one group",
        "reported",
        4,
        0,
        (
            (X12CountError, "GE01 says 1 transaction sets, the group has 2"),
            (X12ControlNumberError, "segment 37 (ST): ST02 987654 is already used by the transaction set at segment 3"),
        ),
    ),
    Negative(
        "x12_segment_errors.txt",
        "2010AA without N3, a second REF*EI, no HI in the claim",
        "reported",
        1,
        0,
        (
            (X12LoopError, "loop 2010AA (Billing Provider Name) has no N3"),
            (X12LoopError, "loop 2300 (Claim Information) has no HI"),
        ),
        "the second REF*EI in 2010AA (repeat counts of ordinary segments are not checked)",
    ),
    Negative(
        "x12_segments_out_of_order.txt",
        "N4 after REF in 2010AA; N3 after N4 in 2010AB",
        "reported",
        2,
        0,
        (
            (X12LoopError, "segment 12 (N4): N4 is out of order in loop 2010AA (Billing Provider Name)"),
            (X12LoopError, "segment 17 (N3): N3 is out of order in loop 2010AB (Pay-to Address Name)"),
        ),
    ),
    Negative(
        "x12_valid.txt",
        "meant as the valid baseline, but carries every shared fault",
        "reported",
        2,
        0,
        (
            (X12CountError, "segment 36 (SE): SE01 says 25 segments, the transaction has 34"),
            (X12ElementError, "segment 23 (HI): HI01 is 'BK' alone and 02 is '8901'"),
            (X12LoopError, "segment 27 (HL): HL01 2 is already the id of the HL at segment 18"),
            (X12MappingError, "segment 20 (NM1): the subscriber JOHN DOE has no DMG"),
        ),
    ),
)


def test_the_table_covers_every_negative_file() -> None:
    assert sorted(n.file for n in NEGATIVES) == sorted(p.name for p in NEGATIVE.glob("*.txt"))


@pytest.mark.parametrize("case", NEGATIVES, ids=lambda n: n.file)
def test_each_negative_file_reports_its_fault(case: Negative) -> None:
    _, claims, problems = read_all(NEGATIVE / case.file)
    assert len(claims) == case.claims
    assert sum(c.claim is not None for c in claims) == case.mapped
    assert not any(isinstance(p, X12SyntaxError) for p in problems)
    for kind, fragment in case.reports:
        assert any(isinstance(p, kind) and fragment in str(p) for p in problems), f"missing {kind.__name__}: {fragment}"
    assert (case.outcome == "reported") == bool(problems)
    for parsed in claims:
        if parsed.claim is None:  # a claim without a Claim always says why
            assert any(isinstance(p, X12MappingError) for p in parsed.problems)
        assert parsed.lines or any("service line" in str(p) for p in parsed.problems)


@pytest.mark.parametrize("case", NEGATIVES, ids=lambda n: n.file)
def test_faults_every_imsweb_file_shares(case: Negative) -> None:
    _, _, problems = read_all(NEGATIVE / case.file)
    messages = [str(p) for p in problems]
    assert any("ISA11 is 'U'" in m for m in messages)
    assert any(isinstance(p, X12CountError) and "SE01 says 25" in str(p) for p in problems)
    assert all(
        isinstance(p, X12EnvelopeError | X12CountError | X12ControlNumberError)
        for p in problems
        if p.segment_id in ("ISA", "GS", "ST", "SE", "GE", "IEA")
    )


def test_x12_valid_claims_are_read_even_without_a_claim_object() -> None:
    first, second = read_claims(NEGATIVE / "x12_valid.txt")
    assert (first.claim, second.claim) == (None, None)
    assert first.diagnoses == ("8901", "87200", "5559")
    assert first.lines == (ServiceLine(1, "99211", ("25",), 1, Decimal("12.25"), (1,), date(2005, 3, 14), "11"),)
    assert second.lines[0].code == "478331"
    assert second.lines[0].diagnosis_pointers == (1, 2, 3)
    assert (first.envelope.interchange_control_number, first.envelope.group_control_number) == ("000000905", "1")
    assert first.envelope.transaction_control_number == "987654"
    blocking = [str(p) for p in first.problems if isinstance(p, X12MappingError) and "RD8" not in str(p)]
    assert blocking == [
        "segment 20 (NM1): the subscriber JOHN DOE has no DMG, and a Claim needs the subscriber's birth date and sex"
    ]


def test_many_claims_read_every_line() -> None:
    claims = list(read_claims(NEGATIVE / "x12_many_claims.txt"))
    assert len(claims) == 820
    assert all(len(c.lines) == 1 and len(c.diagnoses) == 3 for c in claims)
    assert {c.envelope.transaction_control_number for c in claims} == {"987654"}


def test_a_file_of_another_transaction_type_gives_no_claims() -> None:
    (transaction,) = read_837p(SAMPLES / "stupidedi" / "835_005010X221A1" / "era-sample.edi")
    assert transaction.claims == ()
    assert [str(p) for p in transaction.problems] == ["segment 3 (ST): ST01 is '835'; this reader reads 837 claims"]
    (institutional,) = read_837p(SAMPLES / "stupidedi" / "837I_005010X223A2" / "ppo-repriced-claim.edi")
    assert institutional.claims == ()
    assert "not the 837P 005010X222A1" in str(institutional.problems[-1])
