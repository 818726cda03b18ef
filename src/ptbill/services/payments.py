"""Payments: each check or EFT a payer sent (one posted 835 remittance: BPR/TRN), by payer and date, and
whether it reconciles.

The 835's balancing rule (005010X221A1, BPR02; the guide's section 1.10.2.1) is: the payment equals the
claims paid (Σ CLP04) less the provider-level adjustments (Σ PLB amounts, positive when money is taken
back, negative when added, such as interest). A payment reconciles when its total equals its stored claim
payments less its stored PLB rows; otherwise the difference is shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ptbill.domain.remittance import PROVIDER_ADJUSTMENT_REASONS, ClaimStatus
from ptbill.services.access import BILLERS, Actor, NotFoundError, require_role
from ptbill.services.audit import audit
from ptbill.storage.tables import (
    ClaimPaymentRow,
    ClaimRow,
    EncounterRow,
    PatientRow,
    ProviderAdjustmentRow,
    RemittanceRow,
)

ZERO = Decimal("0.00")
METHODS = {"CHK": "Check", "ACH": "EFT", "NON": "No payment", "FWT": "Wire", "BOP": "Bank's option"}


@dataclass(frozen=True, slots=True)
class Payment:
    """One check or EFT with its reconciliation: ``total`` = ``claims_paid`` − ``plb_total`` when reconciled."""

    id: int
    payer_name: str
    payer_identifier: str
    payment_date: date | None
    method: str | None
    method_label: str
    check_number: str | None
    total: Decimal
    claims_paid: Decimal
    plb_total: Decimal
    claims: int
    remittance_file_id: int | None
    source_name: str

    @property
    def difference(self) -> Decimal:
        return self.total - (self.claims_paid - self.plb_total)

    @property
    def reconciled(self) -> bool:
        return self.difference == ZERO


@dataclass(frozen=True, slots=True)
class PaymentClaim:
    claim_payment_id: int
    claim_id: int | None
    patient_control_number: str
    patient_name: str | None
    service_date: date | None
    status_code: str
    charge: Decimal
    paid: Decimal
    patient_responsibility: Decimal

    @property
    def status(self) -> str:
        """CLP02 in words ("processed as primary")."""
        try:
            return ClaimStatus(self.status_code).label
        except ValueError:
            return self.status_code


@dataclass(frozen=True, slots=True)
class ProviderAdjustment:
    reason_code: str
    reason: str
    reference_id: str | None
    amount: Decimal
    claim_id: int | None


@dataclass(frozen=True, slots=True)
class PaymentDetail:
    payment: Payment
    claims: tuple[PaymentClaim, ...]
    adjustments: tuple[ProviderAdjustment, ...]


def _payments(session: Session, actor: Actor, *conditions: object) -> list[Payment]:
    paid = (
        select(ClaimPaymentRow.remittance_id, func.sum(ClaimPaymentRow.paid).label("paid"), func.count().label("n"))
        .where(ClaimPaymentRow.clinic_id == actor.clinic_id)
        .group_by(ClaimPaymentRow.remittance_id)
        .subquery()
    )
    plb = (
        select(ProviderAdjustmentRow.remittance_id, func.sum(ProviderAdjustmentRow.amount).label("plb"))
        .where(ProviderAdjustmentRow.clinic_id == actor.clinic_id)
        .group_by(ProviderAdjustmentRow.remittance_id)
        .subquery()
    )
    query = (
        select(RemittanceRow, paid.c.paid, paid.c.n, plb.c.plb)
        .outerjoin(paid, paid.c.remittance_id == RemittanceRow.id)
        .outerjoin(plb, plb.c.remittance_id == RemittanceRow.id)
        .where(RemittanceRow.clinic_id == actor.clinic_id, *conditions)  # type: ignore[arg-type]
        .order_by(RemittanceRow.payment_date.desc(), RemittanceRow.id.desc())
    )
    return [
        Payment(
            row.id,
            row.payer_name,
            row.payer_identifier,
            row.payment_date,
            row.payment_method,
            METHODS.get(row.payment_method or "", row.payment_method or "—"),
            row.check_number,
            row.payment_amount,
            Decimal(claims_paid or 0).quantize(ZERO),
            Decimal(plb_total or 0).quantize(ZERO),
            int(count or 0),
            row.remittance_file_id,
            row.source_name,
        )
        for row, claims_paid, count, plb_total in session.execute(query)
    ]


def list_payments(
    session: Session,
    actor: Actor,
    *,
    payer: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    limit: int = 500,
) -> list[Payment]:
    """The clinic's checks and EFTs, newest first; ``payer`` is the payer's identifier (N1*PR / TRN03)."""
    require_role(actor, BILLERS)
    conditions: list[object] = []
    if payer:
        conditions.append(RemittanceRow.payer_identifier == payer)
    if date_from:
        conditions.append(RemittanceRow.payment_date >= date_from)
    if date_to:
        conditions.append(RemittanceRow.payment_date <= date_to)
    payments = _payments(session, actor, *conditions)[:limit]
    audit(session, actor, "read", "payment", None, f"list of {len(payments)}")
    return payments


def payers_paid(session: Session, actor: Actor) -> list[tuple[str, str]]:
    """(identifier, name) of every payer that sent the clinic a payment: the payments page's filter."""
    require_role(actor, BILLERS)
    query = (
        select(RemittanceRow.payer_identifier, func.max(RemittanceRow.payer_name))
        .where(RemittanceRow.clinic_id == actor.clinic_id)
        .group_by(RemittanceRow.payer_identifier)
        .order_by(func.max(RemittanceRow.payer_name))
    )
    return [(identifier, name) for identifier, name in session.execute(query)]


