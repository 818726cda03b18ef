"""Working the denial items: the filtered worklist with its counts, one item with its history, and the
changes a biller makes (status, assignee, follow-up date, appeal level, notes), every one audited.

A change names the status the biller saw (``expected_status``) and is written by compare-and-set:
``UPDATE denial_items ... WHERE id = :id AND status = :expected``. When another user changed the item
first, nothing is written and ``ConflictError`` (409) says what it is now.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import CursorResult, func, insert, select, update
from sqlalchemy.orm import Session

from ptbill.domain.clock import Clock
from ptbill.domain.status import DenialState, refusal
from ptbill.domain.vocabulary import BILLERS
from ptbill.remittance.appeal_levels import MAX_LEVEL
from ptbill.services.access import Actor, ConflictError, InvalidChangeError, require_role
from ptbill.services.audit import audit
from ptbill.services.check_results import stored_rules_fired
from ptbill.services.denial_items import (
    CLOSED,
    DenialItem,
    _item,
    ensure_backfilled,
    item_query,
    patient_names,
    record_of_row,
)
from ptbill.storage.tables import ClaimRow, DenialItemEventRow, DenialItemRow, EncounterRow, UserRow

ZERO = Decimal("0.00")
MAX_NOTE = 2000
FOLLOW_UPS = ("due", "overdue")
_USER_ID = re.compile(r"[1-9][0-9]{0,17}")
_PAYER_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,59}")


@dataclass(frozen=True, slots=True)
class DenialFilter:
    """What the worklist shows. ``status``: a DenialState value, ``open`` (all but written off and resolved)
    or ``all``; ``assignee``: ``mine``, ``none`` or a user id; ``reason``: a key like ``CO-197``;
    ``follow_up``: ``due`` (on or before today) or ``overdue`` (before today)."""

    status: str = "open"
    assignee: str | None = None
    payer: str | None = None
    reason: str | None = None
    follow_up: str | None = None


@dataclass(frozen=True, slots=True)
class DenialPage:
    items: list[DenialItem]
    total: int  # items matching the filters, over all pages
    denied_total: Decimal
    by_status: dict[str, int]  # counts under the other filters, whatever the status filter
    past_deadline: int
    due_soon: int
    follow_up_due: int
    payers: list[tuple[str, str]]  # (id, name) of the payers among the clinic's items
    reasons: list[str]  # keys among the clinic's items
    offset: int = 0
    limit: int = 50


@dataclass(frozen=True, slots=True)
class DenialEvent:
    at: object
    user_name: str | None
    kind: str
    text: str


@dataclass(frozen=True, slots=True)
class DenialDetail:
    item: DenialItem
    events: list[DenialEvent] = field(default_factory=list)
    patient_name: str = ""
    rules_failing_now: tuple[str, ...] = ()  # of the checks that should have caught it, those the note still fails


def _check_filter(filters: DenialFilter) -> None:
    statuses = {"open", "all", *(s.value for s in DenialState)}
    if filters.status not in statuses:
        raise InvalidChangeError("status", f"status must be one of {', '.join(sorted(statuses))}")
    if filters.payer is not None and not _PAYER_ID.fullmatch(filters.payer):
        raise InvalidChangeError("payer", "payer must be a payer id from the list (letters, digits and hyphens)")
    if filters.reason is not None and not filters.reason.isprintable():
        raise InvalidChangeError("reason", "reason must be a code like CO-16 or CO-16 / N443")
    if filters.follow_up not in (None, *FOLLOW_UPS):
        raise InvalidChangeError("follow_up", "follow_up must be due or overdue")
    if filters.assignee not in (None, "mine", "none") and not _USER_ID.fullmatch(filters.assignee or ""):
        raise InvalidChangeError("assignee", "assignee must be mine, none or a user id")


def denial_items(
    session: Session, actor: Actor, filters: DenialFilter, clock: Clock, *, offset: int = 0, limit: int = 50
) -> DenialPage:
    """The clinic's denial items matching ``filters``, the appeal due soonest first, one page of them."""
    require_role(actor, BILLERS)
    _check_filter(filters)
    ensure_backfilled(session, actor)
    today = clock.today()
    query = item_query(actor.clinic_id)
    if filters.assignee == "mine":
        query = query.where(DenialItemRow.assignee_id == actor.user_id)
    elif filters.assignee == "none":
        query = query.where(DenialItemRow.assignee_id.is_(None))
    elif filters.assignee:
        query = query.where(DenialItemRow.assignee_id == int(filters.assignee))
    if filters.payer:
        query = query.where(ClaimRow.payer_id == filters.payer)
    if filters.follow_up == "due":
        query = query.where(DenialItemRow.follow_up <= today)
    elif filters.follow_up == "overdue":
        query = query.where(DenialItemRow.follow_up < today)
    everything = [record_of_row(row) for row in session.execute(query.order_by(DenialItemRow.id))]
    payers = sorted({(i.payer_id, i.payer_name) for i in everything}, key=lambda p: p[1])
    reasons = sorted({i.key for i in everything})
    if filters.reason:
        everything = [i for i in everything if i.key == filters.reason or i.key.split(" / ")[0] == filters.reason]
    by_status = {s.value: 0 for s in DenialState}
    for item in everything:
        by_status[item.status] = by_status.get(item.status, 0) + 1
    if filters.status == "open":
        chosen = [i for i in everything if i.open]
    elif filters.status == "all":
        chosen = everything
    else:
        chosen = [i for i in everything if i.status == filters.status]
    # Open items whose appeal can still be filed first, the soonest deadline first; then those past it.
    chosen.sort(
        key=lambda i: (not i.open, (i.appeal.deadline or date.max) < today, i.appeal.deadline or date.max, i.id)
    )
    states = [i.deadline_state(today)[0] for i in chosen if i.open]
    audit(session, actor, "read", "denial_items", None, f"{len(chosen)} items")
    return DenialPage(
        chosen[offset : offset + limit],
        len(chosen),
        sum((i.denied_amount for i in chosen), ZERO),
        by_status,
        states.count("past"),
        states.count("soon"),
        sum(1 for i in chosen if i.open and i.follow_up is not None and i.follow_up <= today),
        payers,
        reasons,
        offset,
        limit,
    )


