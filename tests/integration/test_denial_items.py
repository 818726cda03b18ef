"""Denials as work on SQLite and PostgreSQL: one item per denied line (a paid claim's too, never a CO-45
line), made once however often the file is posted, moved by compare-and-set, at the right appeal level
with the right deadline; and two billers changing one item at the same moment: one wins."""

from __future__ import annotations

import dataclasses
import io
import threading
import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal

import pdfplumber
import pytest
from sqlalchemy import Engine, delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from ptbill.domain.clock import FixedClock
from ptbill.domain.remittance import Adjustment, AdjustmentGroup, ServicePayment
from ptbill.remittance.x12_835.reader import read_835
from ptbill.remittance.x12_835.writer import write_835
from ptbill.services import access, appeals, posting
from ptbill.services.denial_items import ensure_backfilled, open_denial_items
from ptbill.services.denial_work import DenialFilter, add_note, denial_item, denial_items, update_denial_item
from ptbill.storage.session import make_engine, session_factory, transaction
from ptbill.storage.tables import ClaimRow, DenialBackfillRow, DenialItemEventRow, DenialItemRow
from tests.integration.api.world import fresh_database
from tests.integration.test_posting import billed_claim, remittance_for
from tests.integration.test_storage_services import CLEAN

D = Decimal
CLOCK = FixedClock(date(2026, 4, 1))


def with_one_denied_line(claim: ClaimRow, carc: str = "96", group: AdjustmentGroup = AdjustmentGroup.CONTRACTUAL):
    """The usual payment (a quarter paid, $1 coinsurance, CO-45 for the rest) with the last line denied instead."""
    remittance = remittance_for(claim, trace=f"EFT-{uuid.uuid4().hex[:8]}")
    payment = remittance.claims[0]
    last = payment.service_lines[-1]
    denied = ServicePayment(
        "HC", last.procedure_code, last.modifiers, last.charge, D("0"),
        adjustments=(Adjustment(group, carc, last.charge),), remark_codes=("N20",), service_start=last.service_start,
    )  # fmt: skip
    lines = (*payment.service_lines[:-1], denied)
    paid = sum((s.paid for s in lines), D(0))
    changed = dataclasses.replace(payment, service_lines=lines, paid=paid, patient_responsibility=D(len(lines) - 1))
    return dataclasses.replace(remittance, claims=(changed,), payment_amount=paid)


def items_of(session: Session, claim_id: int) -> list[DenialItemRow]:
    return list(session.scalars(select(DenialItemRow).where(DenialItemRow.claim_id == claim_id)))


def test_a_paid_claim_with_one_denied_line_makes_exactly_one_item(session: Session) -> None:
    biller, claim = billed_claim(session, "di1")
    assert len(claim.lines) >= 2, "the clean note bills several lines"
    posting.post_remittances(session, biller, read_835(write_835(with_one_denied_line(claim))), "era.835")
    assert claim.status in {"paid", "partial"}
    [item] = items_of(session, claim.id)
    last = claim.lines[-1]
    assert (item.line_number, item.code, item.carc_group, item.carc) == (last.line_number, last.code, "CO", "96")
    assert item.rarcs == ["N20"]
    assert item.denied_amount == last.charge
    assert item.status == "new"


def test_contractual_and_deductible_lines_make_no_item(session: Session) -> None:
    biller, claim = billed_claim(session, "di2")
    posting.post_remittances(session, biller, read_835(write_835(remittance_for(claim))), "era.835")
    assert items_of(session, claim.id) == []
    other_biller, other = billed_claim(session, "di2b")
    deductible = with_one_denied_line(other, carc="1", group=AdjustmentGroup.PATIENT)
    posting.post_remittances(session, other_biller, read_835(write_835(deductible)), "era.835")
    assert items_of(session, other.id) == []


def test_posting_the_same_file_twice_makes_each_item_once(session: Session) -> None:
    biller, claim = billed_claim(session, "di3")
    text = write_835(with_one_denied_line(claim))
    posting.post_remittances(session, biller, read_835(text), "era.835")
    posting.post_remittances(session, biller, read_835(text), "era.835 (again)")
    assert open_denial_items(session, biller) == 0  # a full re-read finds nothing new either
    assert len(items_of(session, claim.id)) == 1


def test_answers_posted_before_the_migration_get_their_items_on_the_first_read(session: Session) -> None:
    biller, claim = billed_claim(session, "di4")
    posting.post_remittances(session, biller, read_835(write_835(with_one_denied_line(claim))), "era.835")
    session.execute(delete(DenialItemRow).where(DenialItemRow.claim_id == claim.id))
    session.execute(delete(DenialBackfillRow).where(DenialBackfillRow.clinic_id == biller.clinic_id))
    page = denial_items(session, biller, DenialFilter(), CLOCK)
    assert [i.claim_id for i in page.items] == [claim.id]
    ensure_backfilled(session, biller)
    assert len(items_of(session, claim.id)) == 1


