"""The patient ledger (read side): every charge, payer payment, adjustment, transfer of responsibility,
patient payment, refund and write-off, in date order, with its source (835, user, statement) and the audit
row that recorded it; the per-visit summary a statement prints; what the patient owes and their credit.

Nothing here is stored: ``remittance.ledger`` derives every figure from the rows ``ledger_rows`` reads,
each time. ``ledger_invariants`` says what does not balance (an empty list: the books balance).

- ``patient_ledger(session, actor, patient_id, *, today)``: one patient's ledger (audited as a read).
- ``patient_balances(session, actor, *, today, minimum)``: the patients who owe at least ``minimum``.
- ``patient_paid_by_claim(session, clinic_id, claim_ids)``: patient money applied per claim (the A/R
  aging's patient bucket subtracts it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ptbill.remittance.ledger import PATIENT, ZERO, Entry, VisitLedger, visit_ledger
from ptbill.remittance.ledger_checks import broken_invariants
from ptbill.services.access import Actor, owned_row, require_role
from ptbill.services.audit import audit
from ptbill.services.ledger_rows import PatientRows, carc_text, read_rows
from ptbill.storage.tables import ClaimRow, EncounterRow, PatientRow, PaymentApplicationRow

# Who reads and records a patient's money: the front desk takes payments; billers and admins run the books.
# (ptbill has no front-desk role yet: billers and admins do both.)
LEDGER_ROLES = frozenset({"biller", "admin"})

PLB_REASONS = {
    "WO": "Overpayment recovered by the payer",
    "FB": "Forwarding balance (carried to another check)",
    "72": "Authorized return (money given back to the payer)",
    "L6": "Interest paid by the payer",
    "CS": "Adjustment by the payer",
    "J1": "Nonreimbursable",
}
METHODS = {"cash": "Cash", "check": "Check", "card": "Card (reference only)"}

LedgerEntry = Entry  # the records the ledger lists (``remittance.ledger.Entry``)


@dataclass(frozen=True, slots=True)
class VisitSummary:
    """One visit as a statement prints it."""

    claim_id: int  # the first payer's claim
    claim_ids: tuple[int, ...]  # the chain: first payer's, then each next payer's
    service_date: date
    payers: tuple[str, ...]
    charge: Decimal
    insurance_paid: Decimal
    insurance_adjusted: Decimal
    insurance_open: Decimal  # still with a payer (not answered yet, or a denial being worked)
    patient_paid: Decimal
    patient_written_off: Decimal
    patient_owes: Decimal
    due_since: date | None  # the day the patient's share became due (ageing runs from it)
    days_due: int | None  # ``today`` less ``due_since``, while the patient owes something


@dataclass(frozen=True, slots=True)
class PatientLedger:
    patient_id: int
    chart_number: str
    patient_name: str
    entries: tuple[LedgerEntry, ...]  # in date order
    visits: tuple[VisitSummary, ...]  # oldest first
    owed: Decimal  # what the patient owes now, over every visit
    credit: Decimal  # money received and not applied (overpayments), less refunds
    received: Decimal
    applied: Decimal
    refunded: Decimal
    visit_ledgers: tuple[VisitLedger, ...]  # the figures by line and party, for checks and detail

    @property
    def oldest_due(self) -> date | None:
        days = [v.due_since for v in self.visits if v.due_since is not None and v.patient_owes > ZERO]
        return min(days) if days else None


@dataclass(frozen=True, slots=True)
class PatientBalance:
    patient_id: int
    chart_number: str
    patient_name: str
    owed: Decimal
    credit: Decimal
    visits_owing: int
    oldest_due: date | None
    days_due: int | None


def _visit(ledger: VisitLedger, today: date) -> VisitSummary:
    owes = ledger.patient_owes
    due = ledger.due_since if owes > ZERO else None
    return VisitSummary(
        claim_id=ledger.claim_id,
        claim_ids=ledger.claim_ids,
        service_date=ledger.service_date,
        payers=ledger.payers,
        charge=ledger.charge,
        insurance_paid=ledger.insurance_paid,
        insurance_adjusted=ledger.insurance_adjusted,
        insurance_open=ledger.insurance_open,
        patient_paid=ledger.patient_paid,
        patient_written_off=ledger.patient_written_off,
        patient_owes=owes,
        due_since=due,
        days_due=(today - due).days if due is not None else None,
    )


def compute_ledger(patient: PatientRow, rows: PatientRows, today: date) -> PatientLedger:
    """A patient's ledger from their rows (no reading, no audit: the callers do both)."""
    ledgers = []
    for chain, service_date in sorted(rows.visits, key=lambda v: (v[1], v[0][0].id)):
        root = chain[0].id
        ledgers.append(
            visit_ledger(
                chain,
                service_date,
                rows.write_offs.get(root, ()),
                rows.applications.get(root, ()),
                carc=carc_text,
            )
        )
    entries = [e for ledger in ledgers for e in ledger.entries]
    for money in rows.money:
        kind = "patient_payment" if money.kind == "payment" else "refund"
        how = METHODS.get(money.method, money.method) + (f" {money.reference}" if money.reference else "")
        text = f"Payment received, {how}" if kind == "patient_payment" else f"Refund, {how}"
        record = f"{'patient_payment' if kind == 'patient_payment' else 'patient_refund'} {money.id}"
        entries.append(
            Entry(money.day, kind, money.amount, money.source, PATIENT, text, None, None, record, money.audit_id)
        )
    for plb in rows.plb:
        text = f"PLB {plb.reason_code}: {PLB_REASONS.get(plb.reason_code, 'Provider-level adjustment')}"
        entries.append(
            Entry(
                plb.day,
                "provider_adjustment",
                -plb.amount,
                "835",
                "payer",
                text,
                plb.claim_id,
                None,
                f"provider_adjustment {plb.id}",
                plb.audit_id,
                None,
                plb.reason_code,
            )
        )
    received = sum((m.amount for m in rows.money if m.kind == "payment"), ZERO)
    refunded = sum((m.amount for m in rows.money if m.kind == "refund"), ZERO)
    applied = sum((a.amount for apps in rows.applications.values() for a in apps), ZERO)
    returned = sum((ledger.returned_to_credit for ledger in ledgers), ZERO)
    visits = tuple(_visit(ledger, today) for ledger in ledgers)
    return PatientLedger(
        patient_id=patient.id,
        chart_number=patient.chart_number,
        patient_name=f"{patient.last_name}, {patient.first_name}",
        entries=tuple(sorted(entries, key=lambda e: (e.day, e.claim_id or 0, _ORDER.get(e.kind, 9)))),
        visits=visits,
        owed=sum((v.patient_owes for v in visits), ZERO),
        credit=received - applied + returned - refunded,
        received=received,
        applied=applied,
        refunded=refunded,
        visit_ledgers=tuple(ledgers),
    )


