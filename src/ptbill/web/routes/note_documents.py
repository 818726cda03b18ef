"""Notes as documents: one note's PDF, and the PDF of a patient's episode of care (evaluation, daily notes,
progress reports, discharge), as payers and records requests ask for them.

``/notes/{encounter_id}/note.pdf`` and ``/patients/{patient_id}/episode.pdf`` (``evaluation=<id of the initial
evaluation>`` picks an episode, otherwise the latest; ``drafts=true`` prints drafts too, marked DRAFT). Any role
of the clinic may print; another clinic's note or patient answers 404. The services audit each export.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from ptbill.services.episode_pdf import episode_pdf
from ptbill.services.note_pdf import note_pdf
from ptbill.web.deps import CurrentViewer, SessionDep, pdf_response
from ptbill.web.inputs import OptionalRecordId, RecordId

router = APIRouter()


@router.get("/notes/{encounter_id}/note.pdf")
def note_document(encounter_id: RecordId, request: Request, viewer: CurrentViewer, session: SessionDep) -> Response:
    pdf = note_pdf(session, viewer.actor, encounter_id, clock=viewer.clock)
    return pdf_response(pdf, f"note-{encounter_id}.pdf", inline=True)


@router.get("/patients/{patient_id}/episode.pdf")
def episode_document(
    patient_id: RecordId,
    request: Request,
    viewer: CurrentViewer,
    session: SessionDep,
    evaluation: Annotated[OptionalRecordId, Query()] = None,
    drafts: Annotated[bool, Query()] = False,
) -> Response:
    pdf = episode_pdf(session, viewer.actor, patient_id, evaluation, include_drafts=drafts, clock=viewer.clock)
    name = f"episode-{patient_id}" + (f"-from-{evaluation}" if evaluation else "") + ".pdf"
    return pdf_response(pdf, name, inline=True)
