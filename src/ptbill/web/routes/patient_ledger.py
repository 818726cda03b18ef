"""The patient's ledger page: what they owe visit by visit, every entry with its source, and the forms that
record a payment, a refund and a credit applied to later visits.

Billers and admins (the roles that take patient money); a patient of another clinic answers 404. A refused
form shows the page again with the reason beside it, and saves nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response

from ptbill.domain.errors import PtbillError
from ptbill.services import access, patient_payments
from ptbill.services.db import Session
from ptbill.services.patient_ledger import METHODS, combined_entries, patient_ledger
from ptbill.web.deps import CsrfChecked, CurrentViewer, SessionDep, Viewer, form_values, render
from ptbill.web.inputs import RecordId, day, record_id

router = APIRouter()
FormDep = Annotated[dict[str, str], Depends(form_values)]
DONE = {
    "payment": "Payment recorded.",
    "refund": "Refund recorded.",
    "credit": "Credit applied to the open visits.",
}
KINDS = {
    "charge": "Charge",
    "payer_payment": "Insurance paid",
    "adjustment": "Insurance adjustment",
    "prior_payer": "Settled by the payer before",
    "denied": "Denied (being worked)",
    "transfer": "Passed on",
    "transfer_in": "Now owed",
    "write_off": "Written off",
    "write_off_unused": "Write-off not needed",
    "patient_payment": "Payment received",
    "applied": "Payment applied",
    "returned": "Back to credit",
    "refund": "Refund",
    "provider_adjustment": "Payer-level adjustment",
}


def _page(
    request: Request,
    viewer: Viewer,
    session: Session,
    patient_id: int,
    *,
    done: str | None = None,
    problem: tuple[str, str] | None = None,
    status_code: int = 200,
    form: dict[str, str] | None = None,
) -> Response:
    ledger = patient_ledger(session, viewer.actor, patient_id, today=viewer.clock.today())
    context: dict[str, Any] = {
        "viewer": viewer,
        "ledger": ledger,
        "entries": combined_entries(ledger.entries),
        "kinds": KINDS,
        "methods": METHODS,
        "today": viewer.clock.today(),
        "done": DONE.get(done or ""),
        "problem": problem,  # (which form, the reason)
        "form": form or {},
    }
    return render(request, "patients/ledger.html", context, status_code=status_code)


@router.get("/patients/{patient_id}/ledger")
def show_ledger(
    request: Request,
    patient_id: RecordId,
    viewer: CurrentViewer,
    session: SessionDep,
    done: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    return _page(request, viewer, session, patient_id, done=done)


def _act(
    request: Request,
    viewer: Viewer,
    session: Session,
    patient_id: int,
    form: dict[str, str],
    which: str,
    action: Callable[[], object],
) -> Response:
    """Run ``action``; on success back to the ledger saying so, else the page again with the reason."""
    try:
        action()
    except (access.NotFoundError, access.ForbiddenError):
        raise
    except PtbillError as exc:
        session.rollback()
        status = 409 if isinstance(exc, access.ConflictError) else 400
        return _page(request, viewer, session, patient_id, problem=(which, str(exc)), status_code=status, form=form)
    session.commit()
    return RedirectResponse(f"/patients/{patient_id}/ledger?done={which}", status_code=303)


def _money(form: dict[str, str]) -> tuple[str, str, str | None]:
    """The amount, the method and the check number or card reference, as typed."""
    return form.get("amount", ""), form.get("method", ""), form.get("reference")


def _day(form: dict[str, str], name: str) -> Any:
    raw = (form.get(name) or "").strip()
    if not raw:
        return None
    found = day(raw)
    if found is None:
        raise access.InvalidChangeError(name, f"{name.replace('_', ' ')}: a day as YYYY-MM-DD")
    return found


@router.post("/patients/{patient_id}/payments", dependencies=[CsrfChecked])
def record_payment(
    request: Request, patient_id: RecordId, viewer: CurrentViewer, session: SessionDep, form: FormDep
) -> Response:
    def run() -> object:
        raw_visit = (form.get("claim_id") or "").strip()
        visit = record_id(raw_visit) if raw_visit else None
        if raw_visit and visit is None:
            raise access.InvalidChangeError("claim_id", "claim_id: choose one of the patient's visits")
        return patient_payments.record_payment(
            session,
            viewer.actor,
            patient_id,
            *_money(form),
            received_on=_day(form, "received_on"),
            claim_ids=[visit] if visit else None,
            clock=viewer.clock,
        )

    return _act(request, viewer, session, patient_id, form, "payment", run)


@router.post("/patients/{patient_id}/refunds", dependencies=[CsrfChecked])
def record_refund(
    request: Request, patient_id: RecordId, viewer: CurrentViewer, session: SessionDep, form: FormDep
) -> Response:
    def run() -> object:
        return patient_payments.record_refund(
            session,
            viewer.actor,
            patient_id,
            *_money(form),
            refunded_on=_day(form, "refunded_on"),
            reason=form.get("reason"),
            clock=viewer.clock,
        )

    return _act(request, viewer, session, patient_id, form, "refund", run)


@router.post("/patients/{patient_id}/credit", dependencies=[CsrfChecked])
def apply_credit(
    request: Request, patient_id: RecordId, viewer: CurrentViewer, session: SessionDep, form: FormDep
) -> Response:
    def run() -> object:
        return patient_payments.apply_credit(session, viewer.actor, patient_id, clock=viewer.clock)

    return _act(request, viewer, session, patient_id, form, "credit", run)
