"""A claim's history and the biller's actions on it: corrected claim (7), void (8), write-off, reopening
request, and returning the note to its therapist."""

from __future__ import annotations

from fastapi import Response
from fastapi.responses import JSONResponse

from ptbill.api.deps import ClockDep, CurrentActor, SessionDep
from ptbill.api.routing import (
    PathId,
    PdfResponse,
    errors,
    invalid_change,
    made_or_refused,
    pdf_download,
    pdf_responses,
    resource_router,
)
from ptbill.api.schemas.claim_history import (
    ClaimHistoryPublic,
    CorrectionCreate,
    OpenBalancePublic,
    PaymentPublic,
    ReopeningCreate,
    ReopeningPublic,
    ReturnCreate,
    ReturnPublic,
    TimelineEventPublic,
    WriteOffCreate,
    WriteOffPublic,
)
from ptbill.api.schemas.claims import BalancePublic, ClaimPublic
from ptbill.services import access, cob, frozen_claims, note_returns, reopening, write_offs
from ptbill.services.claim_page import claim_page

router = resource_router("/claims", "claims")
ClaimId = PathId
RequestId = PathId


@router.get(
    "/{claim_id}/history",
    response_model=ClaimHistoryPublic,
    summary="A claim's timeline, payments with adjustments, balance and write-offs",
    description="The status timeline derived from the rows (created, batch, submitted, each 835 answer, "
    "corrections and voids, write-offs); each payment with its 835 file, check/EFT number, date, amounts by "
    "line and every adjustment with its CARC/RARC text; the balance by party and what is still open.",
    responses=errors(401, 403, 404, 422),
)
def claim_history(claim_id: ClaimId, actor: CurrentActor, session: SessionDep) -> ClaimHistoryPublic:
    page = claim_page(session, actor, claim_id)
    return ClaimHistoryPublic(
        claim_id=page.claim.id,
        status=page.claim.status,
        frequency=page.claim.frequency,
        corrects_claim_id=page.claim.corrects_claim_id,
        corrected_by=[c.id for c in page.corrected_by],
        timeline=[TimelineEventPublic.model_validate(e) for e in page.timeline],
        payments=[PaymentPublic.model_validate(p) for p in page.payments],
        balance=BalancePublic.model_validate(page.account.balance),
        open=OpenBalancePublic.model_validate(page.open),
        write_offs=[WriteOffPublic.model_validate(w) for w in page.write_offs],
        replacement_refusal=page.replacement_refusal,
        correction_blocked=page.correction_blocked,
    )


@router.post(
    "/{claim_id}/corrected",
    status_code=201,
    response_model=ClaimPublic,
    summary="Build a corrected claim (frequency 7)",
    description="A new frozen claim from the note as it is now, naming the payer's claim number in REF*F8. "
    "409 when the payer takes no replacement claims (Medicare Part B: ask for a reopening), the claim was "
    "never adjudicated (no payer claim number: resubmit), or it was already corrected or voided.",
    responses=errors(401, 403, 404, 409, 422),
)
def correct(
    claim_id: ClaimId, actor: CurrentActor, session: SessionDep, clock: ClockDep, body: CorrectionCreate | None = None
) -> ClaimPublic:
    number = body.payer_claim_number if body else None
    return ClaimPublic.model_validate(frozen_claims.correct_claim(session, actor, claim_id, number, clock=clock))


@router.post(
    "/{claim_id}/next-payer",
    status_code=201,
    response_model=ClaimPublic,
    summary="Build the secondary (or tertiary) claim",
    description="The claim to the patient's next coverage after this claim's payer answered: a new frozen claim "
    "with SBR01 S (or T) carrying this payer's answer (837P loops 2320/2330A/2330B and, per line, 2430), waiting "
    "to be batched. The one already built when there is one. 409 when the payer's 835 is not posted, left "
    "the patient nothing (no PR), crossed the claim over itself, or the patient has no next coverage.",
    responses=errors(401, 403, 404, 409, 422),
)
def next_payer(claim_id: ClaimId, actor: CurrentActor, session: SessionDep, clock: ClockDep) -> ClaimPublic:
    return ClaimPublic.model_validate(cob.build_next_claim(session, actor, claim_id, clock=clock))


