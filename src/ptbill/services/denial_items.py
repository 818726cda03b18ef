"""Denials as work: one item per denied or partly denied line of a posted answer, paid claims included.

``open_denial_items`` makes the items, idempotently (unique per answer and line key, inserted with ON
CONFLICT DO NOTHING, so posting the same file twice or two posts at once make each item once). Posting
calls it for the remittance it has just posted. Answers posted before migration 0012 are read on the
clinic's first read of the worklist (``ensure_backfilled``), once, recorded in ``denial_backfills``.

Which lines are denied is ``remittance.denied_lines``: the same reading as ``remittance.accounting``, so a
CO-45 contractual write-off or a PR deductible is never a denial. Reading and changing items: the lists
here, the changes in ``denial_work``.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import exists, func, insert, select
from sqlalchemy.orm import Session

from ptbill.domain.remittance import Adjustment, AdjustmentGroup
from ptbill.domain.status import DenialState
from ptbill.domain.vocabulary import BILLERS
from ptbill.reference.catalog import Snapshot, default_catalog
from ptbill.remittance.appeal_levels import AppealLevel, appeal_level
from ptbill.remittance.denials import DenialReason, classify
from ptbill.remittance.denied_lines import denied_lines
from ptbill.rules.engine import FALLBACK_PAYER
from ptbill.services.access import Actor, NotFoundError, require_role
from ptbill.services.audit import audit
from ptbill.services.balances import payment_of
from ptbill.storage.session import dialect_insert
from ptbill.storage.tables import (
    ClaimPaymentRow,
    ClaimRow,
    DenialBackfillRow,
    DenialItemEventRow,
    DenialItemRow,
    EncounterRow,
    RemittanceRow,
    UserRow,
)

ZERO = Decimal("0.00")
CLOSED = frozenset({DenialState.WRITTEN_OFF, DenialState.RESOLVED})
DUE_SOON_DAYS = 14


# Making items ---------------------------------------------------------------------------------------


def _rows_for(payments: Iterable[ClaimPaymentRow]) -> list[dict[str, Any]]:
    values = []
    for row in payments:
        if row.claim_id is None:
            continue  # an unmatched answer: its denials are worked once it is matched to a claim
        payment, matched = payment_of(row)
        for found in denied_lines(payment, matched):
            values.append(
                {
                    "clinic_id": row.clinic_id,
                    "claim_id": row.claim_id,
                    "claim_payment_id": row.id,
                    "line_key": found.key,
                    "line_index": found.line_index,
                    "line_number": found.line_number,
                    "code": found.code,
                    "carc_group": found.main.group.value if found.main.group else None,
                    "carc": found.main.carc,
                    "rarcs": list(found.main.rarcs),
                    "denied_amount": found.denied,
                    "status": DenialState.NEW.value,
                    "appeal_level": 0,
                }
            )
    return values


def _insert(session: Session, values: list[dict[str, Any]]) -> int:
    if not values:
        return 0
    table = DenialItemRow.__table__
    created = 0
    for start in range(0, len(values), 500):
        statement = (
            dialect_insert(session)(table)
            .values(values[start : start + 500])
            .on_conflict_do_nothing(index_elements=[table.c.claim_payment_id, table.c.line_key])
            .returning(table.c.id, table.c.clinic_id)
        )
        new = list(session.execute(statement))
        created += len(new)
        if new:
            session.execute(
                insert(DenialItemEventRow),
                [
                    {"clinic_id": clinic, "item_id": item, "kind": "created", "text": "Found on a posted remittance."}
                    for item, clinic in new
                ],
            )
    return created


def open_denial_items(session: Session, actor: Actor, *, remittance_id: int | None = None) -> int:
    """Make the work items for the denied lines of one posted remittance, or (``remittance_id`` None) of every
    answer the clinic has posted; returns how many were new. Safe to call again: existing items stay as
    they are (their status, assignee and notes untouched)."""
    require_role(actor, BILLERS)
    query = select(ClaimPaymentRow).where(ClaimPaymentRow.clinic_id == actor.clinic_id)
    if remittance_id is not None:
        query = query.where(ClaimPaymentRow.remittance_id == remittance_id)
    created = 0
    batch: list[ClaimPaymentRow] = []
    for row in session.scalars(query.order_by(ClaimPaymentRow.id)).yield_per(1000):
        batch.append(row)
        if len(batch) == 1000:
            created += _insert(session, _rows_for(batch))
            batch = []
    created += _insert(session, _rows_for(batch))
    if remittance_id is not None and not _backfilled(session, actor.clinic_id):
        earlier = session.scalar(
            select(
                exists().where(
                    ClaimPaymentRow.clinic_id == actor.clinic_id, ClaimPaymentRow.remittance_id != remittance_id
                )
            )
        )
        if not earlier:  # nothing was posted before: no backfill will ever be needed
            _mark_backfilled(session, actor.clinic_id)
    if created:
        where = f"remittance {remittance_id}" if remittance_id is not None else "earlier remittances"
        audit(session, actor, "create", "denial_items", None, f"{created} denied lines from {where}")
    return created


def _backfilled(session: Session, clinic_id: int) -> bool:
    return session.get(DenialBackfillRow, clinic_id) is not None


def _mark_backfilled(session: Session, clinic_id: int) -> None:
    table = DenialBackfillRow.__table__
    session.execute(
        dialect_insert(session)(table)
        .values(clinic_id=clinic_id)
        .on_conflict_do_nothing(index_elements=[table.c.clinic_id])
    )


def ensure_backfilled(session: Session, actor: Actor) -> None:
    """Items for the answers posted before migration 0012: made on the clinic's first read, once."""
    if not _backfilled(session, actor.clinic_id):
        open_denial_items(session, actor)
        _mark_backfilled(session, actor.clinic_id)


