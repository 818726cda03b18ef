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

from ptbill.reference.catalog import default_catalog
from ptbill.reference.declarations import declaration_for
from ptbill.services import access
from ptbill.services import payers as payers_service
from ptbill.services.db import Session
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

FIELD_LABELS = {"name": "Parameter", "value": "New value", "effective_from": "In force from", "reference": "Source"}


def layer_kind(layer: str) -> str:
    """``baseline``, ``baseline:medicare`` → baseline; ``payer:aetna`` → payer; ``clinic:1`` → clinic."""
    return layer.split(":", 1)[0] if layer.split(":", 1)[0] in ("payer", "clinic") else "baseline"


def shown_value(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | dict):
        return json.dumps(value)
    return "—" if value is None else str(value)


# The parameters' topics (the part of a name before its first dot), in plain words, in reading order.
TOPICS = {
    "claims": "Claims",
    "appeals": "Appeals",
    "authorization": "Prior authorization",
    "plan_of_care": "Plan of care",
    "coverage": "Covered services",
    "units": "Units",
    "mue": "Most units per day (MUE)",
    "modifiers": "Modifiers",
    "providers": "Providers",
    "assistants": "Assistants",
    "traction": "Traction",
    "charges": "Charges",
    "fees": "Expected payments",
    "denials": "Denial reasons (CARC and RARC codes)",
}


def plain_value(value: Any) -> str:
    """A parameter's value as a person reads it: yes/no, lists joined, a mapping as "key: value" pairs."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value is None:
        return "not set"
    if isinstance(value, list | tuple):
        return ", ".join(plain_value(item) for item in value) or "none"
    if isinstance(value, dict):
        return "; ".join(f"{str(key).replace('_', ' ')}: {plain_value(item)}" for key, item in value.items())
    return str(value)


def grouped(parameters: list[dict[str, Any]]) -> list[tuple[str, list[dict[str, Any]]]]:
    """The parameters by topic, topics in TOPICS order (others after, by name)."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for parameter in parameters:
        groups.setdefault(parameter["name"].split(".", 1)[0], []).append(parameter)
    order = list(TOPICS)
    keys = sorted(groups, key=lambda k: (order.index(k) if k in order else len(order), k))
    return [(TOPICS.get(key, key.replace("_", " ").capitalize()), groups[key]) for key in keys]


def payer_summary(payer_id: str, parameters: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """What an admin looks for first: the EDI payer id, the filing indicator, the filing and appeal limits."""
    values = {p["name"]: p["value"] for p in parameters}
    edi = values.get("claims.payer_identifier")
    days = values.get("appeals.redetermination_days")
    filing = values.get("claims.filing_limit_days")
    return [
        ("EDI payer id", str(edi) if edi else f"{payer_id.upper()} (placeholder: set the id from your clearinghouse)"),
        ("Claim filing indicator", str(values.get("claims.filing_indicator") or "not set")),
        ("Filing limit", f"{filing} days from the date of service" if filing else "not recorded for this payer"),
        ("Appeal window", f"{days} days from the remittance" if days else "not recorded for this payer"),
    ]


def typed_value(name: str, text: str) -> Any:
    """What the biller typed, read as the parameter's declared kind (``97110, 97140`` is a list of codes);
    the service then checks it as it checks the shipped files."""
    declaration = declaration_for(name)
    return declaration.from_text(text) if declaration is not None else text.strip()


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
    field_errors: dict[str, str] | None = None,
    saved: str | None = None,
    asked: str | None = None,
    status_code: int = 200,
) -> Response:
    payer = default_catalog().payer(payer_id)
    if payer is None:
        raise access.NotFoundError(f"payer {payer_id} not found")
    parameters = payers_service.payer_parameters(session, viewer.actor, payer_id, day)
    for parameter in parameters:
        parameter["kind"] = layer_kind(parameter["layer"])
        parameter["shown"] = shown_value(parameter["value"])
        parameter["plain"] = plain_value(parameter["value"])
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
            "groups": grouped(parameters),
            "summary": payer_summary(payer_id, parameters),
            "form": form or {"effective_from": viewer.clock.today().isoformat()},
            "error": error,
            "field_errors": field_errors or {},
            "saved_row": saved_row,
            "asked": asked,
        },
        status_code=status_code,
    )


def refused(
    request: Request,
    session: Session,
    viewer: Viewer,
    payer_id: str,
    form: dict[str, str],
    error: str,
    field_errors: dict[str, str],
) -> Response:
    """The page again, with everything as typed, ``error`` on top and each refused field's reason under it."""
    return _payer_page(
        request,
        session,
        viewer,
        payer_id,
        viewer.clock.today(),
        form=form,
        error=error,
        field_errors=field_errors,
        status_code=422,
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
    chosen = day(on) if on else viewer.clock.today()
    if chosen is None:  # today's values, with the date as typed kept in the picker and marked beside it
        return _payer_page(request, session, viewer, payer_id, viewer.clock.today(), asked=on, status_code=422)
    return _payer_page(request, session, viewer, payer_id, chosen, saved=saved)


@router.post("/payers/{payer_id}/parameters", dependencies=[CsrfChecked])
def change_parameter(
    request: Request, payer_id: str, viewer: CurrentViewer, session: SessionDep, form: FormDep
) -> Response:
    name = form.get("name", "").strip()
    problems: dict[str, str] = {}
    start = day(form.get("effective_from"))
    if start is None:
        problems["effective_from"] = "the date it takes effect (YYYY-MM-DD)"
    if not name:
        problems["name"] = "which parameter"
    if not form.get("value", "").strip():
        problems["value"] = "the new value"
    if not form.get("reference", "").strip():
        problems["reference"] = "where the new value comes from (contract, bulletin, call with date and name)"
    if problems or start is None:
        error = "Not saved. Still needed: " + "; ".join(problems.values()) + "."
        needed = {field: f"Needed: {what}." for field, what in problems.items()}
        return refused(request, session, viewer, payer_id, form, error, needed)
    try:
        payers_service.set_payer_parameter(
            session, viewer.actor, payer_id, name, typed_value(name, form["value"]), start, form["reference"]
        )
    except access.InvalidChangeError as exc:
        error = f"Not saved: see the message under {FIELD_LABELS[exc.field]}; nothing changed."
        return refused(request, session, viewer, payer_id, form, error, {exc.field: str(exc)})
    session.commit()
    return RedirectResponse(f"/payers/{payer_id}?on={start.isoformat()}&saved={quote(name)}", status_code=303)
