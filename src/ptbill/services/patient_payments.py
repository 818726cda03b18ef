"""Patient money recorded by a user: a payment (cash, a check and its number, or a card's receipt reference;
ptbill processes no cards) applied to the patient's visits, oldest open first or the ones the user picks;
what is left over becomes a credit, which a refund gives back or a later visit takes.

Two clerks at once never over-apply: the patient's row is locked (``with_for_update``; on SQLite the first
write takes the writer lock) before the ledger is read, and every amount applied is at most what the ledger
says the patient owes on the visit at that moment. Every row written has its audit row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from ptbill.domain.clock import SYSTEM_CLOCK, Clock
from ptbill.domain.identifiers import is_ascii_digits
from ptbill.services.access import Actor, ConflictError, InvalidChangeError, owned_row, require_role
from ptbill.services.audit import audit
from ptbill.services.ledger_rows import PatientRows, read_rows
from ptbill.services.patient_ledger import LEDGER_ROLES, METHODS, PatientLedger, compute_ledger
from ptbill.services.write_offs import parse_amount
from ptbill.storage.tables import PatientPaymentRow, PatientRefundRow, PatientRow, PaymentApplicationRow

ZERO = Decimal("0.00")
T = TypeVar("T", PatientPaymentRow, PatientRefundRow)
MAX_REFERENCE = 40
MAX_REASON = 200
SOURCES = ("user", "statement")  # typed in at the desk, or sent back with a statement's stub


@dataclass(frozen=True, slots=True)
class Applied:
    claim_id: int
    amount: Decimal


@dataclass(frozen=True, slots=True)
class PaymentResult:
    """What was recorded: the payment (or refund) id, what went to which visit, and the credit after."""

    id: int
    amount: Decimal
    applied: tuple[Applied, ...]
    credit: Decimal


def _method(method: str, reference: str | None) -> tuple[str, str | None]:
    method = (method or "").strip().lower()
    if method not in METHODS:
        raise InvalidChangeError("method", f"method: choose one of {', '.join(METHODS)}")
    text = (reference or "").strip() or None
    if method == "check":
        if text is None or not is_ascii_digits(text) or len(text) > 15:
            raise InvalidChangeError("reference", "reference: a check's number, in digits (up to 15)")
    elif text is not None and (len(text) > MAX_REFERENCE or not (text.isascii() and text.replace("-", "").isalnum())):
        raise InvalidChangeError(
            "reference", f"reference: letters, digits and dashes, at most {MAX_REFERENCE} (never a card number)"
        )
    if method == "card" and text is not None and is_ascii_digits(text) and len(text) >= 12:
        raise InvalidChangeError("reference", "reference: the receipt's reference, never the card number")
    return method, text


def _day(raw: date | None, today: date, field: str) -> date:
    day = raw or today
    if day > today:
        raise InvalidChangeError(field, f"{field}: {day.isoformat()} is after today")
    if day < today - timedelta(days=3650):
        raise InvalidChangeError(field, f"{field}: {day.isoformat()} is more than ten years ago")
    return day


def _locked_ledger(session: Session, actor: Actor, patient_id: int, today: date) -> tuple[PatientRow, PatientLedger]:
    """The patient's row locked, then their ledger read (nobody else can change their money meanwhile)."""
    require_role(actor, LEDGER_ROLES)
    patient = owned_row(session, actor, PatientRow, patient_id, "patient")
    audit(session, actor, "read", "patient_ledger", str(patient.id), "to record money")
    session.flush()  # on SQLite this takes the writer lock; on PostgreSQL the patient row is locked next
    session.execute(select(PatientRow.id).where(PatientRow.id == patient.id).with_for_update())
    rows = read_rows(session, actor.clinic_id, [patient.id]).get(patient.id, PatientRows())
    return patient, compute_ledger(patient, rows, today)


def _targets(ledger: PatientLedger, claim_ids: Sequence[int] | None) -> list[tuple[int, Decimal]]:
    """The visits to apply to, with what the patient owes on each: oldest open first, or the ones picked."""
    owing = {v.claim_id: v.patient_owes for v in ledger.visits}
    for visit in ledger.visits:
        for claim_id in visit.claim_ids:
            owing.setdefault(claim_id, visit.patient_owes)
    if claim_ids:
        unknown = [c for c in claim_ids if c not in owing]
        if unknown:
            raise InvalidChangeError("claim_ids", f"claim_ids: {unknown[0]} is not one of this patient's visits")
        root = {c: v.claim_id for v in ledger.visits for c in v.claim_ids}
        picked = list(dict.fromkeys(root[c] for c in claim_ids))
        return [(c, owing[c]) for c in picked if owing[c] > ZERO]
    return [(v.claim_id, v.patient_owes) for v in ledger.visits if v.patient_owes > ZERO]


