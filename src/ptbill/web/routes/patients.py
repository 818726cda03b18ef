"""Patients: search as you type, registration, coverages in order, authorizations, plans of care and the chart.

Every form is read by the service that stores it (``services.patients``, ``authorizations``,
``plans_of_care``); a refusal re-renders the form with what was typed and each problem beside its field.
The chart is one service call, audited once per view.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse

from ptbill.reference.catalog import default_catalog
from ptbill.services import access
from ptbill.services import authorizations as authorizations_service
from ptbill.services import patients as patients_service
from ptbill.services import plans_of_care as plans_service
from ptbill.services.db import Session
from ptbill.services.patient_chart import patient_chart
from ptbill.services.patient_fields import FieldProblemsError, shown_phone
from ptbill.web.deps import CsrfChecked, CurrentViewer, SessionDep, Viewer, form_values, render
from ptbill.web.inputs import RecordId

router = APIRouter()
FormDep = Annotated[dict[str, str], Depends(form_values)]
SearchText = Annotated[str, Query(max_length=200)]
LIST_LIMIT = 100


def _search_label(patient: patients_service.Patient) -> dict[str, Any]:
    return {
        "id": patient.id,
        "name": f"{patient.last_name}, {patient.first_name}",
        "chart_number": patient.chart_number,
        "birth_date": patient.birth_date.isoformat(),
        "url": f"/patients/{patient.id}",
    }


@router.get("/patients")
def list_patients(request: Request, viewer: CurrentViewer, session: SessionDep, q: SearchText = "") -> Any:
    if q.strip():
        found = patients_service.search_patients(session, viewer.actor, q, limit=LIST_LIMIT)
    else:
        found = patients_service.list_patients(session, viewer.actor)[:LIST_LIMIT]
    return render(request, "patients/list.html", {"viewer": viewer, "patients": found, "q": q, "limit": LIST_LIMIT})


@router.get("/patients/search")
def search(viewer: CurrentViewer, session: SessionDep, q: SearchText = "") -> JSONResponse:
    """The search as you type: the patient field of the note and the patients page both ask it."""
    found = patients_service.search_patients(session, viewer.actor, q)
    return JSONResponse({"patients": [_search_label(p) for p in found]})


def _registration(
    request: Request, viewer: Viewer, values: dict[str, str], status_code: int = 200, **extra: Any
) -> Any:
    context = {"viewer": viewer, "v": values, "errors": {}, "sexes": patients_service.SEXES, **extra}
    return render(request, "patients/new.html", context, status_code=status_code)


@router.get("/patients/new")
def new_patient(request: Request, viewer: CurrentViewer) -> Any:
    return _registration(request, viewer, {})


@router.post("/patients", dependencies=[CsrfChecked])
def register(request: Request, viewer: CurrentViewer, session: SessionDep, form: FormDep) -> Any:
    confirmed = form.get("confirm_duplicate") == "yes"
    try:
        patient = patients_service.register_patient(
            session, viewer.actor, form, viewer.clock.today(), confirmed=confirmed
        )
    except FieldProblemsError as exc:
        return _registration(request, viewer, form, errors=exc.problems, status_code=422)
    except patients_service.DuplicatePatientError as exc:
        return _registration(request, viewer, form, duplicates=exc.matches, status_code=409)
    session.commit()
    return RedirectResponse(f"/patients/{patient.id}?outcome=registered", status_code=303)


OUTCOMES = {
    "registered": "Patient registered. Add their coverage next.",
    "coverage": "Coverage added.",
    "authorization": "Authorization added.",
    "plan": "Plan of care added.",
    "estimate": "Estimate prepared: download its PDF below.",
    "cost-sharing": "Cost sharing saved.",
    "eligibility-sent": "Eligibility request (270) sent through the mailbox: the answer shows here once the "
    "mailbox is polled.",
    "eligibility-not-sent": "The eligibility request was not sent: the clinic's mailbox could not be reached. "
    "Nothing was stored; try again.",
}


@router.get("/patients/{patient_id}")
def chart(
    request: Request,
    patient_id: RecordId,
    viewer: CurrentViewer,
    session: SessionDep,
    outcome: Annotated[str | None, Query(max_length=40)] = None,
) -> Any:
    found = patient_chart(session, viewer.actor, patient_id)
    payers = default_catalog().payers()
    return render(
        request,
        "patients/chart.html",
        {
            "viewer": viewer,
            "c": found,
            "p": found.patient,
            "today": viewer.clock.today(),
            "payer_names": {key: info.name for key, info in payers.items()},
            "priorities": patients_service.PRIORITIES,
            "relationships": patients_service.RELATIONSHIPS,
            "sexes": patients_service.SEXES,
            "phone": shown_phone(found.patient.phone),
            "message": OUTCOMES.get(outcome or ""),
            "can_authorize": viewer.actor.role in authorizations_service.AUTHORIZERS,
            "can_plan": viewer.actor.role in plans_service.PLANNERS,
            "can_verify": viewer.actor.role in access.BILLERS,
        },
    )


# the forms that add to a patient's record ---------------------------------------------------------

FORMS = {
    "coverages": ("patients/coverage.html", "coverage"),
    "authorizations": ("patients/authorization.html", "authorization"),
    "plans-of-care": ("patients/plan.html", "plan"),
}


def _record_form(
    request: Request,
    session: Session,
    viewer: Viewer,
    patient_id: int,
    kind: str,
    values: dict[str, str],
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Any:
    if kind == "authorizations":
        access.require_role(viewer.actor, authorizations_service.AUTHORIZERS)
    elif kind == "plans-of-care":
        access.require_role(viewer.actor, plans_service.PLANNERS)
    patient = patients_service.get_patient(session, viewer.actor, patient_id)
    template, _outcome = FORMS[kind]
    context = {
        "viewer": viewer,
        "p": patient,
        "v": values,
        "errors": errors or {},
        "payers": sorted(default_catalog().payers().values(), key=lambda payer: payer.name),
        "priorities": patients_service.PRIORITIES,
        "relationships": patients_service.RELATIONSHIPS,
        "unit_kinds": authorizations_service.UNIT_KINDS,
        "coverages": patients_service.coverage_records(session, viewer.actor, patient_id),
        "payer_names": {key: info.name for key, info in default_catalog().payers().items()},
    }
    return render(request, template, context, status_code=status_code)


def _save_record(
    request: Request, session: Session, viewer: Viewer, patient_id: int, kind: str, form: dict[str, str]
) -> Any:
    try:
        if kind == "coverages":
            patients_service.register_coverage(session, viewer.actor, patient_id, form)
        elif kind == "authorizations":
            authorizations_service.add_authorization(session, viewer.actor, patient_id, form)
        else:
            plans_service.add_plan(session, viewer.actor, patient_id, form)
    except FieldProblemsError as exc:
        return _record_form(request, session, viewer, patient_id, kind, form, exc.problems, 422)
    session.commit()
    return RedirectResponse(f"/patients/{patient_id}?outcome={FORMS[kind][1]}", status_code=303)


@router.get("/patients/{patient_id}/coverages/new")
def new_coverage(request: Request, patient_id: RecordId, viewer: CurrentViewer, session: SessionDep) -> Any:
    return _record_form(request, session, viewer, patient_id, "coverages", {})


@router.post("/patients/{patient_id}/coverages", dependencies=[CsrfChecked])
def add_coverage(
    request: Request, patient_id: RecordId, viewer: CurrentViewer, session: SessionDep, form: FormDep
) -> Any:
    return _save_record(request, session, viewer, patient_id, "coverages", form)


@router.get("/patients/{patient_id}/authorizations/new")
def new_authorization(request: Request, patient_id: RecordId, viewer: CurrentViewer, session: SessionDep) -> Any:
    return _record_form(request, session, viewer, patient_id, "authorizations", {})


@router.post("/patients/{patient_id}/authorizations", dependencies=[CsrfChecked])
def add_authorization(
    request: Request, patient_id: RecordId, viewer: CurrentViewer, session: SessionDep, form: FormDep
) -> Any:
    return _save_record(request, session, viewer, patient_id, "authorizations", form)


@router.get("/patients/{patient_id}/plans-of-care/new")
def new_plan(request: Request, patient_id: RecordId, viewer: CurrentViewer, session: SessionDep) -> Any:
    return _record_form(request, session, viewer, patient_id, "plans-of-care", {})


@router.post("/patients/{patient_id}/plans-of-care", dependencies=[CsrfChecked])
def add_plan(request: Request, patient_id: RecordId, viewer: CurrentViewer, session: SessionDep, form: FormDep) -> Any:
    return _save_record(request, session, viewer, patient_id, "plans-of-care", form)