def get_payment(
    session: Session, actor: Actor, payment_id: int, *, offset: int = 0, limit: int | None = None
) -> PaymentDetail:
    """The payment with its claim payments (``limit`` of them from ``offset``: a check can pay thousands)."""
    require_role(actor, BILLERS)
    found = _payments(session, actor, RemittanceRow.id == payment_id)
    if not found:
        raise NotFoundError(f"payment {payment_id} not found")
    query = (
        select(ClaimPaymentRow, ClaimRow.service_date, PatientRow.last_name, PatientRow.first_name)
        .outerjoin(ClaimRow, ClaimRow.id == ClaimPaymentRow.claim_id)
        .outerjoin(EncounterRow, EncounterRow.id == ClaimRow.encounter_id)
        .outerjoin(PatientRow, PatientRow.id == EncounterRow.patient_id)
        .where(ClaimPaymentRow.remittance_id == payment_id, ClaimPaymentRow.clinic_id == actor.clinic_id)
        .order_by(ClaimPaymentRow.id)
        .offset(offset)
        .limit(limit)
    )
    claims = tuple(
        PaymentClaim(
            row.id,
            row.claim_id,
            row.patient_control_number,
            f"{last}, {first}" if last else None,
            service_date,
            row.status_code,
            row.charge,
            row.paid,
            row.patient_responsibility,
        )
        for row, service_date, last, first in session.execute(query)
    )
    adjustments = tuple(
        ProviderAdjustment(
            row.reason_code,
            PROVIDER_ADJUSTMENT_REASONS.get(row.reason_code, f"provider adjustment {row.reason_code}"),
            row.reference_id,
            row.amount,
            row.claim_id,
        )
        for row in session.scalars(
            select(ProviderAdjustmentRow)
            .where(
                ProviderAdjustmentRow.remittance_id == payment_id, ProviderAdjustmentRow.clinic_id == actor.clinic_id
            )
            .order_by(ProviderAdjustmentRow.id)
        )
    )
    audit(session, actor, "read", "payment", str(payment_id))
    return PaymentDetail(found[0], claims, adjustments)