def _apply(
    session: Session,
    actor: Actor,
    patient_id: int,
    targets: list[tuple[int, Decimal]],
    amount: Decimal,
    day: date,
    payment_id: int | None,
) -> list[Applied]:
    applied = []
    left = amount
    for claim_id, owes in targets:
        take = min(owes, left)
        if take <= ZERO:
            break
        row = PaymentApplicationRow(
            clinic_id=actor.clinic_id,
            patient_id=patient_id,
            claim_id=claim_id,
            payment_id=payment_id,
            amount=take,
            applied_on=day,
            created_by_user_id=actor.user_id,
        )
        session.add(row)
        session.flush()
        audit(session, actor, "create", "payment_application", str(row.id), f"claim {claim_id}")
        applied.append(Applied(claim_id, take))
        left -= take
    return applied


class _Money:
    """Money coming in or going out, checked field by field, with the patient's row locked and ledger read."""

    def __init__(
        self,
        session: Session,
        actor: Actor,
        patient_id: int,
        amount: object,
        method: str,
        reference: str | None,
        day: date | None,
        day_field: str,
        clock: Clock,
    ) -> None:
        require_role(actor, LEDGER_ROLES)
        self.session, self.actor = session, actor
        self.amount = parse_amount(amount)
        self.method, self.reference = _method(method, reference)
        today = clock.today()
        self.day = _day(day, today, day_field)
        patient, self.ledger = _locked_ledger(session, actor, patient_id, today)
        self.patient_id = patient.id

    def store(self, table: type[T], **columns: object) -> T:
        row = table(
            clinic_id=self.actor.clinic_id,
            patient_id=self.patient_id,
            method=self.method,
            reference=self.reference,
            amount=self.amount,
            created_by_user_id=self.actor.user_id,
            **columns,
        )
        self.session.add(row)
        self.session.flush()
        entity = "patient_payment" if table is PatientPaymentRow else "patient_refund"
        audit(self.session, self.actor, "create", entity, str(row.id), f"patient {self.patient_id}: {self.method}")
        return row


def record_payment(
    session: Session,
    actor: Actor,
    patient_id: int,
    amount: object,
    method: str,
    reference: str | None = None,
    *,
    received_on: date | None = None,
    claim_ids: Sequence[int] | None = None,
    source: str = "user",
    clock: Clock = SYSTEM_CLOCK,
) -> PaymentResult:
    """Record money the patient paid and apply it (oldest open visit first, or ``claim_ids`` in order);
    the rest is the patient's credit."""
    if source not in SOURCES:
        raise InvalidChangeError("source", f"source: one of {', '.join(SOURCES)}")
    money = _Money(session, actor, patient_id, amount, method, reference, received_on, "received_on", clock)
    targets = _targets(money.ledger, claim_ids)
    row = money.store(PatientPaymentRow, received_on=money.day, source=source)
    applied = _apply(session, actor, money.patient_id, targets, money.amount, money.day, row.id)
    credit = money.ledger.credit + money.amount - sum((a.amount for a in applied), ZERO)
    return PaymentResult(row.id, money.amount, tuple(applied), credit)


def apply_credit(
    session: Session,
    actor: Actor,
    patient_id: int,
    *,
    amount: object | None = None,
    claim_ids: Sequence[int] | None = None,
    clock: Clock = SYSTEM_CLOCK,
) -> PaymentResult:
    """Apply the patient's credit (all of it, or ``amount``) to their open visits."""
    today = clock.today()
    patient, ledger = _locked_ledger(session, actor, patient_id, today)
    wanted = ledger.credit if amount is None else parse_amount(amount)
    if wanted > ledger.credit or ledger.credit <= ZERO:
        raise ConflictError(f"amount: {wanted} is more than the patient's credit of {ledger.credit}")
    applied = _apply(session, actor, patient.id, _targets(ledger, claim_ids), wanted, today, None)
    used = sum((a.amount for a in applied), ZERO)
    return PaymentResult(0, used, tuple(applied), ledger.credit - used)


def record_refund(
    session: Session,
    actor: Actor,
    patient_id: int,
    amount: object,
    method: str,
    reference: str | None = None,
    *,
    refunded_on: date | None = None,
    reason: str | None = None,
    clock: Clock = SYSTEM_CLOCK,
) -> PaymentResult:
    """Record money given back to the patient: never more than their credit."""
    text = (reason or "").strip() or None
    if text is not None and (len(text) > MAX_REASON or not text.isprintable()):
        raise InvalidChangeError("reason", f"reason: at most {MAX_REASON} printable characters")
    money = _Money(session, actor, patient_id, amount, method, reference, refunded_on, "refunded_on", clock)
    credit = money.ledger.credit
    if money.amount > credit:
        raise ConflictError(f"amount: {money.amount} is more than the patient's credit of {credit}")
    row = money.store(PatientRefundRow, refunded_on=money.day, reason=text)
    return PaymentResult(row.id, money.amount, (), credit - money.amount)
