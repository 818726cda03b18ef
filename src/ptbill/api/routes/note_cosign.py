"""Co-signature: a supervising therapist co-signs an assistant's signed note, and the admin sets the clinic's
own co-signature rule for its state (the payers' is the parameter ``notes.assistant_cosign_required``)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import Response
from pydantic import BaseModel, Field

from ptbill.api.deps import ClockDep, CurrentActor, SessionDep
from ptbill.api.routes.clinic import public, refused_settings
from ptbill.api.routes.encounters import EncounterId, encounter_public
from ptbill.api.routing import errors, resource_router
from ptbill.api.schemas.clinic import ClinicPublic
from ptbill.api.schemas.encounters import EncounterPublic
from ptbill.services import cosign
from ptbill.services.clinic import SettingsRefusedError

router = resource_router("/encounters", "encounters")
clinic_router = resource_router("/clinic", "clinic")


class CosignRuleIn(BaseModel):
    assistant_cosign_from: Annotated[
        date | None,
        Field(
            description="The first date of service from which the clinic's state requires a therapist's co-signature "
            "of a PTA's or OTA's notes; null: it requires none."
        ),
    ]


@router.post(
    "/{encounter_id}/cosign",
    response_model=EncounterPublic,
    summary="Co-sign an assistant's signed note",
    description="A therapist of the assistant's discipline (a PT for a PTA's note) co-signs a signed note once; the "
    "note is checked again, and a note that waited for the co-signature (NOTE_COSIGN_MISSING) is then ready to "
    "bill. 403 for another role or discipline; 409 for a draft, a billed note, a therapist's own note, or one "
    "already co-signed.",
    responses=errors(401, 403, 404, 409, 422),
)
def cosign_encounter(
    encounter_id: EncounterId, actor: CurrentActor, session: SessionDep, clock: ClockDep
) -> EncounterPublic:
    return encounter_public(cosign.cosign_note(session, actor, encounter_id, clock=clock))


@clinic_router.put(
    "/cosign",
    response_model=ClinicPublic,
    summary="Set the clinic's co-signature rule for its state",
    description="Admins only. From the date given, an assistant's signed notes wait for a therapist's co-signature "
    "before they are billed; null turns it off.",
    responses=errors(401, 403, 422),
)
def set_cosign_rule(body: CosignRuleIn, actor: CurrentActor, session: SessionDep) -> ClinicPublic | Response:
    try:
        return public(cosign.set_assistant_cosign(session, actor, body.assistant_cosign_from))
    except SettingsRefusedError as refused:
        session.rollback()
        return refused_settings(refused)
