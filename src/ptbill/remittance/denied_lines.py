"""The denied lines of one posted answer: what the denial worklist makes a work item of.

A line is denied, in whole or in part, when one of its adjustments is a denial as ``remittance.accounting``
counts it: never a patient's share (group PR: deductible, coinsurance, copay), never the CO-45
contractual write-off or CO-253 sequestration, otherwise what ``remittance.denials`` says of the code.
Claim-level denials (an adjustment on the claim, or a claim the payer denied with status 4 and no denying
adjustment) make one item keyed ``claim``. Reversals make none: they undo an earlier answer, not deny.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from ptbill.domain.remittance import Adjustment, AdjustmentGroup, ClaimPayment, ClaimStatus, ServicePayment
from ptbill.remittance.accounting import CONTRACTUAL, SEQUESTRATION
from ptbill.remittance.denials import DenialKnowledge, DenialReason, classify, classify_each

ZERO = Decimal("0.00")
CLAIM_KEY = "claim"


@dataclass(frozen=True, slots=True)
class DeniedLine:
    """One denied (or partly denied) line of an answer, or the claim's own denial."""

    key: str  # "line:<index in the answer>" or "claim": unique within one answer
    line_index: int | None  # position of the service line in the 835 answer; None for the claim
    line_number: int | None  # the billed line it answered (posting's match); None when unmatched
    code: str | None  # the procedure code; None for the claim
    charge: Decimal
    paid: Decimal
    denied: Decimal  # the sum of the denying adjustments (for a status-4 claim without them: what nobody paid)
    main: DenialReason  # the denial that keeps the most money: its group, CARC, RARCs, reason, next step


def is_denial(adjustment: Adjustment, reason: DenialReason | None) -> bool:
    """Whether an adjustment is a denial, exactly as ``accounting`` sorts it into the denied slot."""
    if adjustment.group is AdjustmentGroup.PATIENT or adjustment.reason in (CONTRACTUAL, SEQUESTRATION):
        return False
    return reason is not None and reason.is_denial


def _denials(item: ServicePayment | ClaimPayment, knowledge: DenialKnowledge | None) -> list[DenialReason]:
    adjustments = item.adjustments
    if not adjustments:
        return []
    reasons = classify_each(item, knowledge)[: len(adjustments)]
    return [r for a, r in zip(adjustments, reasons, strict=True) if is_denial(a, r) and (r.amount or ZERO) > ZERO]


def denied_lines(
    payment: ClaimPayment, matched: Sequence[int | None] = (), knowledge: DenialKnowledge | None = None
) -> list[DeniedLine]:
    """Every denied line of ``payment`` (and its claim-level denial), in the answer's order."""
    if payment.is_reversal:
        return []
    found: list[DeniedLine] = []
    for index, service in enumerate(payment.service_lines):
        denials = _denials(service, knowledge)
        if not denials:
            continue
        main = max(denials, key=lambda r: r.amount or ZERO)
        number = matched[index] if index < len(matched) else None
        found.append(
            DeniedLine(
                f"line:{index}",
                index,
                number,
                service.billed_code,
                service.charge,
                service.paid,
                sum((r.amount or ZERO for r in denials), ZERO),
                main,
            )
        )
    claim_denials = _denials(payment, knowledge)
    if claim_denials:
        main = max(claim_denials, key=lambda r: r.amount or ZERO)
        amount = sum((r.amount or ZERO for r in claim_denials), ZERO)
        found.append(DeniedLine(CLAIM_KEY, None, None, None, payment.charge, payment.paid, amount, main))
    elif payment.status is ClaimStatus.DENIED and not found and payment.paid <= ZERO:
        # Denied by status code alone: the classifier says why as well as it can.
        reason = classify(payment, knowledge)
        unpaid = payment.charge - payment.paid - (payment.patient_responsibility or ZERO)
        found.append(DeniedLine(CLAIM_KEY, None, None, None, payment.charge, payment.paid, max(unpaid, ZERO), reason))
    return found
