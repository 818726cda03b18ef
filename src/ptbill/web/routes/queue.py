"""The biller's day: signed notes sorted into ready / needs attention / blocked, claims built from the
ready ones, 837P batches to download and mark as submitted.

Every step is a service call; the 837P file is the one ``create_batch`` stored, byte for byte.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response

from ptbill.claims.trading import TEST_TRADING, TradingConfig
from ptbill.reference.catalog import default_catalog
from ptbill.services import batches as batches_service
from ptbill.services import claim_list
from ptbill.services import queue as queue_service
from ptbill.services.patient_fields import FieldProblemsError
from ptbill.services.queue_filters import (
    DEFAULT_PAGE_SIZE,
    FILTER_FIELDS,
    PAGE_SIZES,
    TABS,
    Paging,
    QueueFilter,
    read_filters,
    read_paging,
    rule_titles,
)
from ptbill.services.timely_filing import LateFilingError
from ptbill.web.deps import CsrfChecked, CurrentViewer, SessionDep, Viewer, form_lists, render
from ptbill.web.inputs import OptionalCount, RecordId, record_id, whole_number

router = APIRouter()
ListsDep = Annotated[dict[str, list[str]], Depends(form_lists)]
TAB_TITLES = [
    ("ready", "Ready to bill", "Signed, nothing found. Select and build claims."),
    ("needs_attention", "Needs attention", "Signed, with warnings to read before billing."),
    ("blocked", "Blocked by errors", "Signed, but the latest check found errors: open the note and send it back."),
]


def _link(tab: str, filters: QueueFilter, paging: Paging | None = None, **extra: object) -> str:
    """The queue's address for a tab, the filters and a page: every view of the queue is a link."""
    query: dict[str, object] = {"tab": tab, **filters.query()}
    if paging is not None:
        if paging.per_page != DEFAULT_PAGE_SIZE:
            query["per_page"] = paging.per_page
        if paging.page != 1:
            query["page"] = paging.page
    query.update({key: value for key, value in extra.items() if value is not None})
    return "/queue?" + urlencode(query, doseq=True)


@router.get("/queue")
def work_queue(request: Request, viewer: CurrentViewer, session: SessionDep) -> Any:
    params = request.query_params
    tab = params.get("tab", "ready")
    tab = tab if tab in TABS else "ready"
    problems: dict[str, str] = {}
    try:
        filters = read_filters(params)
    except FieldProblemsError as exc:
        problems.update(exc.problems)
        filters = QueueFilter()
    try:
        paging = read_paging(params.get("page"), params.get("per_page"))
    except FieldProblemsError as exc:
        problems.update(exc.problems)
        paging = Paging()
    choices = queue_service.queue_choices(session, viewer.actor)
    page = None if problems else queue_service.queue_page(session, viewer.actor, filters, tab, paging)
    unbatched = claim_list.count_waiting(session, viewer.actor)
    pager: dict[str, str | None] = {}
    tab_links = {key: _link(key, filters, Paging(1, paging.per_page)) for key in TABS}
    if page is not None:
        at, size = page.paging.page, page.paging.per_page
        pager = {
            "first": _link(tab, filters, Paging(1, size)) if at > 1 else None,
            "prev": _link(tab, filters, Paging(at - 1, size)) if at > 1 else None,
            "next": _link(tab, filters, Paging(at + 1, size)) if at < page.pages else None,
            "last": _link(tab, filters, Paging(page.pages, size)) if at < page.pages else None,
        }
    outcome = {key: whole_number(params.get(key)) for key in ("built", "skipped", "matched", "seen")}
    context = {
        "viewer": viewer,
        "tabs": TAB_TITLES,
        "tab": tab,
        "page": page,
        "filters": filters,
        "typed": {key: params.get(key, "")[:60] for key in (*FILTER_FIELDS, "per_page")},
        "problems": problems,
        "choices": choices,
        "rules": rule_titles(),
        "page_sizes": PAGE_SIZES,
        "pager": pager,
        "tab_links": tab_links,
        "outcome": outcome,
        "skipped_ids": [n for v in params.getlist("skipped_id")[:20] if (n := record_id(v)) is not None],
        "unbatched": unbatched,
    }
    return render(request, "queue/queue.html", context, status_code=422 if problems else 200)


def _record_ids(values: list[str]) -> list[int]:
    """The ticked rows' ids; a value that is no id (only a forged form sends one) selects nothing."""
    return [number for value in values if (number := record_id(value)) is not None]


def _first(form: dict[str, list[str]], key: str) -> str | None:
    values = form.get(key)
    return values[0] if values else None


