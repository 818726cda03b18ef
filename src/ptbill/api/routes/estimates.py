"""A patient's cost estimates: prepare one, list them, download the stored PDF; and the cost sharing of a
coverage the estimates read."""

from __future__ import annotations

from fastapi import Response
from fastapi.responses import JSONResponse

from ptbill.api.deps import ClockDep, CurrentActor, SessionDep
from ptbill.api.routing import PathId, PdfResponse, errors, field_problems, pdf_download, pdf_responses, resource_router
from ptbill.api.schemas.estimates import EstimateCreate, EstimatePublic
from ptbill.api.schemas.patients import CostSharingUpdate, CoveragePublic
from ptbill.services import estimates as estimates_service
from ptbill.services import patients as patients_service
from ptbill.services.patient_fields import FieldProblemsError

router = resource_router("/patients", "patients")
PatientId = PathId
EstimateId = PathId
CoverageId = PathId


def _public(found: estimates_service.Estimate) -> EstimatePublic:
    made = EstimatePublic.model_validate(found)
    made.pdf = f"/api/patients/{found.patient_id}/estimates/{found.id}.pdf"
    return made


def _as_text(body: EstimateCreate) -> dict[str, object]:
    """The body as the form's typed text: the service reads both the same way."""
    data: dict[str, object] = {
        "coverage_id": body.coverage_id or "",
        "plan_of_care_id": body.plan_of_care_id or "",
        "first_visit": body.first_visit.isoformat() if body.first_visit else "",
        "visits": body.visits or "",
        "diagnoses": " ".join(body.diagnoses),
    }
    for index, line in enumerate(body.lines):
        data[f"code_{index}"] = line.code
        data[f"modifiers_{index}"] = " ".join(line.modifiers)
        data[f"units_{index}"] = line.units
        data[f"not_covered_{index}"] = "on" if line.not_covered else ""
    return data


@router.get(
    "/{patient_id}/estimates",
    response_model=list[EstimatePublic],
    summary="List a patient's cost estimates, latest first",
    responses=errors(401, 404, 422),
)
def list_estimates(patient_id: PatientId, actor: CurrentActor, session: SessionDep) -> list[EstimatePublic]:
    return [_public(found) for found in estimates_service.estimates_of(session, actor, patient_id)]


@router.post(
    "/{patient_id}/estimates",
    status_code=201,
    response_model=EstimatePublic,
    summary="Prepare a cost estimate before treatment",
    description="Per code the payer's expected allowed amount (as the checks compute expected payment) and "
    "the patient's share from the coverage's deductible remaining, coinsurance and copay (deductible first, "
    "then coinsurance, then copay, visit by visit); non-covered services, and every service without a "
    "coverage (the 45 CFR 149.610 good-faith estimate), at the clinic's self-pay price list (the fee schedule "
    "of payer id `self-pay`). A code that cannot be priced is a 422 naming it. The PDF is stored with it.",
    responses=errors(401, 404, 422),
)
def prepare_estimate(
    patient_id: PatientId, body: EstimateCreate, actor: CurrentActor, session: SessionDep, clock: ClockDep
) -> EstimatePublic | JSONResponse:
    try:
        made = estimates_service.prepare_estimate(session, actor, patient_id, _as_text(body), clock=clock)
    except FieldProblemsError as exc:
        return field_problems(exc)
    return _public(made)


@router.get(
    "/{patient_id}/estimates/{estimate_id}.pdf",
    response_model=bytes,
    response_class=PdfResponse,
    summary="A cost estimate as the PDF handed to the patient",
    responses=pdf_responses(401, 404, 422),
)
def estimate_pdf(patient_id: PatientId, estimate_id: EstimateId, actor: CurrentActor, session: SessionDep) -> Response:
    pdf = estimates_service.estimate_pdf(session, actor, patient_id, estimate_id)
    name = f"estimate-{patient_id}-{estimate_id}.pdf"
    return pdf_download(pdf, name)


@router.put(
    "/{patient_id}/coverages/{coverage_id}/cost-sharing",
    response_model=CoveragePublic,
    summary="Set a coverage's cost sharing (deductible left, coinsurance, copay)",
    description="What the payer stated on `cost_sharing_as_of`; estimates read it. Replaces the previous values.",
    responses=errors(401, 404, 422),
)
def set_cost_sharing(
    patient_id: PatientId, coverage_id: CoverageId, body: CostSharingUpdate, actor: CurrentActor, session: SessionDep
) -> CoveragePublic | JSONResponse:
    data = {key: "" if value is None else str(value) for key, value in body.model_dump().items()}
    try:
        found = patients_service.update_cost_sharing(session, actor, patient_id, coverage_id, data)
    except FieldProblemsError as exc:
        return field_problems(exc)
    return CoveragePublic.model_validate(found)
