"""The denials worklist: open denials grouped by CARC/RARC with the reason in plain words, the next
step, and the ptbill checks that should have caught them before submission (the closed loop); each
claim with its appeal deadline, whether its note still fails those checks, and its appeal packet.

The appeal packet is the PDF ``build_appeal_pdf`` writes from the chart. Billers and admins only; a
claim of another clinic answers 404, like everything else that is not the viewer's.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ptbill.reference.catalog import default_catalog
from ptbill.rules.registry import all_rules
from ptbill.services import access, billing
from ptbill.services import notes as notes_service
from ptbill.services.appeals import build_appeal_pdf
from ptbill.services.denials import DenialItem, denial_worklist
from ptbill.web.deps import CurrentViewer, SessionDep, now_of, render
from ptbill.web.inputs import RecordId

router = APIRouter()
ZERO = Decimal("0.00")
DUE_SOON_DAYS = 14


def deadline_state(appeal_by: date | None, today: date) -> tuple[str, int | None]:
    """``none`` (no deadline on file), ``past``, ``soon`` (within 14 days) or ``open``; and the days left."""
    if appeal_by is None:
        return "none", None
    days = (appeal_by - today).days
    if days < 0:
        return "past", days
    return ("soon" if days <= DUE_SOON_DAYS else "open"), days


def _patient(document: dict[str, Any]) -> str:
    patient = document.get("patient") or {}
    return f"{patient.get('last_name', '')}, {patient.get('first_name', '')}".strip(", ")


@router.get("/denials")
def worklist(request: Request, viewer: CurrentViewer, session: SessionDep) -> Any:
    access.require_role(viewer.actor, access.BILLERS)
    groups = denial_worklist(session, viewer.actor)
    claims = {c.id: c for c in billing.list_claims(session, viewer.actor)}
    encounters = {e.id: e for e in notes_service.list_encounters(session, viewer.actor)}
    catalog = default_catalog()
    titles = {r.id: r.title for r in all_rules()}
    today = now_of(request).date()

    def describe(item: DenialItem) -> dict[str, Any]:
        claim = claims.get(item.claim_id)
        encounter = encounters.get(claim.encounter_id) if claim else None
        payer = catalog.payer(item.payer_id)
        state, days = deadline_state(item.appeal_by, today)
        return {
            "item": item,
            "patient": _patient(encounter.document) if encounter else "",
            "encounter_id": encounter.id if encounter else None,
            "payer": payer.name if payer else item.payer_id,
            "state": state,
            "days": days,
        }

    shown: list[dict[str, Any]] = [
        {
            "group": group,
            "rows": [describe(i) for i in group.items],
            "rules": [(r, titles.get(r, "")) for r in group.rules],
        }
        for group in groups
    ]
    # A reason with an appeal due soon comes first, whatever its amount: that is the work for today.
    shown.sort(key=lambda g: (not any(r["state"] == "soon" for r in g["rows"]), -g["group"].total))
    every = [i for g in shown for i in g["rows"]]
    due_soon = sorted(
        ({**i, "key": g["group"].key} for g in shown for i in g["rows"] if i["state"] == "soon"),
        key=lambda i: i["days"],
    )
    return render(
        request,
        "denials/worklist.html",
        {
            "viewer": viewer,
            "groups": shown,
            "today": today,
            "due_soon_days": DUE_SOON_DAYS,
            "count": len(every),
            "total": sum((i["item"].denied_amount for i in every), ZERO),
            "soon": len(due_soon),
            "due_soon": due_soon,
            "past": sum(1 for i in every if i["state"] == "past"),
            "still_failing": sum(1 for i in every if i["item"].rules_firing_now),
        },
    )


@router.get("/denials/{claim_id}/appeal.pdf")
def appeal_packet(claim_id: RecordId, viewer: CurrentViewer, session: SessionDep) -> Response:
    access.require_role(viewer.actor, access.BILLERS)
    claim = billing.get_claim(session, viewer.actor, claim_id)  # another clinic's claim: NotFoundError → 404
    pdf = build_appeal_pdf(session, viewer.actor, claim_id)
    name = re.sub(r"[^A-Za-z0-9-]", "", claim.patient_control_number) or str(claim_id)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="appeal-{name}.pdf"'},
    )
