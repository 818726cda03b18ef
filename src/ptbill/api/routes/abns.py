"""A patient's Advance Beneficiary Notices (form CMS-R-131): list, prepare, record the signature, download."""

from __future__ import annotations

from fastapi import Response
from fastapi.responses import JSONResponse

from ptbill.api.deps import ClockDep, CurrentActor, SessionDep
from ptbill.api.routing import PathId, PdfResponse, errors, field_problems, pdf_download, pdf_responses, resource_router
from ptbill.api.schemas.abns import AbnCreate, AbnPublic, AbnSignature
from ptbill.services import abn as abn_service
from ptbill.services.abn_pdf import abn_pdf
from ptbill.services.patient_fields import FieldProblemsError

router = resource_router("/patients", "abns")
PatientId = PathId
AbnId = PathId


@router.get(
    "/{patient_id}/abns",
    response_model=list[AbnPublic],
    summary="List a patient's ABNs, newest first",
    responses=errors(401, 403, 404, 422),
)
def list_abns(patient_id: PatientId, actor: CurrentActor, session: SessionDep) -> list[AbnPublic]:
    return [AbnPublic.model_validate(found) for found in abn_service.abns_of(session, actor, patient_id)]


@router.post(
    "/{patient_id}/abns",
    status_code=201,
    response_model=AbnPublic,
    summary="Prepare an ABN for a Medicare patient",
    description="Therapists, assistants, billers and admins. Each service gets the clinic's own label and an "
    "estimated cost (prefilled from the Medicare amount where ptbill prices the code). For Original Medicare "
    "patients only; every bad field is named.",
    responses=errors(401, 403, 404, 422),
)
def prepare_abn(
    patient_id: PatientId, body: AbnCreate, actor: CurrentActor, session: SessionDep, clock: ClockDep
) -> AbnPublic | JSONResponse:
    try:
        found = abn_service.prepare_abn(
            session,
            actor,
            patient_id,
            [service.model_dump() for service in body.services],
            body.reason_kind,
            body.reason_text,
            body.additional_info,
            body.given_on,
            clock=clock,
        )
    except FieldProblemsError as exc:
        return field_problems(exc)
    return AbnPublic.model_validate(found)


@router.post(
    "/{patient_id}/abns/{abn_id}/signature",
    response_model=AbnPublic,
    summary="Record the day the patient signed an ABN and the option they chose",
    description="Once: a signed ABN is never changed (409); prepare a new one instead.",
    responses=errors(401, 403, 404, 409, 422),
)
def sign_abn(
    patient_id: PatientId,
    abn_id: AbnId,
    body: AbnSignature,
    actor: CurrentActor,
    session: SessionDep,
    clock: ClockDep,
) -> AbnPublic | JSONResponse:
    try:
        found = abn_service.record_signature(
            session, actor, patient_id, abn_id, body.signed_on, body.option, clock=clock
        )
    except FieldProblemsError as exc:
        return field_problems(exc)
    return AbnPublic.model_validate(found)


@router.get(
    "/{patient_id}/abns/{abn_id}.pdf",
    response_model=bytes,
    response_class=PdfResponse,
    summary="An ABN as form CMS-R-131 (PDF)",
    responses=pdf_responses(401, 403, 404, 422),
)
def download_abn(patient_id: PatientId, abn_id: AbnId, actor: CurrentActor, session: SessionDep) -> Response:
    pdf = abn_pdf(session, actor, patient_id, abn_id)
    return pdf_download(pdf, f"abn-{abn_id}.pdf")