_ORDER = {"charge": 0, "payer_payment": 1, "adjustment": 2, "denied": 2, "transfer": 3, "transfer_in": 3}


def combined_entries(entries: Sequence[LedgerEntry]) -> list[LedgerEntry]:
    """The entries as a person reads them: one per day, kind, party, visit, text and record, the claim's
    lines added together (``line_number`` None); a transfer's receiving side is left out (its "passed to"
    entry says where the money went)."""
    combined: dict[tuple[object, ...], LedgerEntry] = {}
    for entry in entries:
        if entry.kind == "transfer_in":
            continue
        key = (entry.day, entry.kind, entry.party, entry.claim_id, entry.text, entry.record)
        before = combined.get(key)
        amount = entry.amount + (before.amount if before else ZERO)
        combined[key] = replace(before or entry, amount=amount, line_number=None)
    return [e for e in combined.values() if e.amount != ZERO]


def patient_ledger(session: Session, actor: Actor, patient_id: int, *, today: date) -> PatientLedger:
    """One patient's ledger, audited as a read of the patient's account."""
    require_role(actor, LEDGER_ROLES)
    patient = owned_row(session, actor, PatientRow, patient_id, "patient")
    rows = read_rows(session, actor.clinic_id, [patient.id]).get(patient.id, PatientRows())
    audit(session, actor, "read", "patient_ledger", str(patient.id))
    return compute_ledger(patient, rows, today)


