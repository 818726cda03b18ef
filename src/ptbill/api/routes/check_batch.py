"""Many notes checked in one request, without saving them (``services.check_batch``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Body

from ptbill.api.deps import ClockDep, CurrentActor, SessionDep
from ptbill.api.routing import errors, resource_router
from ptbill.api.schemas.check_batch import BatchCheckEntryPublic
from ptbill.api.schemas.encounters import EXAMPLE_NOTE, CheckPublic
from ptbill.services.check_batch import MAX_BATCH, check_documents

router = resource_router("/encounters", "encounters")


@router.post(
    "/check/batch",
    response_model=list[BatchCheckEntryPublic],
    summary="Check many notes without saving them",
    description=f"The body is a JSON array of up to {MAX_BATCH} notes (encounter format 1). The answer has one "
    "entry per note, in the order sent: its check (as `POST /api/encounters/check` answers it), or for a "
    "malformed note `check` null and `problems` naming each bad field; the other notes are still checked. "
    f"More than {MAX_BATCH} notes is a 422; a body over the JSON size limit a 413.",
    responses=errors(401, 413, 422),
)
def check_notes(
    actor: CurrentActor,
    session: SessionDep,
    clock: ClockDep,
    documents: Annotated[
        list[Any],
        Body(
            max_length=MAX_BATCH,
            description="The notes in encounter format 1.",
            openapi_examples={"two notes": {"value": [EXAMPLE_NOTE, EXAMPLE_NOTE]}},
        ),
    ],
) -> list[BatchCheckEntryPublic]:
    return [
        BatchCheckEntryPublic(
            index=entry.index,
            check=CheckPublic.model_validate(entry.report.to_json()) if entry.report else None,
            problems=list(entry.problems),
        )
        for entry in check_documents(session, actor, documents, clock=clock)
    ]
