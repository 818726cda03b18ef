"""Patients, their coverages, and the traction settings of their last note."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from ptbill.api.deps import CurrentActor, SessionDep
from ptbill.api.routing import PathId, errors, field_problems, resource_router
from ptbill.api.schemas.common import NoNul
from ptbill.api.schemas.patients import (
    CoverageCreate,
    CoveragePublic,
    PatientCreate,
    PatientPublic,
    PlanOfCareCreate,
    PlanOfCarePublic,
    PreviousTractionPublic,
    PriorAuthorizationCreate,
    PriorAuthorizationPublic,
)
from ptbill.services import authorizations as authorizations_service
from ptbill.services import notes as notes_service
from ptbill.services import patients as patients_service
from ptbill.services import plans_of_care as plans_service
from ptbill.services.patient_fields import FieldProblemsError

router = resource_router("/patients", "patients")
PatientId = PathId


@router.get(
    "",
    response_model=list[PatientPublic],
    summary="List or search the clinic's patients",
    description="With `q`: at most 20 patients whose last or first name or chart number starts with it, "
    'or "last, first", "first last", or a date of birth (YYYY-MM-DD or MM/DD/YYYY).',
    responses=errors(401, 422),
)
def list_patients(
    actor: CurrentActor,
    session: SessionDep,
    q: Annotated[str | None, Query(max_length=200, description="Name, date of birth or chart number."), NoNul] = None,
) -> list[PatientPublic]:
    if q is not None and q.strip():
        found = patients_service.search_patients(session, actor, q)
    else:
        found = patients_service.list_patients(session, actor)
    return [PatientPublic.model_validate(row) for row in found]


def _as_text(body: BaseModel, lists: tuple[str, ...]) -> dict[str, object]:
    """A body as the typed text the services read (the same readers as the pages' forms)."""
    data = body.model_dump(mode="json")
    return {key: ", ".join(value) if key in lists else value for key, value in data.items()}


@router.post(
    "",
    status_code=201,
    response_model=PatientPublic,
    summary="Add a patient",
    responses=errors(401, 409, 422),
)
def create_patient(body: PatientCreate, actor: CurrentActor, session: SessionDep) -> PatientPublic:
    return PatientPublic.model_validate(patients_service.create_patient(session, actor, body.model_dump()))


@router.get("/{patient_id}", response_model=PatientPublic, summary="Read a patient", responses=errors(401, 404, 422))
def read_patient(patient_id: PatientId, actor: CurrentActor, session: SessionDep) -> PatientPublic:
    return PatientPublic.model_validate(patients_service.get_patient(session, actor, patient_id))


@router.get(
    "/{patient_id}/coverages",
    response_model=list[CoveragePublic],
    summary="List a patient's coverages",
    responses=errors(401, 404, 422),
)
def list_coverages(patient_id: PatientId, actor: CurrentActor, session: SessionDep) -> list[CoveragePublic]:
    return [CoveragePublic.model_validate(row) for row in patients_service.coverages_of(session, actor, patient_id)]


@router.post(
    "/{patient_id}/coverages",
    status_code=201,
    response_model=CoveragePublic,
    summary="Add a coverage",
    description="409 when the payer is not in the catalog (GET /api/payers).",
    responses=errors(401, 404, 409, 422),
)
def add_coverage(
    patient_id: PatientId, body: CoverageCreate, actor: CurrentActor, session: SessionDep
) -> CoveragePublic | JSONResponse:
    data = body.model_dump(exclude={"authorization"})
    data["authorization"] = body.authorization.model_dump(mode="json") if body.authorization else None
    subscriber = ("subscriber_first_name", "subscriber_last_name", "subscriber_birth_date")
    if body.relationship_to_insured == "self":
        data.update(dict.fromkeys(subscriber))
    elif missing := {name: "required when the subscriber is not the patient" for name in subscriber if not data[name]}:
        patients_service.get_patient(session, actor, patient_id)  # another clinic's patient: 404 first
        return field_problems(FieldProblemsError(missing))
    try:
        return CoveragePublic.model_validate(patients_service.add_coverage(session, actor, patient_id, data))
    except FieldProblemsError as exc:
        return field_problems(exc)


@router.get(
    "/{patient_id}/authorizations",
    response_model=list[PriorAuthorizationPublic],
    summary="List a patient's prior authorizations, with used and left",
    responses=errors(401, 404, 422),
)
def list_authorizations(
    patient_id: PatientId, actor: CurrentActor, session: SessionDep
) -> list[PriorAuthorizationPublic]:
    found = authorizations_service.authorizations_of(session, actor, patient_id)
    return [PriorAuthorizationPublic.model_validate(row) for row in found]


@router.post(
    "/{patient_id}/authorizations",
    status_code=201,
    response_model=PriorAuthorizationPublic,
    summary="Add a prior authorization",
    description="Therapists, billers and admins.",
    responses=errors(401, 403, 404, 422),
)
def add_authorization(
    patient_id: PatientId, body: PriorAuthorizationCreate, actor: CurrentActor, session: SessionDep
) -> PriorAuthorizationPublic | JSONResponse:
    try:
        found = authorizations_service.add_authorization(session, actor, patient_id, _as_text(body, ("codes",)))
    except FieldProblemsError as exc:
        return field_problems(exc)
    return PriorAuthorizationPublic.model_validate(found)


@router.get(
    "/{patient_id}/plans-of-care",
    response_model=list[PlanOfCarePublic],
    summary="List a patient's plans of care, with visits and the next progress report",
    responses=errors(401, 404, 422),
)
def list_plans(patient_id: PatientId, actor: CurrentActor, session: SessionDep) -> list[PlanOfCarePublic]:
    return [PlanOfCarePublic.model_validate(row) for row in plans_service.plans_of(session, actor, patient_id)]


@router.post(
    "/{patient_id}/plans-of-care",
    status_code=201,
    response_model=PlanOfCarePublic,
    summary="Add a plan of care",
    description="Therapists and admins. NPIs are checked by their check digit, diagnoses against ICD-10-CM.",
    responses=errors(401, 403, 404, 422),
)
def add_plan(
    patient_id: PatientId, body: PlanOfCareCreate, actor: CurrentActor, session: SessionDep
) -> PlanOfCarePublic | JSONResponse:
    try:
        found = plans_service.add_plan(session, actor, patient_id, _as_text(body, ("diagnoses",)))
    except FieldProblemsError as exc:
        return field_problems(exc)
    return PlanOfCarePublic.model_validate(found)


@router.get(
    "/{patient_id}/previous-traction",
    response_model=PreviousTractionPublic | None,
    summary="Traction settings of the patient's last note",
    description="So the next session's form starts from them; null when no earlier note has 97012 traction.",
    responses=errors(401, 404, 422),
)
def read_previous_traction(
    patient_id: PatientId,
    actor: CurrentActor,
    session: SessionDep,
    before: Annotated[date | None, Query(description="Only notes dated before this day.")] = None,
) -> PreviousTractionPublic | None:
    found = notes_service.previous_traction(session, actor, patient_id, before)
    return PreviousTractionPublic.model_validate(found) if found else None
