"""The rejection worklist ``/claims/rejections``: claims a 999 or 277CA rejected, with the fix in plain words
and the ptbill checks that look at the same thing (billers and admins)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from ptbill.reference.catalog import default_catalog
from ptbill.services.rejections import rejection_worklist
from ptbill.web.deps import CurrentViewer, SessionDep, render

router = APIRouter()


@router.get("/claims/rejections")
def worklist(request: Request, viewer: CurrentViewer, session: SessionDep) -> Any:
    items = rejection_worklist(session, viewer.actor)
    names = {key: info.name for key, info in default_catalog().payers().items()}
    return render(request, "claims/rejections.html", {"viewer": viewer, "items": items, "payer_names": names})
