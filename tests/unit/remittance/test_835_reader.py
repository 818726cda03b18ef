"""The 835 reader: every public sample gets a stated outcome, money balances, reversals and PLBs read right."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from ptbill.domain.errors import RemittanceFormatError
from ptbill.domain.remittance import (
    AdjustmentGroup,
    ClaimStatus,
    CreditDebit,
    PaymentHandling,
    PaymentMethod,
    Remittance,
)
from ptbill.remittance.x12_835 import GUIDE
from ptbill.remittance.x12_835.reader import Source, balance_problems, read_835
from tests.pyx12_check import pyx12_errors
from tests.unit.remittance.synthetic_835 import (
    CLAIM_PAID,
    CLAIM_REVERSAL,
    ISA,
    PLB_TOTAL,
    interchange,
    medicare_remittance,
    transaction,
)

SAMPLES = Path(__file__).resolve().parents[3].parent / "shared" / "external" / "x12"
needs_samples = pytest.mark.skipif(not SAMPLES.is_dir(), reason="shared/external/x12 is not beside the checkout")

# What happens to each public 835 sample (pyx12's verdict from shared/external/x12/SOURCES.md):
#
# | sample                                        | pyx12               | ptbill                                      |
# |-----------------------------------------------|---------------------|---------------------------------------------|
# | stupidedi/835_005010X221A1/*.edi (7 files)    | valid               | reads, balances, no warnings                |
# | pyx12/835_mult_loops.txt                      | valid               | reads, balances, no warnings                |
# | edi-835-parser/emedny_sample.txt              | valid               | reads, balances, no warnings                |
# | edi-835-parser/united_healthcare_legacy_…     | invalid: N402 'NP'  | reads, balances, no warnings (no addresses) |
# | edi-835-parser/blue_cross_nc_sample.txt       | not X12 (no ISA)    | error: SVC02 missing (a garbled line)       |
# | affect-edi-835-parser/exhaustive_sample.txt   | not X12 (no ISA)    | reads, warnings: no envelope, '>' parts     |
# | affect-edi-835-parser/sample_835.txt          | crash (IndexError)  | error: CAS01 'grp_code' not a group code    |
# | affect-…/sample_835_with_interests.txt        | invalid (41 errors) | error: CAS01 'grp_code' not a group code    |
# | linuxforhealth/…/cob-contractural-adjustment  | invalid (8 errors)  | reads, warnings: BPR16, PER*BL, SVC01 '>'   |
# | linuxforhealth/…/managed-care                 | invalid (2 errors)  | reads, warnings: BPR16 not a date, PER*BL   |
# | linuxforhealth/…/medicare-part-a              | invalid (5 errors)  | reads, warnings: PER*BL                     |
# | linuxforhealth/…/secondary-payment            | invalid (13 errors) | reads, warnings: BPR16, PER*BL, SVC01 '>'   |
# | linuxforhealth/…/tertiary-payment             | invalid (6 errors)  | error: SVC01 'HC' has no procedure code     |
PYX12_VALID = [
    *(f"stupidedi/835_005010X221A1/{name}" for name in (
        "dollars-and-data-sent-separate.edi",
        "dollars-and-data-sent-together.edi",
        "era-sample.edi",
        "multiple-claims-single-check.edi",
        "secondary-payment-with-higher-fee-schedule.edi",
        "secondary-payments.edi",
        "tertiary-payments.edi",
    )),
    "pyx12/835_mult_loops.txt",
    "edi-835-parser/emedny_sample.txt",
]  # fmt: skip
LFH = "linuxforhealth/835_005010X221A1_nonconforming"
NO_PER = "segment 11 (N1): the payer loop (1000A) has no PER*BL"
READS_WITH_WARNINGS: dict[str, list[str]] = {
    "edi-835-parser/united_healthcare_legacy_sample.txt": [],
    "affect-edi-835-parser/exhaustive_sample.txt": [
        "segment 1 (ST): no ISA/GS envelope",
        "segment 41 (SVC): SVC01 (composite medical procedure identifier) 'NU>XXXX>XX>XX>XX>XX' separates its parts",
        "segment 51 (PLB): PLB03 (provider adjustment identifier) 'GO>XXXX' separates its parts with '>'",
    ],
    f"{LFH}/cob-contractural-adjustment.835": [
        "segment 4 (BPR): BPR16 (check issue or EFT effective date) is missing",
        NO_PER,
        "segment 21 (SVC): SVC01 (composite medical procedure identifier) 'HC>55669' separates its parts with '>'",
    ],
    f"{LFH}/managed-care.835": [
        "segment 4 (BPR): BPR16 (check issue or EFT effective date) '20002316' is not a date",
        "segment 10 (N1): the payer loop (1000A) has no PER*BL",
    ],
    f"{LFH}/medicare-part-a.835": [NO_PER],
    f"{LFH}/secondary-payment.835": [
        "segment 4 (BPR): BPR16 (check issue or EFT effective date) is missing",
        NO_PER,
        "segment 29 (SVC): SVC01 (composite medical procedure identifier) 'HC>12345>26' separates its parts",
        "segment 34 (SVC): SVC01 (composite medical procedure identifier) 'HC>66543>26' separates its parts",
    ],
}
FAILS_WITH: dict[str, str] = {
    "edi-835-parser/blue_cross_nc_sample.txt": "segment 28 (SVC): SVC02 (line item charge amount) is missing",
    "affect-edi-835-parser/sample_835.txt": (
        "segment 23 (CAS): CAS01 (claim adjustment group code) 'grp_code' is not a valid code"
    ),
    "affect-edi-835-parser/sample_835_with_interests.txt": (
        "segment 23 (CAS): CAS01 (claim adjustment group code) 'grp_code' is not a valid code"
    ),
    f"{LFH}/tertiary-payment.835": "segment 20 (SVC): SVC01-02 (procedure code) is missing in 'HC'",
}


def read_all(source: Source, warnings: list[str] | None = None) -> list[Remittance]:
    return list(read_835(source, warnings))


def money_adds_up(remittance: Remittance) -> bool:
    claims = sum((c.paid for c in remittance.claims), Decimal(0))
    taken_back = sum((p.amount for p in remittance.provider_adjustments), Decimal(0))
    return remittance.payment_amount == claims - taken_back


@needs_samples
def test_the_outcome_table_covers_every_835_sample() -> None:
    on_disk = {
        str(p.relative_to(SAMPLES))
        for pattern in ("stupidedi/835_*/*.edi", "pyx12/835_*.txt", "*edi-835-parser/*.txt", f"{LFH}/*.835")
        for p in SAMPLES.glob(pattern)
    }
    assert on_disk == set(PYX12_VALID) | set(READS_WITH_WARNINGS) | set(FAILS_WITH)


@needs_samples
@pytest.mark.parametrize("name", PYX12_VALID)
def test_every_pyx12_valid_sample_reads_cleanly_and_balances(name: str) -> None:
    warnings: list[str] = []
    remittances = read_all(SAMPLES / name, warnings)
    assert remittances
    assert warnings == []
    for remittance in remittances:
        assert remittance.claims
        assert money_adds_up(remittance), name
        assert balance_problems(remittance) == []


@needs_samples
@pytest.mark.parametrize("name", sorted(READS_WITH_WARNINGS))
def test_nonconforming_but_readable_samples_read_with_warnings(name: str) -> None:
    warnings: list[str] = []
    remittances = read_all(SAMPLES / name, warnings)
    assert len(warnings) == len(READS_WITH_WARNINGS[name]), warnings
    for expected, found in zip(READS_WITH_WARNINGS[name], warnings, strict=True):
        assert found.startswith(expected), found
    for remittance in remittances:
        assert list(remittance.warnings) == warnings  # one remittance each: it carries them all
        assert balance_problems(remittance) == []


@needs_samples
@pytest.mark.parametrize("name", sorted(FAILS_WITH))
def test_unreadable_samples_fail_with_a_message_naming_the_segment(name: str) -> None:
    with pytest.raises(RemittanceFormatError) as caught:
        read_all(SAMPLES / name)
    assert str(caught.value) == FAILS_WITH[name]
    assert caught.value.segment_number is not None


@needs_samples
def test_the_tr3_example_with_a_plb_reads_its_amounts_and_its_sign() -> None:
    (remittance,) = read_all(SAMPLES / "stupidedi/835_005010X221A1/dollars-and-data-sent-together.edi")
    assert remittance.payment_amount == Decimal("150000")
    assert remittance.handling is PaymentHandling.PAYMENT_WITH_ADVICE
    assert remittance.payment_method is PaymentMethod.ACH
    assert remittance.credit_debit is CreditDebit.CREDIT
    assert remittance.payment_date == date(2002, 9, 13)
    assert remittance.trace_number == "12345"
    assert remittance.originating_company_id == "1512345678"
    assert remittance.production_date == date(2002, 9, 16)
    assert (remittance.payer_name, remittance.payer_id) == ("INSURANCE COMPANY OF TIMBUCKTU", "999")
    assert (remittance.payee_name, remittance.payee_npi) == ("REGIONAL HOPE HOSPITAL", "6543210903")
    (plb,) = remittance.provider_adjustments
    assert (plb.provider_id, plb.fiscal_period_end) == ("6543210903", date(2002, 12, 31))
    assert (plb.reason_code, plb.reference_id, plb.amount) == ("CV", "CP", Decimal("-1.27"))
    # A negative PLB adds to the payment: 138,018.40 + 11,980.33 + 1.27 = 150,000.00.
    assert remittance.claims_paid == Decimal("149998.73")
    first, second = remittance.claims
    assert first.filing_indicator == "MA"
    assert first.facility_code == "11"
    assert first.frequency == "1"
    assert second.remark_codes == ("MA02",)
    assert first.service_start == date(2002, 8, 16)
    assert first.service_end == date(2002, 8, 24)


@needs_samples
def test_a_denied_claim_with_line_remarks_and_service_periods() -> None:
    (remittance,) = read_all(SAMPLES / "pyx12/835_mult_loops.txt")
    assert remittance.handling is PaymentHandling.NOTIFICATION_ONLY
    assert remittance.payment_method is PaymentMethod.NO_PAYMENT
    (claim,) = remittance.claims
    assert claim.is_denied
    assert not claim.is_reversal
    assert claim.status.label == "denied"
    assert [line.units_paid for line in claim.service_lines] == [Decimal(68), Decimal(16), Decimal(36)]
    first = claim.service_lines[0]
    assert (first.service_start, first.service_end) == (date(2003, 11, 29), date(2003, 11, 29))
    assert first.service_date == date(2003, 11, 29)
    assert first.remark_codes == ("N14",)
    assert [a.code for a in first.adjustments] == ["CO-16"]


@needs_samples
def test_several_adjustments_in_one_cas_and_modifiers_in_svc01() -> None:
    (remittance,) = read_all(SAMPLES / "stupidedi/835_005010X221A1/secondary-payments.edi")
    line = remittance.claims[1].service_lines[1]
    assert (line.code_qualifier, line.procedure_code, line.modifiers) == ("HC", "66543", ("26",))
    assert [(a.group, a.reason, a.amount, a.quantity) for a in line.adjustments] == [
        (AdjustmentGroup.PATIENT, "1", Decimal("150"), None),
        (AdjustmentGroup.PATIENT, "2", Decimal("70"), None),
        (AdjustmentGroup.CONTRACTUAL, "42", Decimal("85"), None),
    ]
    assert line.revenue_code == "220"  # SVC04, as the TR3 example has it
    assert line.allowed_amount == Decimal("500")
    assert remittance.claims[1].status is ClaimStatus.SECONDARY


@needs_samples
def test_the_component_separator_comes_from_isa16() -> None:
    (remittance,) = read_all(SAMPLES / "edi-835-parser/united_healthcare_legacy_sample.txt")
    line = remittance.claims[0].service_lines[0]
    assert (line.procedure_code, line.line_control_number) == ("B4152", "800941258001")


# Synthetic remittances: a reversal and its correction, several claims, a PLB with three composites ----


def test_the_synthetic_medicare_remittance_is_valid_for_pyx12() -> None:
    errors = [e for e in pyx12_errors(medicare_remittance()) if e != "Failed to create 999 response"]
    assert errors == []


def test_a_reversal_and_its_correction_are_read_and_balance() -> None:
    (remittance,) = read_all(medicare_remittance())
    reversal, corrected, paid, denied = remittance.claims
    assert reversal.is_reversal
    assert reversal.status is ClaimStatus.REVERSAL
    assert reversal.status.label == "reversal of a previous payment"
    assert (reversal.charge, reversal.paid, reversal.patient_responsibility) == (
        Decimal("-180"),
        Decimal("-48"),
        Decimal("-12"),
    )
    assert [a.amount for a in reversal.all_adjustments] == [Decimal("-80"), Decimal("-12"), Decimal("-40")]
    assert corrected.patient_control_number == reversal.patient_control_number == "PT1000"
    assert corrected.frequency == "7"
    assert not corrected.is_reversal
    assert paid.service_lines[0].modifiers == ("GP",)
    assert denied.is_denied
    assert remittance.claims_paid == Decimal("84.8")
    assert balance_problems(remittance) == []
    assert remittance.warnings == ()


def test_a_plb_with_three_composites_gives_three_provider_adjustments() -> None:
    (remittance,) = read_all(medicare_remittance())
    assert [(p.reason_code, p.reference_id, p.amount) for p in remittance.provider_adjustments] == [
        ("WO", "26300000009", Decimal("25")),
        ("L6", "PT1001", Decimal("-1.5")),
        ("72", "RF20261101", Decimal("10")),
    ]
    assert {p.provider_id for p in remittance.provider_adjustments} == {"1234567893"}
    assert remittance.provider_adjustments[0].reason == "overpayment recovery"
    assert remittance.provider_adjustment_total == Decimal(PLB_TOTAL)
    assert remittance.payment_amount == remittance.claims_paid - remittance.provider_adjustment_total


def test_balance_problems_name_the_claim_the_line_and_the_payment() -> None:
    text = medicare_remittance().replace("BPR*I*51.3*", "BPR*I*60*").replace("CAS*CO*45*17~", "CAS*CO*45*16~", 1)
    (remittance,) = read_all(text)
    problems = balance_problems(remittance)
    assert len(problems) == 3
    assert problems[0].startswith("remittance 0001: payment 60 (BPR02) is not claims paid 84.8 (Σ CLP04)")
    assert problems[1].startswith("claim PT1000: charge 180 (CLP03) less adjustments 112.6")
    assert problems[2].startswith("claim PT1000 line 2 (97012): charge 40 (SVC02) less adjustments 20.6")


def test_a_debit_remittance_balances_against_the_negative_net() -> None:
    # Only a reversal (-48.00 paid): the payer debits 48.00 from the clinic's account.
    text = interchange(transaction([CLAIM_REVERSAL], "48")).replace("BPR*I*48*C*", "BPR*I*48*D*")
    (remittance,) = read_all(text)
    assert remittance.credit_debit is CreditDebit.DEBIT
    assert balance_problems(remittance) == []
    (as_credit,) = read_all(text.replace("BPR*I*48*D*", "BPR*I*48*C*"))
    assert len(balance_problems(as_credit)) == 1


def test_two_transactions_give_two_remittances_each_with_its_own_warnings() -> None:
    second = transaction([CLAIM_PAID], "66.4", control="0002")
    second.insert(3, "ZZZ*NOT*AN*835*SEGMENT")  # an unknown segment: skipped with a warning
    second[-1] = "SE*99*0002"
    text = interchange(transaction([CLAIM_PAID], "66.4"), second)
    warnings: list[str] = []
    first, other = read_all(text, warnings)
    assert first.warnings == ()
    assert other.warnings == (
        "segment 34 (ZZZ): not a segment of the 835; skipped",
        "segment 59 (SE): SE01 (number of included segments) is '99' but the transaction has 29 segments",
    )
    assert warnings == list(other.warnings)
    assert (first.control_number, other.control_number) == ("0001", "0002")
    assert first.interchange_control_number == "000000907"


def test_a_service_line_paid_under_another_code_keeps_the_billed_one() -> None:
    text = interchange(transaction([CLAIM_PAID], "66.4")).replace(
        "SVC*HC:97012:GP*40*18.4**1~", "SVC*HC:97140:GP*40*18.4**1*HC:97012:GP*1~"
    )
    (remittance,) = read_all(text)
    line = remittance.claims[0].service_lines[0]
    assert (line.procedure_code, line.original_procedure_code, line.original_modifiers) == ("97140", "97012", ("GP",))
    assert line.billed_code == "97012"
    assert line.original_units == Decimal(1)


# Error messages ------------------------------------------------------------------------------------


GROUP = "CAS01 (claim adjustment group code)"
ST01 = "ST01 (transaction set identifier code)"


def synthetic(old: str, new: str) -> str:
    text = interchange(transaction([CLAIM_PAID], "66.4"))
    assert old in text
    return text.replace(old, new, 1)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("CLP*PT1001*1*180*66.4", "CLP*PT1001*1*180*x.50", "segment 14 (CLP): CLP04 'x.50' is not an amount"),
        ("CLP*PT1001*1*", "CLP*PT1001*9*", "segment 14 (CLP): CLP02 (claim status code) '9' is not a valid code"),
        ("CLP*PT1001*", "CLP**", "segment 14 (CLP): CLP01 (patient control number) is missing"),
        ("CAS*CO*45*17~", "CAS*XX*45*17~", f"segment 20 (CAS): {GROUP} 'XX' is not a valid code"),
        ("CAS*CO*45*17~", "CAS*CO*45~", "segment 20 (CAS): CAS03 (adjustment amount) is missing"),
        ("CAS*CO*45*17~", "CAS*CO*45*17*1e3~", "segment 20 (CAS): CAS04 (adjustment quantity) '1e3' is not a number"),
        ("BPR*I*66.4*", "BPR*I**", "segment 4 (BPR): BPR02 (total actual provider payment amount) is missing"),
        ("SVC*HC:97012:GP*40*", "SVC*HC:97012:GP*4O*", "segment 18 (SVC): SVC02 '4O' is not an amount"),
        ("ST*835*0001", "ST*837*0001", f"segment 3 (ST): {ST01} is '837': this reader reads 835 remittances only"),
        ("LX*1~", "LX*1~CAS*CO*45*1~", "segment 14 (CAS): CAS outside a claim (no CLP before it)"),
        ("LX*1~", "LX*1~SVC*HC:97012*1*1~", "segment 14 (SVC): SVC outside a claim (no CLP before it)"),
        ("GS*HP", "GS*HP*X~CLP*A*1*1*1~GS*HP", "segment 3 (CLP): CLP is outside a transaction set (no ST before it)"),
        ("LX*1~", "LX*1~C@P*1~", "segment 14 (C@P): 'C@P' is not a segment id"),
        ("REF*TJ*123456789~", "REF*TJ*123456789~ST*835*2~", "segment 13 (ST): an ST before the SE of transaction 0001"),
    ],
)  # fmt: skip
def test_unreadable_content_names_segment_element_and_problem(old: str, new: str, message: str) -> None:
    with pytest.raises(RemittanceFormatError) as caught:
        read_all(synthetic(old, new))
    assert str(caught.value) == message


def test_a_file_cut_short_is_an_error_not_a_partial_remittance() -> None:
    text = interchange(transaction([CLAIM_PAID], "66.4"))
    with pytest.raises(RemittanceFormatError, match=r"ends inside transaction '0001' \(no SE\): the file is cut short"):
        read_all(text[: text.index("SE*")])


@pytest.mark.parametrize("data", ["", "   \n", "HELLO WORLD", "ISA*00*", b"\x00\x01\x02"])
def test_data_that_is_not_x12_is_an_error(data: str | bytes) -> None:
    with pytest.raises(RemittanceFormatError):
        read_all(data)


def test_a_missing_file_is_an_os_error() -> None:
    with pytest.raises(OSError, match="no-such"):
        read_all(Path("/nonexistent/no-such.835"))


# Sources -------------------------------------------------------------------------------------------


def test_paths_text_bytes_and_open_files_all_read(tmp_path: Path) -> None:
    text = medicare_remittance()
    path = tmp_path / "era.835"
    path.write_text(text, encoding="ascii")
    sources: list[Source] = [
        path,
        str(path),
        text,
        text.encode("ascii"),
        io.StringIO(text),
        io.BytesIO(b"\xef\xbb\xbf" + text.replace("~\n", "~\r\n").encode("ascii")),  # BOM and CR LF
    ]
    for source in sources:
        (remittance,) = read_all(source)
        assert len(remittance.claims) == 4
        assert balance_problems(remittance) == []


def test_the_reader_streams_yielding_a_remittance_before_reading_the_rest() -> None:
    class Trickle(io.StringIO):
        def read(self, size: int | None = -1) -> str:
            return super().read(40)  # small pieces: the reader must not need the whole file

    body = transaction([CLAIM_PAID], "66.4")
    many = [body, *(transaction([CLAIM_PAID], "66.4", control=f"{n:04}") for n in range(2, 40))]
    source = Trickle(interchange(*many))
    remittances = read_835(source)
    first = next(remittances)
    assert first.control_number == "0001"
    assert source.tell() < len(source.getvalue()) // 10
    assert len(list(remittances)) == 38


def test_segment_terminator_newline_and_a_missing_final_terminator() -> None:
    text = interchange(transaction([CLAIM_PAID], "66.4"), terminator="\n").rstrip("\n")
    warnings: list[str] = []
    (remittance,) = read_all(text, warnings)
    assert remittance.claims[0].paid == Decimal("66.4")
    assert warnings == []  # with a newline terminator the last line needs none


@pytest.mark.parametrize(
    ("isa_ends_with", "body_ends_with", "declared", "used"),
    [("~", "\n", "'~'", "line breaks"), ("\n", "~\n", "a line break", "'~'"), ("~", "!", "'~'", "'!'")],
)
def test_a_body_that_ends_segments_otherwise_than_the_isa_declares_is_refused_naming_both(
    isa_ends_with: str, body_ends_with: str, declared: str, used: str
) -> None:
    text = interchange(transaction([CLAIM_PAID], "66.4"), terminator=body_ends_with)
    text = text.replace(ISA + body_ends_with, ISA + isa_ends_with, 1)
    with pytest.raises(RemittanceFormatError) as refused:
        read_all(text)
    assert str(refused.value) == (
        f"segment 2 (GS): the ISA declares {declared} as the segment terminator (the character after ISA16), "
        f"but the segments after it end with {used}; read with the declared one, they would run together"
    )


def test_guide_is_the_835_version_read() -> None:
    assert GUIDE == "005010X221A1"
    warnings: list[str] = []
    read_all(synthetic("*X*005010X221A1", "*X*004010X091A1"), warnings)
    assert warnings == [
        "segment 2 (GS): GS08 (version / release / industry identifier code) is '004010X091A1'; read as 005010X221A1"
    ]


def test_an_isa_without_padding_is_read_with_a_warning_on_every_remittance() -> None:
    text = synthetic("*ZZ*MACJ1PAYER     *ZZ*PTBILL01       *", "*ZZ*MACJ1PAYER*ZZ*PTBILL01*")
    warnings: list[str] = []
    (remittance,) = read_all(text, warnings)
    assert remittance.warnings == ("segment 1 (ISA): the ISA is 94 characters long, not 106",)
    assert warnings == list(remittance.warnings)
