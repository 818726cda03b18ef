"""The timely filing worklist ``/claims/timely-filing``: the claims not yet sent whose payer's filing limit is
near or past, fewest days left first, filtered by payer (a GET parameter, so a filtered view is a link)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from ptbill.reference.catalog import default_catalog
from ptbill.services.timely_filing import timely_filing_worklist
from ptbill.web.deps import CurrentViewer, SessionDep, render

router = APIRouter()


@router.get("/claims/timely-filing")
def worklist(
    request: Request, viewer: CurrentViewer, session: SessionDep, payer: Annotated[str, Query(max_length=60)] = ""
) -> Any:
    catalog = default_catalog()
    chosen = payer if catalog.payer(payer) is not None else None
    items = timely_filing_worklist(session, viewer.actor, viewer.clock.today(), chosen)
    names = {key: info.name for key, info in catalog.payers().items()}
    return render(
        request,
        "queue/timely_filing.html",
        {
            "viewer": viewer,
            "items": items,
            "payer": chosen or "",
            "payers": sorted(names.items(), key=lambda pair: pair[1]),
            "payer_names": names,
            "late": sum(1 for item in items if item.filing.state == "late"),
            "today": viewer.clock.today(),
        },
    )
