"""Remittance: 835 files uploaded and posted (each whole or not at all, the same file once), their stored
summaries, the payments (checks and EFTs) they carried, and the unmatched claim payments a biller matches
by hand. Billers and admins only."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import File, Query, Request, UploadFile

from ptbill.api.deps import CurrentActor, SessionDep
from ptbill.api.routing import errors, resource_router
from ptbill.api.schemas.common import Id, NoNul
from ptbill.api.schemas.remittances import (
    MatchPublic,
    MatchRequest,
    PaymentDetailPublic,
    PaymentPublic,
    RemittanceFilePublic,
    UnmatchedPaymentPublic,
    UploadResultPublic,
)
from ptbill.services import payments, remittance_files, unmatched

router = resource_router("/remittances", "remittances")
payments_router = resource_router("/payments", "payments")
claim_payments_router = resource_router("/claim-payments", "remittances")
MAX_FILES = 20


def upload_limit(request: Request) -> int:
    limit: int = request.app.state.ptbill.settings.request_limits.upload_bytes
    return limit


@router.post(
    "",
    response_model=list[UploadResultPublic],
    summary="Upload and post 835 files",
    description="One or more X12 835 files (multipart field `files`). Each file posts whole or not at all; "
    "the same file posted again (by its sha256), or payments already on file, answer `already_posted`. A "
    "refused file says why: `too_big`, `not_835`, `malformed` (the message names the segment and element), "
    "`unbalanced` (it names the amounts) or `conflict`. The whole request is limited by PTBILL_MAX_UPLOAD_BYTES.",
    responses=errors(401, 403, 413, 422),
)
def upload_remittances(
    request: Request,
    actor: CurrentActor,
    session: SessionDep,
    files: Annotated[list[UploadFile], File(description="X12 835 files.", max_length=MAX_FILES)],
) -> list[UploadResultPublic]:
    limit = upload_limit(request)
    results = []
    for upload in files[:MAX_FILES]:
        data = upload.file.read(limit + 1)
        result = remittance_files.post_file(session, actor, upload.filename or "upload.835", data, max_bytes=limit)
        results.append(UploadResultPublic.model_validate(result))
    return results


@router.get(
    "",
    response_model=list[RemittanceFilePublic],
    summary="List the 835 files posted",
    responses=errors(401, 403),
)
def list_remittance_files(actor: CurrentActor, session: SessionDep) -> list[RemittanceFilePublic]:
    return [RemittanceFilePublic.model_validate(f) for f in remittance_files.list_files(session, actor)]


@router.get(
    "/unmatched",
    response_model=list[UnmatchedPaymentPublic],
    summary="List the claim payments that matched no claim",
    responses=errors(401, 403),
)
def list_unmatched_payments(actor: CurrentActor, session: SessionDep) -> list[UnmatchedPaymentPublic]:
    return [UnmatchedPaymentPublic.model_validate(p) for p in unmatched.list_unmatched(session, actor)]


@router.get(
    "/{remittance_file_id}",
    response_model=RemittanceFilePublic,
    summary="A posted 835 file and its posting summary",
    responses=errors(401, 403, 404),
)
def read_remittance_file(remittance_file_id: Id, actor: CurrentActor, session: SessionDep) -> RemittanceFilePublic:
    return RemittanceFilePublic.model_validate(remittance_files.get_file(session, actor, remittance_file_id))


@payments_router.get(
    "",
    response_model=list[PaymentPublic],
    summary="List payments (checks and EFTs) with their reconciliation",
    description="Each posted 835 payment by payer and date: its total (BPR02), the sum of its claim payments, "
    "its provider-level adjustments and the difference (total = claims paid − PLB when it reconciles).",
    responses=errors(401, 403, 422),
)
def list_payments(
    actor: CurrentActor,
    session: SessionDep,
    payer: Annotated[str | None, Query(max_length=80, description="The payer's identifier."), NoNul] = None,
    date_from: Annotated[date | None, Query(alias="from", description="Payment date from (YYYY-MM-DD).")] = None,
    date_to: Annotated[date | None, Query(alias="to", description="Payment date to, inclusive.")] = None,
) -> list[PaymentPublic]:
    found = payments.list_payments(session, actor, payer=payer, date_from=date_from, date_to=date_to)
    return [PaymentPublic.model_validate(p) for p in found]


@payments_router.get(
    "/{payment_id}",
    response_model=PaymentDetailPublic,
    summary="A payment, its claim payments and provider-level adjustments",
    responses=errors(401, 403, 404),
)
def read_payment(
    payment_id: Id,
    actor: CurrentActor,
    session: SessionDep,
    offset: Annotated[int, Query(ge=0, le=10**7, description="Claim payments to skip.")] = 0,
    limit: Annotated[
        int, Query(ge=1, le=5000, description="Claim payments to list (a check can pay thousands).")
    ] = 500,
) -> PaymentDetailPublic:
    detail = payments.get_payment(session, actor, payment_id, offset=offset, limit=limit)
    return PaymentDetailPublic.model_validate(detail)


@claim_payments_router.post(
    "/{claim_payment_id}/match",
    response_model=MatchPublic,
    summary="Match an unmatched claim payment to a claim",
    description="Applies the payment to the claim as posting would (paid amounts, lines, status), audited. "
    "A payment already matched answers 409; of two matches at once, one wins.",
    responses=errors(401, 403, 404, 409),
)
def match_claim_payment(
    claim_payment_id: Id, body: MatchRequest, actor: CurrentActor, session: SessionDep
) -> MatchPublic:
    return MatchPublic.model_validate(unmatched.match_payment(session, actor, claim_payment_id, body.claim_id))
