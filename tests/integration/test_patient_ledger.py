"""The patient ledger read back from real rows: a Medicare answer puts the coinsurance on the patient, a
next payer's claim takes it instead, a crossover keeps it with the payer, write-offs and patient money
land where they should, and every entry names its source and the audit row that recorded it."""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from ptbill.domain.remittance import ProviderAdjustment
from ptbill.services import posting
from ptbill.services.access import NotFoundError
from ptbill.services.patient_ledger import (
    ledger_invariants,
    patient_balances,
    patient_ledger,
    patient_paid_by_claim,
)
from ptbill.services.write_offs import write_off
from ptbill.storage.tables import EncounterRow, PatientPaymentRow, PaymentApplicationRow
from tests.integration.ledger_world import coinsurance_by_line, next_claim, post_primary, secondary_answer
from tests.integration.test_posting import billed_claim
from tests.integration.test_remittance_accounting import answer_with, medicare_line

D = Decimal
TODAY = date(2026, 5, 1)


def patient_of(session: Session, claim_encounter_id: int) -> int:
    encounter = session.get(EncounterRow, claim_encounter_id)
    assert encounter is not None
    return encounter.patient_id


def test_a_medicare_answer_leaves_the_patient_the_coinsurance_due_from_the_answer_day(session: Session) -> None:
    biller, claim = billed_claim(session, "ledger1")
    remittance = post_primary(session, biller, claim)
    coinsurance = sum(coinsurance_by_line(remittance), D(0))
    assert coinsurance > 0
    ledger = patient_ledger(session, biller, patient_of(session, claim.encounter_id), today=TODAY)
    (visit,) = ledger.visits
    assert visit.claim_id == claim.id
    assert visit.charge == claim.total_charge
    assert visit.insurance_paid == remittance.claims[0].paid
    assert visit.insurance_adjusted == claim.total_charge - remittance.claims[0].paid - coinsurance
    assert (visit.patient_owes, visit.insurance_open, visit.patient_paid) == (coinsurance, D(0), D(0))
    assert (visit.due_since, visit.days_due) == (date(2026, 3, 20), (TODAY - date(2026, 3, 20)).days)
    assert (ledger.owed, ledger.credit) == (coinsurance, D(0))
    kinds = {e.kind for e in ledger.entries}
    assert {"charge", "payer_payment", "adjustment", "transfer", "transfer_in"} <= kinds
    contractual = [e for e in ledger.entries if e.reason == "45"]
    assert contractual
    assert all(e.group == "CO" and e.text.startswith("CO-45: Above the allowed amount") for e in contractual)
    from_835 = [e for e in ledger.entries if e.source == "835"]
    assert from_835
    assert all(e.audit_id is not None and e.record.startswith("claim_payment") for e in from_835)
    assert all(e.audit_id is not None for e in ledger.entries if e.kind == "charge")
    assert [e.day for e in ledger.entries] == sorted(e.day for e in ledger.entries)
    assert ledger_invariants(ledger) == []


def test_a_next_payers_claim_takes_the_coinsurance_and_what_it_leaves_falls_to_the_patient(session: Session) -> None:
    biller, claim = billed_claim(session, "ledger2")
    coinsurance = coinsurance_by_line(post_primary(session, biller, claim))
    secondary = next_claim(session, claim)
    patient_id = patient_of(session, claim.encounter_id)
    waiting = patient_ledger(session, biller, patient_id, today=TODAY)
    (visit,) = waiting.visits
    assert visit.claim_ids == (claim.id, secondary.id)
    assert (visit.patient_owes, visit.insurance_open) == (D(0), sum(coinsurance, D(0)))
    assert visit.due_since is None
    assert ledger_invariants(waiting) == []
    pays = [(c * D("0.5")).quantize(D("0.01")) for c in coinsurance]  # the Medigap pays half, the patient the rest
    posting.post_remittance(session, biller, secondary_answer(secondary, pays, coinsurance, "EFT-GAP-1"), "gap.835")
    ledger = patient_ledger(session, biller, patient_id, today=TODAY)
    (visit,) = ledger.visits
    assert visit.patient_owes == sum(coinsurance, D(0)) - sum(pays, D(0))
    assert visit.insurance_open == D(0)
    assert visit.due_since == date(2026, 4, 10)  # the day the last payer's answer put it on the patient
    assert visit.charge == visit.insurance_paid + visit.insurance_adjusted + visit.patient_owes
    settled = [e for e in ledger.entries if e.kind == "prior_payer"]
    assert settled
    assert all(e.party == "payer 2" and e.amount < 0 for e in settled)
    assert ledger_invariants(ledger) == []


