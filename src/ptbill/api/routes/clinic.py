"""The clinic's settings and service locations (admin only); a refused setting is a 422 naming each field."""

from __future__ import annotations

from fastapi import Response
from fastapi.responses import JSONResponse

from ptbill.api.deps import ClockDep, CurrentActor, SessionDep
from ptbill.api.routing import PathId, errors, resource_router
from ptbill.api.schemas.clinic import ClinicPublic, ClinicSettingsIn, LocationIn, LocationPublic
from ptbill.services import clinic as clinic_service
from ptbill.services.access import require_role
from ptbill.services.clinic import Clinic, SettingsRefusedError

router = resource_router("/clinic", "clinic")
LocationId = PathId


def refused_settings(refused: SettingsRefusedError) -> JSONResponse:
    """422 in the problem format, one line per refused field."""
    problems = [f"body.{name}: {message}" for name, message in refused.problems.items()]
    return JSONResponse({"detail": "the settings cannot be saved", "problems": problems}, status_code=422)


def public(clinic: Clinic) -> ClinicPublic:
    return ClinicPublic.model_validate(
        {**{name: getattr(clinic, name) for name in ClinicPublic.model_fields if name != "zone"}, "zone": clinic.zone}
    )


@router.get("", response_model=ClinicPublic, summary="The clinic's settings", responses=errors(401, 403))
def read_clinic(actor: CurrentActor, session: SessionDep) -> ClinicPublic:
    require_role(actor, {"admin"})
    return public(clinic_service.get_clinic(session, actor))


@router.put(
    "",
    response_model=ClinicPublic,
    summary="Change the clinic's settings",
    description="Every field is checked (NPI check digit, EIN, state, ZIP, time zone, taxonomy, trading partner "
    "ids); nothing is saved when any is refused. The audit row names the fields changed.",
    responses=errors(401, 403, 422),
)
def update_clinic(
    body: ClinicSettingsIn, actor: CurrentActor, session: SessionDep, clock: ClockDep
) -> ClinicPublic | Response:
    try:
        return public(clinic_service.update_settings(session, actor, body.model_dump(), clock.today()))
    except SettingsRefusedError as refused:
        session.rollback()
        return refused_settings(refused)


@router.get(
    "/locations", response_model=list[LocationPublic], summary="The service locations", responses=errors(401, 403)
)
def list_locations(actor: CurrentActor, session: SessionDep) -> list[LocationPublic]:
    require_role(actor, {"admin"})
    return [LocationPublic.model_validate(row) for row in clinic_service.list_locations(session, actor)]


@router.post(
    "/locations",
    status_code=201,
    response_model=LocationPublic,
    summary="Add a service location",
    responses=errors(401, 403, 422),
)
def add_location(body: LocationIn, actor: CurrentActor, session: SessionDep) -> LocationPublic | Response:
    try:
        return LocationPublic.model_validate(clinic_service.add_location(session, actor, body.model_dump()))
    except SettingsRefusedError as refused:
        session.rollback()
        return refused_settings(refused)


@router.delete(
    "/locations/{location_id}",
    status_code=204,
    response_model=None,
    summary="Remove a service location",
    responses=errors(401, 403, 404),
)
def remove_location(location_id: LocationId, actor: CurrentActor, session: SessionDep) -> Response:
    clinic_service.remove_location(session, actor, location_id)
    return Response(status_code=204)
