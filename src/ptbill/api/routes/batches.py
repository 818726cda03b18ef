"""837P batches: built from claims, downloaded, and marked submitted once sent to the clearinghouse."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query
from fastapi.responses import PlainTextResponse

from ptbill.api.deps import ClockDep, CurrentActor, SessionDep, TradingDep
from ptbill.api.routing import PathId, errors, resource_router
from ptbill.api.schemas.batches import BatchCreate, BatchPublic
from ptbill.services import batches as batches_service

router = resource_router("/batches", "batches")
BatchId = PathId


@router.post(
    "",
    status_code=201,
    response_model=BatchPublic,
    summary="Build an 837P batch from claims",
    description="One interchange per receiver; 409 when a claim is already in a batch (the message names "
    "the claims and their batch, also when another request took them a moment earlier) or the 837P writer "
    "refuses one (the message says why), or a claim is past its payer's filing limit and `confirm_late` is "
    "not set (TIMELY_FILING_LIMIT: the message names each claim, its limit and last day).",
    responses=errors(400, 401, 403, 404, 409, 422),
)
def create_batch(
    body: BatchCreate, actor: CurrentActor, session: SessionDep, trading: TradingDep, clock: ClockDep
) -> BatchPublic:
    ids = list(dict.fromkeys(body.claim_ids))  # a claim listed twice must not be sent twice
    made = batches_service.create_batch(session, actor, ids, trading, clock=clock, confirm_late=body.confirm_late)
    batch = BatchPublic.model_validate(made)
    session.commit()  # 201 means stored: the claims are in this batch and its control numbers are taken
    return batch


@router.get("", response_model=list[BatchPublic], summary="List the clinic's batches", responses=errors(401))
def list_batches(actor: CurrentActor, session: SessionDep) -> list[BatchPublic]:
    return [BatchPublic.model_validate(row) for row in batches_service.list_batches(session, actor)]


@router.get("/{batch_id}", response_model=BatchPublic, summary="Read a batch", responses=errors(401, 404, 422))
def read_batch(batch_id: BatchId, actor: CurrentActor, session: SessionDep) -> BatchPublic:
    return BatchPublic.model_validate(batches_service.get_batch(session, actor, batch_id))


@router.get(
    "/{batch_id}/837p",
    response_model=str,
    response_class=PlainTextResponse,
    summary="Download the batch's 837P file",
    description="The X12 text exactly as built; downloading it again gives the same control numbers.",
    responses=errors(401, 404, 422),
)
def download_batch_837p(batch_id: BatchId, actor: CurrentActor, session: SessionDep) -> PlainTextResponse:
    batch = batches_service.get_batch(session, actor, batch_id)
    return PlainTextResponse(
        batch.content, headers={"Content-Disposition": f'attachment; filename="batch-{batch_id}.837"'}
    )


@router.post(
    "/{batch_id}/submitted",
    response_model=BatchPublic,
    summary="Mark a batch as sent",
    description="Its claims become `submitted`; 409, changing nothing, when the batch was already marked or "
    "the payer has already answered for some of its claims (the message names them), or a claim is past its "
    "payer's filing limit today and `confirm_late` is not true (TIMELY_FILING_LIMIT).",
    responses=errors(401, 403, 404, 409, 422),
)
def mark_batch_submitted(
    batch_id: BatchId,
    actor: CurrentActor,
    session: SessionDep,
    clock: ClockDep,
    confirm_late: Annotated[bool, Query(description="Send claims past their filing limit anyway.")] = False,
) -> BatchPublic:
    marked = batches_service.mark_batch_submitted(session, actor, batch_id, clock=clock, confirm_late=confirm_late)
    return BatchPublic.model_validate(marked)