# Reading items --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DenialItem:
    """A denied line as the worklist and the item page show it."""

    id: int
    claim_id: int
    claim_payment_id: int
    line_key: str
    line_index: int | None
    line_number: int | None
    code: str | None
    carc_group: str | None
    carc: str | None
    rarcs: tuple[str, ...]
    denied_amount: Decimal
    status: str
    assignee_id: int | None
    assignee_name: str | None
    follow_up: date | None
    appeal_level: int  # 0: not appealed yet; else the level filed
    decision_date: date | None
    created_at: datetime
    updated_at: datetime
    patient_control_number: str
    payer_id: str
    payer_name: str
    service_date: date
    encounter_id: int
    remittance_date: date | None
    payer_claim_number: str | None
    reason: DenialReason
    appeal: AppealLevel  # the level to file next (or filed), its deadline and whether it is assumed

    @property
    def key(self) -> str:
        """The reason code as billers say it: ``CO-197``; ``CO-50 / N661`` with a remark."""
        code = f"{self.carc_group or ''}-{self.carc}" if self.carc else "status 4"
        return code + (f" / {', '.join(self.rarcs)}" if self.rarcs else "")

    @property
    def open(self) -> bool:
        return self.status not in CLOSED

    def deadline_state(self, today: date) -> tuple[str, int | None]:
        """``past``, ``soon`` (within 14 days), ``open`` or ``none`` (no remittance date), and the days left."""
        if self.appeal.deadline is None:
            return "none", None
        days = (self.appeal.deadline - today).days
        if days < 0:
            return "past", days
        return ("soon" if days <= DUE_SOON_DAYS else "open"), days

    def follow_up_state(self, today: date) -> str | None:
        if self.follow_up is None:
            return None
        return "overdue" if self.follow_up < today else ("due" if self.follow_up == today else "later")


@functools.lru_cache(maxsize=4096)
def _snapshot(payer_id: str, day: date) -> Snapshot:
    """The payer's parameters on the day; a payer the catalog does not know reads the default payer's, as
    the check engine does."""
    catalog = default_catalog()
    return catalog.snapshot(payer_id if catalog.payer(payer_id) else FALLBACK_PAYER, day)


def _reason(row: DenialItemRow) -> DenialReason:
    try:
        group = AdjustmentGroup(row.carc_group) if row.carc_group else None
    except ValueError:
        group = None
    if group is None or row.carc is None:
        return DenialReason(
            None,
            tuple(row.rarcs),
            None,
            "The payer denied the claim without an adjustment reason code.",
            "Ask the payer for the reason (claim status inquiry) before correcting or appealing.",
            (),
            True,
        )
    return _classified(group, row.carc, tuple(row.rarcs), Decimal(row.denied_amount))


@functools.lru_cache(maxsize=8192)
def _classified(group: AdjustmentGroup, carc: str, rarcs: tuple[str, ...], amount: Decimal) -> DenialReason:
    """The reason of a denied line (a frozen value): the worklist reads thousands of items, most alike."""
    return classify(Adjustment(group, carc, amount), remarks=rarcs)


