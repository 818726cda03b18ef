"""The claims list and a batch's claims, as the pages show them: one page of claims at a time, read with
only the rows shown (their lines, their notes' patient names, their accounts), never the clinic's every
claim and note.

``claims_page`` pages the batched claims (newest first) under a filter by payer, status and visit dates,
with the number matching; ``waiting_claims`` lists the claims in no batch yet (what the batch form sends);
``batch_claims`` the claims of one batch. Every read is audited as a read of the claim list.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session, selectinload

from ptbill.domain.status import ClaimState
from ptbill.remittance.accounting import ClaimAccount
from ptbill.rules.filing_limit import FilingLimit
from ptbill.services.access import Actor
from ptbill.services.audit import audit
from ptbill.services.balances import claim_balances
from ptbill.services.billing import ClaimRecord, claim_record
from ptbill.services.patient_fields import FieldProblemsError
from ptbill.services.queue_filters import PAGE_SIZES, Paging, read_date_range, read_paging
from ptbill.services.timely_filing import FilingLimits, unsent_limit
from ptbill.storage.tables import ClaimRow, EncounterRow

CLAIM_FILTER_FIELDS = ("payer", "status", "from", "to")
CLAIM_STATUSES = tuple(state.value for state in ClaimState)
CLAIM_PAGE_SIZES = PAGE_SIZES
BATCH_PAGE_SIZE = 100
CENT = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class ClaimFilter:
    """What narrows the batched claims; every field None means all of them. Dates are the visit's."""

    payer: str | None = None
    status: str | None = None
    date_from: date | None = None
    date_to: date | None = None

    def query(self) -> dict[str, str]:
        values = {"payer": self.payer, "status": self.status, "from": self.date_from, "to": self.date_to}
        return {key: str(value) for key, value in values.items() if value is not None}

    @property
    def active(self) -> bool:
        return bool(self.query())


def read_claim_filter(values: Mapping[str, str | None], payers: Sequence[str] = ()) -> ClaimFilter:
    """The filter from typed text; an empty value is no filter. Raises ``FieldProblemsError`` naming each bad
    field (the message never repeats what was typed)."""
    given = {key: (values.get(key) or "").strip() for key in CLAIM_FILTER_FIELDS}
    problems: dict[str, str] = {}
    payer = given["payer"] or None
    if payer is not None and payer not in payers:
        problems["payer"] = "no claim of this clinic goes to this payer"
    status = given["status"] or None
    if status is not None and status not in CLAIM_STATUSES:
        problems["status"] = "not a claim status (" + ", ".join(CLAIM_STATUSES) + ")"
    days = read_date_range(given, problems)
    if problems:
        raise FieldProblemsError(problems)
    return ClaimFilter(payer, status, days["from"], days["to"])


def read_claim_paging(page: str | None, per_page: str | None, default_size: int | None = None) -> Paging:
    """The page asked for; ``default_size`` when no size is given (else the queue's default)."""
    if not per_page and default_size is not None:
        per_page = str(default_size)
    return read_paging(page, per_page)


@dataclass(frozen=True, slots=True)
class ClaimListRow:
    """A claim as a list shows it: the claim, its note's patient, and its account once an 835 answered it."""

    claim: ClaimRecord
    patient: str
    account: ClaimAccount | None = None
    filing: FilingLimit | None = None  # the payer's filing limit while the claim waits to be sent (with today)


@dataclass(frozen=True, slots=True)
class ClaimsPage:
    rows: list[ClaimListRow]
    total: int  # batched claims matching the filter, on every page
    paging: Paging

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.paging.per_page))


def _patient_name(document: Mapping[str, Any] | None) -> str:
    patient = (document or {}).get("patient") or {}
    return f"{patient.get('last_name', '')}, {patient.get('first_name', '')}".strip(", ")


def _claims(
    session: Session, actor: Actor, where: Sequence[ColumnElement[bool]], offset: int = 0, limit: int | None = None
) -> list[ClaimRecord]:
    query = (
        select(ClaimRow)
        .where(ClaimRow.clinic_id == actor.clinic_id, *where)
        .order_by(ClaimRow.id.desc())
        .options(selectinload(ClaimRow.lines))
        .offset(offset)
        .limit(limit)
    )
    return [claim_record(row) for row in session.scalars(query)]


def _patients(session: Session, actor: Actor, claims: Sequence[ClaimRecord]) -> dict[int, str]:
    """The patient's name on each listed claim's note, reading only those notes."""
    ids = sorted({c.encounter_id for c in claims})
    names: dict[int, str] = {}
    for start in range(0, len(ids), 1000):
        query = select(EncounterRow.id, EncounterRow.document).where(
            EncounterRow.clinic_id == actor.clinic_id, EncounterRow.id.in_(ids[start : start + 1000])
        )
        names.update((encounter_id, _patient_name(document)) for encounter_id, document in session.execute(query))
    return names


