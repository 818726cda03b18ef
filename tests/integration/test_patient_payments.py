"""Patient payments recorded at the desk: applied oldest visit first or to the visits picked, the rest a
credit, refunds never more than the credit, a credit applied to a later visit, and bad input refused with
the field named and nothing written."""

from __future__ import annotations

import copy
import uuid
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ptbill.domain.clock import FixedClock
from ptbill.services import billing, notes
from ptbill.services.access import Actor, ConflictError, ForbiddenError, InvalidChangeError, actor_for
from ptbill.services.patient_ledger import ledger_invariants, patient_ledger
from ptbill.services.patient_payments import apply_credit, record_payment, record_refund
from ptbill.services.write_offs import write_off
from ptbill.storage.tables import AuditRow, ClaimRow, EncounterRow, PatientPaymentRow, PaymentApplicationRow
from tests.integration.ledger_world import coinsurance_by_line, post_primary
from tests.integration.test_posting import billed_claim
from tests.integration.test_storage_services import CLEAN

D = Decimal
CLOCK = FixedClock(date(2026, 5, 1))


def second_visit(session: Session, first: ClaimRow, biller: Actor) -> ClaimRow:
    """Another visit of the same patient, a week later, billed and answered like the first."""
    encounter = session.get(EncounterRow, first.encounter_id)
    assert encounter is not None
    document = copy.deepcopy(CLEAN)
    document["id"] = f"second-{uuid.uuid4().hex[:8]}"
    document["date_of_service"] = "2026-03-09"
    therapist = encounter.therapist_user_id
    pt = actor_for(session, therapist) if therapist else None
    assert pt is not None
    row, _ = notes.save_encounter(session, pt, document, encounter.patient_id)
    notes.sign_encounter(session, pt, row.id)
    built = billing.build_claims(session, biller, [row.id])[0]
    claim = session.get(ClaimRow, built.id)
    assert claim is not None
    return claim


def owed(session: Session, biller: Actor, claim: ClaimRow) -> tuple[int, Decimal]:
    """The primary's answer posted; the patient and the coinsurance it left them."""
    remittance = post_primary(session, biller, claim, trace=f"EFT-{claim.id}-{uuid.uuid4().hex[:6]}")
    encounter = session.get(EncounterRow, claim.encounter_id)
    assert encounter is not None
    return encounter.patient_id, sum(coinsurance_by_line(remittance), D(0))


def test_a_payment_goes_to_the_oldest_visit_first_and_the_rest_is_a_credit_then_a_refund(session: Session) -> None:
    biller, first = billed_claim(session, "pay1")
    patient_id, first_owes = owed(session, biller, first)
    second = second_visit(session, first, biller)
    _, second_owes = owed(session, biller, second)
    result = record_payment(session, biller, patient_id, str(first_owes + D(5)), "check", "1042", clock=CLOCK)
    assert [(a.claim_id, a.amount) for a in result.applied] == [(first.id, first_owes), (second.id, D(5))]
    assert result.credit == D(0)
    extra = record_payment(session, biller, patient_id, "100.00", "cash", clock=CLOCK)
    assert [(a.claim_id, a.amount) for a in extra.applied] == [(second.id, second_owes - D(5))]
    ledger = patient_ledger(session, biller, patient_id, today=CLOCK.today())
    assert ledger.owed == D(0)
    assert ledger.credit == extra.credit == D(100) - (second_owes - D(5))
    with pytest.raises(ConflictError, match="more than the patient's credit"):
        record_refund(session, biller, patient_id, str(ledger.credit + D("0.01")), "check", "2001", clock=CLOCK)
    refund = record_refund(
        session, biller, patient_id, str(ledger.credit), "check", "2001", reason="overpaid", clock=CLOCK
    )
    assert refund.credit == D(0)
    after = patient_ledger(session, biller, patient_id, today=CLOCK.today())
    assert after.credit == D(0)
    kinds = [e.kind for e in after.entries if e.party == "patient" and e.source == "user"]
    assert (kinds.count("patient_payment"), kinds.count("refund")) == (2, 1)
    assert all(e.audit_id for e in after.entries if e.kind in ("patient_payment", "refund", "applied"))
    assert ledger_invariants(after) == []


