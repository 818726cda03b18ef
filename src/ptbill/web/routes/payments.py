"""Payments pages: every check or EFT by payer and date, filtered by payer and date range, each with
its total, the sum of its claim payments, its provider-level adjustments and a reconciled mark or the
difference; a payment's claims link to their claim pages. Billers and admins only."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from ptbill.services import access, payments
from ptbill.web.deps import CurrentViewer, SessionDep, render
from ptbill.web.inputs import RecordId, day, whole_number

router = APIRouter()
ZERO = payments.ZERO
PAGE = 200  # claims per page of a payment: a check can pay thousands


@router.get("/payments")
def payment_list(
    request: Request,
    viewer: CurrentViewer,
    session: SessionDep,
    payer: Annotated[str, Query(max_length=80)] = "",
    date_from: Annotated[str, Query(alias="from", max_length=20)] = "",
    date_to: Annotated[str, Query(alias="to", max_length=20)] = "",
) -> Response:
    access.require_role(viewer.actor, access.BILLERS)
    start, end = day(date_from), day(date_to)
    errors = {
        name: "Not a date: write it as YYYY-MM-DD."
        for name, text, parsed in (("from", date_from, start), ("to", date_to, end))
        if text and parsed is None
    }
    if start and end and start > end:
        errors["to"] = "The end is before the start."
    found = payments.list_payments(
        session, viewer.actor, payer=payer.replace("\x00", "") or None, date_from=start, date_to=end
    )
    context = {
        "viewer": viewer,
        "payments": found,
        "payers": payments.payers_paid(session, viewer.actor),
        "values": {"payer": payer, "from": date_from, "to": date_to},
        "errors": errors,
        "total": sum((p.total for p in found), ZERO),
        "unreconciled": sum(1 for p in found if not p.reconciled),
    }
    return render(request, "payments/list.html", context, 422 if errors else 200)


@router.get("/payments/{payment_id}")
def payment_detail(
    request: Request,
    payment_id: RecordId,
    viewer: CurrentViewer,
    session: SessionDep,
    page: Annotated[str, Query(max_length=12)] = "1",
) -> Response:
    access.require_role(viewer.actor, access.BILLERS)
    number = whole_number(page, 1, 10**6) or 1
    detail = payments.get_payment(session, viewer.actor, payment_id, offset=(number - 1) * PAGE, limit=PAGE)
    pages = max(1, -(-detail.payment.claims // PAGE))
    context = {"viewer": viewer, "detail": detail, "page": min(number, pages), "pages": pages, "per_page": PAGE}
    return render(request, "payments/detail.html", context)