def denial_item(session: Session, actor: Actor, item_id: int) -> DenialDetail:
    """One item with its history, oldest event first (audited as a read)."""
    require_role(actor, BILLERS)
    item = _item(session, actor, item_id)
    events = [
        DenialEvent(at, name, kind, text)
        for at, name, kind, text in session.execute(
            select(DenialItemEventRow.at, UserRow.name, DenialItemEventRow.kind, DenialItemEventRow.text)
            .outerjoin(UserRow, UserRow.id == DenialItemEventRow.user_id)
            .where(DenialItemEventRow.clinic_id == actor.clinic_id, DenialItemEventRow.item_id == item_id)
            .order_by(DenialItemEventRow.id)
        )
    ]
    note = session.get(EncounterRow, item.encounter_id)
    fired = (
        stored_rules_fired(session, actor.clinic_id, [note]).get(item.encounter_id, frozenset())
        if note
        else frozenset()
    )
    audit(session, actor, "read", "denial_item", str(item_id))
    name = patient_names(session, actor, [item.encounter_id]).get(item.encounter_id, "")
    return DenialDetail(item, events, name, tuple(r for r in item.reason.rules if r in fired))


def assignable_users(session: Session, actor: Actor) -> list[tuple[int, str]]:
    """The clinic's active billers and admins: who a denial can be assigned to."""
    require_role(actor, BILLERS)
    rows = session.execute(
        select(UserRow.id, UserRow.name)
        .where(UserRow.clinic_id == actor.clinic_id, UserRow.active.is_(True), UserRow.role.in_(list(BILLERS)))
        .order_by(UserRow.name)
    )
    return [(user_id, name) for user_id, name in rows]


_UNSET: object = object()


