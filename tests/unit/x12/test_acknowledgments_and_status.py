"""The 999, 277CA, 277/276 and 270/271 readers on the public samples, the writers' round trips and pyx12's
verdict, and `ptbill read` on every sample and on malformed input."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from ptbill.acknowledgments.x12_999.reader import read_999
from ptbill.acknowledgments.x12_999.writer import write_999
from ptbill.claim_status.x12_276_277.reader import read_276, read_277
from ptbill.claim_status.x12_276_277.writer import write_276, write_277
from ptbill.claim_status.x12_277ca.reader import read_277ca
from ptbill.claim_status.x12_277ca.writer import write_277ca
from ptbill.cli.main import cli
from ptbill.cli.read_cmd import read_command
from ptbill.domain.acknowledgment import AckVerdict
from ptbill.domain.claim_status import Acknowledged
from ptbill.domain.coded import Party
from ptbill.domain.eligibility import Coverage, EligibilityInquiry, EligibilityRequest
from ptbill.eligibility.x12_270_271.reader import read_270, read_271
from ptbill.eligibility.x12_270_271.writer import write_270
from ptbill.x12.envelope_writer import Parties
from tests.hostile import SAMPLES
from tests.pyx12_check import pyx12_errors
from tests.unit.x12.test_writers_golden import FixedNumbers

needs_samples = pytest.mark.skipif(not SAMPLES.is_dir(), reason="the public X12 samples are not checked out")
WHEN = datetime(2026, 3, 3, 9, 5)
PARTIES = Parties("CLEARING", "PTBILL", "x", "x")
FOLDERS = (
    "linuxforhealth/270_271_005010X279A1",
    "linuxforhealth/276_277_005010X212",
    "imsweb/999_005010X231A1",
    "imsweb/277_5010",
    "stupidedi/270_271_005010X279",
    "stupidedi/276_277_005010X212",
    "stupidedi/999_005010X231A1",
)


def _samples() -> list[Path]:
    if not SAMPLES.is_dir():
        return []
    return sorted(p for folder in FOLDERS for p in (SAMPLES / folder).iterdir() if p.is_file() and p.name != "LICENSE")


def _read(*files: Path | str, json_out: bool = False) -> tuple[int, str, str]:
    runner = CliRunner()
    cli.add_command(read_command)
    args = ["read", *(["--json"] if json_out else []), *map(str, files)]
    result = runner.invoke(cli, args)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


@needs_samples
@pytest.mark.parametrize("path", _samples(), ids=lambda p: p.name)
def test_every_public_sample_is_read_without_a_traceback(path: Path) -> None:
    code, out, err = _read(path)
    assert code == 0, err
    assert "Traceback" not in out + err
    code, out, _ = _read(path, json_out=True)
    assert json.loads(out)["transactions"]


@needs_samples
def test_the_rejected_999_names_the_segment_in_error() -> None:
    ack = next(read_999(SAMPLES / "imsweb/999_005010X231A1/x12_999_rejected.txt"))
    assert ack.verdict is AckVerdict.REJECTED
    (answer,) = ack.group.transaction_sets if ack.group else ()
    assert answer.control_number == "0028"
    assert [e.code for e in answer.errors] == ["5"]
    assert (answer.segments[0].segment_id, answer.segments[0].position, answer.segments[0].error.code) == (
        "NM",
        17,
        "1",
    )
    _, out, _ = _read(SAMPLES / "imsweb/999_005010X231A1/x12_999_rejected.txt")
    assert "segment NM at position 17: 1 (unrecognized segment id)" in out


@needs_samples
def test_the_partial_999_points_to_the_claims_and_the_missing_element() -> None:
    ack = next(read_999(SAMPLES / "stupidedi/999_005010X231A1/response-to-functional-group-containing-3-837s.edi"))
    assert ack.group is not None
    assert ack.group.verdict is AckVerdict.PARTIALLY_ACCEPTED
    assert (ack.group.sets_received, ack.group.sets_accepted) == (3, 1)
    second = ack.group.transaction_sets[1]
    assert second.claim_ids == ("123456789",)
    element = second.segments[0].elements[0]
    assert (element.position, element.reference_number, element.error.meaning) == (2, "782", "required element missing")


@needs_samples
def test_the_277ca_says_which_claim_was_accepted_and_which_rejected() -> None:
    accepted = next(read_277ca(SAMPLES / "imsweb/277_5010/x12_277CA_accepted.txt")).claims[0]
    assert (accepted.patient_control_number, accepted.payer_claim_number) == ("5781", "1107000000014420")
    assert accepted.acknowledged is Acknowledged.ACCEPTED
    rejected = next(read_277ca(SAMPLES / "imsweb/277_5010/x12_277CA_rejected.txt")).claims[0]
    assert rejected.acknowledged is Acknowledged.REJECTED
    status = rejected.statuses[0]
    assert (status.category.code, status.status and status.status.code, status.entity and status.entity.code) == (
        "A7",
        "562",
        "85",
    )
    assert status.charge == Decimal("199.14")
    _, out, _ = _read(SAMPLES / "imsweb/277_5010/x12_277CA_rejected.txt")
    assert "REJECTED" in out
    assert "A7 (rejected for invalid information)" in out


@needs_samples
def test_the_277_gives_each_claims_status_payment_and_payer_number() -> None:
    report = next(read_277(SAMPLES / "stupidedi/276_277_005010X212/claim-response.edi"))
    paid = report.claims[1]
    assert (paid.patient_control_number, paid.payer_claim_number) == ("JO234567", "0529675341")
    assert (paid.statuses[0].category.code, paid.statuses[0].paid) == ("F0", Decimal("7599"))
    assert (paid.service_start, paid.service_end) == (date(2005, 7, 31), date(2005, 8, 9))
    denied = report.claims[2]
    assert denied.statuses[0].category.code == "F2"
    assert denied.lines[0].procedure == "HC:99203"


@needs_samples
def test_the_271_gives_coverage_plan_dates_and_copays_in_and_out_of_network() -> None:
    response = next(read_271(SAMPLES / "linuxforhealth/270_271_005010X279A1/subscriber-health-benefit-check.271"))
    (member,) = response.members
    assert member.coverage is Coverage.ACTIVE
    begin = member.date("346")
    assert begin is not None
    assert begin.start == date(2006, 1, 1)
    copays = member.of_kind("B")
    assert [(b.amount, b.in_network) for b in copays] == [(Decimal("10.00"), True), (Decimal("30.00"), False)]
    assert copays[0].period is not None
    assert copays[0].period.code == "27"
    assert "33" in [s.code for s in copays[0].service_types]


@needs_samples
def test_the_271_error_names_the_rejection_and_the_next_step() -> None:
    response = next(
        read_271(
            SAMPLES
            / "stupidedi/270_271_005010X279"
            / "error-response-from-payer-to-clinic-not-eligible-for-inquiries-with-payer.edi"
        )
    )
    (rejection,) = response.rejections
    assert (rejection.where, rejection.reason.code, rejection.follow_up and rejection.follow_up.code) == (
        "provider",
        "50",
        "N",
    )
    _, out, _ = _read(SAMPLES / "linuxforhealth/270_271_005010X279A1/subscriber-health-benefit-check-error.271")
    assert "provider not eligible for inquiries" in out
    assert "SE02" in out


def _eligibility_271(benefits: str) -> str:
    body = [
        "ST*271*0001*005010X279A1", "BHT*0022*11*R1*20260302*1200", "HL*1**20*1", "NM1*PR*2*MEDICARE*****PI*CMS",
        "HL*2*1*21*1", "NM1*1P*2*HARBOR PT*****XX*1245319599", "HL*3*2*22*0", "TRN*2*T1*9123456789",
        "NM1*IL*1*DOE*JANE****MI*1EG4TE5MK73", "DTP*346*D8*20260101", *benefits.split("|"),
    ]  # fmt: skip
    segments = [*body, f"SE*{len(body) + 1}*0001"]
    isa = "ISA*00*          *00*          *ZZ*A              *ZZ*B              *260302*1200*^*00501*000000001*0*P*:"
    return "~".join([isa, "GS*HB*A*B*20260302*1200*1*X*005010X279A1", *segments, "GE*1*1", "IEA*1*000000001"]) + "~"


def test_a_271_gives_coinsurance_deductible_visit_limits_prior_authorization_and_the_therapy_amount() -> None:
    text = _eligibility_271(
        "EB*1**30^PT|EB*A*IND*PT***23**0.2|EB*C*IND*30***23*500|EB*C*IND*30***29*125.5|EB*G*FAM*30***23*6000"
        "|EB*F**PT***23***VS*20*Y*Y|EB*F**PT|HSD*VS*30***22|EB*B**PT***24*1480.25|MSG*AMOUNT APPLIED TO THERAPY"
    )
    (member,) = next(read_271(text)).members
    assert member.coverage is Coverage.ACTIVE
    assert member.of_kind("A")[0].percent == Decimal("0.2")
    assert [(b.period and b.period.code, b.amount) for b in member.of_kind("C")] == [
        ("23", Decimal("500")),
        ("29", Decimal("125.5")),
    ]
    assert member.of_kind("G")[0].coverage_level is not None
    assert [b.visits for b in member.visit_limits] == [Decimal("20"), Decimal("30")]
    assert member.prior_authorization_required is True
    applied = member.therapy_amount_applied
    assert applied is not None
    assert applied.amount == Decimal("1480.25")
    assert applied.messages == ("AMOUNT APPLIED TO THERAPY",)


def test_a_270_for_a_dependent_round_trips_with_service_types_30_and_pt() -> None:
    request = EligibilityRequest(
        "1", "REQ1", None, Party("AETNA", "60054", "PI"), Party("HARBOR PT", "1245319599", "XX"),
        (EligibilityInquiry(Party("GARCIA", "W123", "MI", "MARIA"), "TRACE1", date(2026, 3, 2),
                            patient=Party("GARCIA", None, None, "LEO"), patient_birth_date=date(2012, 5, 30)),),
    )  # fmt: skip
    text = write_270(request, "9123456789", PARTIES, WHEN, FixedNumbers(1, 1, 1))
    assert "EQ*30~EQ*PT~" in text
    assert "HL*4*3*23*0~TRN*1*TRACE1*9123456789~NM1*03*1*GARCIA*LEO~" in text
    assert next(read_270(text)).inquiries == request.inquiries


@needs_samples
def test_the_276_writer_round_trips_the_tr3_claim_request() -> None:
    request = next(read_276(SAMPLES / "stupidedi/276_277_005010X212/claim-request.edi"))
    text = write_276(request, PARTIES, WHEN, FixedNumbers(1, 1, 1))
    again = next(read_276(text))
    assert again.claims == request.claims
    assert not again.problems


@needs_samples
def test_pyx12_accepts_the_999_and_277ca_written_and_the_277_round_trips() -> None:
    ack = next(read_999(SAMPLES / "imsweb/999_005010X231A1/x12_999_rejected.txt"))
    assert ack.group is not None
    text = write_999(ack.group, PARTIES, WHEN, FixedNumbers(1, 1, 1))
    assert pyx12_errors(text) == []
    assert next(read_999(text)).group == ack.group
    report = next(read_277ca(SAMPLES / "imsweb/277_5010/x12_277CA_rejected.txt"))
    text = write_277ca(report, Party("HARBOR PT", "ETIN", "46"), PARTIES, WHEN, FixedNumbers(1, 1, 1))
    assert pyx12_errors(text) == []
    assert next(read_277ca(text)).claims[0].acknowledged is Acknowledged.REJECTED
    status = next(read_277(SAMPLES / "stupidedi/276_277_005010X212/claim-response.edi"))
    text = write_277(status, Party("XYZ", "X67E", "46"), PARTIES, WHEN, FixedNumbers(1, 1, 1))
    assert [c.statuses for c in next(read_277(text)).claims] == [c.statuses for c in status.claims]


def test_a_truncated_file_exits_2_naming_the_segment(tmp_path: Path) -> None:
    path = tmp_path / "cut.x12"
    path.write_text(
        "ISA*00*          *00*          *ZZ*A              *ZZ*B              *260303*0905*^*00501*000000001*0*P*:~"
        "GS*FA*A*B*20260303*0905*1*X*005010X231A1~ST*999*0001*005010X231A1~AK1*HC*1"
    )
    code, _, err = _read(path)
    assert code == 2
    assert "segment 4 (AK1)" in err


def test_a_bad_element_is_named_and_an_unsupported_transaction_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.271"
    bad.write_text(_eligibility_271("EB*B**PT***27*TEN"))
    code, out, _ = _read(bad)
    assert code == 0
    assert "EB07 (monetary amount) 'TEN' is not a number" in out
    other = tmp_path / "other.x12"
    other.write_text(_eligibility_271("EB*1").replace("ST*271", "ST*834").replace("HB*A", "BE*A"))
    code, _, err = _read(other)
    assert code == 2
    assert "unsupported transaction" in err
