"""Claim status inquiries on SQLite and PostgreSQL: a claim sent with no 835 and no 277 for the payer's
``claims.status_inquiry_after_days`` is asked about in a 276 sent through the mailbox (read back by ptbill's
reader), once in that time; the 277 answering it by the inquiry's trace alone becomes the claim's status in
words on its timeline; a claim with an 835 is never asked about."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from ptbill.claim_status.x12_276_277.reader import read_276
from ptbill.mailbox.folder import FolderMailbox
from ptbill.services import claim_page, mailbox, posting, status_inquiries
from ptbill.storage.tables import ClaimAnswerRow
from ptbill.x12.envelope_writer import Parties
from tests.integration.clearinghouse import Numbers, answer_277, parsed
from tests.integration.mailbox_world import MovingClock, batched_claims
from tests.integration.test_posting import remittance_for


def test_claims_unanswered_after_the_payers_days_are_asked_about_once_and_the_277_answers_by_the_trace(
    session: Session, tmp_path: Path
) -> None:
    clock = MovingClock()
    biller, claims, batch_id = batched_claims(session, "inq1", clock)
    box = FolderMailbox(tmp_path)
    sent = mailbox.send_batch(session, biller, box, batch_id, clock)
    batch = (tmp_path / "outbox" / sent.name).read_bytes()
    paid = claims[2]
    posting.post_remittances(session, biller, [remittance_for(paid, trace="EFT-INQ1")], "era.835")

    clock.later(days=29)
    assert status_inquiries.send_inquiries(session, biller, box, clock).asked == 0
    clock.later(days=2)
    result = status_inquiries.send_inquiries(session, biller, box, clock)
    assert (result.asked, len(result.files)) == (2, 1)
    request = next(read_276((tmp_path / "outbox" / result.files[0]).read_bytes()))
    assert not request.problems
    assert [c.patient_control_number for c in request.claims] == [c.patient_control_number.upper() for c in claims[:2]]
    assert request.claims[0].subscriber.id == "1EG4TE5MK73"
    assert request.provider is not None
    assert request.provider.id == "1245319599"
    assert [f.transaction_type for f in mailbox.list_files(session, biller, mailbox.OUT)] == ["276", "837P"]

    clock.later(days=1)
    assert status_inquiries.send_inquiries(session, biller, box, clock).asked == 0  # asked within the 30 days
    page = claim_page.claim_page(session, biller, claims[0].id)
    asked = next(e for e in page.timeline if e.kind == "asked")
    assert asked.label == "Status asked of the payer (276)"
    assert "no 835 or claim status 30 days after it was sent" in asked.detail

    traces = {
        row.claim_id: row.trace_number
        for row in session.scalars(select(ClaimAnswerRow).where(ClaimAnswerRow.kind == "276"))
    }
    [(_g, _c, read)] = parsed(batch)
    by_number = {c.patient_control_number.upper(): traces[c.id] for c in claims[:2]}
    parties = Parties("PAYER01", "PTBILLTEST", "HN", "005010X212")
    text = answer_277([(read[0], "P3"), (read[1], "F1")], parties, datetime(2026, 4, 20), Numbers(), by_number)
    (tmp_path / "inbox" / "status.277").write_text(text)
    polled = mailbox.poll(session, biller, box, clock)
    assert (polled.handled, polled.failed) == (1, 0)
    session.expire_all()
    assert [c.status for c in claims] == ["pended", "finalized", "partial"]
    page = claim_page.claim_page(session, biller, claims[0].id)
    event = next(e for e in page.timeline if e.kind == "pended")
    assert event.label == "Claim status (277): pending: information requested from the provider"
    clock.later(days=20)
    assert status_inquiries.send_inquiries(session, biller, box, clock).asked == 0  # the 277 is recent
    clock.later(days=11)
    assert status_inquiries.send_inquiries(session, biller, box, clock).asked == 2
