"""The logged-in user."""

from __future__ import annotations

from ptbill.api.deps import CurrentActor
from ptbill.api.routing import errors, resource_router
from ptbill.api.schemas.session import MePublic

router = resource_router("/me", "session")


@router.get("", response_model=MePublic, summary="Who is logged in", responses=errors(401))
def read_me(actor: CurrentActor) -> MePublic:
    return MePublic(id=actor.user_id, clinic_id=actor.clinic_id, name=actor.name, role=actor.role)
