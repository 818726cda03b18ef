"""837P batches: a claim goes into one batch only, and a batch is marked submitted all or nothing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ptbill.claims.trading import TradingConfig
from ptbill.claims.x12_837p.writer import ClaimRejectedError
from ptbill.domain.clock import SYSTEM_CLOCK, Clock
from ptbill.domain.status import BatchState, ClaimState, refusal, refusals
from ptbill.services.access import BILLERS, Actor, ConflictError, owned_row, require_role
from ptbill.services.audit import audit
from ptbill.services.billing import claim_domain, claim_row, rows_changed
from ptbill.services.claims import write_837p
from ptbill.services.records import copy_of
from ptbill.services.timely_filing import guard_late_claims
from ptbill.storage.control_numbers import StoredControlNumbers
from ptbill.storage.tables import ClaimBatchRow, ClaimRow


@dataclass(frozen=True, slots=True)
class Batch:
    """An 837P batch: its claims' count, its first interchange's control number and the file as built."""

    id: int
    clinic_id: int
    format: str
    status: str
    interchange_control_number: int | None
    claim_count: int
    content: str
    created_by_user_id: int | None
    created_at: datetime
    submitted_at: datetime | None


def create_batch(
    session: Session,
    actor: Actor,
    claim_ids: Sequence[int],
    trading: TradingConfig,
    *,
    clock: Clock = SYSTEM_CLOCK,
    confirm_late: bool = False,
) -> Batch:
    """One 837P batch of the clinic's claims, with control numbers drawn from the database.

    A claim goes into one batch only: its row is locked (PostgreSQL) or the database's single writer is
    held (SQLite) before its batch is read, and the move into the batch only takes claims in no batch.
    Of two requests at the same moment, the later gets ConflictError naming the claims already batched.
    A claim past its payer's filing limit is refused (``LateFilingError`` names it) unless ``confirm_late``.
    """
    require_role(actor, BILLERS)
    ids = list(dict.fromkeys(claim_ids))  # a claim listed twice is sent once
    if not ids:
        raise ConflictError("choose at least one claim for the batch")
    rows = [claim_row(session, actor, claim_id) for claim_id in ids]
    session.flush()  # on SQLite, this first write takes the writer lock, so what is read next stays true
    batched = {
        claim_id: batch_id
        for claim_id, batch_id in session.execute(
            select(ClaimRow.id, ClaimRow.batch_id).where(ClaimRow.id.in_(ids)).order_by(ClaimRow.id).with_for_update()
        )
        if batch_id is not None
    }
    if batched:
        raise ConflictError(_already_batched(batched))
    unsent = [(row.id, row.status, row.payer_id, row.service_date) for row in rows]
    guard_late_claims(session, actor, unsent, clock.today(), confirmed=confirm_late)
    claims = [claim_domain(session, actor, row, clock=clock) for row in rows]
    try:
        batches = write_837p(claims, trading, StoredControlNumbers(session))
    except ClaimRejectedError as exc:
        raise ConflictError(str(exc)) from None
    batch = ClaimBatchRow(
        clinic_id=actor.clinic_id,
        format="837p",
        status=BatchState.BUILT,
        interchange_control_number=batches[0].control_numbers.interchange,
        claim_count=len(rows),
        content="".join(b.text for b in batches),
        created_by_user_id=actor.user_id,
    )
    session.add(batch)
    session.flush()
    taken = rows_changed(
        session,
        update(ClaimRow)
        .where(ClaimRow.clinic_id == actor.clinic_id, ClaimRow.id.in_(ids), ClaimRow.batch_id.is_(None))
        .values(batch_id=batch.id),
    )
    if taken != len(ids):  # cannot happen after the locked read; the guard says so if it ever does
        raise ConflictError(f"claims {', '.join(map(str, ids))} changed while the batch was built; try again")
    for row in rows:
        session.expire(row, ["batch_id"])
    audit(session, actor, "create", "claim_batch", str(batch.id), f"{len(rows)} claims")
    return copy_of(Batch, batch)


def _already_batched(batched: dict[int, int]) -> str:
    by_batch: dict[int, list[int]] = {}
    for claim_id, batch_id in sorted(batched.items()):
        by_batch.setdefault(batch_id, []).append(claim_id)
    where = "; ".join(
        f"claim{'s' if len(ids) > 1 else ''} {', '.join(map(str, ids))} already in batch {batch_id}"
        for batch_id, ids in sorted(by_batch.items())
    )
    return f"{where}: a claim goes into one batch only; no batch was made"


def _batch_row(session: Session, actor: Actor, batch_id: int) -> ClaimBatchRow:
    row = owned_row(session, actor, ClaimBatchRow, batch_id, "batch")
    audit(session, actor, "export", "claim_batch", str(batch_id))
    return row


def get_batch(session: Session, actor: Actor, batch_id: int) -> Batch:
    """The batch with its 837P text, as stored when it was built; reading it is audited as an export."""
    return copy_of(Batch, _batch_row(session, actor, batch_id))


def batch_summary(session: Session, actor: Actor, batch_id: int) -> Batch:
    """The batch for its page (its file's text included, to read ISA15): a read, not an export."""
    row = owned_row(session, actor, ClaimBatchRow, batch_id, "batch")
    audit(session, actor, "read", "claim_batch", str(batch_id))
    return copy_of(Batch, row)


def list_batches(session: Session, actor: Actor) -> list[Batch]:
    rows = session.scalars(
        select(ClaimBatchRow).where(ClaimBatchRow.clinic_id == actor.clinic_id).order_by(ClaimBatchRow.id.desc())
    )
    return [copy_of(Batch, row) for row in rows]


def mark_batch_submitted(
    session: Session, actor: Actor, batch_id: int, *, clock: Clock = SYSTEM_CLOCK, confirm_late: bool = False
) -> Batch:
    """The batch and its claims become submitted, all or nothing: a claim the payer has already answered
    (paid, denied ...) keeps its status, and the batch is refused with the claims named; so is a batch with a
    claim past its payer's filing limit on the day it is sent, unless ``confirm_late``."""
    require_role(actor, BILLERS)
    batch = _batch_row(session, actor, batch_id)
    session.flush()  # on SQLite, this first write takes the writer lock, so what is read next stays true
    current = session.scalar(select(ClaimBatchRow.status).where(ClaimBatchRow.id == batch_id).with_for_update())
    if current == BatchState.SUBMITTED and batch.submitted_at is not None:
        raise ConflictError(f"batch {batch_id} was already submitted on {batch.submitted_at:%Y-%m-%d}")
    problem = refusal(f"batch {batch_id}", current or "", BatchState.SUBMITTED)
    if problem:
        raise ConflictError(problem)
    found = session.execute(
        select(ClaimRow.id, ClaimRow.status, ClaimRow.payer_id, ClaimRow.service_date)
        .where(ClaimRow.batch_id == batch_id)
        .order_by(ClaimRow.id)
        .with_for_update()
    ).all()
    claims = [(claim_id, status) for claim_id, status, _payer, _day in found]
    problem = refusals("its claims", claims, ClaimState.SUBMITTED)
    if problem:
        raise ConflictError(f"batch {batch_id} cannot be marked submitted: {problem}; nothing was changed")
    unsent = [(claim_id, status, payer, day) for claim_id, status, payer, day in found]
    guard_late_claims(session, actor, unsent, clock.today(), confirmed=confirm_late)
    now = clock.now()
    moved = rows_changed(
        session,
        update(ClaimRow)
        .where(ClaimRow.batch_id == batch_id, ClaimRow.status == ClaimState.BUILT)
        .values(status=ClaimState.SUBMITTED, submitted_at=now),
    )
    marked = rows_changed(
        session,
        update(ClaimBatchRow)
        .where(ClaimBatchRow.id == batch_id, ClaimBatchRow.status == BatchState.BUILT)
        .values(status=BatchState.SUBMITTED, submitted_at=now),
    )
    if moved != len(claims) or marked != 1:  # cannot happen after the locked reads
        raise ConflictError(f"batch {batch_id} changed while it was being marked; reload and try again")
    session.expire_all()  # the batch and its claims, as loaded, predate the UPDATEs
    audit(session, actor, "update", "claim_batch", str(batch_id), "submitted")
    return copy_of(Batch, batch)
