"""Eligibility end to end on SQLite and PostgreSQL: a 270 written for the patient's coverage, the payer's 271
recorded against it (by its trace number, or its member id), the note's checks and the estimate reading it, the
mailbox sending the 270 and receiving the 271, refusals naming the segment, and tenancy."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from ptbill.domain.clock import FixedClock
from ptbill.eligibility.x12_270_271.reader import read_270
from ptbill.mailbox.folder import FolderMailbox
from ptbill.services import access, eligibility, estimates, mailbox, notes, patients, payers
from ptbill.storage.tables import AuditRow, EligibilityResponseRow, MailboxFileRow
from tests.eligibility_271 import ACTIVE_500_20, INACTIVE, write_271
from tests.hostile import SAMPLES
from tests.integration.mailbox_world import MovingClock
from tests.integration.test_storage_services import make_clinic

ROOT = Path(__file__).resolve().parents[2]
NOTE: dict[str, Any] = json.loads((ROOT / "tests/scenarios/commercial-lumbar-clean.json").read_text())
ASKED_ON = FixedClock(date(2026, 2, 27))
FEES = "code,modifiers,amount,effective_from,effective_to\n97012,,30.00,2026-01-01,\n97110,,40.00,2026-01-01,\n"


def _coverage(session: Session, biller: access.Actor, patient_id: int, **typed: str) -> int:
    form = {"payer_id": "aetna", "member_id": NOTE["coverage"]["member_id"], "priority": "1", **typed}
    return patients.register_coverage(session, biller, patient_id, form).id


def _note(chart: str) -> dict[str, Any]:
    document = json.loads(json.dumps(NOTE))
    document["patient"]["id"] = chart  # the note names the clinic's patient by chart number
    return document


def test_an_inactive_271_blocks_the_visits_claim_with_the_271s_reason_in_the_finding(session: Session) -> None:
    pt, biller, patient = make_clinic(session, "elig-a")
    coverage_id = _coverage(session, biller, patient.id)
    asked = eligibility.request_270(session, biller, patient.id, ASKED_ON, day=date(2026, 3, 2))
    (request,) = read_270(asked.content)
    (inquiry,) = request.inquiries
    assert (inquiry.trace_number, inquiry.service_date, inquiry.service_types) == (
        asked.trace_number,
        date(2026, 3, 2),
        ("30", "PT"),
    )
    assert inquiry.subscriber.id == NOTE["coverage"]["member_id"]
    assert inquiry.patient is None
    answer = write_271(
        member_id=NOTE["coverage"]["member_id"],
        last="TESTWELL",
        first="AVA",
        trace=asked.trace_number,
        benefits=[*INACTIVE, "AAA*Y**72*C"],
    )
    recorded = eligibility.record_file(session, biller, answer, ASKED_ON)
    (stored,) = recorded.answers
    assert (stored.outcome, stored.coverage_id, stored.request_id, stored.coverage_status) == (
        "matched",
        coverage_id,
        asked.id,
        "inactive",
    )

    note, report = notes.save_encounter(session, pt, _note(patient.chart_number), patient.id, clock=ASKED_ON)

    assert report.verdict.value == "blocked"
    (finding,) = [f for f in report.findings if f.rule == "ELIGIBILITY_COVERAGE_INACTIVE"]
    assert finding.severity.value == "error"
    assert "POLICY TERMINATED 01/31/2026" in finding.message
    assert "EB01 6 (inactive)" in finding.message
    assert "AAA 72" in finding.message
    with pytest.raises(access.ConflictError, match="blocking"):
        notes.sign_encounter(session, pt, note.id, clock=ASKED_ON)
    reads = session.scalars(
        select(AuditRow.detail).where(AuditRow.entity == "eligibility_response", AuditRow.entity_id == str(stored.id))
    ).all()
    assert "for a check" in reads


def test_an_active_271_with_500_deductible_left_and_20_percent_gives_the_estimates_share_to_the_cent(
    session: Session,
) -> None:
    _pt, biller, patient = make_clinic(session, "elig-b")
    payers.replace_fee_schedule(session, biller, "aetna", FEES, "aetna.csv")
    typed = {"deductible_remaining": "0", "coinsurance_percent": "50", "cost_sharing_as_of": "2026-01-05"}
    coverage_id = _coverage(session, biller, patient.id, **typed)
    asked = eligibility.request_270(session, biller, patient.id, ASKED_ON, day=date(2026, 3, 2))
    answer = write_271(
        member_id=NOTE["coverage"]["member_id"], last="TESTWELL", first="AVA", trace=asked.trace_number,
        benefits=ACTIVE_500_20,
    )  # fmt: skip
    eligibility.record_file(session, biller, answer, ASKED_ON)
    form = {"coverage_id": str(coverage_id), "visits": "10", "first_visit": "2026-03-02"}
    form |= {"code_0": "97012", "modifiers_0": "GP", "units_0": "1", "code_1": "97110", "modifiers_1": "GP"}
    form["units_1"] = "2"

    made = estimates.prepare_estimate(session, biller, patient.id, form, clock=ASKED_ON)

    # By hand: a visit is allowed 30.00 + 2 x 40.00 = 110.00. Visits 1-4 go to the $500 deductible (440.00);
    # visit 5: 60.00 meets it, 20 % of the other 50.00 = 10.00; visits 6-10: 20 % of 110.00 = 22.00 each.
    # 440.00 + 70.00 + 5 x 22.00 = 620.00 (the typed 50 % with no deductible would have been 550.00).
    assert made.patient_total == Decimal("620.00")
    sharing = made.document["cost_sharing"]
    assert (sharing["deductible_remaining"], sharing["coinsurance_percent"], sharing["as_of"]) == (
        "500.00",
        "20.00",
        "2026-02-27",
    )
    assert sharing["source"] == "the payer's eligibility answer (271) received 2026-02-27 for 2026-03-02"


def test_a_270_goes_out_through_the_mailbox_and_the_polled_271_is_recorded_matched_or_not(
    session: Session, tmp_path: Path
) -> None:
    clock = MovingClock(datetime(2026, 3, 16, 18, 0, tzinfo=UTC))
    _pt, biller, patient = make_clinic(session, "elig-c")
    coverage_id = _coverage(session, biller, patient.id)
    box = FolderMailbox(tmp_path)
    asked = eligibility.request_270(session, biller, patient.id, clock)
    sent = mailbox.send_270(session, biller.clinic_id, box, asked.id, clock)
    assert sent.name.endswith(".270")
    assert (tmp_path / "outbox" / sent.name).read_text() == asked.content
    answer = write_271(member_id=NOTE["coverage"]["member_id"], last="TESTWELL", first="AVA", trace=asked.trace_number,
                       benefits=ACTIVE_500_20)  # fmt: skip
    stranger = write_271(member_id="ZZ0000000", last="NOBODY", first="NEMO", trace=None, benefits=INACTIVE, control=2)
    (tmp_path / "inbox").mkdir(exist_ok=True)
    (tmp_path / "inbox" / "answer.271").write_text(answer)
    (tmp_path / "inbox" / "stranger.271").write_text(stranger)

    result = mailbox.poll(session, biller, box, clock)

    assert (result.handled, result.failed) == (2, 0)
    files = {row.name: row for row in session.scalars(select(MailboxFileRow).where(MailboxFileRow.direction == "in"))}
    assert {name: row.outcome for name, row in files.items()} == {"answer.271": "recorded", "stranger.271": "recorded"}
    rows = session.scalars(select(EligibilityResponseRow).order_by(EligibilityResponseRow.id)).all()
    by_file = {row.mailbox_file_id: row for row in rows}
    matched, unmatched = by_file[files["answer.271"].id], by_file[files["stranger.271"].id]
    assert (matched.outcome, matched.coverage_id, matched.source) == ("matched", coverage_id, "mailbox")
    assert (unmatched.outcome, unmatched.patient_id) == ("unmatched", None)
    assert unmatched.message == "no coverage of this clinic has the 271's member id"
    latest = eligibility.latest_answer(session, biller, patient.id, coverage_id)
    assert latest is not None
    assert latest.deductible_remaining == Decimal("500.00")
    assert latest.visits_remaining == 12
    assert mailbox.poll(session, biller, box, clock).received == 0  # polling again changes nothing


def test_a_file_that_is_not_a_readable_271_is_refused_naming_the_segment_and_nothing_is_stored(
    session: Session,
) -> None:
    _pt, biller, patient = make_clinic(session, "elig-d")
    _coverage(session, biller, patient.id)
    broken = write_271(member_id="W1", last="A", first="B", trace="T", benefits=ACTIVE_500_20).replace("SE*", "XX*")
    with pytest.raises(access.ConflictError, match="not a readable 271"):
        eligibility.record_file(session, biller, broken, ASKED_ON)
    assert session.scalars(select(EligibilityResponseRow)).all() == []


def test_another_clinic_cannot_ask_about_or_read_a_patients_eligibility(session: Session) -> None:
    _pt, biller, patient = make_clinic(session, "elig-e")
    _other_pt, other, _ = make_clinic(session, "elig-f")
    coverage_id = _coverage(session, biller, patient.id)
    with pytest.raises(access.NotFoundError):
        eligibility.request_270(session, other, patient.id, ASKED_ON, coverage_id=coverage_id)
    with pytest.raises(access.NotFoundError):
        eligibility.answers_of(session, other, patient.id)


PUBLIC_271S = sorted(
    p for p in SAMPLES.glob("*/270_271_*/*") if p.suffix == ".271" or p.name.startswith(("response", "error"))
)


@pytest.mark.skipif(not PUBLIC_271S, reason="the public X12 samples are not on this machine")
def test_every_public_271_sample_is_recorded_or_refused_naming_the_segment(session: Session) -> None:
    _pt, biller, patient = make_clinic(session, "elig-samples")
    form = {"payer_id": "aetna", "member_id": "123456789", "priority": "1"}
    coverage_id = patients.register_coverage(session, biller, patient.id, form).id
    outcomes = {}
    for path in PUBLIC_271S:
        try:
            recorded = eligibility.record_file(session, biller, path.read_bytes(), ASKED_ON)
        except access.ConflictError as exc:
            outcomes[path.name] = str(exc)
            continue
        outcomes[path.name] = [(a.outcome, a.coverage_id, a.coverage_status, a.reasons) for a in recorded.answers]
    assert outcomes["subscriber-health-benefit-check.271"] == [("matched", coverage_id, "active", None)]
    assert outcomes["dependent-health-benefit-check.271"] == [("matched", coverage_id, "active", None)]
    refused = outcomes["subscriber-health-benefit-check-error.271"]
    assert "SE02" in refused
    assert "segment 10 (SE)" in refused
    (stored,) = outcomes["error-response-from-payer-to-clinic-not-eligible-for-inquiries-with-payer.edi"]
    assert stored[:3] == ("unmatched", None, "unknown")
    assert "AAA 50 (provider not eligible for inquiries) (provider)" in stored[3]