def visit_open(session: Session, actor: Actor, claim_id: int, today: date) -> Decimal:
    """What is still open on the visit ``claim_id`` belongs to, with the payers and the patient together
    (a write-off may take no more). The patient's row is locked first, as patient payments lock it, so a
    payment and a write-off recorded at once cannot together close more than was open."""
    patient_id = session.scalar(
        select(EncounterRow.patient_id)
        .join(ClaimRow, ClaimRow.encounter_id == EncounterRow.id)
        .where(ClaimRow.id == claim_id, ClaimRow.clinic_id == actor.clinic_id)
    )
    if patient_id is None:
        return ZERO
    session.execute(select(PatientRow.id).where(PatientRow.id == patient_id).with_for_update())
    patient = session.get(PatientRow, patient_id)
    assert patient is not None
    rows = read_rows(session, actor.clinic_id, [patient_id]).get(patient_id, PatientRows())
    ledger = compute_ledger(patient, rows, today)
    visit = next((v for v in ledger.visits if claim_id in v.claim_ids), None)
    return visit.patient_owes + visit.insurance_open if visit else ZERO


def ledger_invariants(ledger: PatientLedger) -> list[str]:
    """What does not balance in the ledger, in words (empty: every invariant holds)."""
    return broken_invariants(ledger.visit_ledgers, ledger.received, ledger.applied, ledger.refunded)


def patient_balances(session: Session, actor: Actor, *, today: date, minimum: Decimal) -> list[PatientBalance]:
    """The clinic's patients who owe at least ``minimum``, the largest balance first (audited once)."""
    require_role(actor, LEDGER_ROLES)
    every = read_rows(session, actor.clinic_id, None)
    patients = {
        p.id: p
        for p in session.scalars(
            select(PatientRow).where(PatientRow.clinic_id == actor.clinic_id, PatientRow.id.in_(list(every)))
        )
    }
    found = []
    for patient_id, rows in every.items():
        if patient_id not in patients:
            continue
        ledger = compute_ledger(patients[patient_id], rows, today)
        if ledger.owed < minimum or ledger.owed <= ZERO:
            continue
        oldest = ledger.oldest_due
        found.append(
            PatientBalance(
                patient_id,
                ledger.chart_number,
                ledger.patient_name,
                ledger.owed,
                ledger.credit,
                sum(1 for v in ledger.visits if v.patient_owes > ZERO),
                oldest,
                (today - oldest).days if oldest else None,
            )
        )
    audit(session, actor, "read", "patient_balances", None, f"{len(found)} patients owing at least {minimum}")
    return sorted(found, key=lambda b: (-b.owed, b.patient_id))


def patient_paid_by_claim(
    session: Session, clinic_id: int, claim_ids: Sequence[int] | None = None
) -> dict[int, Decimal]:
    """Patient payments and credits applied to each claim (of ``claim_ids``, else every claim of the clinic),
    as recorded: the A/R aging's patient bucket subtracts them. Claims with none are absent."""
    base = (
        select(PaymentApplicationRow.claim_id, func.sum(PaymentApplicationRow.amount))
        .where(PaymentApplicationRow.clinic_id == clinic_id)
        .group_by(PaymentApplicationRow.claim_id)
    )
    ids = list(claim_ids) if claim_ids is not None else None
    chunks = (
        [base]
        if ids is None
        else [
            base.where(PaymentApplicationRow.claim_id.in_(ids[start : start + 1000]))
            for start in range(0, len(ids), 1000)
        ]
    )
    paid: dict[int, Decimal] = {}
    for query in chunks:
        for claim_id, total in session.execute(query):
            paid[claim_id] = Decimal(total).quantize(Decimal("0.01"))
    return paid
