"""Denials as work: the worklist of denied lines (``/denials``) with filters by status, assignee, payer,
reason and follow-up date, and counts; one item's page (``/denials/items/{id}``) with the claim, the line,
the reason in plain words, the next step, the checks that should have caught it, the appeal level and its
deadline, the forms to assign, move, schedule a follow-up and add a note, its history, and the appeal packet
(a packet past its deadline asks first). Every change names the status the biller saw: if someone else moved
the item in between, nothing is changed and the page says so.

Billers and admins only; another clinic's item answers 404. ``/denials/{claim_id}/appeal.pdf`` (the packet
for a whole claim, as before) stays for links already out there.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from ptbill.domain.status import MOVES, DenialState
from ptbill.rules.registry import all_rules
from ptbill.services import access, billing, denial_work
from ptbill.services.appeals import LateAppealError, build_appeal_pdf, build_item_appeal_pdf
from ptbill.services.denial_items import DUE_SOON_DAYS, patient_names
from ptbill.web.deps import CsrfChecked, CurrentViewer, SessionDep, Viewer, clock_of, form_values, pdf_response, render
from ptbill.web.inputs import OptionalCount, RecordId, day, record_id

router = APIRouter()
PAGE_SIZE = 50
Filter = Annotated[str | None, Query(max_length=60)]
SAVED = {
    "status": "Status saved.",
    "assign": "Assignee saved.",
    "follow-up": "Follow-up date saved.",
    "note": "Note added.",
    "level": "Next appeal level recorded.",
}


def deadline_state(appeal_by: date | None, today: date) -> tuple[str, int | None]:
    """``none`` (no deadline), ``past``, ``soon`` (within 14 days) or ``open``; and the days left."""
    if appeal_by is None:
        return "none", None
    days = (appeal_by - today).days
    if days < 0:
        return "past", days
    return ("soon" if days <= DUE_SOON_DAYS else "open"), days


def _blank(value: str | None) -> str | None:
    return value or None


@router.get("/denials")
def worklist(
    request: Request,
    viewer: CurrentViewer,
    session: SessionDep,
    status: Filter = None,
    assignee: Filter = None,
    payer: Filter = None,
    reason: Filter = None,
    follow_up: Filter = None,
    page: OptionalCount = None,
) -> Any:
    chosen = {"status": status or "open", "assignee": assignee, "payer": payer, "reason": reason}
    chosen["follow_up"] = follow_up
    filters = denial_work.DenialFilter(
        status or "open", _blank(assignee), _blank(payer), _blank(reason), _blank(follow_up)
    )
    number = max(page or 1, 1)
    clock = clock_of(request)
    try:
        found = denial_work.denial_items(
            session, viewer.actor, filters, clock, offset=(number - 1) * PAGE_SIZE, limit=PAGE_SIZE
        )
    except access.InvalidChangeError as exc:
        return render(request, "errors/error.html", _bad_filter(str(exc)), 422)
    today = clock.today()
    names = patient_names(session, viewer.actor, [i.encounter_id for i in found.items])
    rows = [
        {"item": i, "patient": names.get(i.encounter_id, ""), "state": i.deadline_state(today)} for i in found.items
    ]
    kept = {k: v for k, v in chosen.items() if v and k != "status"}

    def link(**changes: Any) -> str:
        query = {**{k: v for k, v in chosen.items() if v}, **changes}
        return "/denials?" + urlencode({k: v for k, v in query.items() if v})

    open_count = sum(n for s, n in found.by_status.items() if s not in ("written off", "resolved"))
    tabs = [("open", "Open", open_count)]
    tabs += [(s.value, s.value.capitalize(), found.by_status[s.value]) for s in DenialState]
    tabs.append(("all", "All", sum(found.by_status.values())))
    return render(
        request,
        "denials/worklist.html",
        {
            "viewer": viewer,
            "page": found,
            "rows": rows,
            "chosen": chosen,
            "kept": kept,
            "tabs": tabs,
            "link": link,
            "number": number,
            "pages": max(1, -(-found.total // PAGE_SIZE)),
            "users": denial_work.assignable_users(session, viewer.actor),
            "today": today,
            "due_soon_days": DUE_SOON_DAYS,
        },
    )


def _bad_filter(message: str) -> dict[str, Any]:
    return {"title": "That filter is not one the worklist knows", "advice": "Go back and choose from the lists.",
            "detail": message, "status": 422}  # fmt: skip


def _item_page(request: Request, viewer: Viewer, session: Any, item_id: int, error: str | None = None,
               status_code: int = 200) -> Response:  # fmt: skip
    detail = denial_work.denial_item(session, viewer.actor, item_id)
    item = detail.item
    today = clock_of(request).today()
    titles = {r.id: r.title for r in all_rules()}
    allowed = MOVES[DenialState][DenialState(item.status)]
    moves = [state for state in DenialState if state in allowed]
    return render(
        request,
        "denials/item.html",
        {
            "viewer": viewer,
            "detail": detail,
            "item": item,
            "rules": [(r, titles.get(r, "")) for r in item.reason.rules],
            "moves": [m.value for m in moves if m is not DenialState.APPEALED or item.status != "appealed"],
            "next_level": item.status == "appealed" and item.appeal_level < 2,
            "users": denial_work.assignable_users(session, viewer.actor),
            "state": item.deadline_state(today),
            "today": today,
            "error": error,
            "saved": SAVED.get(request.query_params.get("saved", "")),
        },
        status_code,
    )


@router.get("/denials/items/{item_id}")
def item_page(item_id: RecordId, request: Request, viewer: CurrentViewer, session: SessionDep) -> Response:
    return _item_page(request, viewer, session, item_id)


def _change(request: Request, viewer: Viewer, session: Any, item_id: int, saved: str, **changes: Any) -> Response:
    try:
        denial_work.update_denial_item(session, viewer.actor, item_id, clock=clock_of(request), **changes)
    except access.InvalidChangeError as exc:
        session.rollback()
        return _item_page(request, viewer, session, item_id, str(exc), 422)
    except access.ConflictError as exc:
        session.rollback()
        return _item_page(request, viewer, session, item_id, str(exc), 409)
    session.commit()  # before the redirect: the page it leads to must already see the change
    return RedirectResponse(f"/denials/items/{item_id}?saved={saved}", status_code=303)


@router.post("/denials/items/{item_id}/status", dependencies=[CsrfChecked])
async def change_status(item_id: RecordId, request: Request, viewer: CurrentViewer, session: SessionDep) -> Response:
    form = await form_values(request)
    changes: dict[str, Any] = {"expected_status": form.get("expected_status", ""), "status": form.get("status", "")}
    saved = "status"
    if form.get("decision_date"):
        decided = day(form["decision_date"])
        if decided is None:
            return _item_page(request, viewer, session, item_id, "decision_date: not a day (YYYY-MM-DD)", 422)
        changes["decision_date"], saved = decided, "level"
    return _change(request, viewer, session, item_id, saved, **changes)


@router.post("/denials/items/{item_id}/assign", dependencies=[CsrfChecked])
async def assign(item_id: RecordId, request: Request, viewer: CurrentViewer, session: SessionDep) -> Response:
    form = await form_values(request)
    raw = form.get("assignee_id", "")
    user_id = record_id(raw) if raw else None
    if raw and user_id is None:
        return _item_page(request, viewer, session, item_id, "assignee_id: choose a person from the list", 422)
    expected = form.get("expected_status", "")
    return _change(request, viewer, session, item_id, "assign", expected_status=expected, assignee_id=user_id)


@router.post("/denials/items/{item_id}/follow-up", dependencies=[CsrfChecked])
async def follow_up(item_id: RecordId, request: Request, viewer: CurrentViewer, session: SessionDep) -> Response:
    form = await form_values(request)
    raw = form.get("follow_up", "")
    when = day(raw) if raw else None
    if raw and when is None:
        return _item_page(request, viewer, session, item_id, "follow_up: not a day (YYYY-MM-DD)", 422)
    expected = form.get("expected_status", "")
    return _change(request, viewer, session, item_id, "follow-up", expected_status=expected, follow_up=when)


@router.post("/denials/items/{item_id}/notes", dependencies=[CsrfChecked])
async def add_note(item_id: RecordId, request: Request, viewer: CurrentViewer, session: SessionDep) -> Response:
    form = await form_values(request)
    try:
        denial_work.add_note(session, viewer.actor, item_id, form.get("text", ""))
    except access.InvalidChangeError as exc:
        return _item_page(request, viewer, session, item_id, str(exc), 422)
    session.commit()  # before the redirect, as in _change
    return RedirectResponse(f"/denials/items/{item_id}?saved=note#history", status_code=303)


@router.get("/denials/items/{item_id}/appeal.pdf")
def item_appeal(
    item_id: RecordId, request: Request, viewer: CurrentViewer, session: SessionDep, late: bool = False
) -> Response:
    """The packet; past its deadline, a page that says so and asks first (409) unless ``late=true``."""
    try:
        pdf = build_item_appeal_pdf(session, viewer.actor, item_id, clock_of(request).today(), late=late)
    except LateAppealError as exc:
        detail = denial_work.denial_item(session, viewer.actor, item_id)
        context = {"viewer": viewer, "item": detail.item, "message": str(exc)}
        return render(request, "denials/late.html", context, 409)
    item = denial_work.denial_item(session, viewer.actor, item_id).item
    name = re.sub(r"[^A-Za-z0-9-]", "", item.patient_control_number) or str(item.claim_id)
    return pdf_response(pdf, f"appeal-{name}-{item.appeal.name}.pdf", inline=True)


@router.get("/denials/{claim_id}/appeal.pdf")
def appeal_packet(claim_id: RecordId, request: Request, viewer: CurrentViewer, session: SessionDep) -> Response:
    claim = billing.get_claim(session, viewer.actor, claim_id)  # another clinic's claim: NotFoundError → 404
    pdf = build_appeal_pdf(session, viewer.actor, claim_id, today=clock_of(request).today())
    name = re.sub(r"[^A-Za-z0-9-]", "", claim.patient_control_number) or str(claim_id)
    return pdf_response(pdf, f"appeal-{name}.pdf", inline=True)
