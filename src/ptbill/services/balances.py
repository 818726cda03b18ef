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

from sqlalchemy import select
from sqlalchemy.orm import Session

from ptbill.domain.remittance import Adjustment, AdjustmentGroup, ClaimPayment, ClaimStatus, ServicePayment
from ptbill.remittance.accounting import ClaimAccount, Expected, ExpectedLine, account_claim
from ptbill.services.access import Actor
from ptbill.services.audit import audit
from ptbill.services.billing import ClaimRecord
from ptbill.storage.tables import ClaimPaymentRow, ClaimRow

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


@dataclass(frozen=True, slots=True)
class ClaimWithAccount:
    claim: AnyClaim
    account: ClaimAccount


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
    return {
        claim.id: account_claim(
            [p for p, _ in answers[claim.id]], expected_of(claim), matched=[m for _, m in answers[claim.id]]
        )
        for claim in claims
    }


def claim_balances(session: Session, actor: Actor, claims: Sequence[AnyClaim]) -> list[ClaimWithAccount]:
    """The clinic's claims with their accounts (audited as a read of their remittances)."""
    mine = [c for c in claims if c.clinic_id == actor.clinic_id]
    accounts = accounts_for(session, actor.clinic_id, mine)
    audit(session, actor, "read", "claim_balances", None, f"{len(mine)} claims")
    return [ClaimWithAccount(c, accounts[c.id]) for c in mine]


def answered_claim_balances(session: Session, actor: Actor, claim_ids: Sequence[int] = ()) -> list[ClaimWithAccount]:
    """The clinic's claims the payer has answered (or those of ``claim_ids``), oldest first, with their accounts."""
    query = select(ClaimRow).where(ClaimRow.clinic_id == actor.clinic_id)
    if claim_ids:
        query = query.where(ClaimRow.id.in_(list(claim_ids)))
    else:
        query = query.where(ClaimRow.status.in_(("paid", "partial", "denied", "reversed")))
    return claim_balances(session, actor, list(session.scalars(query.order_by(ClaimRow.id))))
