"""Each claim's account from its posted 835 answers: the one reading of "paid", "denied" and "underpaid"
that posting, the denial worklist, the reports, the claim pages and the API share.

The posted answers are read back into ``ClaimPayment`` values (``stored_payment``) and handed, with the
claim's expected amounts, to ``remittance.accounting.account_claim``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ptbill.domain.remittance import Adjustment, AdjustmentGroup, ClaimPayment, ClaimStatus, ServicePayment
from ptbill.remittance.accounting import ClaimAccount, Expected, ExpectedLine, account_claim
from ptbill.services.access import Actor
from ptbill.services.audit import audit
from ptbill.services.billing import ClaimRecord
from ptbill.storage.tables import ClaimPaymentRow, ClaimRow, ClaimWriteOffRow

AnyClaim = ClaimRow | ClaimRecord  # a stored claim, or the record the services hand out

ZERO = Decimal("0.00")


def _amount(raw: Any) -> Decimal:
    try:
        return Decimal(str(raw))
    except (InvalidOperation, ValueError):
        return ZERO


def _adjustment(raw: Mapping[str, Any]) -> Adjustment | None:
    try:
        return Adjustment(AdjustmentGroup(str(raw["group"])), str(raw["reason"]), _amount(raw["amount"]))
    except (KeyError, ValueError):
        return None


def _adjustments(raws: Iterable[Mapping[str, Any]]) -> tuple[Adjustment, ...]:
    return tuple(a for a in (_adjustment(raw) for raw in raws) if a is not None)


def stored_payment(
    status_code: str,
    patient_control_number: str,
    charge: Decimal,
    paid: Decimal,
    patient_responsibility: Decimal,
    adjustments: Sequence[Mapping[str, Any]],
    lines: Sequence[Mapping[str, Any]],
    remarks: Sequence[str] = (),
) -> tuple[ClaimPayment, tuple[int | None, ...]]:
    """A posted answer as the 835 said it, and the billed line number each of its lines matched.

    Answers posted before lines kept their own adjustments carry them in the claim's list with the
    line's code: each goes to the first line of that code.
    """
    claim_level = _adjustments(a for a in adjustments if a.get("level") == "claim")
    by_code: dict[str, list[Mapping[str, Any]]] = {}
    if not any("adjustments" in line for line in lines):
        for raw in adjustments:
            if raw.get("level") == "line":
                by_code.setdefault(str(raw.get("code")), []).append(raw)
    services = []
    for line in lines:
        code = str(line.get("code", ""))
        own = line["adjustments"] if "adjustments" in line else by_code.pop(code, [])
        services.append(
            ServicePayment(
                "HC",
                code,
                tuple(line.get("modifiers", ())),
                _amount(line.get("charge", 0)),
                _amount(line.get("paid", 0)),
                adjustments=_adjustments(own),
                remark_codes=tuple(str(r) for r in line.get("remarks", ())),
            )
        )
    try:
        status = ClaimStatus(status_code)
    except ValueError:
        status = ClaimStatus.PRIMARY
    payment = ClaimPayment(
        patient_control_number,
        status,
        Decimal(charge),
        Decimal(paid),
        Decimal(patient_responsibility),
        adjustments=claim_level,
        remark_codes=tuple(remarks),
        service_lines=tuple(services),
    )
    return payment, tuple(line.get("matched_line") for line in lines)


def payment_of(row: ClaimPaymentRow) -> tuple[ClaimPayment, tuple[int | None, ...]]:
    return stored_payment(
        row.status_code,
        row.patient_control_number,
        row.charge,
        row.paid,
        row.patient_responsibility,
        row.adjustments,
        row.lines,
        row.remarks,
    )


def expected_of(claim: AnyClaim) -> Expected:
    lines = tuple(ExpectedLine(line.line_number, line.code, line.expected_payment) for line in claim.lines)
    return Expected(claim.expected_payment, lines)


def account_of_payment(row: ClaimPaymentRow, claim: AnyClaim | None = None) -> ClaimAccount:
    """One posted answer on its own (the denial rate counts answers), against the claim's expected amounts."""
    payment, matched = payment_of(row)
    return account_claim([payment], expected_of(claim) if claim else None, matched=[matched])


# Write-off reasons (services/write_offs.py): which side of the open balance each one closes.
PATIENT_SIDE_WRITE_OFFS = frozenset({"small_balance", "bad_debt"})


@dataclass(frozen=True, slots=True)
class OpenBalance:
    """What is still open on a claim, by party, after the payer's answers and the clinic's write-offs.

    ``payer`` is the charge nobody has answered for yet (not paid, not on the patient, not adjusted by the
    835: denials being worked, and a claim not answered yet); ``patient`` the group PR amounts. A write-off
    for a small balance or bad debt closes the patient's side first; any other closes the payer's first."""

    payer_before: Decimal
    patient_before: Decimal
    written_off_payer: Decimal = ZERO
    written_off_patient: Decimal = ZERO

    @property
    def write_offs(self) -> Decimal:
        return self.written_off_payer + self.written_off_patient

    def _split(self) -> tuple[Decimal, Decimal]:
        payer = self.payer_before - self.written_off_payer
        patient = self.patient_before - self.written_off_patient
        if payer < ZERO:
            payer, patient = ZERO, patient + payer
        if patient < ZERO:
            payer, patient = max(payer + patient, ZERO), ZERO
        return payer, patient

    @property
    def payer(self) -> Decimal:
        return self._split()[0]

    @property
    def patient(self) -> Decimal:
        return self._split()[1]

    @property
    def total(self) -> Decimal:
        return self.payer + self.patient


