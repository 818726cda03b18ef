"""Posting an 835 remittance onto the clinic's claims.

Claims are matched by patient control number (CLP01 echoes our CLM01); lines by code, date of
service and modifiers, tolerating a payer that drops or reorders modifiers. Posting is idempotent,
keyed by payer, trace number and claim; the caller's transaction makes one file post whole or not at all.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ptbill.domain.remittance import ClaimPayment, ClaimStatus, Remittance, ServicePayment
from ptbill.services.app import Actor, audit, require_role
from ptbill.storage.tables import ClaimLineRow, ClaimPaymentRow, ClaimRow, RemittanceRow

ZERO = Decimal("0.00")
POSTERS = frozenset({"biller", "admin"})


@dataclass
class PostingSummary:
    remittances: int = 0
    claims_posted: int = 0
    claims_already_posted: int = 0
    claims_unmatched: list[str] = field(default_factory=list)
    paid: Decimal = ZERO
    adjusted: Decimal = ZERO
    denied: int = 0
    patient_responsibility: Decimal = ZERO
    reversals: int = 0
    provider_adjustments: Decimal = ZERO
    warnings: list[str] = field(default_factory=list)

    def add(self, other: PostingSummary) -> None:
        self.remittances += other.remittances
        self.claims_posted += other.claims_posted
        self.claims_already_posted += other.claims_already_posted
        self.claims_unmatched += other.claims_unmatched
        self.paid += other.paid
        self.adjusted += other.adjusted
        self.denied += other.denied
        self.patient_responsibility += other.patient_responsibility
        self.reversals += other.reversals
        self.provider_adjustments += other.provider_adjustments
        self.warnings += other.warnings


def _payer_key(remittance: Remittance) -> str:
    return (remittance.payer_id or remittance.payer_name or "unknown payer")[:80]


def _match_line(lines: list[ClaimLineRow], service: ServicePayment, taken: set[int]) -> ClaimLineRow | None:
    """The billed line a paid line answers: same code, then the best modifier overlap, in billing order."""
    code = service.billed_code
    candidates = [line for line in lines if line.code == code and line.id not in taken]
    if not candidates:
        return None
    sent = set(service.original_modifiers or service.modifiers)
    # Payers drop or reorder modifiers: prefer a line whose modifiers include what came back.
    candidates.sort(
        key=lambda line: (not sent <= set(line.modifiers), -len(sent & set(line.modifiers)), line.line_number)
    )
    return candidates[0]


def _status_after(claim: ClaimRow, payment: ClaimPayment) -> str:
    if payment.is_reversal:
        return "reversed" if claim.paid_amount <= ZERO else "partial"
    if payment.is_denied or (payment.paid == ZERO and claim.paid_amount <= ZERO):
        return "denied"
    expected = claim.expected_payment
    if expected is not None and expected > ZERO and claim.paid_amount + claim.patient_responsibility < expected:
        return "partial"
    return "paid"


def _adjustments_json(payment: ClaimPayment) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = [
        {"level": "claim", "group": a.group.value, "reason": a.reason, "amount": str(a.amount)}
        for a in payment.adjustments
    ]
    for line in payment.service_lines:
        rows += [
            {
                "level": "line",
                "code": line.billed_code,
                "group": a.group.value,
                "reason": a.reason,
                "amount": str(a.amount),
            }
            for a in line.adjustments
        ]
    return rows


def post_remittance(session: Session, actor: Actor, remittance: Remittance, source_name: str) -> PostingSummary:
    """Post one 835 transaction. Already-posted claims of the same payer and trace are skipped."""
    require_role(actor, POSTERS)
    summary = PostingSummary(remittances=1, warnings=list(remittance.warnings))
    payer = _payer_key(remittance)
    trace = remittance.trace_number or f"no-trace:{remittance.control_number or source_name}"
    row = session.scalar(
        select(RemittanceRow).where(
            RemittanceRow.clinic_id == actor.clinic_id,
            RemittanceRow.payer_identifier == payer,
            RemittanceRow.trace_number == trace,
        )
    )
    if row is None:
        row = RemittanceRow(
            clinic_id=actor.clinic_id,
            payer_name=(remittance.payer_name or payer)[:120],
            payer_identifier=payer,
            trace_number=trace,
            payment_amount=remittance.payment_amount,
            payment_date=remittance.payment_date,
            source_name=source_name[:200],
        )
        session.add(row)
        session.flush()
        summary.provider_adjustments = sum((p.amount for p in remittance.provider_adjustments), ZERO)
    posted = {
        (p.patient_control_number, p.payer_claim_number or "", p.status_code)
        for p in session.scalars(select(ClaimPaymentRow).where(ClaimPaymentRow.remittance_id == row.id))
    }
    for payment in remittance.claims:
        key = (payment.patient_control_number, payment.payer_claim_control_number or "", payment.status.value)
        if key in posted:
            summary.claims_already_posted += 1
            continue
        posted.add(key)
        _post_claim(session, actor, row, payment, summary)
    audit(
        session,
        actor,
        "create",
        "remittance",
        str(row.id),
        f"{summary.claims_posted} claims posted, {summary.claims_already_posted} already posted",
    )
    return summary


def _post_claim(
    session: Session, actor: Actor, remittance_row: RemittanceRow, payment: ClaimPayment, summary: PostingSummary
) -> None:
    claim = session.scalar(
        select(ClaimRow).where(
            ClaimRow.clinic_id == actor.clinic_id, ClaimRow.patient_control_number == payment.patient_control_number
        )
    )
    if claim is None:  # some payers upper-case the control number they echo back
        claim = session.scalar(
            select(ClaimRow).where(
                ClaimRow.clinic_id == actor.clinic_id,
                func.upper(ClaimRow.patient_control_number) == payment.patient_control_number.upper(),
            )
        )
    responsibility = payment.patient_responsibility or ZERO
    lines_json: list[dict[str, object]] = []
    if claim is not None:
        taken: set[int] = set()
        for service in payment.service_lines:
            line = _match_line(list(claim.lines), service, taken)
            if line is not None:
                taken.add(line.id)
                line.paid_amount = (line.paid_amount or ZERO) + service.paid
            lines_json.append(
                {
                    "code": service.billed_code,
                    "modifiers": list(service.modifiers),
                    "charge": str(service.charge),
                    "paid": str(service.paid),
                    "matched_line": line.line_number if line else None,
                    "remarks": list(service.remark_codes),
                }
            )
        claim.paid_amount = (claim.paid_amount or ZERO) + payment.paid
        # A reversal takes back what an earlier payment said the patient owed, too.
        claim.patient_responsibility = max(ZERO, (claim.patient_responsibility or ZERO) + responsibility)
        if payment.payer_claim_control_number:
            claim.payer_claim_number = payment.payer_claim_control_number
        claim.status = _status_after(claim, payment)
        audit(
            session,
            actor,
            "update",
            "claim",
            str(claim.id),
            f"posted {payment.status.value} from remittance {remittance_row.id}",
        )
    else:
        summary.claims_unmatched.append(payment.patient_control_number)
        lines_json = [
            {
                "code": s.billed_code,
                "modifiers": list(s.modifiers),
                "charge": str(s.charge),
                "paid": str(s.paid),
                "matched_line": None,
                "remarks": list(s.remark_codes),
            }
            for s in payment.service_lines
        ]
    session.add(
        ClaimPaymentRow(
            clinic_id=actor.clinic_id,
            remittance_id=remittance_row.id,
            claim_id=claim.id if claim else None,
            patient_control_number=payment.patient_control_number,
            payer_claim_number=payment.payer_claim_control_number,
            status_code=payment.status.value,
            charge=payment.charge,
            paid=payment.paid,
            patient_responsibility=responsibility,
            adjustments=_adjustments_json(payment),
            lines=lines_json,
            remarks=list(payment.remark_codes),
        )
    )
    summary.claims_posted += 1
    summary.paid += payment.paid
    summary.adjusted += payment.adjustment_total
    summary.patient_responsibility += responsibility
    if payment.is_denied or (payment.paid == ZERO and payment.status is not ClaimStatus.REVERSAL):
        summary.denied += 1
    if payment.is_reversal:
        summary.reversals += 1


def post_remittances(
    session: Session, actor: Actor, remittances: Iterable[Remittance], source_name: str
) -> PostingSummary:
    total = PostingSummary()
    for remittance in remittances:
        total.add(post_remittance(session, actor, remittance, source_name))
    return total
