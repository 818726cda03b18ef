"""The claim page: what the claim says (its frozen claim), its status timeline, every payment with its
adjustments in plain words, the balance by party and the audit history; and the biller's actions on it:
a corrected claim (frequency 7), a void (8), a reopening request where the payer takes neither, a
write-off with a reason, and returning the note to its therapist with a message.

Billers and admins only; a claim of another clinic answers 404. A refused action shows the page again
with the reason, and changes nothing.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response

from ptbill.domain.errors import PtbillError
from ptbill.reference.catalog import default_catalog
from ptbill.services import access, cob, frozen_claims, note_returns, reopening, write_offs
from ptbill.services.claim_page import claim_page
from ptbill.services.db import Session
from ptbill.web.deps import CsrfChecked, CurrentViewer, SessionDep, Viewer, form_values, pdf_response, render
from ptbill.web.inputs import RecordId, record_id

router = APIRouter()
FormDep = Annotated[dict[str, str], Depends(form_values)]
DONE = {
    "corrected": "Corrected claim built (frequency 7). Put it in a batch to send it.",
    "void": "Void built (frequency 8). Put it in a batch to send it.",
    "write-off": "Write-off saved.",
    "returned": "Note returned to the therapist.",
    "reopening": "Reopening request saved. Download the PDF and send it to the payer.",
    "resolved": "Return marked resolved.",
    "next-payer": "Claim to the next payer built, with the earlier payer's answer (COB). Put it in a batch to send it.",
}


def _page(
    request: Request,
    viewer: Viewer,
    session: Session,
    claim_id: int,
    *,
    done: str | None = None,
    problem: str | None = None,
    status_code: int = 200,
    form: dict[str, str] | None = None,
) -> Response:
    page = claim_page(session, viewer.actor, claim_id, viewer.clock.today())
    payer = default_catalog().payer(page.claim.payer_id)
    context: dict[str, Any] = {
        "viewer": viewer,
        "page": page,
        "payer_name": payer.name if payer else page.claim.payer_id,
        "reasons": write_offs.REASONS,
        "done": DONE.get(done or ""),
        "problem": problem,
        "form": form or {},
    }
    return render(request, "claims/claim.html", context, status_code=status_code)


@router.get("/claims/{claim_id}")
def show_claim(
    request: Request,
    claim_id: RecordId,
    viewer: CurrentViewer,
    session: SessionDep,
    done: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    return _page(request, viewer, session, claim_id, done=done)


def _act(
    request: Request, viewer: Viewer, session: Session, claim_id: int, form: dict[str, str], action: Any
) -> Response:
    """Run ``action``; on success go to where it says, else show the page again with the reason (nothing saved)."""
    try:
        where = action()
    except (access.NotFoundError, access.ForbiddenError):
        raise
    except PtbillError as exc:
        session.rollback()
        status = 409 if isinstance(exc, access.ConflictError) else 400
        return _page(request, viewer, session, claim_id, problem=str(exc), status_code=status, form=form)
    session.commit()
    return RedirectResponse(where, status_code=303)


@router.post("/claims/{claim_id}/corrected", dependencies=[CsrfChecked])
def corrected(
    request: Request, claim_id: RecordId, viewer: CurrentViewer, session: SessionDep, form: FormDep
) -> Response:
    def run() -> str:
        made = frozen_claims.correct_claim(
            session, viewer.actor, claim_id, form.get("payer_claim_number"), clock=viewer.clock
        )
        return f"/claims/{made.id}?done=corrected"

    return _act(request, viewer, session, claim_id, form, run)


@router.post("/claims/{claim_id}/next-payer", dependencies=[CsrfChecked])
def next_payer(
    request: Request, claim_id: RecordId, viewer: CurrentViewer, session: SessionDep, form: FormDep
) -> Response:
    def run() -> str:
        made = cob.build_next_claim(session, viewer.actor, claim_id, clock=viewer.clock)
        return f"/claims/{made.id}?done=next-payer"

    return _act(request, viewer, session, claim_id, form, run)


@router.post("/claims/{claim_id}/void", dependencies=[CsrfChecked])
def void(request: Request, claim_id: RecordId, viewer: CurrentViewer, session: SessionDep, form: FormDep) -> Response:
    def run() -> str:
        made = frozen_claims.void_claim(
            session, viewer.actor, claim_id, form.get("payer_claim_number"), clock=viewer.clock
        )
        return f"/claims/{made.id}?done=void"

    return _act(request, viewer, session, claim_id, form, run)


@router.post("/claims/{claim_id}/write-offs", dependencies=[CsrfChecked])
def write_off(
    request: Request, claim_id: RecordId, viewer: CurrentViewer, session: SessionDep, form: FormDep
) -> Response:
    def run() -> str:
        raw_line = (form.get("line_number") or "").strip()
        line = record_id(raw_line) if raw_line else None
        if raw_line and line is None:
            raise access.InvalidChangeError("line_number", "line_number: choose one of the claim's lines")
        amount = write_offs.parse_amount(form.get("amount", ""))
        write_offs.write_off(
            session,
            viewer.actor,
            claim_id,
            amount,
            form.get("reason_code", ""),
            form.get("reason_text"),
            line,
            clock=viewer.clock,
        )
        return f"/claims/{claim_id}?done=write-off"

    return _act(request, viewer, session, claim_id, form, run)


@router.post("/claims/{claim_id}/return-note", dependencies=[CsrfChecked])
def return_note(
    request: Request, claim_id: RecordId, viewer: CurrentViewer, session: SessionDep, form: FormDep
) -> Response:
    def run() -> str:
        note_returns.return_claim_note(session, viewer.actor, claim_id, form.get("message", ""), clock=viewer.clock)
        return f"/claims/{claim_id}?done=returned"

    return _act(request, viewer, session, claim_id, form, run)


@router.post("/claims/{claim_id}/returns/{return_id}/resolved", dependencies=[CsrfChecked])
def resolve(
    request: Request, claim_id: RecordId, return_id: RecordId, viewer: CurrentViewer, session: SessionDep, form: FormDep
) -> Response:
    def run() -> str:
        note_returns.resolve_return(session, viewer.actor, return_id, clock=viewer.clock)
        return f"/claims/{claim_id}?done=resolved"

    return _act(request, viewer, session, claim_id, form, run)


@router.post("/claims/{claim_id}/reopening", dependencies=[CsrfChecked])
def reopen(request: Request, claim_id: RecordId, viewer: CurrentViewer, session: SessionDep, form: FormDep) -> Response:
    def run() -> str:
        reopening.request_reopening(
            session, viewer.actor, claim_id, form.get("change", ""), form.get("reason", ""), clock=viewer.clock
        )
        return f"/claims/{claim_id}?done=reopening"

    return _act(request, viewer, session, claim_id, form, run)


@router.get("/claims/{claim_id}/reopening/{request_id}.pdf")
def reopening_pdf(claim_id: RecordId, request_id: RecordId, viewer: CurrentViewer, session: SessionDep) -> Response:
    pdf = reopening.reopening_pdf(session, viewer.actor, claim_id, request_id)
    name = f"reopening-claim-{claim_id}-{request_id}.pdf"
    return pdf_response(pdf, name)
