"""Patients, their coverages, and the traction settings of their last note."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import Path, Query

from ptbill.api.deps import CurrentActor, SessionDep
from ptbill.api.routing import errors, resource_router
from ptbill.api.schemas.common import MAX_ID
from ptbill.api.schemas.patients import (
    CoverageCreate,
    CoveragePublic,
    PatientCreate,
    PatientPublic,
    PreviousTractionPublic,
)
from ptbill.services import notes as notes_service
from ptbill.services import patients as patients_service

router = resource_router("/patients", "patients")
PatientId = Annotated[int, Path(ge=1, le=MAX_ID)]


@router.get("", response_model=list[PatientPublic], summary="List the clinic's patients", responses=errors(401))
def list_patients(actor: CurrentActor, session: SessionDep) -> list[PatientPublic]:
    return [PatientPublic.model_validate(row) for row in patients_service.list_patients(session, actor)]


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
) -> CoveragePublic:
    data = body.model_dump(mode="json", exclude={"authorization"})
    data["authorization"] = body.authorization.model_dump(mode="json") if body.authorization else None
    return CoveragePublic.model_validate(patients_service.add_coverage(session, actor, patient_id, data))


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
