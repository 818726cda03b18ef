"""The 999, 277CA and 277 received through the mailbox (folder transport), on SQLite and PostgreSQL: each
stored per claim, mapped back to the batch's claims, moving their status; a rejection on the worklist with
its fix and the ptbill check; a claim we do not know named in the outcome with nothing written for it; a
second poll changes nothing. pyx12 judges the 999 and 277CA the stand-in clearinghouse writes valid. The 277
(005010X212) is read back instead: pyx12 4.0.0 has no usable map for it (``277.5010.X212.xml`` is in its map
folder but not in its index ``maps.xml``, and indexed by hand it does not describe the X212 levels: it wants
the 2000B information receiver HL where the TR3 has 2000A's payer, and rejects GS01 HN)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ptbill.claim_status.x12_276_277.reader import read_277
from ptbill.mailbox.folder import FolderMailbox
from ptbill.services import claim_page, mailbox, rejections
from ptbill.services.claim_answers import batch_sets
from ptbill.storage.tables import ClaimAnswerRow, ClaimBatchRow, ClaimRow, MailboxFileRow
from ptbill.x12.envelope_writer import Parties
from tests.integration.clearinghouse import Numbers, answer_277, answer_277ca, answer_999, parsed
from tests.integration.mailbox_world import MovingClock, batched_claims
from tests.integration.test_storage_services import make_clinic
from tests.pyx12_check import pyx12_errors


def answers(session: Session, clinic_id: int) -> int:
    query = select(func.count()).select_from(ClaimAnswerRow).where(ClaimAnswerRow.clinic_id == clinic_id)
    return session.scalar(query) or 0


def outcomes(session: Session, clinic_id: int) -> dict[str, str]:
    query = select(MailboxFileRow.name, MailboxFileRow.outcome).where(
        MailboxFileRow.clinic_id == clinic_id, MailboxFileRow.direction == "in"
    )
    return {row.name: row.outcome for row in session.execute(query)}


def sent_batch(session: Session, name: str, tmp_path: Path) -> tuple[object, list[ClaimRow], bytes, FolderMailbox]:
    clock = MovingClock()
    biller, claims, batch_id = batched_claims(session, name, clock)
    box = FolderMailbox(tmp_path)
    sent = mailbox.send_batch(session, biller, box, batch_id, clock)
    return biller, claims, (tmp_path / "outbox" / sent.name).read_bytes(), box


def test_the_999_and_277ca_move_each_claim_and_the_rejected_one_lands_on_the_worklist_with_its_fix(
    session: Session, tmp_path: Path
) -> None:
    clock = MovingClock()
    biller, claims, batch, box = sent_batch(session, "ack1", tmp_path)
    rejected, *accepted = claims
    numbers, when = Numbers(), datetime(2026, 3, 16, 16, 0)
    ack = answer_999(batch, when, numbers)
    claim_ack = answer_277ca(batch, when, numbers, reject_claim=rejected.patient_control_number)
    assert pyx12_errors(ack) == []
    assert pyx12_errors(claim_ack) == []
    (tmp_path / "inbox" / "batch.999").write_text(ack)
    (tmp_path / "inbox" / "batch.277").write_text(claim_ack)

    result = mailbox.poll(session, biller, box, clock)  # type: ignore[arg-type]
    assert (result.received, result.handled, result.failed) == (2, 2, 0)
    assert outcomes(session, biller.clinic_id) == {"batch.999": "recorded", "batch.277": "recorded"}  # type: ignore[attr-defined]
    session.expire_all()
    assert [c.status for c in claims] == ["rejected", "accepted", "accepted"]

    page = claim_page.claim_page(session, biller, rejected.id)  # type: ignore[arg-type]
    words = [(e.kind, e.label) for e in page.timeline]
    assert ("noted", "Batch file accepted by the clearinghouse (999)") in words
    assert ("rejected", "Rejected by the payer (277CA)") in words
    event = next(e for e in page.timeline if e.kind == "rejected")
    assert "A7 rejected for invalid information: 562 the entity's NPI (billing provider)" in event.detail
    assert "A7:562:85" in event.detail
    assert "NPI_INVALID" in event.detail
    accepted_page = claim_page.claim_page(session, biller, accepted[0].id)  # type: ignore[arg-type]
    assert ("accepted", "Accepted by the payer (277CA)") in [(e.kind, e.label) for e in accepted_page.timeline]

    _, other_biller, _ = make_clinic(session, "ack1-other")
    assert rejections.rejection_worklist(session, other_biller) == []  # each clinic sees only its own
    [item] = rejections.rejection_worklist(session, biller)  # type: ignore[arg-type]
    assert (item.claim_id, item.kind, item.codes) == (rejected.id, "277CA", ("A7:562:85",))
    assert item.fix is not None
    assert "NPI" in item.fix
    assert item.rule_ids == ("NPI_INVALID",)

    stored = answers(session, biller.clinic_id)  # type: ignore[attr-defined]
    assert stored == 6  # three claims, two files
    clock.later(hours=1)
    (tmp_path / "inbox" / "batch again.277").write_text(claim_ack)
    again = mailbox.poll(session, biller, box, clock)  # type: ignore[arg-type]
    assert (again.received, again.handled, again.failed) == (0, 0, 0)
    assert answers(session, biller.clinic_id) == stored  # type: ignore[attr-defined]
    assert [c.status for c in claims] == ["rejected", "accepted", "accepted"]


def test_a_rejected_transaction_set_rejects_its_claims_with_the_segment_and_element_named(
    session: Session, tmp_path: Path
) -> None:
    clock = MovingClock()
    biller, claims, batch, box = sent_batch(session, "ack2", tmp_path)
    text = answer_999(batch, datetime(2026, 3, 16, 16, 0), Numbers(), reject_claim=claims[1].patient_control_number)
    assert pyx12_errors(text) == []
    (tmp_path / "inbox" / "batch.999").write_text(text)
    mailbox.poll(session, biller, box, clock)  # type: ignore[arg-type]
    session.expire_all()
    # ptbill writes every claim of a batch into one transaction set, so the whole set is rejected
    assert [c.status for c in claims] == ["rejected", "rejected", "rejected"]
    items = {i.claim_id: i for i in rejections.rejection_worklist(session, biller)}  # type: ignore[arg-type]
    named = items[claims[1].id]
    assert "segment NM1 at" in named.detail
    assert "in loop 2010: " in named.detail
    assert "element 9 (67): invalid code value" in named.detail
    assert "IK3 NM1:8" in named.codes
    assert "IK4 67:7" in named.codes
    assert named.fix is not None
    assert "member id" in named.fix
    other = items[claims[0].id]
    assert f"rejected with claim(s) {claims[1].patient_control_number.upper()}" in other.detail


def test_a_file_naming_claims_we_do_not_have_says_so_and_writes_nothing_for_them(
    session: Session, tmp_path: Path
) -> None:
    clock = MovingClock()
    biller, claims, _batch, box = sent_batch(session, "ack3", tmp_path)
    other_biller, other_claims, other_batch, _ = sent_batch(session, "ack3-other", tmp_path / "other")
    numbers = Numbers()
    (tmp_path / "inbox" / "theirs.277").write_text(answer_277ca(other_batch, datetime(2026, 3, 16), numbers, None))
    result = mailbox.poll(session, biller, box, clock)  # type: ignore[arg-type]
    assert (result.handled, result.failed) == (1, 0)
    [row] = session.scalars(
        select(MailboxFileRow).where(MailboxFileRow.clinic_id == biller.clinic_id, MailboxFileRow.direction == "in")
    )  # type: ignore[attr-defined]
    assert row.outcome == "unmatched"
    assert all(c.patient_control_number.upper() in (row.message or "") for c in other_claims)
    assert answers(session, biller.clinic_id) == 0  # type: ignore[attr-defined]
    assert answers(session, other_biller.clinic_id) == 0  # type: ignore[attr-defined]
    session.expire_all()
    assert {c.status for c in claims + other_claims} == {"submitted"}
    assert mailbox.OUTCOME_TEXT["unmatched"].startswith("Not our claims")


def test_a_277_status_becomes_the_claims_status_in_words_on_its_timeline(session: Session, tmp_path: Path) -> None:
    clock = MovingClock()
    biller, claims, batch, box = sent_batch(session, "ack4", tmp_path)
    [(_g, _c, read)] = parsed(batch)
    parties = Parties("PAYER01", "PTBILLTEST", "HN", "005010X212")
    text = answer_277([(read[0], "P1"), (read[1], "F1")], parties, datetime(2026, 4, 20, 9, 0), Numbers())
    assert [c.statuses[0].category.code for c in next(read_277(text)).claims] == ["P1", "F1"]  # no pyx12 map: above
    (tmp_path / "inbox" / "status.277").write_text(text)
    mailbox.poll(session, biller, box, clock)  # type: ignore[arg-type]
    session.expire_all()
    assert [c.status for c in claims] == ["pended", "finalized", "submitted"]
    page = claim_page.claim_page(session, biller, claims[0].id)  # type: ignore[arg-type]
    event = next(e for e in page.timeline if e.kind == "pended")
    assert event.label == "Claim status (277): pending: in process"
    assert "P1 pending: in process: 20 accepted for processing" in event.detail


def test_the_batch_control_numbers_map_each_transaction_set_to_its_claims(session: Session, tmp_path: Path) -> None:
    _biller, claims, batch, _box = sent_batch(session, "ack5", tmp_path)
    content = session.scalar(select(ClaimBatchRow.content).where(ClaimBatchRow.id == claims[0].batch_id))
    assert content is not None
    assert content.encode() == batch
    [(key, sent)] = batch_sets(content).items()
    assert sent.claims == [c.patient_control_number.upper() for c in claims]
    assert key == tuple(n.lstrip("0") for n in parsed(batch)[0][:2])
    assert sent.segments[0][0] == "ST"
    assert sent.segments[-1][0] == "SE"
