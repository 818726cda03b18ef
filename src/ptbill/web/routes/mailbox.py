"""The clearinghouse mailbox page (billers and admins): files received with their type, time in the clinic's
zone, outcome and message; "poll now" and "send" defer the ``mailbox_poll`` and ``mailbox_send`` jobs (on
SQLite they run in-process before the page answers); the files sent."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from ptbill.services import access, batches, job_runs, mailbox, mailbox_settings
from ptbill.services.db import Session
from ptbill.web.deps import CsrfChecked, CurrentViewer, SessionDep, Viewer, form_values, render
from ptbill.web.inputs import record_id

router = APIRouter()
FormDep = Annotated[dict[str, str], Depends(form_values)]


def _page(
    request: Request, session: Session, viewer: Viewer, notice: str | None = None, error: str | None = None
) -> Response:
    settings = mailbox_settings.get_settings(session, viewer.actor)
    context = {
        "viewer": viewer,
        "section": "mailbox",
        "transport": mailbox_settings.TRANSPORTS.get(settings.transport, settings.transport),
        "host": settings.host if settings.transport == mailbox_settings.SFTP else None,
        "received": mailbox.list_files(session, viewer.actor, mailbox.IN),
        "sent": mailbox.list_files(session, viewer.actor, mailbox.OUT),
        "built": [b for b in batches.list_batches(session, viewer.actor) if b.status == "built"],
        "outcomes": mailbox.OUTCOME_TEXT,
        "notice": notice,
        "error": error,
    }
    return render(request, "mailbox/inbox.html", context, 422 if error else 200)


@router.get("/mailbox")
def inbox(request: Request, viewer: CurrentViewer, session: SessionDep) -> Response:
    access.require_role(viewer.actor, access.BILLERS)
    return _page(request, session, viewer)


def _job_words(session: Session, viewer: Viewer, run_id: int, what: str) -> tuple[str | None, str | None]:
    """(notice, error) for a deferred job: what it did when it has run (SQLite runs it at once), else queued."""
    run = job_runs.get_run(session, viewer.actor, run_id)
    if run.status == job_runs.DONE:
        return f"{what}: {run.message}", None
    if run.status == job_runs.FAILED:
        return None, f"{what} failed: {run.message}"
    return f"{what} queued as job #{run.id}: a worker runs it; reload this page to see what it received.", None


@router.post("/mailbox/poll", dependencies=[CsrfChecked])
def poll_now(request: Request, viewer: CurrentViewer, session: SessionDep) -> Response:
    """The ``mailbox_poll`` job for the clinic, as this user (on SQLite it has run when this returns)."""
    access.require_role(viewer.actor, access.BILLERS)
    session.commit()  # before the job's own transactions (on SQLite it runs now, in this thread)
    run_id = request.app.state.ptbill.jobs.defer("mailbox_poll", viewer.actor)
    notice, error = _job_words(session, viewer, run_id, "Poll")
    return _page(request, session, viewer, notice=notice, error=error)


@router.post("/mailbox/send", dependencies=[CsrfChecked])
def send(request: Request, viewer: CurrentViewer, session: SessionDep, form: FormDep) -> Response:
    """The ``mailbox_send`` job for a built batch of the clinic (another clinic's: not found)."""
    access.require_role(viewer.actor, access.BILLERS)
    batch_id = record_id(form.get("batch_id"))
    if batch_id is None:
        return _page(request, session, viewer, error="Choose a built batch to send.")
    batches.batch_summary(session, viewer.actor, batch_id)  # another clinic's batch: 404 before any job
    session.commit()
    confirm = form.get("confirm_late") == "1"
    run_id = request.app.state.ptbill.jobs.defer("mailbox_send", viewer.actor, batch_id=batch_id, confirm_late=confirm)
    notice, error = _job_words(session, viewer, run_id, f"Batch {batch_id}")
    return _page(request, session, viewer, notice=notice, error=error)