def test_status_moves_are_compare_and_set_and_follow_the_table(session: Session) -> None:
    biller, claim = billed_claim(session, "di5")
    posting.post_remittances(session, biller, read_835(write_835(with_one_denied_line(claim))), "era.835")
    [row] = items_of(session, claim.id)
    item = update_denial_item(
        session, biller, row.id, expected_status="new", status="in progress", assignee_id=biller.user_id,
        follow_up=date(2026, 4, 8), clock=CLOCK,
    )  # fmt: skip
    assert (item.status, item.assignee_name, item.follow_up) == ("in progress", "Bo Biller", date(2026, 4, 8))
    with pytest.raises(access.ConflictError, match="is in progress now"):
        update_denial_item(session, biller, row.id, expected_status="new", status="resolved", clock=CLOCK)
    update_denial_item(session, biller, row.id, expected_status="in progress", status="written off", clock=CLOCK)
    with pytest.raises(access.ConflictError, match="cannot become appealed"):
        update_denial_item(session, biller, row.id, expected_status="written off", status="appealed", clock=CLOCK)
    with pytest.raises(access.InvalidChangeError, match="assignee_id"):
        update_denial_item(session, biller, row.id, expected_status="written off", assignee_id=999999, clock=CLOCK)
    add_note(session, biller, row.id, "Called the payer: ref 1234.")
    detail = denial_item(session, biller, row.id)
    kinds = [e.kind for e in detail.events]
    assert kinds == ["created", "status", "assign", "follow-up", "status", "note"]
    assert detail.events[-1].user_name == "Bo Biller"
    mine = denial_items(session, biller, DenialFilter(status="all", assignee="mine"), CLOCK)
    assert [i.id for i in mine.items] == [row.id]
    assert denial_items(session, biller, DenialFilter(status="open"), CLOCK).total == 0


def test_medicare_appeals_go_from_redetermination_to_reconsideration(session: Session) -> None:
    biller, claim = billed_claim(session, "di6")  # the clean note's payer is CA Medicare South
    posting.post_remittances(session, biller, read_835(write_835(with_one_denied_line(claim))), "era.835")
    [row] = items_of(session, claim.id)
    item = denial_item(session, biller, row.id).item
    assert (item.appeal.name, item.appeal.form, item.appeal_level) == ("redetermination", "CMS-20027", 0)
    assert item.appeal.deadline == date(2026, 3, 20) + timedelta(days=5 + 120)
    assert not item.appeal.assumed
    item = update_denial_item(session, biller, row.id, expected_status="new", status="appealed", clock=CLOCK)
    assert (item.status, item.appeal_level, item.appeal.name) == ("appealed", 1, "redetermination")
    with pytest.raises(access.InvalidChangeError, match="decision_date"):
        update_denial_item(session, biller, row.id, expected_status="appealed", status="appealed", clock=CLOCK)
    item = update_denial_item(
        session, biller, row.id, expected_status="appealed", status="appealed", decision_date=date(2026, 3, 30),
        clock=CLOCK,
    )  # fmt: skip
    assert (item.appeal_level, item.appeal.name, item.appeal.form) == (2, "reconsideration", "CMS-20033")
    assert item.appeal.deadline == date(2026, 3, 30) + timedelta(days=5 + 180)


def test_a_commercial_deadline_comes_from_the_assumed_payer_parameter(session: Session) -> None:
    coverage = {**CLEAN["coverage"], "payer": "aetna", "member_id": "W123456789"}
    biller, claim = billed_claim(session, "di7", coverage=coverage)
    assert claim.payer_id == "aetna"
    posting.post_remittances(session, biller, read_835(write_835(with_one_denied_line(claim))), "era.835")
    [row] = items_of(session, claim.id)
    item = denial_item(session, biller, row.id).item
    assert item.appeal.deadline == date(2026, 3, 20) + timedelta(days=180)
    assert item.appeal.assumed
    assert "contract" in item.appeal.source


def test_the_worklist_filters_and_counts(session: Session) -> None:
    biller, claim = billed_claim(session, "di8")
    posting.post_remittances(session, biller, read_835(write_835(with_one_denied_line(claim))), "era.835")
    [row] = items_of(session, claim.id)
    page = denial_items(session, biller, DenialFilter(reason="CO-96"), CLOCK)
    assert page.total == 1
    assert page.by_status["new"] == 1
    assert denial_items(session, biller, DenialFilter(reason="CO-16"), CLOCK).total == 0
    assert denial_items(session, biller, DenialFilter(payer="aetna"), CLOCK).total == 0
    assert denial_items(session, biller, DenialFilter(follow_up="due"), CLOCK).total == 0
    update_denial_item(session, biller, row.id, expected_status="new", follow_up=date(2026, 3, 31), clock=CLOCK)
    assert denial_items(session, biller, DenialFilter(follow_up="overdue"), CLOCK).total == 1
    with pytest.raises(access.InvalidChangeError, match="status"):
        denial_items(session, biller, DenialFilter(status="lost"), CLOCK)