def open_balance(
    total_charge: Decimal, account: ClaimAccount, payer_side: Decimal = ZERO, patient_side: Decimal = ZERO
) -> OpenBalance:
    """The claim's open balance by party from its account and the clinic's write-offs on each side."""
    b = account.balance
    charge = b.charge if account.answers else total_charge
    payer = max(charge - b.payer_paid - b.patient - b.written_off, ZERO)
    return OpenBalance(payer, max(b.patient, ZERO), payer_side, patient_side)


def write_off_sides(session: Session, clinic_id: int, claim_ids: Sequence[int]) -> dict[int, tuple[Decimal, Decimal]]:
    """Each claim's write-offs, (payer side, patient side), one query per thousand claims."""
    sides: dict[int, tuple[Decimal, Decimal]] = {}
    ids = list(claim_ids)
    for start in range(0, len(ids), 1000):
        query = (
            select(ClaimWriteOffRow.claim_id, ClaimWriteOffRow.reason_code, func.sum(ClaimWriteOffRow.amount))
            .where(ClaimWriteOffRow.clinic_id == clinic_id, ClaimWriteOffRow.claim_id.in_(ids[start : start + 1000]))
            .group_by(ClaimWriteOffRow.claim_id, ClaimWriteOffRow.reason_code)
        )
        for claim_id, reason, total in session.execute(query):
            sides[claim_id] = with_write_off(sides.get(claim_id, (ZERO, ZERO)), reason, Decimal(total))
    return sides


def with_write_off(sides: tuple[Decimal, Decimal], reason: str, amount: Decimal) -> tuple[Decimal, Decimal]:
    """(payer side, patient side) with one more write-off (or one reason's total) on the side it closes."""
    payer, patient = sides
    if reason in PATIENT_SIDE_WRITE_OFFS:
        return payer, patient + amount
    return payer + amount, patient


@dataclass(frozen=True, slots=True)
class ClaimWithAccount:
    claim: AnyClaim
    account: ClaimAccount
    open: OpenBalance | None = None  # the open balance by party, the clinic's write-offs taken off


def accounts_for(session: Session, clinic_id: int, claims: Sequence[AnyClaim]) -> dict[int, ClaimAccount]:
    """Each claim's account over all its posted answers, in the order they were posted (one query)."""
    answers: dict[int, list[tuple[ClaimPayment, tuple[int | None, ...]]]] = {c.id: [] for c in claims}
    ids = list(answers)
    for start in range(0, len(ids), 1000):
        query = (
            select(ClaimPaymentRow)
            .where(ClaimPaymentRow.clinic_id == clinic_id, ClaimPaymentRow.claim_id.in_(ids[start : start + 1000]))
            .order_by(ClaimPaymentRow.id)
        )
        for row in session.scalars(query):
            assert row.claim_id is not None
            answers[row.claim_id].append(payment_of(row))
    return {claim.id: account_of_answers(claim, answers[claim.id]) for claim in claims}


def account_of_answers(claim: AnyClaim, answers: Sequence[tuple[ClaimPayment, tuple[int | None, ...]]]) -> ClaimAccount:
    """The claim's account over its posted answers (``payment_of`` each, in the order they were posted)."""
    return account_claim([p for p, _ in answers], expected_of(claim), matched=[m for _, m in answers])


def claim_balances(session: Session, actor: Actor, claims: Sequence[AnyClaim]) -> list[ClaimWithAccount]:
    """The clinic's claims with their accounts (audited as a read of their remittances)."""
    mine = [c for c in claims if c.clinic_id == actor.clinic_id]
    accounts = accounts_for(session, actor.clinic_id, mine)
    sides = write_off_sides(session, actor.clinic_id, [c.id for c in mine])
    audit(session, actor, "read", "claim_balances", None, f"{len(mine)} claims")
    return [
        ClaimWithAccount(
            c, accounts[c.id], open_balance(c.total_charge, accounts[c.id], *sides.get(c.id, (ZERO, ZERO)))
        )
        for c in mine
    ]


def answered_claim_balances(session: Session, actor: Actor, claim_ids: Sequence[int] = ()) -> list[ClaimWithAccount]:
    """The clinic's claims the payer has answered (or those of ``claim_ids``), oldest first, with their accounts."""
    query = select(ClaimRow).where(ClaimRow.clinic_id == actor.clinic_id)
    if claim_ids:
        query = query.where(ClaimRow.id.in_(list(claim_ids)))
    else:
        query = query.where(ClaimRow.status.in_(("paid", "partial", "denied", "reversed")))
    return claim_balances(session, actor, list(session.scalars(query.order_by(ClaimRow.id))))
