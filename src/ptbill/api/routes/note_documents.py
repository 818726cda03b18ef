"""Notes as documents: one note's PDF and a patient's episode of care as one PDF (the pages' PDFs, for callers
of the API: a records system, a payer portal's upload)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Response

from ptbill.api.deps import ClockDep, CurrentActor, SessionDep
from ptbill.api.routing import PathId, PdfResponse, invalid_change, pdf_download, pdf_responses, resource_router
from ptbill.api.schemas.common import MAX_ID
from ptbill.services.access import InvalidChangeError
from ptbill.services.episode_pdf import episode_pdf
from ptbill.services.note_pdf import note_pdf

router = resource_router("/encounters", "encounters")
patients_router = resource_router("/patients", "patients")
EncounterId = PathId
PatientId = PathId


@router.get(
    "/{encounter_id}/note.pdf",
    response_model=bytes,
    response_class=PdfResponse,
    summary="A note as a PDF",
    description="Every section the note holds, its signature (in the clinic's time zone), version and SHA-256, and "
    "its addenda; a draft is marked DRAFT on every page. Any role of the clinic; the export is audited.",
    responses=pdf_responses(401, 404, 422),
)
def download_note(encounter_id: EncounterId, actor: CurrentActor, session: SessionDep, clock: ClockDep) -> Response:
    return pdf_download(note_pdf(session, actor, encounter_id, clock=clock), f"note-{encounter_id}.pdf")


@patients_router.get(
    "/{patient_id}/episode.pdf",
    response_model=bytes,
    response_class=PdfResponse,
    summary="A patient's episode of care as one PDF",
    description="The notes from an initial evaluation through the next discharge summary (or the latest note), "
    "in date order, each from a new page, after a cover page listing them. `evaluation` is the id of the note that "
    "opens the episode (its initial evaluation); without it, the latest episode. Signed notes only unless "
    "`drafts=true` (drafts print marked DRAFT). 409 when the episode has nothing to print.",
    responses=pdf_responses(401, 404, 409, 422),
)
def download_episode(
    patient_id: PatientId,
    actor: CurrentActor,
    session: SessionDep,
    clock: ClockDep,
    evaluation: Annotated[int | None, Query(ge=1, le=MAX_ID, description="The initial evaluation's note id.")] = None,
    drafts: Annotated[bool, Query(description="Print the episode's drafts too, marked DRAFT.")] = False,
) -> Response:
    try:
        pdf = episode_pdf(session, actor, patient_id, evaluation, include_drafts=drafts, clock=clock)
    except InvalidChangeError as exc:
        return invalid_change(exc, "query.")
    return pdf_download(pdf, f"episode-{patient_id}.pdf")