def test_a_payment_for_a_picked_visit_skips_the_older_one_and_a_credit_pays_a_later_visit(session: Session) -> None:
    biller, first = billed_claim(session, "pay2")
    patient_id, first_owes = owed(session, biller, first)
    paid = record_payment(session, biller, patient_id, str(first_owes + D(20)), "card", "AUTH-77Q", clock=CLOCK)
    assert paid.credit == D(20)
    second = second_visit(session, first, biller)
    _, second_owes = owed(session, biller, second)
    assert second_owes < D(20)
    used = apply_credit(session, biller, patient_id, clock=CLOCK)
    assert [(a.claim_id, a.amount) for a in used.applied] == [(second.id, second_owes)]
    assert used.credit == D(20) - second_owes
    ledger = patient_ledger(session, biller, patient_id, today=CLOCK.today())
    assert (ledger.owed, ledger.credit) == (D(0), D(20) - second_owes)
    third = second_visit(session, first, biller)
    _, third_owes = owed(session, biller, third)
    picked = record_payment(session, biller, patient_id, "1.00", "cash", claim_ids=[third.id], clock=CLOCK)
    assert [(a.claim_id, a.amount) for a in picked.applied] == [(third.id, D("1.00"))]
    assert third_owes > D(1)
    assert ledger_invariants(patient_ledger(session, biller, patient_id, today=CLOCK.today())) == []


@pytest.mark.parametrize(
    ("amount", "method", "reference", "field"),
    [
        ("-5", "cash", None, "amount"),
        ("12.345", "cash", None, "amount"),
        ("ten", "cash", None, "amount"),
        ("10", "bitcoin", None, "method"),
        ("10", "check", None, "reference"),
        ("10", "check", "12a4", "reference"),
        ("10", "card", "4111111111111111", "reference"),
        ("10", "card", "ref\x1b[2J", "reference"),
    ],
)
def test_bad_payments_are_refused_naming_the_field_and_write_nothing(
    session: Session, amount: str, method: str, reference: str | None, field: str
) -> None:
    biller, claim = billed_claim(session, f"pay3{field}{method}{abs(hash(amount)) % 1000}")
    patient_id, _ = owed(session, biller, claim)
    before = session.scalar(select(func.count()).select_from(AuditRow))
    with pytest.raises(InvalidChangeError) as refused:
        record_payment(session, biller, patient_id, amount, method, reference, clock=CLOCK)
    assert refused.value.field == field
    assert (
        session.scalar(
            select(func.count()).select_from(PatientPaymentRow).where(PatientPaymentRow.patient_id == patient_id)
        )
        == 0
    )
    assert session.scalar(select(func.count()).select_from(AuditRow)) == before
    assert (
        session.scalar(
            select(func.count())
            .select_from(PaymentApplicationRow)
            .where(PaymentApplicationRow.patient_id == patient_id)
        )
        == 0
    )


def test_a_payment_dated_tomorrow_or_by_a_therapist_is_refused(session: Session) -> None:
    biller, claim = billed_claim(session, "pay4")
    patient_id, _ = owed(session, biller, claim)
    with pytest.raises(InvalidChangeError, match="received_on"):
        record_payment(session, biller, patient_id, "5", "cash", received_on=date(2026, 5, 2), clock=CLOCK)
    encounter = session.get(EncounterRow, claim.encounter_id)
    assert encounter is not None
    assert encounter.therapist_user_id is not None
    pt = actor_for(session, encounter.therapist_user_id)  # the note's author, a therapist
    assert pt is not None
    with pytest.raises(ForbiddenError):
        record_payment(session, pt, patient_id, "5", "cash", clock=CLOCK)


def test_a_write_off_after_the_patient_paid_in_full_is_refused(session: Session) -> None:
    """The claim's own answers still show the coinsurance open; the patient's payment closed it."""
    biller, claim = billed_claim(session, "pay5")
    patient_id, owes = owed(session, biller, claim)
    record_payment(session, biller, patient_id, str(owes), "cash", clock=CLOCK)
    next_day = FixedClock(date(2026, 5, 2))
    with pytest.raises(ConflictError, match=r"visit's open balance of 0\.00"):
        write_off(session, biller, claim.id, D("1.00"), "small_balance", clock=next_day)
    assert ledger_invariants(patient_ledger(session, biller, patient_id, today=next_day.today())) == []
