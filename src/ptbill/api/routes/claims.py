"""Claims from signed notes, and each claim as an 837P, a CMS-1500 PDF or a FHIR Claim."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Response
from fastapi.responses import JSONResponse, PlainTextResponse

from ptbill.api.deps import ClockDep, CurrentActor, SessionDep, TradingDep
from ptbill.api.routing import PathId, PdfResponse, errors, pdf_download, pdf_responses, resource_router
from ptbill.api.schemas.claims import (
    BalancePublic,
    ClaimAnswer,
    ClaimCreate,
    ClaimPublic,
    LineAnswer,
    TimelyFilingPublic,
)
from ptbill.api.schemas.common import NoNul
from ptbill.remittance.accounting import Balance, LineAccount
from ptbill.services import billing
from ptbill.services.balances import ClaimWithAccount, claim_balances
from ptbill.services.timely_filing import timely_filing_worklist

router = resource_router("/claims", "claims")
ClaimId = PathId


class FhirJsonResponse(Response):
    media_type = "application/fhir+json"


def _balance(balance: Balance) -> BalancePublic:
    return BalancePublic.model_validate(balance)


def _line_answer(line: LineAccount | None) -> LineAnswer | None:
    if line is None or not line.answered:
        return None
    return LineAnswer(balance=_balance(line.balance), outcome=line.outcome.value, underpaid=line.underpaid)


def _public(entry: ClaimWithAccount) -> ClaimPublic:
    """The claim with its balance by party, and each line's, once the payer has answered."""
    claim, account = ClaimPublic.model_validate(entry.claim), entry.account
    if account.answers == 0:
        return claim
    by_number = {line.line_number: line for line in account.lines if line.line_number is not None}
    lines = [line.model_copy(update={"answer": _line_answer(by_number.get(line.line_number))}) for line in claim.lines]
    answer = ClaimAnswer(
        balance=_balance(account.balance),
        outcome=account.outcome.value,
        underpaid=account.underpaid,
        denied=account.denied,
        denied_amount=account.denied_amount,
    )
    return claim.model_copy(update={"lines": lines, "answer": answer})


def _attachment(name: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{name}"'}


@router.post(
    "",
    status_code=201,
    response_model=list[ClaimPublic],
    summary="Build claims from signed notes",
    description="One claim per note, all or none: 409 names the first note that is not signed, is already "
    "billed or has blocking findings.",
    responses=errors(401, 403, 404, 409, 422),
)
def create_claims(body: ClaimCreate, actor: CurrentActor, session: SessionDep, clock: ClockDep) -> list[ClaimPublic]:
    ids = list(dict.fromkeys(body.encounter_ids))  # the same note twice would be billed twice
    return [ClaimPublic.model_validate(row) for row in billing.build_claims(session, actor, ids, clock=clock)]


@router.get("", response_model=list[ClaimPublic], summary="List the clinic's claims", responses=errors(401))
def list_claims(actor: CurrentActor, session: SessionDep) -> list[ClaimPublic]:
    return [_public(entry) for entry in claim_balances(session, actor, billing.list_claims(session, actor))]


@router.get(
    "/timely-filing",
    response_model=list[TimelyFilingPublic],
    summary="Claims not yet sent whose filing limit is near or past",
    description="The clinic's built claims (in no batch, or in a batch not yet marked submitted) within the "
    "payer's warning window (`claims.filing_warning_days`) of their filing limit (`claims.filing_limit`), or "
    "past it, fewest days left first, as of today on the installation's clock. Billers and admins.",
    responses=errors(401, 403, 422),
)
def timely_filing(
    actor: CurrentActor,
    session: SessionDep,
    clock: ClockDep,
    payer: Annotated[str | None, Query(max_length=60, description="Only this payer's claims."), NoNul] = None,
) -> list[TimelyFilingPublic]:
    found = timely_filing_worklist(session, actor, clock.today(), payer or None)
    return [
        TimelyFilingPublic(
            claim_id=item.claim_id,
            patient_control_number=item.patient_control_number,
            patient=item.patient,
            payer_id=item.payer_id,
            service_date=item.service_date,
            batch_id=item.batch_id,
            limit=item.filing.limit,
            last_day=item.filing.last_day,
            days_left=item.filing.days_left,
            state=item.filing.state,
            reference=item.filing.reference,
            confidence=item.filing.confidence,
        )
        for item in found
    ]


@router.get("/{claim_id}", response_model=ClaimPublic, summary="Read a claim", responses=errors(401, 404, 422))
def read_claim(claim_id: ClaimId, actor: CurrentActor, session: SessionDep) -> ClaimPublic:
    (entry,) = claim_balances(session, actor, [billing.get_claim(session, actor, claim_id)])
    return _public(entry)


@router.get(
    "/{claim_id}/837p",
    response_model=str,
    response_class=PlainTextResponse,
    summary="The claim alone as an 837P file",
    description="X12 005010X222A1 text with new control numbers on every download; the trading settings "
    "come from the installation's trading.yaml (else the test submitter and receiver).",
    responses=errors(400, 401, 404, 409, 422),
)
def download_claim_837p(
    claim_id: ClaimId, actor: CurrentActor, session: SessionDep, trading: TradingDep, clock: ClockDep
) -> PlainTextResponse:
    text = billing.claim_837p(session, actor, claim_id, trading, clock=clock)
    session.commit()  # its control numbers are stored before the file leaves, so they are never handed out again
    return PlainTextResponse(text, headers=_attachment(f"claim-{claim_id}.837"))


@router.get(
    "/{claim_id}/cms1500",
    response_model=bytes,
    response_class=PdfResponse,
    summary="The claim on the paper 1500 form (PDF)",
    responses=pdf_responses(401, 404, 409, 422),
)
def download_claim_cms1500(claim_id: ClaimId, actor: CurrentActor, session: SessionDep, clock: ClockDep) -> Response:
    from ptbill.claims.cms1500 import Cms1500Error, render_cms1500  # its renderer loads only when asked for

    claim = billing.claim_for_export(session, actor, claim_id, "cms1500", clock=clock)
    try:
        pdf = render_cms1500([claim])
    except Cms1500Error as exc:
        return JSONResponse(
            {"detail": "the claim cannot be put on the 1500 form", "problems": exc.problems}, status_code=409
        )
    return pdf_download(pdf, f"claim-{claim_id}-cms1500.pdf")


@router.get(
    "/{claim_id}/fhir",
    response_model=dict[str, object],
    response_class=FhirJsonResponse,
    summary="The claim as a FHIR R4 Claim resource",
    responses={
        200: {"content": {"application/fhir+json": {"schema": {"type": "object", "description": "A FHIR R4 Claim."}}}},
        **errors(401, 404, 409, 422),
    },
)
def download_claim_fhir(claim_id: ClaimId, actor: CurrentActor, session: SessionDep, clock: ClockDep) -> Response:
    from ptbill.claims.fhir import claim_to_fhir_json

    claim = billing.claim_for_export(session, actor, claim_id, "fhir", clock=clock)
    return FhirJsonResponse(claim_to_fhir_json(claim))