_ITEM_COLUMNS = (
    DenialItemRow.id,
    DenialItemRow.claim_id,
    DenialItemRow.claim_payment_id,
    DenialItemRow.line_key,
    DenialItemRow.line_index,
    DenialItemRow.line_number,
    DenialItemRow.code,
    DenialItemRow.carc_group,
    DenialItemRow.carc,
    DenialItemRow.rarcs,
    DenialItemRow.denied_amount,
    DenialItemRow.status,
    DenialItemRow.assignee_id,
    DenialItemRow.follow_up,
    DenialItemRow.appeal_level,
    DenialItemRow.decision_date,
    DenialItemRow.created_at,
    DenialItemRow.updated_at,
    # the item reads four of the claim's columns: its frozen JSON is never loaded for the list
    ClaimRow.payer_id,
    ClaimRow.service_date,
    ClaimRow.patient_control_number,
    ClaimRow.encounter_id,
)


def item_query(clinic_id: int) -> Any:
    """The items' columns, one row each (columns, not ORM rows: the worklist reads thousands); ``record_of``
    makes the record of one."""
    return (
        select(*_ITEM_COLUMNS, RemittanceRow.payment_date, ClaimPaymentRow.payer_claim_number, UserRow.name)
        .join(ClaimRow, ClaimRow.id == DenialItemRow.claim_id)
        .join(ClaimPaymentRow, ClaimPaymentRow.id == DenialItemRow.claim_payment_id)
        .join(RemittanceRow, RemittanceRow.id == ClaimPaymentRow.remittance_id)
        .outerjoin(UserRow, UserRow.id == DenialItemRow.assignee_id)
        .where(DenialItemRow.clinic_id == clinic_id)
    )


def record_of_row(found: Any) -> DenialItem:
    """The record of one row of ``item_query``."""
    return record_of(found, found, found.payment_date, found.payer_claim_number, found.name)


def record_of(row: Any, claim: Any, paid_on: date | None, payer_claim: str | None, name: str | None) -> DenialItem:
    """An item's record from its row (``DenialItemRow`` or a row of ``item_query``) and its claim's columns."""
    payer = default_catalog().payer(claim.payer_id)
    level = appeal_level(
        _snapshot(claim.payer_id, claim.service_date),
        payer.type if payer else None,
        row.appeal_level,
        paid_on,
        row.decision_date,
    )
    return DenialItem(
        row.id, row.claim_id, row.claim_payment_id, row.line_key, row.line_index, row.line_number, row.code,
        row.carc_group, row.carc, tuple(row.rarcs), Decimal(row.denied_amount), row.status, row.assignee_id, name,
        row.follow_up, row.appeal_level, row.decision_date, row.created_at, row.updated_at,
        claim.patient_control_number, claim.payer_id, payer.name if payer else claim.payer_id, claim.service_date,
        claim.encounter_id, paid_on, payer_claim, _reason(row), level,
    )  # fmt: skip


def _item(session: Session, actor: Actor, item_id: int) -> DenialItem:
    found = session.execute(item_query(actor.clinic_id).where(DenialItemRow.id == item_id)).one_or_none()
    if found is None:
        raise NotFoundError(f"denial item {item_id} not found")
    return record_of_row(found)


def patient_names(session: Session, actor: Actor, encounter_ids: Iterable[int]) -> dict[int, str]:
    """The patient's name on each note, as the worklist shows it (read with the items: audited with them)."""
    ids = list(set(encounter_ids))
    names: dict[int, str] = {}
    for start in range(0, len(ids), 1000):
        rows = session.execute(
            select(EncounterRow.id, EncounterRow.document).where(
                EncounterRow.clinic_id == actor.clinic_id, EncounterRow.id.in_(ids[start : start + 1000])
            )
        )
        for encounter_id, document in rows:
            patient = (document or {}).get("patient") or {}
            names[encounter_id] = f"{patient.get('last_name', '')}, {patient.get('first_name', '')}".strip(", ")
    return names


def count_open(session: Session, actor: Actor) -> int:
    return int(
        session.scalar(
            select(func.count()).where(
                DenialItemRow.clinic_id == actor.clinic_id, DenialItemRow.status.not_in([s.value for s in CLOSED])
            )
        )
        or 0
    )
