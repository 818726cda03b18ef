"""Notes: checked without saving, created and updated (checked on every save), signed, and their history."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Body, Query, Request
from fastapi.responses import JSONResponse, Response

from ptbill.api.deps import ClockDep, CurrentActor, SessionDep, actor_in_transaction, clock_of
from ptbill.api.routing import (
    Handler,
    PathId,
    ProblemRoute,
    errors,
    field_problems,
    json_object,
    made_or_refused,
    resource_router,
)
from ptbill.api.schemas.audit import AuditEventPublic
from ptbill.api.schemas.claim_history import ReturnCreate, ReturnPublic
from ptbill.api.schemas.encounters import (
    EXAMPLE_NOTE,
    AddendumCreate,
    AddendumPublic,
    CheckPublic,
    EncounterCreate,
    EncounterHistoryPublic,
    EncounterPublic,
    EncounterSummaryPublic,
    EncounterUpdate,
    StoredCheckPublic,
)
from ptbill.services import addenda, note_returns
from ptbill.services import notes as notes_service
from ptbill.services.notes import Note
from ptbill.services.patient_fields import FieldProblemsError

router = resource_router("/encounters", "encounters")
EncounterId = PathId


def encounter_public(row: Note) -> EncounterPublic:
    latest = row.checks[-1] if row.checks else None
    return EncounterPublic.model_validate(
        {
            **EncounterSummaryPublic.model_validate(row).model_dump(),
            "document": row.document,
            "check": StoredCheckPublic.model_validate(latest) if latest else None,
        }
    )


async def check_note(
    actor: CurrentActor,
    session: SessionDep,
    clock: ClockDep,
    document: Annotated[
        dict[str, Any],
        Body(description="The note in encounter format 1.", openapi_examples={"note": {"value": EXAMPLE_NOTE}}),
    ],
) -> Response:
    report = notes_service.check_document(session, actor, document, clock=clock)
    return JSONResponse(check_public(report.to_json()))


class _CheckRoute(ProblemRoute):
    """The live check, the request a clinic sends most: a note sent as a JSON object is answered here, with the
    login, CSRF and temporary-password rules of ``CurrentActor`` called directly (``deps.actor_in_transaction``)
    instead of through FastAPI's dependency solving, which took about a tenth of the request's time. Any other
    body (none, malformed JSON, not an object, another content type) goes FastAPI's way, so its refusals are
    worded as before."""

    def fast_path(self, handler: Handler) -> Handler:
        async def check(request: Request) -> Response:
            document = await json_object(request)
            if document is None:
                return await handler(request)
            async with actor_in_transaction(request) as (actor, session):
                return await check_note(actor, session, clock_of(request), document)

        return check


router.add_api_route(
    "/check",
    check_note,
    methods=["POST"],
    route_class_override=_CheckRoute,
    response_model=CheckPublic,
    summary="Check a note without saving it",
    description="The body is the note itself (encounter format 1). The answer is the check output of the "
    "spec: verdict, findings and planned claim lines. A malformed note is a 422 with one line per field.",
    responses=errors(401, 422),
)


_UNPRICED = {"expected_payment": None, "payment_basis": None, "payment_is_estimate": False}


def check_public(report: dict[str, Any]) -> dict[str, Any]:
    """The engine's report (``CheckReport.to_json``) as ``CheckPublic`` serializes it, without validating it
    again: the same keys in the same order, an unpriced line with its price fields null (and not an estimate)."""
    lines = report["claim_lines"]
    if any("expected_payment" not in line for line in lines):
        report = {**report, "claim_lines": [line if "expected_payment" in line else line | _UNPRICED for line in lines]}
    return report


@router.post(
    "",
    status_code=201,
    response_model=EncounterPublic,
    summary="Save a new note",
    description="Checked on save; the findings are kept with the rule-set version. 409 when the clinic "
    "already has a note with the same `id`.",
    responses=errors(401, 403, 404, 409, 422),
)
def create_encounter(
    body: EncounterCreate, actor: CurrentActor, session: SessionDep, clock: ClockDep
) -> EncounterPublic:
    row, _ = notes_service.save_encounter(
        session, actor, body.document, body.patient_id, clock=clock, every_check=False
    )
    return encounter_public(row)


@router.get(
    "",
    response_model=list[EncounterSummaryPublic],
    summary="List the clinic's notes",
    description="Newest date of service first; without the documents (read one note for that).",
    responses=errors(401, 422),
)
def list_encounters(
    actor: CurrentActor,
    session: SessionDep,
    status: Annotated[Literal["draft", "signed", "billed"] | None, Query()] = None,
) -> list[EncounterSummaryPublic]:
    return [EncounterSummaryPublic.model_validate(row) for row in notes_service.list_encounters(session, actor, status)]


@router.get(
    "/{encounter_id}",
    response_model=EncounterPublic,
    summary="Read a note",
    description="The document, its status and the check of its latest version.",
    responses=errors(401, 404, 422),
)
def read_encounter(encounter_id: EncounterId, actor: CurrentActor, session: SessionDep) -> EncounterPublic:
    return encounter_public(notes_service.get_encounter(session, actor, encounter_id, every_check=False))


@router.put(
    "/{encounter_id}",
    response_model=EncounterPublic,
    summary="Save a new version of a draft note",
    description="409 once the note is signed.",
    responses=errors(401, 403, 404, 409, 422),
)
def update_encounter(
    encounter_id: EncounterId, body: EncounterUpdate, actor: CurrentActor, session: SessionDep, clock: ClockDep
) -> EncounterPublic:
    row, _ = notes_service.update_encounter(session, actor, encounter_id, body.document, clock=clock, every_check=False)
    return encounter_public(row)


@router.post(
    "/{encounter_id}/sign",
    response_model=EncounterPublic,
    summary="Sign a note",
    description="Therapists and PTAs only; 409 when the note has blocking findings or is not a draft.",
    responses=errors(401, 403, 404, 409, 422),
)
def sign_encounter(
    encounter_id: EncounterId, actor: CurrentActor, session: SessionDep, clock: ClockDep
) -> EncounterPublic:
    return encounter_public(notes_service.sign_encounter(session, actor, encounter_id, clock=clock))


@router.get(
    "/{encounter_id}/history",
    response_model=EncounterHistoryPublic,
    summary="A note's versions and audit trail",
    responses=errors(401, 404, 422),
)
def read_encounter_history(
    encounter_id: EncounterId, actor: CurrentActor, session: SessionDep
) -> EncounterHistoryPublic:
    history = notes_service.encounter_history(session, actor, encounter_id)
    return EncounterHistoryPublic(
        encounter=EncounterSummaryPublic.model_validate(history["encounter"]),
        checks=[StoredCheckPublic.model_validate(c) for c in history["checks"]],
        events=[AuditEventPublic.model_validate(e) for e in history["events"]],
    )


@router.post(
    "/{encounter_id}/return",
    status_code=201,
    response_model=ReturnPublic,
    summary="Return a note to its therapist with a message",
    description="A signed note not yet billed goes back to draft for the therapist to fix and sign again; a billed "
    "note stays billed and the message asks for a correction. The therapist sees it on their notes list.",
    responses=errors(401, 403, 404, 409, 422),
)
def return_encounter(
    encounter_id: EncounterId, body: ReturnCreate, actor: CurrentActor, session: SessionDep, clock: ClockDep
) -> ReturnPublic | JSONResponse:
    return made_or_refused(
        ReturnPublic, lambda: note_returns.return_note(session, actor, encounter_id, body.message, clock=clock)
    )


@router.get(
    "/{encounter_id}/addenda",
    response_model=list[AddendumPublic],
    summary="A signed note's addenda, oldest first",
    responses=errors(401, 403, 404, 422),
)
def list_addenda(encounter_id: EncounterId, actor: CurrentActor, session: SessionDep) -> list[AddendumPublic]:
    return [AddendumPublic.model_validate(found) for found in addenda.addenda_of(session, actor, encounter_id)]


@router.post(
    "/{encounter_id}/addenda",
    status_code=201,
    response_model=AddendumPublic,
    summary="Correct a signed note with an addendum",
    description="A signed note never changes: the addendum records its author, the time, the reason and the text. "
    "Therapists and PTAs only; 409 for a draft (edit it instead). A claim built afterwards records the note's "
    "version with its addenda.",
    responses=errors(401, 403, 404, 409, 422),
)
def add_addendum(
    encounter_id: EncounterId, body: AddendumCreate, actor: CurrentActor, session: SessionDep, clock: ClockDep
) -> AddendumPublic | JSONResponse:
    try:
        found = addenda.add_addendum(session, actor, encounter_id, body.reason, body.text, clock=clock)
    except FieldProblemsError as exc:
        return field_problems(exc)
    return AddendumPublic.model_validate(found)
