"""The biller's work queue: signed notes not yet billed, by verdict (ready / needs attention / blocked by
errors), filtered by payer, therapist, date of service, rule and expected payment, a page at a time.

Drafts are the therapist's (``services.note_list``), never the biller's. A page is two queries: the page's
ids in the queue's order (an index on clinic, status, date of service, id), then their list columns, the
patient's name from the patients table and the latest check joined through max(encounter_checks.id). The
check's expected payment and its findings' rule ids are columns (0013_queue), so the amount and rule filters
read no JSON, and they read them by a subquery per note from the index on the checks (a join made PostgreSQL
hash every check of the clinic). One grouped query counts and totals every tab under the same WHERE, so the
tab counts match the filters. Nothing loads a note's document; only the page's rows bring their check's
findings and lines.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, and_, func, literal_column, or_, select
from sqlalchemy.orm import Session, aliased

from ptbill.domain.clock import SYSTEM_CLOCK, Clock
from ptbill.domain.status import EncounterState
from ptbill.reference.catalog import default_catalog
from ptbill.services.access import BILLERS, Actor, ConflictError, InvalidChangeError, NotFoundError, require_role
from ptbill.services.audit import audit
from ptbill.services.billing import ClaimRecord, build_claims
from ptbill.services.queue_filters import TABS, Paging, QueueFilter
from ptbill.storage.tables import EncounterCheckRow, EncounterRow, PatientRow, UserRow

CENT = Decimal("0.01")
_Q = TypeVar("_Q", bound="Select[*tuple[Any, ...]]")
_LATEST = aliased(EncounterCheckRow, name="latest_check")
_EARLIER = aliased(EncounterCheckRow, name="any_check")


@dataclass(frozen=True, slots=True)
class QueueItem:
    """A signed note on the queue: the list's columns (the API's encounter summary fields among them)."""

    id: int
    patient_id: int
    external_id: str
    date_of_service: date
    payer_id: str
    payer_name: str
    status: str
    version: int
    verdict: str | None
    tab: str
    therapist_user_id: int | None
    therapist_name: str
    signed_by_user_id: int | None
    signed_at: datetime | None
    updated_at: datetime
    patient_name: str
    chart_number: str
    codes: tuple[str, ...]
    expected: Decimal | None
    reasons: tuple[dict[str, Any], ...]  # the latest check's errors and warnings


@dataclass(frozen=True, slots=True)
class QueuePage:
    tab: str
    filters: QueueFilter
    paging: Paging
    total: int  # notes in this tab matching the filters
    pages: int
    counts: dict[str, int]  # per tab, same filters
    totals: dict[str, Decimal]  # expected payment per tab, same filters
    items: tuple[QueueItem, ...]


@dataclass(frozen=True, slots=True)
class QueueChoices:
    """What the filter form offers: the payers and therapists of the signed notes waiting."""

    payers: tuple[tuple[str, str], ...]  # id, name
    therapists: tuple[tuple[int, str], ...]


@dataclass(frozen=True, slots=True)
class SkippedNote:
    encounter_id: int
    reason: str


@dataclass(frozen=True, slots=True)
class BulkResult:
    """Claims built from a selection; the notes skipped because their state changed, each with why."""

    built: tuple[ClaimRecord, ...]
    skipped: tuple[SkippedNote, ...]
    matched: int  # notes the selection named when the server read it
    seen: int | None  # how many the biller was shown as selected, when the form said


def _tab() -> ColumnElement[str]:
    # A literal, not a bound value: PostgreSQL must see the GROUP BY expression as the selected one.
    return func.coalesce(EncounterRow.verdict, literal_column("'blocked'"))


def _in_tab(tab: str) -> ColumnElement[bool]:
    """The notes of a tab, written so the index on (clinic, status, verdict, date of service, id) answers it."""
    if tab == "blocked":
        return or_(EncounterRow.verdict == "blocked", EncounterRow.verdict.is_(None))
    return EncounterRow.verdict == tab


def _latest_id() -> Any:
    """The id of the note's latest check: max(encounter_checks.id) for it, an index lookup per note."""
    return (
        select(func.max(_EARLIER.id)).where(_EARLIER.encounter_id == EncounterRow.id).correlate(EncounterRow)
    ).scalar_subquery()


def _latest(column: Any) -> Any:
    """A column of the note's latest check, as a subquery per note: an index-only lookup on
    ix_encounter_checks_latest (encounter, id, expected payment, rules). Joined instead, PostgreSQL hashed every
    check of every note (26 ms for the tab counts of 884 notes; 2.4 ms this way)."""
    return (
        select(column)
        .where(_EARLIER.encounter_id == EncounterRow.id)
        .correlate(EncounterRow)
        .order_by(_EARLIER.id.desc())
        .limit(1)
        .scalar_subquery()
    )


