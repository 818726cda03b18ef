"""The clearinghouse mailbox page (billers and admins): files received with their type, time in the clinic's
zone, outcome and message; "poll now"; a built batch sent; the files sent."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from ptbill.domain.errors import PtbillError
from ptbill.mailbox.transport import Mailbox
from ptbill.services import access, batches, mailbox, mailbox_settings
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


def _open(request: Request, session: Session, viewer: Viewer) -> Mailbox:
    settings = request.app.state.ptbill.settings
    return mailbox_settings.open_mailbox(
        session, viewer.actor, secret_key=settings.secret_key, data_dir=settings.data_dir
    )


@router.get("/mailbox")
def inbox(request: Request, viewer: CurrentViewer, session: SessionDep) -> Response:
    access.require_role(viewer.actor, access.BILLERS)
    return _page(request, session, viewer)


@router.post("/mailbox/poll", dependencies=[CsrfChecked])
def poll_now(request: Request, viewer: CurrentViewer, session: SessionDep) -> Response:
    access.require_role(viewer.actor, access.BILLERS)
    try:
        box = _open(request, session, viewer)
    except PtbillError as exc:
        return _page(request, session, viewer, error=f"The mailbox could not be opened: {exc}")
    try:
        result = mailbox.poll(session, viewer.actor, box, viewer.clock)
    finally:
        box.close()
    session.commit()
    return _page(request, session, viewer, notice=result.summary)


@router.post("/mailbox/send", dependencies=[CsrfChecked])
def send(request: Request, viewer: CurrentViewer, session: SessionDep, form: FormDep) -> Response:
    access.require_role(viewer.actor, access.BILLERS)
    batch_id = record_id(form.get("batch_id"))
    if batch_id is None:
        return _page(request, session, viewer, error="Choose a built batch to send.")
    try:
        box = _open(request, session, viewer)
        try:
            sent = mailbox.send_batch(
                session, viewer.actor, box, batch_id, viewer.clock, confirm_late=form.get("confirm_late") == "1"
            )
        finally:
            box.close()
    except access.NotFoundError:
        raise
    except PtbillError as exc:  # refused (late, already sent) or the upload failed: the batch stays built
        return _page(request, session, viewer, error=f"Batch {batch_id} was not sent: {exc}")
    session.commit()
    return _page(request, session, viewer, notice=f"Batch {batch_id} was sent as {sent.name} and marked submitted.")
