"""The biller's work queue: filtered, paged, and billed by filter."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query
from fastapi.responses import JSONResponse

from ptbill.api.deps import ClockDep, CurrentActor, SessionDep
from ptbill.api.routing import errors, field_problems, resource_router
from ptbill.api.schemas.claims import ClaimPublic
from ptbill.api.schemas.common import NoNul
from ptbill.api.schemas.encounters import EncounterSummaryPublic, FindingPublic
from ptbill.api.schemas.queue import QueueClaimsCreate, QueueClaimsPublic, QueueItemPublic, QueuePublic, SkippedPublic
from ptbill.services import queue as queue_service
from ptbill.services.patient_fields import FieldProblemsError
from ptbill.services.queue_filters import TABS, read_filters, read_paging

router = resource_router("/queue", "queue")
Text = Annotated[str | None, Query(max_length=60), NoNul]
FILTERS_REFUSED = "some filters cannot be used"


@router.get(
    "",
    response_model=QueuePublic,
    summary="The biller's work queue, filtered and paged",
    description="Signed notes not yet billed, by verdict, each with the findings that explain it. Drafts are "
    "not here: they are the therapists' (their notes list). Filters: `payer`, `therapist` (user id), `from` and "
    "`to` (date of service), `rule` (a finding of that rule in the latest check), `min` and `max` (expected "
    "payment). `tab` is paged (`page`, `per_page` of 25, 50, 100 or 200), newest visit first; `counts` and "
    "`totals` cover every tab under the same filters.",
    responses=errors(401, 422),
)
def read_queue(
    actor: CurrentActor,
    session: SessionDep,
    tab: Annotated[str, Query(max_length=30), NoNul] = "ready",
    page: Text = None,
    per_page: Text = None,
    payer: Text = None,
    therapist: Text = None,
    date_from: Annotated[str | None, Query(alias="from", max_length=60), NoNul] = None,
    date_to: Annotated[str | None, Query(alias="to", max_length=60), NoNul] = None,
    rule: Text = None,
    min_amount: Annotated[str | None, Query(alias="min", max_length=60), NoNul] = None,
    max_amount: Annotated[str | None, Query(alias="max", max_length=60), NoNul] = None,
) -> Any:
    typed = {"payer": payer, "therapist": therapist, "from": date_from, "to": date_to, "rule": rule}
    try:
        filters = read_filters(typed | {"min": min_amount, "max": max_amount})
        paging = read_paging(page, per_page)
    except FieldProblemsError as exc:
        return field_problems(exc, "query", FILTERS_REFUSED)
    if tab not in TABS:
        return JSONResponse(
            {"detail": "no such tab", "problems": [f"query.tab: one of {', '.join(TABS)}"]}, status_code=422
        )
    shown = queue_service.queue_page(session, actor, filters, tab, paging)
    items = [
        QueueItemPublic(
            encounter=EncounterSummaryPublic.model_validate(item),
            reasons=[FindingPublic.model_validate(f) for f in item.reasons],
            patient_name=item.patient_name,
            expected_payment=item.expected,
        )
        for item in shown.items
    ]
    lists: dict[str, list[QueueItemPublic]] = {key: [] for key in TABS}
    lists[tab] = items
    return QueuePublic(
        **lists,
        tab=tab,
        page=shown.paging.page,
        per_page=shown.paging.per_page,
        pages=shown.pages,
        total=shown.total,
        counts=shown.counts,
        totals=shown.totals,
    )


@router.post(
    "/claims",
    status_code=201,
    response_model=QueueClaimsPublic,
    summary="Build claims for every note matching the filters",
    description="Bulk selection across pages: the server runs the queue's query again with these filters and "
    "builds a claim for each note of the tab it matches now. A note billed by another request or blocked by its "
    "check since is skipped and named in `skipped`; `matched` against `seen` shows what changed.",
    responses=errors(401, 403, 409, 422),
)
def build_matching(body: QueueClaimsCreate, actor: CurrentActor, session: SessionDep, clock: ClockDep) -> Any:
    typed = {
        "payer": body.payer,
        "therapist": body.therapist,
        "from": body.date_from,
        "to": body.date_to,
        "rule": body.rule,
        "min": body.min,
        "max": body.max,
    }
    try:
        filters = read_filters(typed)
    except FieldProblemsError as exc:
        return field_problems(exc, "body", FILTERS_REFUSED)
    if body.tab not in ("ready", "needs_attention"):
        return JSONResponse(
            {"detail": "only billable tabs", "problems": ["body.tab: ready or needs_attention"]}, status_code=422
        )
    result = queue_service.build_matching(session, actor, filters, body.tab, seen=body.seen, clock=clock)
    return QueueClaimsPublic(
        built=[ClaimPublic.model_validate(claim) for claim in result.built],
        skipped=[SkippedPublic(encounter_id=s.encounter_id, reason=s.reason) for s in result.skipped],
        matched=result.matched,
        seen=result.seen,
    )