@router.post("/queue/claims", dependencies=[CsrfChecked])
def build_claims(viewer: CurrentViewer, session: SessionDep, form: ListsDep) -> Response:
    """Claims for the ticked rows, or for every note matching the filters (the query run again: a note
    billed or changed since the page was shown is skipped and counted)."""
    tab = _first(form, "tab") or "ready"
    tab = tab if tab in TABS else "ready"
    if _first(form, "scope") == "all":
        filters = read_filters({key: _first(form, key) for key in FILTER_FIELDS})
        seen = whole_number(_first(form, "seen"))
        result = queue_service.build_matching(session, viewer.actor, filters, tab, seen=seen, clock=viewer.clock)
    else:
        ids = _record_ids(form.get("encounter_id", []))
        if not ids:
            return RedirectResponse("/queue?tab=ready&nothing=1", status_code=303)
        filters = QueueFilter()
        result = queue_service.build_selected(session, viewer.actor, ids, clock=viewer.clock)
    session.commit()
    if not result.skipped and result.seen is None:
        return RedirectResponse(f"/claims?built={len(result.built)}", status_code=303)
    target = _link(
        tab,
        filters,
        built=len(result.built),
        skipped=len(result.skipped),
        matched=result.matched,
        seen=result.seen,
        skipped_id=[s.encounter_id for s in result.skipped[:20]],
    )
    return RedirectResponse(target, status_code=303)


def _claims_link(claim_filter: claim_list.ClaimFilter, paging: Paging) -> str:
    """The claims list's address for the filter and a page: every view of the list is a link."""
    query: dict[str, object] = dict(claim_filter.query())
    if paging.per_page != DEFAULT_PAGE_SIZE:
        query["per_page"] = paging.per_page
    if paging.page != 1:
        query["page"] = paging.page
    return "/claims" + ("?" + urlencode(query) if query else "")


def _described(row: claim_list.ClaimListRow) -> dict[str, Any]:
    claim = row.claim
    payer = default_catalog().payer(claim.payer_id)
    return {
        "claim": claim,
        "patient": row.patient,
        "payer": payer.name if payer else claim.payer_id,
        "lines": [f"{line.code}" + (f" ×{line.units}" if line.units != 1 else "") for line in claim.lines],
        # The payer's answers by party (remittance.accounting); None until an 835 answers the claim.
        "account": row.account,
        # The payer's filing limit while the claim waits to be sent; near or late shows a badge.
        "filing": row.filing,
    }


@router.get("/claims")
def claims(
    request: Request, viewer: CurrentViewer, session: SessionDep, built: Annotated[OptionalCount, Query()] = None
) -> Any:
    params = request.query_params
    payer_ids = claim_list.claim_payers(session, viewer.actor)
    problems: dict[str, str] = {}
    try:
        claim_filter = claim_list.read_claim_filter(params, payer_ids)
    except FieldProblemsError as exc:
        problems.update(exc.problems)
        claim_filter = claim_list.ClaimFilter()
    try:
        paging = claim_list.read_claim_paging(params.get("page"), params.get("per_page"))
    except FieldProblemsError as exc:
        problems.update(exc.problems)
        paging = Paging()
    waiting = [_described(row) for row in claim_list.waiting_claims(session, viewer.actor, viewer.clock.today())]
    page = (
        None if problems else claim_list.claims_page(session, viewer.actor, claim_filter, paging, viewer.clock.today())
    )
    pager: dict[str, str | None] = {}
    if page is not None:
        at, size = page.paging.page, page.paging.per_page
        pager = {
            "first": _claims_link(claim_filter, Paging(1, size)) if at > 1 else None,
            "prev": _claims_link(claim_filter, Paging(at - 1, size)) if at > 1 else None,
            "next": _claims_link(claim_filter, Paging(at + 1, size)) if at < page.pages else None,
            "last": _claims_link(claim_filter, Paging(page.pages, size)) if at < page.pages else None,
        }
    catalog = default_catalog()
    return render(
        request,
        "queue/claims.html",
        {
            "viewer": viewer,
            "waiting": waiting,
            "page": page,
            "batched": [_described(row) for row in page.rows] if page else [],
            "pager": pager,
            "filters": claim_filter,
            "typed": {key: params.get(key, "")[:60] for key in (*claim_list.CLAIM_FILTER_FIELDS, "per_page")},
            "problems": problems,
            "payers": [(p, (found.name if (found := catalog.payer(p)) else p)) for p in payer_ids],
            "statuses": claim_list.CLAIM_STATUSES,
            "page_sizes": claim_list.CLAIM_PAGE_SIZES,
            "built": built,
            "waiting_total": sum((c["claim"].total_charge for c in waiting), Decimal("0.00")),
        },
        status_code=422 if problems else 200,
    )