def test_a_crossed_over_claim_keeps_the_coinsurance_with_the_payer_it_went_to(session: Session) -> None:
    biller, claim = billed_claim(session, "ledger3")
    coinsurance = sum(coinsurance_by_line(post_primary(session, biller, claim)), D(0))
    claim.crossed_over_to = "MEDIGAP PLAN OF CA"
    session.flush()
    ledger = patient_ledger(session, biller, patient_of(session, claim.encounter_id), today=TODAY)
    (visit,) = ledger.visits
    assert (visit.patient_owes, visit.insurance_open) == (D(0), coinsurance)
    assert visit.payers[-1] == "MEDIGAP PLAN OF CA"
    assert any(e.kind == "transfer" and "next payer" in e.text for e in ledger.entries)
    assert ledger_invariants(ledger) == []


def test_a_small_balance_write_off_closes_the_patients_share_and_names_its_audit_row(session: Session) -> None:
    biller, claim = billed_claim(session, "ledger4")
    coinsurance = sum(coinsurance_by_line(post_primary(session, biller, claim)), D(0))
    stored = write_off(session, biller, claim.id, coinsurance - D("1.00"), "small_balance")
    ledger = patient_ledger(session, biller, patient_of(session, claim.encounter_id), today=TODAY)
    (visit,) = ledger.visits
    assert (visit.patient_written_off, visit.patient_owes) == (coinsurance - D("1.00"), D("1.00"))
    entries = [e for e in ledger.entries if e.kind == "write_off"]
    assert entries
    assert all(e.record == f"claim_write_off {stored.id}" and e.audit_id for e in entries)
    assert all(e.party == "patient" and e.source == "user" for e in entries)
    assert ledger_invariants(ledger) == []


def test_patient_money_applied_is_paid_the_rest_is_credit_and_the_balances_list_honours_the_minimum(
    session: Session,
) -> None:
    biller, claim = billed_claim(session, "ledger5")
    coinsurance = sum(coinsurance_by_line(post_primary(session, biller, claim)), D(0))
    patient_id = patient_of(session, claim.encounter_id)
    assert [b.patient_id for b in patient_balances(session, biller, today=TODAY, minimum=coinsurance)] == [patient_id]
    assert patient_balances(session, biller, today=TODAY, minimum=coinsurance + D("0.01")) == []
    payment = PatientPaymentRow(
        clinic_id=biller.clinic_id,
        patient_id=patient_id,
        method="cash",
        amount=coinsurance + D(10),
        received_on=date(2026, 4, 20),
    )
    session.add(payment)
    session.flush()
    session.add(
        PaymentApplicationRow(
            clinic_id=biller.clinic_id,
            patient_id=patient_id,
            claim_id=claim.id,
            payment_id=payment.id,
            amount=coinsurance,
            applied_on=date(2026, 4, 20),
        )
    )
    session.flush()
    ledger = patient_ledger(session, biller, patient_id, today=TODAY)
    (visit,) = ledger.visits
    assert (visit.patient_paid, visit.patient_owes, ledger.owed, ledger.credit) == (coinsurance, D(0), D(0), D(10))
    assert patient_paid_by_claim(session, biller.clinic_id, [claim.id, claim.id + 999]) == {claim.id: coinsurance}
    assert patient_balances(session, biller, today=TODAY, minimum=D("0.01")) == []
    assert ledger_invariants(ledger) == []


def test_another_clinics_patient_is_not_found(session: Session) -> None:
    _, claim = billed_claim(session, "ledger6")
    other, _ = billed_claim(session, "ledger7")
    with pytest.raises(NotFoundError):
        patient_ledger(session, other, patient_of(session, claim.encounter_id), today=TODAY)
    assert patient_paid_by_claim(session, other.clinic_id, [claim.id]) == {}


def test_provider_level_adjustments_that_name_the_claim_are_listed_with_plain_reasons(session: Session) -> None:
    biller, claim = billed_claim(session, "ledger8")
    (remittance,) = answer_with(claim, medicare_line, "EFT-PLB-1")
    plb = (
        ProviderAdjustment("1245319599", date(2026, 12, 31), "L6", claim.patient_control_number, D("-1.25")),
        ProviderAdjustment("1245319599", date(2026, 12, 31), "WO", claim.patient_control_number, D("3.00")),
    )
    paid = remittance.claims[0].paid
    posting.post_remittance(
        session,
        biller,
        dataclasses.replace(remittance, provider_adjustments=plb, payment_amount=paid - D("1.75")),
        "plb.835",
    )
    ledger = patient_ledger(session, biller, patient_of(session, claim.encounter_id), today=TODAY)
    listed = {e.reason: e for e in ledger.entries if e.kind == "provider_adjustment"}
    assert listed["L6"].amount == D("1.25")  # interest: money to the clinic
    assert listed["L6"].text == "PLB L6: Interest paid by the payer"
    assert listed["WO"].amount == D("-3.00")  # an overpayment recovered: money taken back
    assert all(e.claim_id == claim.id and e.audit_id and e.source == "835" for e in listed.values())
    assert ledger_invariants(ledger) == []  # provider-level: no claim line's figures move
