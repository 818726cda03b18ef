"""Patient statements on SQLite and PostgreSQL: the PDF shows each visit, the total due and its ageing; a run
states only patients owing more than its threshold and not stated within the cycle; reminders rise at 30, 60
and 90 days; small balances are written off in bulk, or nothing is; another clinic's statement is not found."""

from __future__ import annotations

import subprocess
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ptbill.domain.clock import FixedClock
from ptbill.services import access
from ptbill.services.patient_ledger import ledger_invariants, patient_ledger
from ptbill.services.small_balances import write_off_small_balances
from ptbill.services.statements import print_statement, reminder_level, run_statements, statement_pdf, statements_of
from ptbill.storage.tables import AuditRow, ClaimWriteOffRow, ClinicRow, EncounterRow, StatementRow
from tests.integration.ledger_world import coinsurance_by_line, post_primary
from tests.integration.test_posting import billed_claim

D = Decimal
DUE = date(2026, 3, 20)  # the payer's answer: the patient's share is due from then


def pdf_text(pdf: bytes) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()


def owing(session: Session, name: str) -> tuple[access.Actor, int, Decimal]:
    """A clinic whose one patient owes Medicare's coinsurance: (biller, patient id, what they owe)."""
    biller, claim = billed_claim(session, name)
    owes = sum(coinsurance_by_line(post_primary(session, biller, claim, trace=f"EFT-{name}")), D(0))
    encounter = session.get(EncounterRow, claim.encounter_id)
    assert encounter is not None
    return biller, encounter.patient_id, owes


def test_a_statement_shows_the_clinic_each_visit_the_total_due_its_ageing_and_how_to_pay(session: Session) -> None:
    biller, patient_id, owes = owing(session, "stmt1")
    clinic = session.get(ClinicRow, biller.clinic_id)
    assert clinic is not None
    clinic.pay_to_address_line1, clinic.pay_to_city, clinic.pay_to_state, clinic.pay_to_zip = (
        "PO Box 77",
        "Santa Barbara",
        "CA",
        "93101",
    )
    clinic.contact_phone, clinic.statement_message = "8055550100", "Thank you <b>for</b> choosing us & our team."
    made = print_statement(session, biller, patient_id, clock=FixedClock(date(2026, 5, 1)))
    assert (made.amount_due, made.oldest_due, made.reminder_level) == (owes, DUE, 0)
    found, pdf = statement_pdf(session, biller, made.id)
    assert found.id == made.id
    text = pdf_text(pdf)
    for words in (
        "stmt1",
        "PO Box 77",
        "Santa Barbara, CA 93101",
        "Statement date May 01, 2026",
        "Account C-1",
        "03/02/2026",
        f"${owes:,.2f}",
        "31–60 days",
        "make it payable to stmt1",
        "call the office at (805) 555-0100 to pay by card",
        "Thank you <b>for</b> choosing us & our team.",
        "Amount enclosed",
    ):
        assert words in text, words
    ageing = next(line for line in text.splitlines() if line.strip().startswith("$0.00"))
    assert ageing.split() == ["$0.00", f"${owes:,.2f}", "$0.00", "$0.00", f"${owes:,.2f}"]
    assert [s.id for s in statements_of(session, biller, patient_id)] == [made.id]
    actions = session.scalars(select(AuditRow.action).where(AuditRow.entity == "statement")).all()
    assert {"create", "read"} <= set(actions)


def test_a_run_skips_patients_under_the_threshold_and_patients_stated_within_the_cycle(session: Session) -> None:
    biller, patient_id, owes = owing(session, "stmt2")
    day = date(2026, 4, 1)
    assert run_statements(session, biller, minimum=owes, clock=FixedClock(day)).count == 0  # owes no more than it
    first = run_statements(session, biller, minimum=D("10.00"), clock=FixedClock(day))
    assert (first.count, first.total, [s.patient_id for s in first.statements]) == (1, owes, [patient_id])
    again = run_statements(session, biller, minimum=D("10.00"), clock=FixedClock(day + timedelta(days=29)))
    assert again.count == 0  # stated 29 days ago: within the 30-day cycle
    later = run_statements(session, biller, minimum=D("10.00"), clock=FixedClock(day + timedelta(days=30)))
    assert later.count == 1
    clinic = session.get(ClinicRow, biller.clinic_id)
    assert clinic is not None
    clinic.statement_cycle_days = 45
    cycle = run_statements(session, biller, minimum=D("0.00"), clock=FixedClock(day + timedelta(days=60)))
    assert cycle.count == 0  # 30 days after the last one: within the clinic's 45
    stored = session.scalar(select(func.count()).select_from(StatementRow).where(StatementRow.clinic_id == clinic.id))
    assert stored == 2


