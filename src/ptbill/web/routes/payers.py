"""Payer settings: the payer catalog, every parameter in force for a payer on a chosen date with its
source, confidence and layer, and the form for a clinic's dated change (billers and admins only).

A change never edits a value in place: it starts a new value on a date, with the source it rests on,
so every earlier claim can still be explained by what was in force on its date of service.
"""

from __future__ import annotations

import json
import math
from datetime import date
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from ptbill.reference.catalog import default_catalog
from ptbill.services import app as services
from ptbill.web.deps import CsrfChecked, CurrentViewer, SessionDep, Viewer, form_values, render
from ptbill.web.inputs import day

router = APIRouter()
FormDep = Annotated[dict[str, str], Depends(form_values)]
TYPE_LABELS = {
    "medicare": "Medicare",
    "medicaid": "Medicaid",
    "commercial": "Commercial",
    "workers_comp": "Workers' comp",
    "va_ccn": "VA Community Care",
}


def layer_kind(layer: str) -> str:
    """``baseline``, ``baseline:medicare`` → baseline; ``payer:aetna`` → payer; ``clinic:1`` → clinic."""
    return layer.split(":", 1)[0] if layer.split(":", 1)[0] in ("payer", "clinic") else "baseline"


def shown_value(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | dict):
        return json.dumps(value)
    return "—" if value is None else str(value)


def typed_value(text: str) -> Any:
    """What the biller typed: a JSON number, true/false, list or object when it reads as one, else text."""
    stripped = text.strip()
    lowered = stripped.lower()
    if lowered in ("yes", "no"):
        return lowered == "yes"
    try:
        return json.loads(stripped, parse_float=_finite_number, parse_constant=_finite_number)
    except ValueError:
        return stripped


def _finite_number(text: str) -> float:
    """A JSON number a database can store: 1e999, NaN and Infinity are not numbers to keep."""
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(text)
    return number


@router.get("/payers")
def payer_list(request: Request, viewer: CurrentViewer) -> Any:
    payers = sorted(default_catalog().payers().values(), key=lambda p: (p.type.value, p.name.lower()))
    return render(request, "payers/list.html", {"viewer": viewer, "payers": payers, "types": TYPE_LABELS})


def _payer_page(
    request: Request,
    session: Session,
    viewer: Viewer,
    payer_id: str,
    day: date,
    *,
    form: dict[str, str] | None = None,
    error: str | None = None,
    saved: str | None = None,
    asked: str | None = None,
    status_code: int = 200,
) -> Response:
    payer = default_catalog().payer(payer_id)
    if payer is None:
        raise services.NotFoundError(f"payer {payer_id} not found")
    parameters = services.payer_parameters(session, viewer.actor, payer_id, day)
    for parameter in parameters:
        parameter["kind"] = layer_kind(parameter["layer"])
        parameter["shown"] = shown_value(parameter["value"])
    saved_row = next((p for p in parameters if saved and p["name"] == saved and p["kind"] == "clinic"), None)
    return render(
        request,
        "payers/detail.html",
        {
            "viewer": viewer,
            "payer": payer,
            "type_label": TYPE_LABELS.get(payer.type.value, payer.type.value),
            "day": day,
            "parameters": parameters,
            "form": form or {"effective_from": date.today().isoformat()},
            "error": error,
            "saved_row": saved_row,
            "asked": asked,
        },
        status_code=status_code,
    )


@router.get("/payers/{payer_id}")
def payer_detail(
    request: Request,
    payer_id: str,
    viewer: CurrentViewer,
    session: SessionDep,
    on: Annotated[str | None, Query()] = None,
    saved: Annotated[str | None, Query()] = None,
) -> Any:
    chosen = day(on) if on else date.today()
    if chosen is None:  # today's values, with the date as typed kept in the picker and marked beside it
        return _payer_page(request, session, viewer, payer_id, date.today(), asked=on, status_code=422)
    return _payer_page(request, session, viewer, payer_id, chosen, saved=saved)


@router.post("/payers/{payer_id}/parameters", dependencies=[CsrfChecked])
def change_parameter(
    request: Request, payer_id: str, viewer: CurrentViewer, session: SessionDep, form: FormDep
) -> Response:
    name = form.get("name", "").strip()
    problems = []
    start = day(form.get("effective_from"))
    if start is None:
        problems.append("the date it takes effect (YYYY-MM-DD)")
    if not name:
        problems.append("which parameter")
    if not form.get("value", "").strip():
        problems.append("the new value")
    if not form.get("reference", "").strip():
        problems.append("where the new value comes from (contract, bulletin, call with date and name)")
    if problems or start is None:
        return _payer_page(
            request,
            session,
            viewer,
            payer_id,
            date.today(),
            form=form,
            error="Not saved. Still needed: " + "; ".join(problems) + ".",
            status_code=422,
        )
    services.set_payer_parameter(
        session, viewer.actor, payer_id, name, typed_value(form["value"]), start, form["reference"]
    )
    session.commit()
    return RedirectResponse(f"/payers/{payer_id}?on={start.isoformat()}&saved={quote(name)}", status_code=303)