@router.post(
    "/{claim_id}/void",
    status_code=201,
    response_model=ClaimPublic,
    summary="Build a void of the claim (frequency 8)",
    description="A new frozen claim that cancels this one, naming the payer's claim number in REF*F8; "
    "refused (409) for the same reasons as a corrected claim.",
    responses=errors(401, 403, 404, 409, 422),
)
def void(
    claim_id: ClaimId, actor: CurrentActor, session: SessionDep, clock: ClockDep, body: CorrectionCreate | None = None
) -> ClaimPublic:
    number = body.payer_claim_number if body else None
    return ClaimPublic.model_validate(frozen_claims.void_claim(session, actor, claim_id, number, clock=clock))


@router.post(
    "/{claim_id}/write-offs",
    status_code=201,
    response_model=WriteOffPublic,
    summary="Write off part of the claim's open balance, with a reason",
    description="At most the open balance (409 otherwise; two at once cannot together exceed it). "
    "A bad reason, amount or line is a 422 naming the field.",
    responses=errors(401, 403, 404, 409, 422),
)
def create_write_off(
    claim_id: ClaimId, body: WriteOffCreate, actor: CurrentActor, session: SessionDep, clock: ClockDep
) -> WriteOffPublic | JSONResponse:
    def write_off() -> object:
        amount = write_offs.parse_amount(body.amount)
        return write_offs.write_off(
            session, actor, claim_id, amount, body.reason_code, body.reason_text, body.line_number, clock=clock
        )

    return made_or_refused(WriteOffPublic, write_off)


@router.post(
    "/{claim_id}/return-note",
    status_code=201,
    response_model=ReturnPublic,
    summary="Return the claim's note to its therapist with a message",
    description="The therapist sees the message on their notes list. A billed note stays billed (the message "
    "asks for a correction); signing it again, or the biller, resolves the return.",
    responses=errors(401, 403, 404, 409, 422),
)
def return_claim_note(
    claim_id: ClaimId, body: ReturnCreate, actor: CurrentActor, session: SessionDep, clock: ClockDep
) -> ReturnPublic | JSONResponse:
    return made_or_refused(
        ReturnPublic, lambda: note_returns.return_claim_note(session, actor, claim_id, body.message, clock=clock)
    )


@router.post(
    "/{claim_id}/reopening-requests",
    status_code=201,
    response_model=ReopeningPublic,
    summary="Prepare a reopening request (for a payer that takes no corrected claims)",
    description="Stored and audited; the PDF names the claim, the ICN, the date of service, what to change and why.",
    responses=errors(401, 403, 404, 409, 422),
)
def request_reopening(
    claim_id: ClaimId, body: ReopeningCreate, actor: CurrentActor, session: SessionDep, clock: ClockDep
) -> ReopeningPublic | JSONResponse:
    try:
        made = reopening.request_reopening(session, actor, claim_id, body.change, body.reason, clock=clock)
    except access.InvalidChangeError as exc:
        return invalid_change(exc, "body.")
    pdf = f"/api/claims/{claim_id}/reopening-requests/{made.id}/pdf"
    return ReopeningPublic(
        id=made.id,
        claim_id=made.claim_id,
        change_text=made.change_text,
        reason_text=made.reason_text,
        created_at=made.created_at,
        pdf=pdf,
    )


@router.get(
    "/{claim_id}/reopening-requests/{request_id}/pdf",
    response_model=bytes,
    response_class=PdfResponse,
    summary="A reopening request as a PDF",
    responses=pdf_responses(401, 403, 404, 422),
)
def reopening_pdf(claim_id: ClaimId, request_id: RequestId, actor: CurrentActor, session: SessionDep) -> Response:
    pdf = reopening.reopening_pdf(session, actor, claim_id, request_id)
    name = f"reopening-claim-{claim_id}-{request_id}.pdf"
    return pdf_download(pdf, name)
