"""Denied lines as work items: list them with filters, read one with its history, change its status,
assignee or follow-up date by compare-and-set, add notes, and build its appeal packet."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query
from fastapi.responses import JSONResponse, Response

from ptbill.api.deps import ClockDep, CurrentActor, SessionDep
from ptbill.api.routing import (
    PathId,
    PdfResponse,
    errors,
    invalid_change,
    made_or_refused,
    pdf_download,
    pdf_responses,
    resource_router,
)
from ptbill.api.schemas.common import NoNul
from ptbill.api.schemas.denials import (
    DenialDetailPublic,
    DenialEventPublic,
    DenialListPublic,
    DenialNoteCreate,
    DenialPublic,
    DenialUpdate,
)
from ptbill.services import access, denial_work
from ptbill.services.appeals import LateAppealError, build_item_appeal_pdf
from ptbill.services.denial_items import DenialItem

router = resource_router("/denials", "denials")
DenialId = PathId
Text = Annotated[str | None, Query(max_length=60), NoNul]


def _public(item: DenialItem) -> DenialPublic:
    return DenialPublic.model_validate(item)


@router.get(
    "",
    response_model=DenialListPublic,
    summary="List denied lines (work items)",
    description="Every denied or partly denied line of a posted 835, paid claims included, the appeal due "
    "soonest first. Filters: `status` (a status, `open` for all but written off and resolved, or `all`), "
    "`assignee` (`mine`, `none` or a user id), `payer`, `reason` (e.g. `CO-16` or `CO-16 / N443`), "
    "`follow_up` (`due`: on or before today, `overdue`: before today). Counts by status follow the other filters.",
    responses=errors(401, 403, 422),
)
def list_denials(
    actor: CurrentActor,
    session: SessionDep,
    clock: ClockDep,
    status: Text = "open",
    assignee: Text = None,
    payer: Text = None,
    reason: Text = None,
    follow_up: Text = None,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> DenialListPublic | JSONResponse:
    filters = denial_work.DenialFilter(
        status or "open", assignee or None, payer or None, reason or None, follow_up or None
    )
    try:
        page = denial_work.denial_items(session, actor, filters, clock, offset=offset, limit=limit)
    except access.InvalidChangeError as exc:
        return invalid_change(exc)
    return DenialListPublic(
        items=[_public(i) for i in page.items],
        total=page.total,
        offset=page.offset,
        limit=page.limit,
        denied_total=page.denied_total,
        by_status=page.by_status,
        past_deadline=page.past_deadline,
        due_soon=page.due_soon,
        follow_up_due=page.follow_up_due,
    )


@router.get(
    "/{denial_id}",
    response_model=DenialDetailPublic,
    summary="Read a denied line with its history",
    description="The line, the reason in plain words and the next step, the checks that should have caught it "
    "(and which the note still fails), the appeal level with its deadline, and every note and change.",
    responses=errors(401, 403, 404, 422),
)
def read_denial(denial_id: DenialId, actor: CurrentActor, session: SessionDep) -> DenialDetailPublic:
    detail = denial_work.denial_item(session, actor, denial_id)
    return DenialDetailPublic.model_validate(
        {
            **_public(detail.item).model_dump(),
            "patient_name": detail.patient_name,
            "rules_failing_now": detail.rules_failing_now,
            "events": [DenialEventPublic.model_validate(e) for e in detail.events],
        }
    )


@router.patch(
    "/{denial_id}",
    response_model=DenialPublic,
    summary="Change a denied line's status, assignee or follow-up date",
    description="Compare-and-set: `expected_status` is the status you saw; when someone changed the item since, "
    "nothing is changed and the answer is 409. A status move the table refuses (a resolved item becoming "
    "appealed) is 409 too. `status: appealed` on an appealed item goes to the next appeal level and needs "
    "`decision_date`. A bad field is 422 naming it.",
    responses=errors(401, 403, 404, 409, 422),
)
def change_denial(
    denial_id: DenialId, body: DenialUpdate, actor: CurrentActor, session: SessionDep, clock: ClockDep
) -> DenialPublic | JSONResponse:
    changes: dict[str, Any] = {f: getattr(body, f) for f in ("assignee_id", "follow_up") if f in body.model_fields_set}
    try:
        item = denial_work.update_denial_item(
            session,
            actor,
            denial_id,
            expected_status=body.expected_status,
            clock=clock,
            status=body.status,
            decision_date=body.decision_date,
            **changes,
        )
    except access.InvalidChangeError as exc:
        return invalid_change(exc)
    return _public(item)


@router.post(
    "/{denial_id}/notes",
    status_code=201,
    response_model=DenialEventPublic,
    summary="Add a note to a denied line's history",
    responses=errors(401, 403, 404, 422),
)
def add_denial_note(
    denial_id: DenialId, body: DenialNoteCreate, actor: CurrentActor, session: SessionDep
) -> DenialEventPublic | JSONResponse:
    return made_or_refused(DenialEventPublic, lambda: denial_work.add_note(session, actor, denial_id, body.text), "")


@router.get(
    "/{denial_id}/appeal.pdf",
    response_model=bytes,
    response_class=PdfResponse,
    summary="The appeal packet of a denied line (PDF)",
    description="A cover letter naming the appeal level for the payer (Medicare: redetermination, form CMS-20027, "
    "then reconsideration, CMS-20033) and its deadline, the note and the claim lines. After the deadline the "
    "answer is 409 unless `late=true`; the packet then says it is late.",
    responses=pdf_responses(401, 403, 404, 409, 422),
)
def denial_appeal_packet(
    denial_id: DenialId, actor: CurrentActor, session: SessionDep, clock: ClockDep, late: bool = False
) -> Response:
    try:
        pdf = build_item_appeal_pdf(session, actor, denial_id, clock.today(), late=late)
    except LateAppealError as exc:
        return JSONResponse({"detail": str(exc)}, status_code=409)
    return pdf_download(pdf, f"appeal-{denial_id}.pdf")
