"""Provider-level adjustments (PLB, 005010X221A1 section 1.10.2.3) stored as rows of their remittance.

A positive PLB amount reduces the payment (an overpayment recovered: WO; a forwarding balance: FB) and a
negative one increases it (interest: L6), so a check's total is its claims' payments less the PLB sum.
PLB03-2, the reference, often names the claim the adjustment concerns (its patient control number or
the payer's claim number): when it names one of the clinic's claims, the row links it.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ptbill.domain.remittance import Remittance
from ptbill.services.access import Actor
from ptbill.storage.tables import ClaimRow, ProviderAdjustmentRow

ZERO = Decimal("0.00")


def _claims_named(session: Session, actor: Actor, references: set[str]) -> dict[str, int]:
    if not references:
        return {}
    named: dict[str, int] = {}
    query = select(ClaimRow.id, ClaimRow.patient_control_number, ClaimRow.payer_claim_number).where(
        ClaimRow.clinic_id == actor.clinic_id,
        or_(ClaimRow.patient_control_number.in_(references), ClaimRow.payer_claim_number.in_(references)),
    )
    for claim_id, control_number, payer_number in session.execute(query.order_by(ClaimRow.id)):
        for reference in (control_number, payer_number):
            if reference in references:
                named.setdefault(reference, claim_id)
    return named


def record_provider_adjustments(session: Session, actor: Actor, remittance_id: int, remittance: Remittance) -> Decimal:
    """One row per PLB adjustment of the remittance; their total (positive: taken from the payment)."""
    references = {p.reference_id for p in remittance.provider_adjustments if p.reference_id}
    claims = _claims_named(session, actor, {r[:80] for r in references})
    for item in remittance.provider_adjustments:
        reference = item.reference_id[:80] if item.reference_id else None
        session.add(
            ProviderAdjustmentRow(
                clinic_id=actor.clinic_id,
                remittance_id=remittance_id,
                reason_code=item.reason_code[:2],
                reference_id=reference,
                amount=item.amount,
                claim_id=claims.get(reference) if reference else None,
            )
        )
    session.flush()
    return sum((p.amount for p in remittance.provider_adjustments), ZERO)
