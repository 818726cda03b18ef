"""The statements page: run statements for every patient owing more than a threshold, the recent runs with a
PDF for each statement, and the bulk write-off of small balances (confirmed first). The patient ledger's
"Print statement" posts here too. Billers and admins; the services check the role and audit every read."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from ptbill.domain.errors import PtbillError
from ptbill.services import access, job_runs, statements
from ptbill.services.db import Session
from ptbill.services.small_balances import write_off_small_balances
from ptbill.web.deps import CsrfChecked, CurrentViewer, SessionDep, Viewer, form_values, pdf_response, render
from ptbill.web.inputs import RecordId

router = APIRouter()
FormDep = Annotated[dict[str, str], Depends(form_values)]
DEFAULT_MINIMUM = "10.00"
DEFAULT_UNDER = "5.00"
STATEMENTS_SHOWN = 50  # statements listed per run, the largest amounts due first


def _page(
    request: Request,
    viewer: Viewer,
    session: Session,
    *,
    done: str | None = None,
    problem: tuple[str, str] | None = None,
    form: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    context: dict[str, Any] = {
        "viewer": viewer,
        "runs": statements.recent_runs(session, viewer.actor),
        "shown": STATEMENTS_SHOWN,
        "done": done,
        "problem": problem,  # (which form, the reason)
        "form": {"minimum": DEFAULT_MINIMUM, "under": DEFAULT_UNDER, **(form or {})},
        "reminders": statements.REMINDER_DAYS,
    }
    return render(request, "statements/index.html", context, status_code=status_code)


def _refused(
    request: Request, viewer: Viewer, session: Session, exc: PtbillError, which: str, form: dict[str, str]
) -> Response:
    session.rollback()
    status = 409 if isinstance(exc, access.ConflictError) else 400
    return _page(request, viewer, session, problem=(which, str(exc)), form=form, status_code=status)


@router.get("/statements")
def statements_page(request: Request, viewer: CurrentViewer, session: SessionDep) -> Response:
    return _page(request, viewer, session)


@router.post("/statements/runs", dependencies=[CsrfChecked])
def run(request: Request, viewer: CurrentViewer, session: SessionDep, form: FormDep) -> Response:
    minimum = form.get("minimum", "")
    try:
        due = statements.statements_due(session, viewer.actor, minimum=minimum, clock=viewer.clock)
        if due > request.app.state.ptbill.settings.jobs.background_statements:
            session.commit()  # before the job's own transactions (on SQLite it runs now, in this thread)
            job_id = request.app.state.ptbill.jobs.defer("run_statements", viewer.actor, minimum=minimum.strip())
            return RedirectResponse(f"/statements/jobs/{job_id}", status_code=303)
        made = statements.run_statements(session, viewer.actor, minimum=minimum, clock=viewer.clock)
    except (access.NotFoundError, access.ForbiddenError):
        raise
    except PtbillError as exc:
        return _refused(request, viewer, session, exc, "run", form)
    session.commit()
    done = f"{made.count} statement{'s' if made.count != 1 else ''} made, ${made.total:,.2f} due in all."
    return _page(request, viewer, session, done=done)


@router.get("/statements/jobs/{job_id}")
def job_page(request: Request, job_id: RecordId, viewer: CurrentViewer, session: SessionDep) -> Response:
    """A large statement run in the background: its progress, refreshed until it ends."""
    run = job_runs.get_run(session, viewer.actor, job_id)
    if run.kind != "run_statements":
        raise access.NotFoundError(f"statement run job {job_id} not found")
    return render(request, "statements/job.html", {"viewer": viewer, "run": run})


@router.post("/statements/small-balance-write-offs", dependencies=[CsrfChecked])
def small_balances(request: Request, viewer: CurrentViewer, session: SessionDep, form: FormDep) -> Response:
    try:
        if form.get("confirm") != "yes":
            raise access.InvalidChangeError("confirm", "confirm: tick the box to confirm the write-off")
        done = write_off_small_balances(
            session,
            viewer.actor,
            under=form.get("under", ""),
            reason_text=form.get("reason_text", ""),
            clock=viewer.clock,
        )
    except (access.NotFoundError, access.ForbiddenError):
        raise
    except PtbillError as exc:
        return _refused(request, viewer, session, exc, "write_off", form)
    session.commit()
    words = f"Small balances written off: {done.patients} patients, {done.visits} visits, ${done.total:,.2f}."
    return _page(request, viewer, session, done=words)


@router.get("/statements/{statement_id}.pdf")
def statement_pdf(statement_id: RecordId, viewer: CurrentViewer, session: SessionDep) -> Response:
    found, pdf = statements.statement_pdf(session, viewer.actor, statement_id)
    name = f"statement-{found.patient_id}-{found.statement_date:%Y%m%d}-{found.id}.pdf"
    return pdf_response(pdf, name)


@router.post("/patients/{patient_id}/statements", dependencies=[CsrfChecked])
def print_statement(patient_id: RecordId, viewer: CurrentViewer, session: SessionDep) -> Response:
    """The ledger's "Print statement": stored, then handed out as its PDF."""
    made = statements.print_statement(session, viewer.actor, patient_id, clock=viewer.clock)
    session.commit()
    return RedirectResponse(f"/statements/{made.id}.pdf", status_code=303)
