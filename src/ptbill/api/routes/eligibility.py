"""A patient's eligibility: the 271 answers on file (latest per coverage, and the history), and a 270 asked."""

from __future__ import annotations

from fastapi import Request

from ptbill.api.deps import ClockDep, CurrentActor, SessionDep
from ptbill.api.routing import PathId, errors, resource_router
from ptbill.api.schemas.eligibility import (
    EligibilityAnswerPublic,
    EligibilityRequestCreate,
    EligibilityRequestPublic,
    PatientEligibilityPublic,
)
from ptbill.services import eligibility as eligibility_service
from ptbill.services.eligibility_send import verify_now
from ptbill.services.mailbox_settings import open_mailbox

router = resource_router("/patients", "eligibility")
PatientId = PathId


@router.get(
    "/{patient_id}/eligibility",
    response_model=PatientEligibilityPublic,
    summary="A patient's eligibility answers: the latest per coverage and the history",
    responses=errors(401, 403, 404, 422),
)
def patient_eligibility(patient_id: PatientId, actor: CurrentActor, session: SessionDep) -> PatientEligibilityPublic:
    answers = eligibility_service.answers_of(session, actor, patient_id)
    latest = eligibility_service.latest_by_coverage(answers)
    return PatientEligibilityPublic(
        latest=[EligibilityAnswerPublic.model_validate(a) for a in latest.values()],
        history=[EligibilityAnswerPublic.model_validate(a) for a in answers],
    )


@router.post(
    "/{patient_id}/eligibility",
    status_code=201,
    response_model=EligibilityRequestPublic,
    summary="Ask the payer about a patient's coverage (a 270)",
    description="Writes a 270 for the coverage (default: the primary active one) on the date (default today) and, "
    "with send (the default, billers and admins), puts it into the clinic's mailbox; the 271 is recorded when "
    "the mailbox is polled. A mailbox that cannot be reached answers 400 and stores nothing.",
    responses=errors(400, 401, 403, 404, 422),
)
def request_eligibility(
    request: Request,
    patient_id: PatientId,
    body: EligibilityRequestCreate,
    actor: CurrentActor,
    session: SessionDep,
    clock: ClockDep,
) -> EligibilityRequestPublic:
    if not body.send:
        asked = eligibility_service.request_270(
            session, actor, patient_id, clock, coverage_id=body.coverage_id, day=body.date, source="api"
        )
        return EligibilityRequestPublic.model_validate(asked)
    settings = request.app.state.ptbill.settings
    box = open_mailbox(session, actor, secret_key=settings.secret_key, data_dir=settings.data_dir)
    try:
        asked, _sent = verify_now(
            session, actor, patient_id, box, clock, coverage_id=body.coverage_id, day=body.date, source="api"
        )
    finally:
        box.close()
    return EligibilityRequestPublic.model_validate(asked)