def test_reminders_rise_at_30_60_and_90_days_past_due_to_a_final_notice(session: Session) -> None:
    biller, patient_id, _ = owing(session, "stmt3")
    made = []
    for days in (5, 35, 65, 95):
        run = run_statements(session, biller, minimum=D("1.00"), clock=FixedClock(DUE + timedelta(days=days)))
        made += run.statements
    assert [s.patient_id for s in made] == [patient_id] * 4
    assert [s.reminder_level for s in made] == [0, 1, 2, 3]
    texts = [pdf_text(statement_pdf(session, biller, s.id)[1]) for s in made]
    assert "past due" not in texts[0]
    assert "30 days past due" in texts[1]
    assert "60 days past due" in texts[2]
    assert "90 days past due — final notice before collections" in texts[3]
    assert reminder_level(120, None) == 0  # a first statement is never a reminder
    assert reminder_level(29, 2) == 0


def test_small_balances_are_written_off_in_bulk_and_leave_nothing_owed(session: Session) -> None:
    biller, patient_id, owes = owing(session, "stmt4")
    clock = FixedClock(date(2026, 5, 1))
    none = write_off_small_balances(session, biller, under=owes, reason_text="Under our limit", clock=clock)
    assert (none.patients, none.total) == (0, D(0))
    done = write_off_small_balances(session, biller, under=owes + 1, reason_text="Under our limit", clock=clock)
    assert (done.patients, done.visits, done.total) == (1, 1, owes)
    ledger = patient_ledger(session, biller, patient_id, today=clock.today())
    assert (ledger.owed, ledger.visits[0].patient_written_off) == (D(0), owes)
    assert ledger_invariants(ledger) == []
    (row,) = session.scalars(select(ClaimWriteOffRow).where(ClaimWriteOffRow.clinic_id == biller.clinic_id))
    assert (row.reason_code, row.reason_text) == ("small_balance", "Under our limit")
    assert session.scalar(select(AuditRow.id).where(AuditRow.entity == "small_balance_write_off")) is not None


def test_a_bulk_write_off_refused_writes_nothing_and_names_the_field(session: Session) -> None:
    biller, patient_id, owes = owing(session, "stmt5")
    clock = FixedClock(date(2026, 5, 1))
    for under, reason, field in ((owes + 1, "x" * 501, "reason_text"), ("ten", "ok", "under"), ("0", "ok", "under")):
        with pytest.raises(access.InvalidChangeError) as refused:
            write_off_small_balances(session, biller, under=under, reason_text=reason, clock=clock)
        assert refused.value.field == field
    therapist = access.Actor(biller.user_id, biller.clinic_id, "therapist", "T")
    with pytest.raises(access.ForbiddenError):
        write_off_small_balances(session, therapist, under=owes + 1, reason_text="ok", clock=clock)
    assert (
        session.scalar(
            select(func.count()).select_from(ClaimWriteOffRow).where(ClaimWriteOffRow.clinic_id == biller.clinic_id)
        )
        == 0
    )
    assert patient_ledger(session, biller, patient_id, today=clock.today()).owed == owes


def test_another_clinics_statement_and_patient_are_not_found(session: Session) -> None:
    biller, patient_id, _ = owing(session, "stmt6")
    other, _, _ = owing(session, "stmt7")
    made = print_statement(session, biller, patient_id, clock=FixedClock(date(2026, 5, 1)))
    with pytest.raises(access.NotFoundError):
        statement_pdf(session, other, made.id)
    with pytest.raises(access.NotFoundError):
        statements_of(session, other, patient_id)
    with pytest.raises(access.NotFoundError):
        print_statement(session, other, patient_id, clock=FixedClock(date(2026, 5, 1)))