def _joined(session: Session, actor: Actor, query: _Q, filters: QueueFilter) -> _Q:
    """``query`` over the clinic's signed notes with the filters (rule and amount read the latest check)."""
    query = query.select_from(EncounterRow)
    query = query.where(EncounterRow.clinic_id == actor.clinic_id, EncounterRow.status == EncounterState.SIGNED)
    conditions: list[ColumnElement[bool]] = []
    if filters.payer is not None:
        conditions.append(EncounterRow.payer_id == filters.payer)
    if filters.therapist is not None:
        conditions.append(EncounterRow.therapist_user_id == filters.therapist)
    if filters.date_from is not None:
        conditions.append(EncounterRow.date_of_service >= filters.date_from)
    if filters.date_to is not None:
        conditions.append(EncounterRow.date_of_service <= filters.date_to)
    if filters.rule is not None:
        conditions.append(_latest(_EARLIER.finding_rules).contains(f" {filters.rule} ", autoescape=True))
    if filters.min_amount is not None:
        conditions.append(_latest(_EARLIER.expected_payment) >= filters.min_amount)
    if filters.max_amount is not None:
        conditions.append(_latest(_EARLIER.expected_payment) <= filters.max_amount)
    return query.where(and_(*conditions)) if conditions else query


def _money(value: object) -> Decimal | None:
    return None if value is None else Decimal(str(value)).quantize(CENT)


def tab_counts(session: Session, actor: Actor, filters: QueueFilter) -> tuple[dict[str, int], dict[str, Decimal]]:
    """How many notes each tab holds under the filters, and their expected payment: one grouped query."""
    tab = _tab().label("tab")
    query = _joined(session, actor, select(tab, func.count(), func.sum(_latest(_EARLIER.expected_payment))), filters)
    counts = dict.fromkeys(TABS, 0)
    totals = dict.fromkeys(TABS, Decimal("0.00"))
    for tab_name, count, total in session.execute(query.group_by(tab)):
        counts[tab_name] = count
        totals[tab_name] = _money(total) or Decimal("0.00")
    return counts, totals


def _codes(lines: Sequence[dict[str, Any]] | None) -> tuple[str, ...]:
    return tuple(
        f"{line['code']}" + (f" ×{line['units']}" if line.get("units", 1) != 1 else "") for line in lines or []
    )


def _items(
    session: Session, actor: Actor, filters: QueueFilter, tab: str, limit: int | None, offset: int
) -> tuple[QueueItem, ...]:
    columns = (
        EncounterRow.id,
        EncounterRow.patient_id,
        EncounterRow.external_id,
        EncounterRow.date_of_service,
        EncounterRow.payer_id,
        EncounterRow.status,
        EncounterRow.version,
        EncounterRow.verdict,
        EncounterRow.therapist_user_id,
        EncounterRow.signed_by_user_id,
        EncounterRow.signed_at,
        EncounterRow.updated_at,
        PatientRow.last_name,
        PatientRow.first_name,
        PatientRow.chart_number,
        _LATEST.findings,
        _LATEST.claim_lines,
        _LATEST.expected_payment.label("expected"),
    )
    # The page's ids first, from the index on (clinic, status, date of service, id); then their columns.
    order = (EncounterRow.date_of_service.desc(), EncounterRow.id.desc())
    chosen = _joined(session, actor, select(EncounterRow.id), filters).where(_in_tab(tab)).order_by(*order)
    page_ids = list(session.scalars(chosen.offset(offset).limit(limit) if limit is not None else chosen.offset(offset)))
    if not page_ids:
        return ()
    query = (
        select(*columns)
        .select_from(EncounterRow)
        .join(PatientRow, PatientRow.id == EncounterRow.patient_id)
        .outerjoin(_LATEST, _LATEST.id == _latest_id())
        .where(EncounterRow.id.in_(page_ids))
        .order_by(*order)
    )
    rows = list(session.execute(query))
    therapist_ids = {row.therapist_user_id for row in rows if row.therapist_user_id is not None}
    names = therapist_names(session, actor, therapist_ids)
    catalog = default_catalog()
    items = []
    for row in rows:
        payer = catalog.payer(row.payer_id)
        reasons = tuple(f for f in row.findings or [] if f.get("severity") in ("error", "warning"))
        items.append(
            QueueItem(
                id=row.id,
                patient_id=row.patient_id,
                external_id=row.external_id,
                date_of_service=row.date_of_service,
                payer_id=row.payer_id,
                payer_name=payer.name if payer else row.payer_id,
                status=row.status,
                version=row.version,
                verdict=row.verdict,
                tab=tab,
                therapist_user_id=row.therapist_user_id,
                therapist_name=names.get(row.therapist_user_id or 0, ""),
                signed_by_user_id=row.signed_by_user_id,
                signed_at=row.signed_at,
                updated_at=row.updated_at,
                patient_name=f"{row.last_name}, {row.first_name}",
                chart_number=row.chart_number,
                codes=_codes(row.claim_lines),
                expected=_money(row.expected),
                reasons=reasons,
            )
        )
    return tuple(items)