def _limits(
    session: Session, actor: Actor, claims: Sequence[ClaimRecord], today: date | None
) -> list[FilingLimit | None]:
    if today is None:
        return [None] * len(claims)
    limits = FilingLimits(session, actor.clinic_id, today)
    return [unsent_limit(limits, c.status, c.payer_id, c.service_date) for c in claims]


def _rows(
    session: Session, actor: Actor, claims: Sequence[ClaimRecord], today: date | None = None
) -> list[ClaimListRow]:
    names = _patients(session, actor, claims)
    limits = _limits(session, actor, claims, today)
    return [ClaimListRow(c, names.get(c.encounter_id, ""), None, f) for c, f in zip(claims, limits, strict=True)]


def claim_payers(session: Session, actor: Actor) -> list[str]:
    """The payer ids the clinic's claims go to (what the payer filter offers and accepts)."""
    query = select(ClaimRow.payer_id).where(ClaimRow.clinic_id == actor.clinic_id).group_by(ClaimRow.payer_id)
    return sorted(session.scalars(query))


def waiting_claims(session: Session, actor: Actor, today: date | None = None) -> list[ClaimListRow]:
    """The clinic's claims in no batch yet, newest first: what the batch form offers (with ``today``, each
    with its payer's filing limit)."""
    claims = _claims(session, actor, [ClaimRow.batch_id.is_(None)])
    audit(session, actor, "read", "claim_list", None, f"{len(claims)} claims waiting for a batch")
    return _rows(session, actor, claims, today)


def _conditions(claim_filter: ClaimFilter) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = [ClaimRow.batch_id.is_not(None)]
    if claim_filter.payer is not None:
        where.append(ClaimRow.payer_id == claim_filter.payer)
    if claim_filter.status is not None:
        where.append(ClaimRow.status == claim_filter.status)
    if claim_filter.date_from is not None:
        where.append(ClaimRow.service_date >= claim_filter.date_from)
    if claim_filter.date_to is not None:
        where.append(ClaimRow.service_date <= claim_filter.date_to)
    return where


def claims_page(
    session: Session, actor: Actor, claim_filter: ClaimFilter, paging: Paging, today: date | None = None
) -> ClaimsPage:
    """One page of the clinic's batched claims under the filter, newest first, each with its account; a
    page past the end shows the last page."""
    where = _conditions(claim_filter)
    total = session.scalar(select(func.count(ClaimRow.id)).where(ClaimRow.clinic_id == actor.clinic_id, *where)) or 0
    paging = paging.last(total)
    claims = _claims(session, actor, where, paging.offset, paging.per_page)
    audit(session, actor, "read", "claim_list", None, f"{len(claims)} of {total} batched claims")
    names = _patients(session, actor, claims)
    answered = claim_balances(session, actor, claims)
    rows = [
        ClaimListRow(claim, names.get(claim.encounter_id, ""), entry.account if entry.account.answers else None, f)
        for claim, entry, f in zip(claims, answered, _limits(session, actor, claims, today), strict=True)
    ]
    return ClaimsPage(rows, total, paging)


@dataclass(frozen=True, slots=True)
class BatchClaims:
    rows: list[ClaimListRow]  # the page's claims, newest first
    count: int  # every claim of the batch
    total_charge: Decimal  # of every claim of the batch
    paging: Paging

    @property
    def pages(self) -> int:
        return max(1, -(-self.count // self.paging.per_page))


def batch_claims(
    session: Session, actor: Actor, batch_id: int, paging: Paging, today: date | None = None
) -> BatchClaims:
    """One page of the claims of one of the clinic's batches, newest first, with the whole batch's count and
    charge; a page past the end shows the last page."""
    mine = (ClaimRow.clinic_id == actor.clinic_id, ClaimRow.batch_id == batch_id)
    count, total = session.execute(select(func.count(ClaimRow.id), func.sum(ClaimRow.total_charge)).where(*mine)).one()
    paging = paging.last(count or 0)
    claims = _claims(session, actor, [ClaimRow.batch_id == batch_id], paging.offset, paging.per_page)
    audit(session, actor, "read", "claim_list", None, f"{len(claims)} of {count} claims of batch {batch_id}")
    return BatchClaims(_rows(session, actor, claims, today), count or 0, Decimal(total or 0).quantize(CENT), paging)


def count_waiting(session: Session, actor: Actor) -> int:
    """How many of the clinic's claims are in no batch yet."""
    query = select(func.count(ClaimRow.id)).where(ClaimRow.clinic_id == actor.clinic_id, ClaimRow.batch_id.is_(None))
    return session.scalar(query) or 0