# Two billers at once, on committed data ---------------------------------------------------------------


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def factory(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[sessionmaker[Session]]:
    with fresh_database(request.param, tmp_path_factory.mktemp(f"denials-{request.param}")) as url:
        engine: Engine = make_engine(url)
        try:
            yield session_factory(engine)
        finally:
            engine.dispose()


def test_two_updates_with_the_same_expected_status_one_wins(factory: sessionmaker[Session]) -> None:
    with transaction(factory) as session:
        biller, claim = billed_claim(session, f"dc{uuid.uuid4().hex[:6]}")
        posting.post_remittances(session, biller, read_835(write_835(with_one_denied_line(claim))), "era.835")
        [row] = items_of(session, claim.id)
        item_id = row.id
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def work(target: str) -> None:
        try:
            with transaction(factory) as session:
                barrier.wait()
                update_denial_item(session, biller, item_id, expected_status="new", status=target, clock=CLOCK)
            outcomes.append(target)
        except access.ConflictError:
            outcomes.append("conflict")
        except access.DatabaseBusyError:  # SQLite serializes writers: the loser may be told it is busy
            outcomes.append("conflict")

    threads = [threading.Thread(target=work, args=(t,)) for t in ("in progress", "written off")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes).count("conflict") == 1, outcomes
    winner = next(o for o in outcomes if o != "conflict")
    with factory() as session:
        stored = session.get(DenialItemRow, item_id)
        assert stored is not None
        assert stored.status == winner
        moves = session.scalar(
            select(func.count()).where(DenialItemEventRow.item_id == item_id, DenialItemEventRow.kind == "status")
        )
        assert moves == 1


# The appeal packet of an item ---------------------------------------------------------------------------


def packet_text(pdf: bytes) -> str:
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        return " ".join((document.pages[0].extract_text() or "").split())


def test_the_medicare_packet_names_redetermination_then_reconsideration(session: Session) -> None:
    biller, claim = billed_claim(session, "dp1")
    posting.post_remittances(session, biller, read_835(write_835(with_one_denied_line(claim))), "era.835")
    [row] = items_of(session, claim.id)
    first = packet_text(appeals.build_item_appeal_pdf(session, biller, row.id, CLOCK.today()))
    assert "Request for redetermination" in first
    assert "CMS-20027" in first
    assert "file by 07/23/2026" in first
    assert f"line {claim.lines[-1].line_number}, {claim.lines[-1].code}" in first
    assert "LATE" not in first
    update_denial_item(session, biller, row.id, expected_status="new", status="appealed", clock=CLOCK)
    update_denial_item(
        session, biller, row.id, expected_status="appealed", status="appealed", decision_date=date(2026, 3, 30),
        clock=CLOCK,
    )  # fmt: skip
    second = packet_text(appeals.build_item_appeal_pdf(session, biller, row.id, CLOCK.today()))
    assert "Request for reconsideration" in second
    assert "Qualified Independent Contractor" in second
    assert "CMS-20033" in second
    assert "file by 10/01/2026" in second  # 3/30 + 5 days' presumed receipt + 180


def test_a_packet_after_the_deadline_is_refused_unless_late_and_then_says_so(session: Session) -> None:
    biller, claim = billed_claim(session, "dp2")
    posting.post_remittances(session, biller, read_835(write_835(with_one_denied_line(claim))), "era.835")
    [row] = items_of(session, claim.id)
    after = date(2026, 7, 24)  # the redetermination deadline was 07/23/2026
    with pytest.raises(appeals.LateAppealError, match="07/23/2026"):
        appeals.build_item_appeal_pdf(session, biller, row.id, after)
    late = packet_text(appeals.build_item_appeal_pdf(session, biller, row.id, after, late=True))
    assert "LATE: the deadline for this redetermination was 07/23/2026, 1 days ago" in late
    assert "good cause" in late


def test_a_commercial_packet_marks_the_deadline_as_assumed(session: Session) -> None:
    coverage = {**CLEAN["coverage"], "payer": "aetna", "member_id": "W123456789"}
    biller, claim = billed_claim(session, "dp3", coverage=coverage)
    posting.post_remittances(session, biller, read_835(write_835(with_one_denied_line(claim))), "era.835")
    [row] = items_of(session, claim.id)
    text = packet_text(appeals.build_item_appeal_pdf(session, biller, row.id, CLOCK.today()))
    assert "Request for first-level appeal" in text
    assert "file by 09/16/2026" in text
    assert "assumed default: check the contract" in text