def _trading(request: Request) -> tuple[TradingConfig, bool]:
    """The clinic's trading settings (``trading.yaml`` beside the data) or a TEST interchange (ISA15=T)."""
    path = request.app.state.ptbill.settings.data_dir / "trading.yaml"
    if path.is_file():
        return TradingConfig.load(path), False
    return TradingConfig(TEST_TRADING, {}), True


@router.post("/batches", dependencies=[CsrfChecked])
def create_batch(request: Request, viewer: CurrentViewer, session: SessionDep, form: ListsDep) -> Response:
    ids = _record_ids(form.get("claim_id", []))
    trading, _test = _trading(request)
    confirmed = _first(form, "confirm_late") == "1"
    try:
        batch = batches_service.create_batch(
            session, viewer.actor, ids, trading, clock=viewer.clock, confirm_late=confirmed
        )
    except LateFilingError as exc:
        return _late(request, viewer, exc, "/batches", ids, "Create the batch anyway")
    session.commit()
    return RedirectResponse(f"/batches/{batch.id}?created=1", status_code=303)


def _late(
    request: Request, viewer: Viewer, refused: LateFilingError, action: str, ids: list[int], label: str
) -> Response:
    """The claims past their filing limit, and a form that sends the same request again, confirmed."""
    context = {"viewer": viewer, "late": refused.late, "action": action, "ids": ids, "label": label}
    response: Response = render(request, "queue/late_filing.html", context, status_code=409)
    return response


def _usage(batch: batches_service.Batch) -> str:
    """ISA15 of the stored interchange: P production, T test."""
    text = batch.content
    if len(text) > 105 and text.startswith("ISA"):
        elements = text[:106].split(text[3])
        if len(elements) > 15:
            return elements[15].strip()
    return "?"


@router.get("/batches")
def batches(request: Request, viewer: CurrentViewer, session: SessionDep) -> Any:
    rows = batches_service.list_batches(session, viewer.actor)
    return render(request, "queue/batches.html", {"viewer": viewer, "batches": [(b, _usage(b)) for b in rows]})


@router.get("/batches/{batch_id}")
def batch(
    request: Request,
    batch_id: RecordId,
    viewer: CurrentViewer,
    session: SessionDep,
    created: Annotated[OptionalCount, Query()] = None,
) -> Any:
    # Read as a summary: opening the page is not an export (the download is, and is audited as one).
    found = batches_service.batch_summary(session, viewer.actor, batch_id)
    try:
        paging = claim_list.read_claim_paging(
            request.query_params.get("page"), request.query_params.get("per_page"), claim_list.BATCH_PAGE_SIZE
        )
    except FieldProblemsError:
        paging = Paging(1, claim_list.BATCH_PAGE_SIZE)
    listed = claim_list.batch_claims(session, viewer.actor, batch_id, paging, viewer.clock.today())
    at, size = listed.paging.page, listed.paging.per_page

    def link(number: int) -> str:
        query = {"page": number} | ({"per_page": size} if size != claim_list.BATCH_PAGE_SIZE else {})
        return f"/batches/{batch_id}?" + urlencode(query)

    pager = {
        "first": link(1) if at > 1 else None,
        "prev": link(at - 1) if at > 1 else None,
        "next": link(at + 1) if at < listed.pages else None,
        "last": link(listed.pages) if at < listed.pages else None,
    }
    return render(
        request,
        "queue/batch.html",
        {
            "viewer": viewer,
            "batch": found,
            "usage": _usage(found),
            "rows": [_described(row) for row in listed.rows],
            "listed": listed,
            "pager": pager,
            "total": listed.total_charge,
            "created": created,
        },
    )


@router.get("/batches/{batch_id}/837p")
def download_batch(batch_id: RecordId, viewer: CurrentViewer, session: SessionDep) -> Response:
    found = batches_service.get_batch(session, viewer.actor, batch_id)
    name = f"ptbill-837p-batch-{found.id}-icn{found.interchange_control_number or 0:09d}.x12"
    return Response(
        found.content.encode("utf-8"),
        media_type="application/edi-x12",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.post("/batches/{batch_id}/submitted", dependencies=[CsrfChecked])
def mark_submitted(
    request: Request, batch_id: RecordId, viewer: CurrentViewer, session: SessionDep, form: ListsDep
) -> Response:
    confirmed = _first(form, "confirm_late") == "1"
    try:
        batches_service.mark_batch_submitted(
            session, viewer.actor, batch_id, clock=viewer.clock, confirm_late=confirmed
        )
    except LateFilingError as exc:
        return _late(request, viewer, exc, f"/batches/{batch_id}/submitted", [], "Mark it submitted anyway")
    session.commit()
    return RedirectResponse(f"/batches/{batch_id}", status_code=303)
