"""The open balance of every billed claim, by party: what the A/R reports (aging, days in A/R) and the net
collection rate read.

Each claim's answers are accounted by ``services.balances.accounts_for`` (the one reading of paid,
adjusted and denied), so a write-off folded into the balance there counts here too. For one claim:

- charge: the claim's total charge (what was billed, whether or not the payer has answered);
- insurance A/R = charge − payer paid − adjustments the clinic may not bill (CO-45 contractual, CO-253
  sequestration, other non-denial adjustments and write-offs: ``Balance.written_off``) − the patient's
  share (group PR, which moves to the patient's A/R). A denied amount stays in insurance A/R until it
  is appealed, corrected or written off: a denial is work, not a settled balance;
- patient A/R = the patient's share (PR-1 deductible, PR-2 coinsurance, PR-3 copay, other PR). ptbill
  records no patient payments yet, so the patient's share is open until it is written off.

A claim is in A/R once it was sent (submitted) or answered; a claim only built is not. A claim replaced by
a corrected claim (frequency 7) or voided (frequency 8) counts once, as its newest claim, and a void
carries no balance.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from ptbill.services.access import Actor
from ptbill.services.balances import accounts_for
from ptbill.services.billing import ClaimRecord
from ptbill.services.reports.base import ZERO, ReportParams, claim_filters
from ptbill.storage.tables import ClaimRow, EncounterRow, PatientRow, UserRow

IN_AR = ("submitted", "paid", "partial", "denied", "reversed")
ANSWERED = ("paid", "partial", "denied", "reversed")
BUCKETS = ("0–30", "31–60", "61–90", "91–120", "over 120")


def bucket_of(days: int) -> int:
    """0–30 → 0, 31–60 → 1, 61–90 → 2, 91–120 → 3, over 120 → 4 (days from the date aged to the as-of day)."""
    return 0 if days <= 30 else 1 if days <= 60 else 2 if days <= 90 else 3 if days <= 120 else 4


@dataclass(frozen=True, slots=True)
class ClaimBalance:
    claim_id: int
    patient_control_number: str
    payer_id: str
    patient_id: int
    patient: str  # "Last, First"
    therapist: str
    service_date: date
    submitted: date | None
    charge: Decimal
    payer_paid: Decimal
    contractual: Decimal  # CO-45 and CO-253 sequestration
    adjusted: Decimal  # everything the clinic may not bill: contractual, other adjustments, write-offs
    denied: Decimal
    patient_share: Decimal
    insurance_open: Decimal
    patient_open: Decimal

    def open_for(self, party: str) -> Decimal:
        if party == "patient":
            return self.patient_open
        if party == "all":
            return self.insurance_open + self.patient_open
        return self.insurance_open


def claim_balances(
    session: Session, actor: Actor, params: ReportParams, *, as_of: date | None = None
) -> list[ClaimBalance]:
    """The balances of the clinic's billed claims within the report's filters, seen no later than ``as_of``.

    Reads columns (no ORM rows, no lazy loads): one query for the claims, one per 1,000 answered claims for
    their posted answers (``accounts_for``).
    """
    newer = aliased(ClaimRow)
    replaced = select(newer.corrects_claim_id).where(
        newer.clinic_id == actor.clinic_id, newer.corrects_claim_id.is_not(None)
    )
    query = (
        select(
            ClaimRow.id,
            ClaimRow.patient_control_number,
            ClaimRow.payer_id,
            ClaimRow.status,
            ClaimRow.frequency,
            ClaimRow.total_charge,
            ClaimRow.service_date,
            ClaimRow.submitted_at,
            ClaimRow.created_at,
            EncounterRow.patient_id,
            PatientRow.last_name,
            PatientRow.first_name,
            UserRow.name,
        )
        .join(EncounterRow, EncounterRow.id == ClaimRow.encounter_id)
        .join(PatientRow, PatientRow.id == EncounterRow.patient_id)
        .outerjoin(UserRow, UserRow.id == EncounterRow.therapist_user_id)
        .where(
            ClaimRow.status.in_(IN_AR),
            ClaimRow.frequency != "8",
            ClaimRow.id.not_in(replaced),
            *claim_filters(params, actor.clinic_id),
        )
        .order_by(ClaimRow.id)
    )
    if as_of is not None:
        query = query.where(ClaimRow.service_date <= as_of)
    rows = session.execute(query).all()
    answered = [
        ClaimRecord(
            id=r.id,
            clinic_id=actor.clinic_id,
            encounter_id=0,
            batch_id=None,
            patient_control_number=r.patient_control_number,
            payer_id=r.payer_id,
            status=r.status,
            frequency=r.frequency,
            original_claim_number=None,
            payer_claim_number=None,
            total_charge=r.total_charge,
            expected_payment=None,
            paid_amount=ZERO,
            patient_responsibility=ZERO,
            service_date=r.service_date,
            created_at=r.created_at,
            submitted_at=r.submitted_at,
            fingerprint=None,
            corrects_claim_id=None,
            lines=(),
        )
        for r in rows
        if r.status in ANSWERED
    ]
    accounts = accounts_for(session, actor.clinic_id, answered)
    out = []
    for r in rows:
        account = accounts.get(r.id)
        charge = Decimal(r.total_charge)
        if account is None:
            paid = contractual = adjusted = denied = patient = ZERO
        else:
            b = account.balance
            paid, denied, patient = b.payer_paid, b.denied, b.patient
            contractual = b.contractual + b.sequestration
            adjusted = b.written_off
        out.append(
            ClaimBalance(
                r.id,
                r.patient_control_number,
                r.payer_id,
                r.patient_id,
                f"{r.last_name}, {r.first_name}",
                r.name or "No therapist recorded",
                r.service_date,
                r.submitted_at.date() if r.submitted_at else None,
                charge,
                paid,
                contractual,
                adjusted,
                denied,
                patient,
                charge - paid - adjusted - patient,
                patient,
            )
        )
    return out
