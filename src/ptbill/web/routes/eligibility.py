"""The chart's "verify now": a 270 for one coverage written, stored and put into the clinic's mailbox."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from ptbill.mailbox.transport import MailboxError
from ptbill.services import access
from ptbill.services.eligibility_send import verify_now
from ptbill.services.mailbox_settings import open_mailbox
from ptbill.web.deps import CsrfChecked, CurrentViewer, SessionDep
from ptbill.web.inputs import RecordId

router = APIRouter()


@router.post("/patients/{patient_id}/coverages/{coverage_id}/eligibility", dependencies=[CsrfChecked])
def verify(
    request: Request, patient_id: RecordId, coverage_id: RecordId, viewer: CurrentViewer, session: SessionDep
) -> Any:
    access.require_role(viewer.actor, access.BILLERS)
    settings = request.app.state.ptbill.settings
    try:
        box = open_mailbox(session, viewer.actor, secret_key=settings.secret_key, data_dir=settings.data_dir)
        try:
            verify_now(session, viewer.actor, patient_id, box, viewer.clock, coverage_id=coverage_id, source="web")
        finally:
            box.close()
    except MailboxError:
        session.rollback()
        return RedirectResponse(f"/patients/{patient_id}?outcome=eligibility-not-sent#h-eligibility", status_code=303)
    session.commit()
    return RedirectResponse(f"/patients/{patient_id}?outcome=eligibility-sent#h-eligibility", status_code=303)