def therapist_names(session: Session, actor: Actor, user_ids: set[int]) -> dict[int, str]:
    """The clinic's users' names by id, in one query; an id of no user of the clinic is left out."""
    if not user_ids:
        return {}
    rows = session.execute(
        select(UserRow.id, UserRow.name).where(UserRow.clinic_id == actor.clinic_id, UserRow.id.in_(user_ids))
    )
    return {row.id: row.name for row in rows}


def queue_page(
    session: Session, actor: Actor, filters: QueueFilter, tab: str = "ready", paging: Paging | None = None
) -> QueuePage:
    """A page of one tab under the filters, the counts of every tab, and the page past the end clamped to the
    last one (a link kept from yesterday still shows notes)."""
    tab = tab if tab in TABS else "ready"
    counts, totals = tab_counts(session, actor, filters)
    paging = (paging or Paging()).last(counts[tab])
    items = _items(session, actor, filters, tab, paging.per_page, paging.offset)
    pages = max(1, -(-counts[tab] // paging.per_page))
    audit(
        session,
        actor,
        "read",
        "queue",
        None,
        f"{tab} page {paging.page} of {pages}: {len(items)} of {counts[tab]} notes",
    )
    return QueuePage(tab, filters, paging, counts[tab], pages, counts, totals, items)


def queue_choices(session: Session, actor: Actor) -> QueueChoices:
    signed = and_(EncounterRow.clinic_id == actor.clinic_id, EncounterRow.status == EncounterState.SIGNED)
    catalog = default_catalog()
    payer_ids = sorted(session.scalars(select(EncounterRow.payer_id).where(signed).distinct()))
    therapist_ids = set(
        session.scalars(
            select(EncounterRow.therapist_user_id).where(signed, EncounterRow.therapist_user_id.is_not(None)).distinct()
        )
    )
    names = therapist_names(session, actor, {t for t in therapist_ids if t is not None})
    payers = sorted(((p, (found.name if (found := catalog.payer(p)) else p)) for p in payer_ids), key=lambda x: x[1])
    return QueueChoices(tuple(payers), tuple(sorted(names.items(), key=lambda x: x[1])))


def matching_ids(session: Session, actor: Actor, filters: QueueFilter, tab: str) -> list[int]:
    """Every note of the tab the filters match, in the queue's order: what "select all matching" bills."""
    query = _joined(session, actor, select(EncounterRow.id), filters).where(_in_tab(tab))
    return list(session.scalars(query.order_by(EncounterRow.date_of_service.desc(), EncounterRow.id.desc())))


def build_selected(
    session: Session,
    actor: Actor,
    encounter_ids: Sequence[int],
    *,
    seen: int | None = None,
    clock: Clock = SYSTEM_CLOCK,
) -> BulkResult:
    """A claim for each note, each in a savepoint of its own: a note billed by another request, or whose
    check now blocks it, is skipped and named, and the others are still built."""
    require_role(actor, BILLERS)
    ids = list(dict.fromkeys(encounter_ids))
    built: list[ClaimRecord] = []
    skipped: list[SkippedNote] = []
    for encounter_id in ids:
        try:
            with session.begin_nested():
                built.extend(build_claims(session, actor, [encounter_id], clock=clock))
        except (ConflictError, NotFoundError, InvalidChangeError) as exc:
            skipped.append(SkippedNote(encounter_id, str(exc)))
    return BulkResult(tuple(built), tuple(skipped), len(ids), seen)


def build_matching(
    session: Session,
    actor: Actor,
    filters: QueueFilter,
    tab: str,
    *,
    seen: int | None = None,
    clock: Clock = SYSTEM_CLOCK,
) -> BulkResult:
    """Claims for every note matching the filters in a billable tab, the query run again now."""
    require_role(actor, BILLERS)
    if tab not in ("ready", "needs_attention"):
        raise ConflictError("only the ready and needs-attention tabs can be billed: blocked notes have errors")
    ids = matching_ids(session, actor, filters, tab)
    audit(session, actor, "read", "queue", None, f"select all matching in {tab}: {len(ids)} notes")
    return build_selected(session, actor, ids, seen=seen, clock=clock)


def work_queue(
    session: Session, actor: Actor, filters: QueueFilter | None = None
) -> dict[str, list[tuple[QueueItem, list[dict[str, Any]]]]]:
    """Every signed note not yet billed, by tab, each with its reasons, unpaged (the command line and tests;
    the pages and the API read ``queue_page``)."""
    filters = filters or QueueFilter()
    queue = {
        tab: [(item, list(item.reasons)) for item in _items(session, actor, filters, tab, None, 0)] for tab in TABS
    }
    audit(session, actor, "read", "queue", None, f"{sum(len(v) for v in queue.values())} notes")
    return queue
