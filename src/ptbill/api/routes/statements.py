"""Patient statements: run them over a threshold, list the runs, a patient's statements, a statement's PDF,
and the bulk write-off of small balances."""

from __future__ import annotations

from fastapi import Response
from fastapi.responses import JSONResponse

from ptbill.api.deps import ClockDep, CurrentActor, SessionDep
from ptbill.api.routing import (
    PathId,
    PdfResponse,
    errors,
    made_or_refused,
    pdf_download,
    pdf_responses,
    resource_router,
)
from ptbill.api.schemas.statements import (
    SmallBalanceWriteOffCreate,
    SmallBalanceWriteOffPublic,
    StatementPublic,
    StatementRunCreate,
    StatementRunPublic,
)
from ptbill.services import statements
from ptbill.services.small_balances import write_off_small_balances

router = resource_router("/statements", "statements")
patients_router = resource_router("/patients", "patients")
StatementId = PathId
PatientId = PathId


@router.post(
    "/runs",
    status_code=201,
    response_model=StatementRunPublic,
    summary="Run statements for every patient who owes more than a threshold",
    description="Skips patients sent a statement within the clinic's statement cycle (30 days unless set). Each "
    "statement's reminder level follows how long its oldest amount has been owed (30, 60, 90 days past due), one "
    "step past the patient's previous statement at most. Two runs at once never state a patient twice a day.",
    responses=errors(401, 403, 422),
)
def run_statements(
    body: StatementRunCreate, actor: CurrentActor, session: SessionDep, clock: ClockDep
) -> StatementRunPublic | JSONResponse:
    return made_or_refused(
        StatementRunPublic, lambda: statements.run_statements(session, actor, minimum=body.minimum, clock=clock)
    )


@router.get(
    "/runs",
    response_model=list[StatementRunPublic],
    summary="The latest statement runs with their statements, newest first",
    responses=errors(401, 403),
)
def list_runs(actor: CurrentActor, session: SessionDep) -> list[StatementRunPublic]:
    return [StatementRunPublic.model_validate(found) for found in statements.recent_runs(session, actor)]


@router.get(
    "/{statement_id}.pdf",
    response_model=bytes,
    response_class=PdfResponse,
    summary="A statement as the PDF sent to the patient",
    responses=pdf_responses(401, 403, 404, 422),
)
def statement_pdf(statement_id: StatementId, actor: CurrentActor, session: SessionDep) -> Response:
    found, pdf = statements.statement_pdf(session, actor, statement_id)
    return pdf_download(pdf, f"statement-{found.patient_id}-{found.statement_date:%Y%m%d}-{found.id}.pdf")


@router.post(
    "/small-balance-write-offs",
    status_code=201,
    response_model=SmallBalanceWriteOffPublic,
    summary="Write off every patient balance below a threshold",
    description="Each patient who owes more than 0 and less than `under` has it written off, visit by visit "
    "(reason small_balance, with `reason_text`), all or nothing, audited.",
    responses=errors(401, 403, 409, 422),
)
def small_balances(
    body: SmallBalanceWriteOffCreate, actor: CurrentActor, session: SessionDep, clock: ClockDep
) -> SmallBalanceWriteOffPublic | JSONResponse:
    return made_or_refused(
        SmallBalanceWriteOffPublic,
        lambda: write_off_small_balances(session, actor, under=body.under, reason_text=body.reason_text, clock=clock),
    )


@patients_router.get(
    "/{patient_id}/statements",
    response_model=list[StatementPublic],
    summary="A patient's statements, newest first",
    responses=errors(401, 403, 404),
)
def patient_statements(patient_id: PatientId, actor: CurrentActor, session: SessionDep) -> list[StatementPublic]:
    return [StatementPublic.model_validate(found) for found in statements.statements_of(session, actor, patient_id)]
