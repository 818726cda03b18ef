"""A patient's cost estimates: the form that prepares one (coverage or self-pay, plan of care, codes and
units a visit, visits), the stored PDF, and the coverage's cost sharing the estimate reads (deductible left,
coinsurance, copay). The arithmetic and the PDF are ``services.estimates``'."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from ptbill.reference.catalog import default_catalog
from ptbill.services import estimates as estimates_service
from ptbill.services import patients as patients_service
from ptbill.services import plans_of_care as plans_service
from ptbill.services.access import NotFoundError
from ptbill.services.db import Session
from ptbill.services.patient_fields import FieldProblemsError
from ptbill.web.deps import CsrfChecked, CurrentViewer, SessionDep, Viewer, form_values, pdf_response, render
from ptbill.web.inputs import RecordId

router = APIRouter()
FormDep = Annotated[dict[str, str], Depends(form_values)]


def _form(
    request: Request,
    session: Session,
    viewer: Viewer,
    patient_id: int,
    values: dict[str, str],
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Any:
    patient = patients_service.get_patient(session, viewer.actor, patient_id)
    coverages = [c for c in patients_service.coverage_records(session, viewer.actor, patient_id) if c.active]
    plans = plans_service.plan_records(session, viewer.actor, patient_id)
    defaults = {"first_visit": viewer.clock.today().isoformat(), "code_0": "97012", "units_0": "1"}
    if coverages:
        defaults["coverage_id"] = str(coverages[0].id)
    context = {
        "viewer": viewer,
        "p": patient,
        "v": {**defaults, **values} if not errors else values,
        "errors": errors or {},
        "coverages": coverages,
        "plans": plans,
        "rows": range(estimates_service.LINES),
        "payer_names": {key: info.name for key, info in default_catalog().payers().items()},
    }
    return render(request, "patients/estimate.html", context, status_code=status_code)


@router.get("/patients/{patient_id}/estimates/new")
def new_estimate(request: Request, patient_id: RecordId, viewer: CurrentViewer, session: SessionDep) -> Any:
    return _form(request, session, viewer, patient_id, {})


@router.post("/patients/{patient_id}/estimates", dependencies=[CsrfChecked])
def prepare(request: Request, patient_id: RecordId, viewer: CurrentViewer, session: SessionDep, form: FormDep) -> Any:
    try:
        estimates_service.prepare_estimate(session, viewer.actor, patient_id, form, clock=viewer.clock)
    except FieldProblemsError as exc:
        return _form(request, session, viewer, patient_id, form, exc.problems, 422)
    session.commit()
    return RedirectResponse(f"/patients/{patient_id}?outcome=estimate#h-estimates", status_code=303)


@router.get("/patients/{patient_id}/estimates/{estimate_id}.pdf")
def download(patient_id: RecordId, estimate_id: RecordId, viewer: CurrentViewer, session: SessionDep) -> Response:
    pdf = estimates_service.estimate_pdf(session, viewer.actor, patient_id, estimate_id)
    name = f"estimate-{patient_id}-{estimate_id}.pdf"
    return pdf_response(pdf, name)


def _cost_sharing_form(
    request: Request,
    session: Session,
    viewer: Viewer,
    patient_id: int,
    coverage_id: int,
    values: dict[str, str] | None,
    errors: dict[str, str] | None = None,
) -> Any:
    patient = patients_service.get_patient(session, viewer.actor, patient_id)
    found = [c for c in patients_service.coverage_records(session, viewer.actor, patient_id) if c.id == coverage_id]
    if not found:
        raise NotFoundError(f"coverage {coverage_id} of patient {patient_id} not found")
    coverage = found[0]
    if values is None:
        values = {
            key: "" if getattr(coverage, key) is None else str(getattr(coverage, key))
            for key in ("deductible_remaining", "coinsurance_percent", "copay", "cost_sharing_as_of")
        }
        values["cost_sharing_as_of"] = values["cost_sharing_as_of"] or viewer.clock.today().isoformat()
    info = default_catalog().payer(coverage.payer_id)
    context = {
        "viewer": viewer,
        "p": patient,
        "coverage": coverage,
        "payer_name": info.name if info else coverage.payer_id,
        "v": values,
        "errors": errors or {},
    }
    return render(request, "patients/cost_sharing.html", context, status_code=422 if errors else 200)


@router.get("/patients/{patient_id}/coverages/{coverage_id}/cost-sharing")
def cost_sharing(
    request: Request, patient_id: RecordId, coverage_id: RecordId, viewer: CurrentViewer, session: SessionDep
) -> Any:
    return _cost_sharing_form(request, session, viewer, patient_id, coverage_id, None)


@router.post("/patients/{patient_id}/coverages/{coverage_id}/cost-sharing", dependencies=[CsrfChecked])
def save_cost_sharing(
    request: Request,
    patient_id: RecordId,
    coverage_id: RecordId,
    viewer: CurrentViewer,
    session: SessionDep,
    form: FormDep,
) -> Any:
    try:
        patients_service.update_cost_sharing(session, viewer.actor, patient_id, coverage_id, form)
    except FieldProblemsError as exc:
        return _cost_sharing_form(request, session, viewer, patient_id, coverage_id, form, exc.problems)
    session.commit()
    return RedirectResponse(f"/patients/{patient_id}?outcome=cost-sharing", status_code=303)
