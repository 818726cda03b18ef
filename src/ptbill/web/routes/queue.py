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
from ptbill.services import access
from ptbill.services import batches as batches_service
from ptbill.services import billing as billing_service
from ptbill.services import notes as notes_service
from ptbill.services import queue as queue_service
from ptbill.services.balances import claim_balances
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
from ptbill.web.deps import CsrfChecked, CurrentViewer, SessionDep, form_lists, render
from ptbill.web.inputs import OptionalCount, RecordId, record_id, whole_number

router = APIRouter()
ListsDep = Annotated[dict[str, list[str]], Depends(form_lists)]
TAB_TITLES = [
    ("ready", "Ready to bill", "Signed, nothing found. Select and build claims."),
    ("needs_attention", "Needs attention", "Signed, with warnings to read before billing."),
    ("blocked", "Blocked by errors", "Signed, but the latest check found errors: open the note and send it back."),
]


def _patient_name(document: dict[str, Any]) -> str:
    patient = document.get("patient") or {}
    return f"{patient.get('last_name', '')}, {patient.get('first_name', '')}".strip(", ")


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
    unbatched = sum(1 for claim in billing_service.list_claims(session, viewer.actor) if claim.batch_id is None)
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


@router.get("/claims")
def claims(
    request: Request, viewer: CurrentViewer, session: SessionDep, built: Annotated[OptionalCount, Query()] = None
) -> Any:
    rows = billing_service.list_claims(session, viewer.actor)
    encounters = {row.id: row for row in notes_service.list_encounters(session, viewer.actor)}
    catalog = default_catalog()

    def describe(claim: Any, account: Any = None) -> dict[str, Any]:
        encounter = encounters.get(claim.encounter_id)
        payer = catalog.payer(claim.payer_id)
        return {
            "claim": claim,
            "patient": _patient_name(encounter.document) if encounter else "",
            "payer": payer.name if payer else claim.payer_id,
            "lines": [f"{line.code}" + (f" ×{line.units}" if line.units != 1 else "") for line in claim.lines],
            # The payer's answers by party (remittance.accounting); None until an 835 answers the claim.
            "account": account if account is not None and account.answers else None,
        }

    waiting = [describe(c) for c in rows if c.batch_id is None]
    shown = [c for c in rows if c.batch_id is not None][:50]
    batched = [describe(entry.claim, entry.account) for entry in claim_balances(session, viewer.actor, shown)]
    return render(
        request,
        "queue/claims.html",
        {
            "viewer": viewer,
            "waiting": waiting,
            "batched": batched,
            "built": built,
            "waiting_total": sum((c["claim"].total_charge for c in waiting), Decimal("0.00")),
        },
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
    batch = batches_service.create_batch(session, viewer.actor, ids, trading, clock=viewer.clock)
    session.commit()
    return RedirectResponse(f"/batches/{batch.id}?created=1", status_code=303)


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
    # Read from the list: opening the page is not an export (the download is, and is audited as one).
    found = next((b for b in batches_service.list_batches(session, viewer.actor) if b.id == batch_id), None)
    if found is None:
        raise access.NotFoundError(f"batch {batch_id} not found")
    claims = [c for c in billing_service.list_claims(session, viewer.actor) if c.batch_id == batch_id]
    encounters = {row.id: row for row in notes_service.list_encounters(session, viewer.actor)}
    catalog = default_catalog()
    rows = [
        {
            "claim": c,
            "patient": _patient_name(encounters[c.encounter_id].document) if c.encounter_id in encounters else "",
            "payer": p.name if (p := catalog.payer(c.payer_id)) else c.payer_id,
        }
        for c in claims
    ]
    return render(
        request,
        "queue/batch.html",
        {
            "viewer": viewer,
            "batch": found,
            "usage": _usage(found),
            "rows": rows,
            "total": sum((c.total_charge for c in claims), Decimal("0.00")),
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
def mark_submitted(batch_id: RecordId, viewer: CurrentViewer, session: SessionDep) -> Response:
    batches_service.mark_batch_submitted(session, viewer.actor, batch_id, clock=viewer.clock)
    session.commit()
    return RedirectResponse(f"/batches/{batch_id}", status_code=303)
