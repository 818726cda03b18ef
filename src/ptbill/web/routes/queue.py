"""The biller's day: signed notes sorted into ready / needs attention / blocked, claims built from the
ready ones, 837P batches to download and mark as submitted.

Every step is a service call; the 837P file is the one ``create_batch`` stored, byte for byte.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

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
from ptbill.services.db import Session
from ptbill.web.deps import CsrfChecked, CurrentViewer, SessionDep, form_lists, render
from ptbill.web.inputs import OptionalCount, RecordId, record_id

router = APIRouter()
ListsDep = Annotated[dict[str, list[str]], Depends(form_lists)]
TABS = [
    ("ready", "Ready to bill", "Signed, nothing found. Select and build claims."),
    ("needs_attention", "Needs attention", "Signed, with warnings to read before billing."),
    ("blocked", "Blocked", "The therapist must fix these notes before they can be billed."),
]


def _names(session: Session, user_ids: set[int | None]) -> dict[int, str]:
    names = {}
    for user_id in user_ids:
        if user_id is not None:
            actor = access.actor_for(session, user_id)
            names[user_id] = actor.name if actor else f"former user {user_id}"
    return names


def _expected(row: notes_service.Note) -> Decimal | None:
    latest = row.checks[-1] if row.checks else None
    amounts = [line.get("expected_payment") for line in (latest.claim_lines if latest else [])]
    known = [Decimal(str(a)) for a in amounts if a is not None]
    return sum(known, Decimal("0.00")) if known else None


def _lines(row: notes_service.Note) -> list[str]:
    latest = row.checks[-1] if row.checks else None
    out = []
    for line in latest.claim_lines if latest else []:
        units = f" ×{line['units']}" if line.get("units", 1) != 1 else ""
        out.append(f"{line['code']}{units}")
    return out


def _patient_name(document: dict[str, Any]) -> str:
    patient = document.get("patient") or {}
    return f"{patient.get('last_name', '')}, {patient.get('first_name', '')}".strip(", ")


@router.get("/queue")
def work_queue(
    request: Request, viewer: CurrentViewer, session: SessionDep, tab: Annotated[str, Query()] = "ready"
) -> Any:
    queue = queue_service.work_queue(session, viewer.actor)
    if tab not in queue:
        tab = "ready"
    catalog = default_catalog()
    names = _names(session, {row.therapist_user_id for rows in queue.values() for row, _ in rows})
    items = [
        {
            "row": row,
            "patient": _patient_name(row.document),
            "chart": (row.document.get("patient") or {}).get("id", ""),
            "payer": payer.name if (payer := catalog.payer(row.payer_id)) else row.payer_id,
            "therapist": names.get(row.therapist_user_id or 0, ""),
            "lines": _lines(row),
            "expected": _expected(row),
            "reasons": findings,
        }
        for row, findings in queue[tab]
    ]
    totals = {
        key: sum((e for r, _ in rows if (e := _expected(r)) is not None), Decimal("0.00"))
        for key, rows in queue.items()
    }
    unbatched = sum(1 for claim in billing_service.list_claims(session, viewer.actor) if claim.batch_id is None)
    return render(
        request,
        "queue/queue.html",
        {
            "viewer": viewer,
            "tabs": TABS,
            "tab": tab,
            "counts": {key: len(rows) for key, rows in queue.items()},
            "totals": totals,
            "items": items,
            "unbatched": unbatched,
        },
    )


def _record_ids(values: list[str]) -> list[int]:
    """The ticked rows' ids; a value that is no id (only a forged form sends one) selects nothing."""
    return [number for value in values if (number := record_id(value)) is not None]


@router.post("/queue/claims", dependencies=[CsrfChecked])
def build_claims(viewer: CurrentViewer, session: SessionDep, form: ListsDep) -> Response:
    ids = _record_ids(form.get("encounter_id", []))
    if not ids:
        return RedirectResponse("/queue?tab=ready&nothing=1", status_code=303)
    built = billing_service.build_claims(session, viewer.actor, ids, clock=viewer.clock)
    session.commit()
    return RedirectResponse(f"/claims?built={len(built)}", status_code=303)


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
