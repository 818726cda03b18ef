"""A patient's ABNs (form CMS-R-131): the form to prepare one, its page with the signature form, its PDF.

The form has a row per service (code, the clinic's plain-language label, estimated cost; an empty cost takes
the Medicare amount for the clinic's locality), the reason and the day given. ``services.abn`` reads it and
names every bad field; the form comes back with what was typed. The signature (day and option) is recorded
once on the notice's page.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import RedirectResponse

from ptbill.services import abn as abn_service
from ptbill.services.abn_pdf import abn_pdf
from ptbill.services.db import Session
from ptbill.services.patient_fields import FieldProblemsError, parse_day
from ptbill.services.patients import get_patient
from ptbill.web.deps import CsrfChecked, CurrentViewer, SessionDep, Viewer, form_values, pdf_response, render
from ptbill.web.inputs import RecordId

router = APIRouter()
FormDep = Annotated[dict[str, str], Depends(form_values)]
ROWS = 4
COMMON_CODES = ("97012", "97110", "97140", "97112", "97530", "97035", "G0283")
REASON_CHOICES = (
    ("maintenance", "Care to keep the current condition (may not need a therapist's skill)"),
    ("above_threshold", "Therapy above the yearly KX amount that may not be medically necessary"),
    ("decompression", "Spinal decompression (not covered: NCD 160.16)"),
    ("other", "Another reason (write it below)"),
)
OUTCOMES = {
    "prepared": "ABN prepared. Print it, go through it with the patient, then record the signature.",
    "signed": "Signature recorded. The notice can no longer change.",
}


def _form(
    request: Request,
    session: Session,
    viewer: Viewer,
    patient_id: int,
    values: dict[str, str],
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Any:
    patient = get_patient(session, viewer.actor, patient_id)
    today = viewer.clock.today()
    amounts = [
        (code, abn_service.expected_amount(session, viewer.actor.clinic_id, code, today)) for code in COMMON_CODES
    ]
    context = {
        "viewer": viewer,
        "p": patient,
        "v": values,
        "errors": errors or {},
        "rows": range(1, ROWS + 1),
        "reasons": REASON_CHOICES,
        "amounts": amounts,
        "today": today,
    }
    return render(request, "patients/abn_new.html", context, status_code=status_code)


@router.get("/patients/{patient_id}/abns/new")
def new_abn(
    request: Request,
    patient_id: RecordId,
    viewer: CurrentViewer,
    session: SessionDep,
    code: Annotated[str | None, Query(max_length=5)] = None,
) -> Any:
    values = {"given_on": viewer.clock.today().isoformat(), "reason_kind": "maintenance"}
    if code:
        values["code_1"] = code
    return _form(request, session, viewer, patient_id, values)


def _rows(form: dict[str, str]) -> tuple[list[dict[str, object]], dict[int, int]]:
    """The filled rows as the service reads them, and which form row each listed service came from."""
    services: list[dict[str, object]] = []
    origin: dict[int, int] = {}
    for row in range(1, ROWS + 1):
        code, label, cost = (form.get(f"{name}_{row}", "").strip() for name in ("code", "label", "cost"))
        if code or label or cost:
            origin[len(services)] = row
            services.append({"code": code, "label": label or None, "estimated_cost": cost or None})
    return services, origin


def _on_form(problems: dict[str, str], origin: dict[int, int]) -> dict[str, str]:
    """The service's field names (``services[0].code``) as the form's (``code_1``)."""
    named = {"estimated_cost": "cost", "code": "code", "label": "label"}
    errors: dict[str, str] = {}
    for name, message in problems.items():
        if name.startswith("services[") and "]." in name:
            index, field = name.removeprefix("services[").split("].", 1)
            errors[f"{named.get(field, field)}_{origin.get(int(index), 1)}"] = message
        elif name == "services":
            errors["code_1"] = message
        else:
            errors[name] = message
    return errors


def _filled(session: Session, viewer: Viewer, form: dict[str, str]) -> dict[str, str]:
    """The form with each row's empty label and cost filled in: ptbill's short label and one unit at the
    Medicare amount for the clinic's locality on the day given (the "Fill in labels and costs" button)."""
    values = dict(form)
    day = parse_day(form.get("given_on", "").strip()) or viewer.clock.today()
    for row in range(1, ROWS + 1):
        code = form.get(f"code_{row}", "").strip().upper()
        if not code:
            continue
        values[f"code_{row}"] = code
        if not form.get(f"label_{row}", "").strip():
            values[f"label_{row}"] = abn_service.short_label(code) or ""
        if not form.get(f"cost_{row}", "").strip():
            amount = abn_service.expected_amount(session, viewer.actor.clinic_id, code, day)
            values[f"cost_{row}"] = f"{amount:.2f}" if amount is not None else ""
    return values