def update_denial_item(
    session: Session,
    actor: Actor,
    item_id: int,
    *,
    expected_status: str,
    clock: Clock,
    status: str | None = None,
    assignee_id: int | object | None = _UNSET,
    follow_up: date | object | None = _UNSET,
    decision_date: date | None = None,
) -> DenialItem:
    """Change an item if it is still in ``expected_status``. ``status`` ``appealed`` on an appealed item
    is the next appeal level, which needs the ``decision_date`` of the level before."""
    require_role(actor, BILLERS)
    current = _item(session, actor, item_id)
    try:
        expected = DenialState(expected_status)
    except ValueError:
        raise InvalidChangeError("expected_status", f"expected_status {expected_status!r} is not a status") from None
    if current.status != expected:
        raise ConflictError(f"denial item {item_id} is {current.status} now, not {expected}: reload it and try again")
    values: dict[str, object] = {}
    events: list[tuple[str, str]] = []
    if status is not None:
        try:
            target = DenialState(status)
        except ValueError:
            choices = ", ".join(s.value for s in DenialState)
            raise InvalidChangeError("status", f"status must be one of {choices}") from None
        next_level = target is DenialState.APPEALED and expected is DenialState.APPEALED
        if next_level:
            if decision_date is None:
                raise InvalidChangeError(
                    "decision_date", "decision_date: the next appeal level needs the date of the decision"
                )
            if current.appeal_level >= MAX_LEVEL:
                raise ConflictError(
                    f"denial item {item_id} is at appeal level {current.appeal_level}: ptbill prepares levels 1 "
                    "and 2; a hearing (level 3) is requested from the Office of Medicare Hearings and Appeals"
                )
            if decision_date > clock.today():
                raise InvalidChangeError("decision_date", "decision_date cannot be after today")
            values.update(appeal_level=current.appeal_level + 1, decision_date=decision_date)
            events.append(
                (
                    "appeal",
                    f"Level {current.appeal_level} decided on {decision_date:%m/%d/%Y}; now at level "
                    f"{current.appeal_level + 1}.",
                )
            )
        elif target is not expected:
            why = refusal(f"denial item {item_id}", expected.value, target)
            if why is not None:
                raise ConflictError(why)
            values["status"] = target.value
            events.append(("status", f"{expected.value} → {target.value}"))
            if target is DenialState.APPEALED:
                values["appeal_level"] = max(current.appeal_level, 1)
                events.append(
                    ("appeal", f"Appeal filed: {current.appeal.name} (level {max(current.appeal_level, 1)}).")
                )
    if assignee_id is not _UNSET and assignee_id != current.assignee_id:
        names = dict(assignable_users(session, actor))
        if assignee_id is not None and assignee_id not in names:
            raise InvalidChangeError("assignee_id", "assignee_id must be an active biller or admin of the clinic")
        values["assignee_id"] = assignee_id
        events.append(("assign", f"Assigned to {names[assignee_id]}." if assignee_id is not None else "Unassigned."))
    if follow_up is not _UNSET and follow_up != current.follow_up:
        if isinstance(follow_up, date) and (follow_up.year < 2000 or follow_up.year > 2100):
            raise InvalidChangeError("follow_up", "follow_up must be a day between 2000 and 2100")
        values["follow_up"] = follow_up
        events.append(
            (
                "follow-up",
                f"Follow up on {follow_up:%m/%d/%Y}." if isinstance(follow_up, date) else "Follow-up date cleared.",
            )
        )
    if not values:
        return current
    values["updated_at"] = func.now()
    result = session.execute(
        update(DenialItemRow)
        .where(
            DenialItemRow.id == item_id,
            DenialItemRow.clinic_id == actor.clinic_id,
            DenialItemRow.status == expected.value,
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    changed = cast("CursorResult[Any]", result).rowcount
    if changed != 1:
        raise ConflictError(f"denial item {item_id} was changed by someone else just now: reload it and try again")
    session.execute(
        insert(DenialItemEventRow),
        [
            {"clinic_id": actor.clinic_id, "item_id": item_id, "user_id": actor.user_id, "kind": k, "text": t}
            for k, t in events
        ],
    )
    audit(
        session, actor, "update", "denial_item", str(item_id), ", ".join(sorted(k for k in values if k != "updated_at"))
    )
    session.expire_all()
    return _item(session, actor, item_id)


def add_note(session: Session, actor: Actor, item_id: int, text: str) -> DenialEvent:
    """A note on the item's history."""
    require_role(actor, BILLERS)
    _item(session, actor, item_id)
    clean = " ".join(text.replace("\x00", "").split()) if "\n" not in text else text.replace("\x00", "").strip()
    if not clean:
        raise InvalidChangeError("text", "the note is empty")
    if len(clean) > MAX_NOTE:
        raise InvalidChangeError("text", f"the note is longer than {MAX_NOTE} characters")
    session.add(
        DenialItemEventRow(clinic_id=actor.clinic_id, item_id=item_id, user_id=actor.user_id, kind="note", text=clean)
    )
    session.flush()
    audit(session, actor, "create", "denial_note", str(item_id))
    return DenialEvent(None, actor.name, "note", clean)


def open_items_of_claim(session: Session, actor: Actor, claim_id: int) -> list[int]:
    """Ids of a claim's items not closed (for the legacy per-claim packet)."""
    return list(
        session.scalars(
            select(DenialItemRow.id).where(
                DenialItemRow.clinic_id == actor.clinic_id,
                DenialItemRow.claim_id == claim_id,
                DenialItemRow.status.not_in([s.value for s in CLOSED]),
            )
        )
    )
