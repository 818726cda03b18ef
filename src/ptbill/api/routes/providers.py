"""The providers roster (admin only): PT, PTA, OT, OTA and SLP with individual NPI and state licence."""

from __future__ import annotations

from fastapi import Response

from ptbill.api.deps import CurrentActor, SessionDep
from ptbill.api.routes.clinic import refused_settings
from ptbill.api.routing import PathId, errors, resource_router
from ptbill.api.schemas.clinic import ProviderActive, ProviderIn, ProviderPublic
from ptbill.services import providers as providers_service
from ptbill.services.access import require_role
from ptbill.services.clinic import SettingsRefusedError

router = resource_router("/providers", "providers")
ProviderId = PathId


@router.get("", response_model=list[ProviderPublic], summary="The providers roster", responses=errors(401, 403))
def list_providers(actor: CurrentActor, session: SessionDep) -> list[ProviderPublic]:
    require_role(actor, {"admin"})
    return [ProviderPublic.model_validate(p) for p in providers_service.list_providers(session, actor)]


@router.post(
    "",
    status_code=201,
    response_model=ProviderPublic,
    summary="Add a provider",
    description="The NPI must pass its check digit; a PTA names a PT and an OTA an OT of the roster as supervisor.",
    responses=errors(401, 403, 422),
)
def add_provider(body: ProviderIn, actor: CurrentActor, session: SessionDep) -> ProviderPublic | Response:
    form = {k: "" if v is None else str(v) for k, v in body.model_dump().items()}
    try:
        return ProviderPublic.model_validate(providers_service.add_provider(session, actor, form))
    except SettingsRefusedError as refused:
        session.rollback()
        return refused_settings(refused)


@router.patch(
    "/{provider_id}",
    response_model=ProviderPublic,
    summary="Take a provider off the roster or put them back",
    responses=errors(401, 403, 404, 422),
)
def set_active(
    provider_id: ProviderId, body: ProviderActive, actor: CurrentActor, session: SessionDep
) -> ProviderPublic | Response:
    try:
        return ProviderPublic.model_validate(
            providers_service.set_provider_active(session, actor, provider_id, body.active)
        )
    except SettingsRefusedError as refused:
        session.rollback()
        return refused_settings(refused)
