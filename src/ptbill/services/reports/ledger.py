"""The open balance of every billed claim, by party: what the A/R reports (aging, days in A/R) and the net
collection rate read.

Each posted answer is accounted by ``services.balances.account_of_payment`` (the one reading of paid,
adjusted and denied) and a claim's balance is the sum of its answers' (``accounting.account_claim`` adds
them the same way). For one claim:

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
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session, aliased

from ptbill.remittance.accounting import Balance
from ptbill.services.access import Actor
from ptbill.services.balances import OpenBalance, account_of_payment, write_off_sides
from ptbill.services.claim_accounts import memo_scope
from ptbill.services.reports.base import ZERO, ReportParams, claim_filters
from ptbill.storage.tables import ClaimPaymentRow, ClaimRow, EncounterRow, PatientRow, UserRow

IN_AR = ("submitted", "paid", "partial", "denied", "reversed")
BUCKETS = ("0–30", "31–60", "61–90", "91–120", "over 120")


EMPTY = Balance()
MEMO_LIMIT = 200_000  # answers remembered per process (a Balance and a flag each)

# A posted answer never changes once posted (a later answer, a reversal included, is a new row), so its
# reading by ``balances.account_of_payment`` is remembered under its id, claim and amounts: a report reads
# each answer's JSON once per process, then only its key columns.
_ANSWERS: dict[tuple[Any, ...], AnswerFacts] = {}


@dataclass(frozen=True, slots=True)
class AnswerFacts:
    balance: Balance
    has_denial: bool


def answer_facts(session: Session, clinic_id: int, keys: list[tuple[Any, ...]]) -> dict[int, AnswerFacts]:
    """Each answer's balance and whether it denies anything; ``keys``: (id, claim id, status code, paid,
    remittance id)."""
    scope = memo_scope(session, clinic_id)
    missing = [k[0] for k in keys if (scope, *k) not in _ANSWERS]
    if len(_ANSWERS) + len(missing) > MEMO_LIMIT:
        _ANSWERS.clear()
    for start in range(0, len(missing), 1000):
        query = select(ClaimPaymentRow).where(
            ClaimPaymentRow.clinic_id == clinic_id, ClaimPaymentRow.id.in_(missing[start : start + 1000])
        )
        for row in session.scalars(query):
            account = account_of_payment(row)
            key = (scope, row.id, row.claim_id, row.status_code, row.paid, row.remittance_id)
            _ANSWERS[key] = AnswerFacts(account.balance, account.has_denial)
    return {k[0]: _ANSWERS[(scope, *k)] for k in keys if (scope, *k) in _ANSWERS}


def answered_balances(
    session: Session, clinic_id: int, where: list[ColumnElement[bool]], claim_ids: set[int]
) -> dict[int, Balance]:
    """The balance of each claim of ``claim_ids`` over all its posted answers. ``where``: conditions on the
    claims that hold those (the report's filters): a plain join plans well on PostgreSQL, where an IN over
    the claims' own query did not."""
    keys: list[tuple[Any, ...]] = [
        tuple(k)
        for k in session.execute(
            select(
                ClaimPaymentRow.id,
                ClaimPaymentRow.claim_id,
                ClaimPaymentRow.status_code,
                ClaimPaymentRow.paid,
                ClaimPaymentRow.remittance_id,
            )
            .join(ClaimRow, ClaimRow.id == ClaimPaymentRow.claim_id)
            .where(ClaimPaymentRow.clinic_id == clinic_id, *where)
            .order_by(ClaimPaymentRow.id)
        )
        if k[1] in claim_ids
    ]
    facts = answer_facts(session, clinic_id, keys)
    out: dict[int, Balance] = {}
    for key in keys:
        answer_id, claim_id = int(key[0]), int(key[1])
        if answer_id in facts:
            out[claim_id] = out.get(claim_id, EMPTY) + facts[answer_id].balance
    return out


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

    Reads columns (no ORM rows, no lazy loads): one query for the claims, one for their answers' keys, and
    the JSON of the answers not read before in this process.
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
    where = claim_filters(params, actor.clinic_id) + ([ClaimRow.service_date <= as_of] if as_of else [])
    balances = answered_balances(session, actor.clinic_id, where, {r.id for r in rows})
    written_off = write_off_sides(session, actor.clinic_id, [r.id for r in rows])
    out = []
    for r in rows:
        charge = Decimal(r.total_charge)
        b = balances.get(r.id, EMPTY)
        paid, denied, patient = b.payer_paid, b.denied, b.patient
        contractual = b.contractual + b.sequestration
        # The clinic's write-offs close a side as the claim page shows it (balances.OpenBalance).
        payer_side, patient_side = written_off.get(r.id, (ZERO, ZERO))
        insurance_open, patient_open = charge - paid - b.written_off - patient, patient
        if payer_side or patient_side:
            still = OpenBalance(insurance_open, patient_open, payer_side, patient_side)
            insurance_open, patient_open = still.payer, still.patient
        adjusted = b.written_off + payer_side + patient_side
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
                insurance_open,
                patient_open,
            )
        )
    return out
