"""A patient's ledger, and the money a user records for them: payments and refunds."""

from __future__ import annotations

from fastapi.responses import JSONResponse

from ptbill.api.deps import ClockDep, CurrentActor, SessionDep
from ptbill.api.routing import PathId, errors, made_or_refused, resource_router
from ptbill.api.schemas.patient_ledger import PatientLedgerPublic, PaymentCreate, PaymentResultPublic, RefundCreate
from ptbill.services import patient_payments
from ptbill.services.patient_ledger import patient_ledger

router = resource_router("/patients", "patients")
PatientId = PathId


@router.get(
    "/{patient_id}/ledger",
    response_model=PatientLedgerPublic,
    summary="A patient's ledger: every charge, payer payment, adjustment, transfer, payment, refund and write-off",
    description="Entries in date order with their source (835, user, statement) and audit row; each visit's "
    "charge, what insurance paid and adjusted, what the patient paid, had written off and owes now, and the "
    "day it became due; the patient's total owed and credit. Derived from the rows each time.",
    responses=errors(401, 403, 404, 422),
)
def read_ledger(
    patient_id: PatientId, actor: CurrentActor, session: SessionDep, clock: ClockDep
) -> PatientLedgerPublic:
    return PatientLedgerPublic.model_validate(patient_ledger(session, actor, patient_id, today=clock.today()))


@router.post(
    "/{patient_id}/payments",
    status_code=201,
    response_model=PaymentResultPublic,
    summary="Record a patient payment and apply it to their visits",
    description="Cash, check (its number) or card (the receipt's reference: ptbill takes no cards). Applied to "
    "the oldest open visit first, or to `claim_ids` in order; the rest becomes the patient's credit. Two "
    "clerks at once never apply more than a visit owes. A bad field is a 422 naming it.",
    responses=errors(401, 403, 404, 422),
)
def create_payment(
    patient_id: PatientId, body: PaymentCreate, actor: CurrentActor, session: SessionDep, clock: ClockDep
) -> PaymentResultPublic | JSONResponse:
    return made_or_refused(
        PaymentResultPublic,
        lambda: patient_payments.record_payment(
            session,
            actor,
            patient_id,
            body.amount,
            body.method,
            body.reference,
            received_on=body.received_on,
            claim_ids=body.claim_ids,
            source=body.source,
            clock=clock,
        ),
    )


@router.post(
    "/{patient_id}/refunds",
    status_code=201,
    response_model=PaymentResultPublic,
    summary="Record money given back to a patient out of their credit",
    description="Never more than the credit (409 otherwise; two at once cannot together exceed it).",
    responses=errors(401, 403, 404, 409, 422),
)
def create_refund(
    patient_id: PatientId, body: RefundCreate, actor: CurrentActor, session: SessionDep, clock: ClockDep
) -> PaymentResultPublic | JSONResponse:
    return made_or_refused(
        PaymentResultPublic,
        lambda: patient_payments.record_refund(
            session,
            actor,
            patient_id,
            body.amount,
            body.method,
            body.reference,
            refunded_on=body.refunded_on,
            reason=body.reason,
            clock=clock,
        ),
    )
