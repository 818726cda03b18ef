"""The unmatched worklist: claim payments of an 835 whose patient control number named none of the
clinic's claims (``claim_payments.claim_id`` NULL), and the biller's match of one to a claim by hand.

A match applies the payment with posting's own accounting (``services.posting.apply_payment``: the
claim's and its lines' paid amounts, the patient's share, the status from all the payer's answers),
in one transaction, audited. The claim is locked first, as posting locks it; the payment is then taken
with ``UPDATE ... WHERE claim_id IS NULL``, so of two matches of one payment at the same moment, one wins
and the other is refused as already matched.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import String, cast, or_, select, update
from sqlalchemy.orm import Session

from ptbill.services.access import BILLERS, Actor, ConflictError, NotFoundError, require_role
from ptbill.services.answer_json import lines_json
from ptbill.services.answer_totals import restate_answer
from ptbill.services.audit import audit
from ptbill.services.balances import payment_of
from ptbill.services.posting import Writes, apply_payment, claim_states_by_id, write_changes
from ptbill.storage.tables import ClaimPaymentRow, ClaimRow, EncounterRow, PatientRow, RemittanceRow

MAX_FOUND = 50


@dataclass(frozen=True, slots=True)
class UnmatchedPayment:
    id: int  # the claim payment's id
    remittance_id: int
    payer_name: str
    payment_date: date | None
    check_number: str | None
    patient_control_number: str
    payer_claim_number: str | None
    status_code: str
    charge: Decimal
    paid: Decimal
    patient_responsibility: Decimal
    codes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ClaimCandidate:
    id: int
    patient_control_number: str
    patient_name: str
    service_date: date
    payer_id: str
    status: str
    total_charge: Decimal
    paid_amount: Decimal


@dataclass(frozen=True, slots=True)
class MatchResult:
    claim_payment_id: int
    claim_id: int
    claim_status: str
    claim_paid_amount: Decimal


def _unmatched(session: Session, actor: Actor, *conditions: object) -> list[UnmatchedPayment]:
    query = (
        select(ClaimPaymentRow, RemittanceRow.payer_name, RemittanceRow.payment_date, RemittanceRow.check_number)
        .join(RemittanceRow, RemittanceRow.id == ClaimPaymentRow.remittance_id)
        .where(ClaimPaymentRow.clinic_id == actor.clinic_id, ClaimPaymentRow.claim_id.is_(None), *conditions)  # type: ignore[arg-type]
        .order_by(ClaimPaymentRow.id)
    )
    return [
        UnmatchedPayment(
            row.id,
            row.remittance_id,
            payer,
            paid_on,
            check,
            row.patient_control_number,
            row.payer_claim_number,
            row.status_code,
            row.charge,
            row.paid,
            row.patient_responsibility,
            tuple(str(line.get("code", "")) for line in row.lines),
        )
        for row, payer, paid_on, check in session.execute(query)
    ]


def list_unmatched(session: Session, actor: Actor) -> list[UnmatchedPayment]:
    require_role(actor, BILLERS)
    found = _unmatched(session, actor)
    audit(session, actor, "read", "claim_payment", None, f"unmatched list of {len(found)}")
    return found


def get_unmatched(session: Session, actor: Actor, claim_payment_id: int) -> UnmatchedPayment:
    require_role(actor, BILLERS)
    found = _unmatched(session, actor, ClaimPaymentRow.id == claim_payment_id)
    if not found:
        raise NotFoundError(f"unmatched payment {claim_payment_id} not found (or already matched)")
    audit(session, actor, "read", "claim_payment", str(claim_payment_id))
    return found[0]


def find_claims(
    session: Session, actor: Actor, text: str = "", service_date: date | None = None, charge: Decimal | None = None
) -> list[ClaimCandidate]:
    """Claims to match a payment to: by patient control number, patient name (last, first or both), or
    date of service; with none of these, those whose charge is ``charge`` (the payment's). At most 50."""
    require_role(actor, BILLERS)
    query = (
        select(ClaimRow, PatientRow.last_name, PatientRow.first_name)
        .join(EncounterRow, EncounterRow.id == ClaimRow.encounter_id)
        .join(PatientRow, PatientRow.id == EncounterRow.patient_id)
        .where(ClaimRow.clinic_id == actor.clinic_id)
    )
    words = [w for w in text.replace(",", " ").split() if w][:4]
    for word in words:
        pattern = f"%{word.lower()}%"
        query = query.where(
            or_(
                cast(ClaimRow.patient_control_number, String).ilike(pattern),
                PatientRow.last_name.ilike(pattern),
                PatientRow.first_name.ilike(pattern),
            )
        )
    if service_date is not None:
        query = query.where(ClaimRow.service_date == service_date)
    if not words and service_date is None:
        if charge is None:
            return []
        query = query.where(ClaimRow.total_charge == charge)
    rows = session.execute(query.order_by(ClaimRow.service_date.desc(), ClaimRow.id.desc()).limit(MAX_FOUND))
    found = [
        ClaimCandidate(
            claim.id,
            claim.patient_control_number,
            f"{last}, {first}",
            claim.service_date,
            claim.payer_id,
            claim.status,
            claim.total_charge,
            claim.paid_amount,
        )
        for claim, last, first in rows
    ]
    audit(session, actor, "read", "claim_list", None, f"match search: {len(found)} claims")
    return found


def match_payment(session: Session, actor: Actor, claim_payment_id: int, claim_id: int) -> MatchResult:
    """Apply an unmatched claim payment to one of the clinic's claims, as posting would have; audited."""
    require_role(actor, BILLERS)
    row = session.scalar(
        select(ClaimPaymentRow).where(
            ClaimPaymentRow.id == claim_payment_id, ClaimPaymentRow.clinic_id == actor.clinic_id
        )
    )
    if row is None:
        raise NotFoundError(f"claim payment {claim_payment_id} not found")
    owner = session.scalar(select(ClaimRow.clinic_id).where(ClaimRow.id == claim_id))
    if owner != actor.clinic_id:
        raise NotFoundError(f"claim {claim_id} not found")
    if row.claim_id is not None:
        raise ConflictError(f"claim payment {claim_payment_id} is already matched to claim {row.claim_id}")
    payment, _ = payment_of(row)
    payment = dataclasses.replace(payment, payer_claim_control_number=row.payer_claim_number)
    # The claim first (locked, as posting locks it), then the payment, taken only while it is unmatched.
    claim = claim_states_by_id(session.connection(), [claim_id])[claim_id]
    matched, _account = apply_payment(claim, payment, "the payment was not matched")
    taken = session.execute(
        update(ClaimPaymentRow)
        .where(
            ClaimPaymentRow.id == claim_payment_id,
            ClaimPaymentRow.clinic_id == actor.clinic_id,
            ClaimPaymentRow.claim_id.is_(None),
        )
        .values(claim_id=claim_id, lines=lines_json(payment, matched))
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        raise ConflictError(f"claim payment {claim_payment_id} was matched by someone else just now")
    restate_answer(session.connection(), claim_payment_id)  # its lines now name the claim's lines
    write_changes(session, [claim], Writes())
    audit(session, actor, "update", "claim_payment", str(claim_payment_id), f"matched by hand to claim {claim_id}")
    audit(session, actor, "update", "claim", str(claim_id), f"posted claim payment {claim_payment_id} (manual match)")
    return MatchResult(claim_payment_id, claim_id, claim.status, claim.paid_amount)