@router.post("/patients/{patient_id}/abns", dependencies=[CsrfChecked])
def prepare(request: Request, patient_id: RecordId, viewer: CurrentViewer, session: SessionDep, form: FormDep) -> Any:
    if form.get("action") == "fill":
        return _form(request, session, viewer, patient_id, _filled(session, viewer, form))
    services, origin = _rows(form)
    try:
        prepared = abn_service.prepare_abn(
            session,
            viewer.actor,
            patient_id,
            services,
            form.get("reason_kind", ""),
            form.get("reason_text"),
            form.get("additional_info"),
            form.get("given_on") or None,
            clock=viewer.clock,
        )
    except FieldProblemsError as exc:
        return _form(request, session, viewer, patient_id, form, _on_form(exc.problems, origin), 422)
    session.commit()
    return RedirectResponse(f"/patients/{patient_id}/abns/{prepared.id}?outcome=prepared", status_code=303)


def _page(
    request: Request,
    session: Session,
    viewer: Viewer,
    patient_id: int,
    abn_id: int,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
    message: str | None = None,
) -> Any:
    patient = get_patient(session, viewer.actor, patient_id)
    notice = abn_service.abn_of(session, viewer.actor, patient_id, abn_id)
    context = {
        "viewer": viewer,
        "p": patient,
        "a": notice,
        "v": values or {"signed_on": viewer.clock.today().isoformat()},
        "errors": errors or {},
        "options": abn_service.OPTIONS,
        "message": message,
    }
    return render(request, "patients/abn.html", context, status_code=status_code)


@router.get("/patients/{patient_id}/abns/{abn_id}.pdf")
def download(patient_id: RecordId, abn_id: RecordId, viewer: CurrentViewer, session: SessionDep) -> Response:
    pdf = abn_pdf(session, viewer.actor, patient_id, abn_id)
    return pdf_response(pdf, f"abn-{abn_id}.pdf", inline=True)


@router.get("/patients/{patient_id}/abns/{abn_id}")
def abn_page(
    request: Request,
    patient_id: RecordId,
    abn_id: RecordId,
    viewer: CurrentViewer,
    session: SessionDep,
    outcome: Annotated[str | None, Query(max_length=40)] = None,
) -> Any:
    return _page(request, session, viewer, patient_id, abn_id, message=OUTCOMES.get(outcome or ""))


@router.post("/patients/{patient_id}/abns/{abn_id}/signature", dependencies=[CsrfChecked])
def sign(
    request: Request, patient_id: RecordId, abn_id: RecordId, viewer: CurrentViewer, session: SessionDep, form: FormDep
) -> Any:
    try:
        abn_service.record_signature(
            session,
            viewer.actor,
            patient_id,
            abn_id,
            form.get("signed_on", ""),
            form.get("option", ""),
            clock=viewer.clock,
        )
    except FieldProblemsError as exc:
        return _page(request, session, viewer, patient_id, abn_id, form, exc.problems, 422)
    session.commit()
    return RedirectResponse(f"/patients/{patient_id}/abns/{abn_id}?outcome=signed", status_code=303)
