"""Write-offs: what the clinic decides not to collect on a claim (or one of its lines), with a reason.

A write-off never exceeds what is open: the claim's row is locked (``with_for_update``; on SQLite the first
write takes the writer lock) before the open balance is read, so two billers writing off at once cannot
together take off more than was open. The open balance every consumer reads (``balances.claim_balances``)
has the write-offs taken off.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

from sqlalchemy import select
from sqlalchemy.orm import Session

from ptbill.domain.clock import SYSTEM_CLOCK, Clock
from ptbill.domain.vocabulary import BILLERS
from ptbill.services import write_off_reasons
from ptbill.services.access import Actor, ConflictError, InvalidChangeError, require_role
from ptbill.services.audit import audit
from ptbill.services.balances import PATIENT_SIDE_WRITE_OFFS, OpenBalance, claim_balances
from ptbill.services.billing import claim_record, claim_row
from ptbill.services.patient_ledger import visit_open
from ptbill.services.records import copy_of
from ptbill.storage.tables import ClaimRow, ClaimWriteOffRow

REASONS = write_off_reasons.REASONS  # what the pages and the API offer
MAX_REASON_TEXT = 500
MAX_AMOUNT = Decimal("9999999999.99")
CENT = Decimal("0.01")  # what Numeric(12, 2) holds


@dataclass(frozen=True, slots=True)
class WriteOff:
    id: int
    claim_id: int
    line_number: int | None
    amount: Decimal
    reason_code: str
    reason_text: str | None
    created_by_user_id: int | None
    created_at: datetime

    @property
    def reason(self) -> str:
        return REASONS.get(self.reason_code, self.reason_code)

    @property
    def side(self) -> str:
        return "patient" if self.reason_code in PATIENT_SIDE_WRITE_OFFS else "payer"


def parse_amount(raw: object) -> Decimal:
    """A positive amount of money with at most two decimals, or InvalidChangeError naming the field."""
    try:
        amount = Decimal(str(raw).strip().replace(",", "").lstrip("$"))
    except (InvalidOperation, ValueError):
        raise InvalidChangeError(
            "amount", f"amount: {str(raw)[:20]!r} is not an amount of money (e.g. 12.50)"
        ) from None
    # Bounded first: quantizing 1e999 would raise.
    if not amount.is_finite() or amount <= 0 or amount > MAX_AMOUNT or amount != amount.quantize(CENT):
        raise InvalidChangeError(
            "amount", f"amount: give a positive amount up to {MAX_AMOUNT:,} with at most two decimals (e.g. 12.50)"
        )
    return amount.quantize(CENT)


def open_of(session: Session, actor: Actor, row: ClaimRow) -> OpenBalance:
    (entry,) = claim_balances(session, actor, [claim_record(row)])
    assert entry.open is not None
    return entry.open


def write_off(
    session: Session,
    actor: Actor,
    claim_id: int,
    amount: Decimal,
    reason_code: str,
    reason_text: str | None = None,
    line_number: int | None = None,
    *,
    clock: Clock = SYSTEM_CLOCK,
) -> WriteOff:
    """Write off ``amount`` of the claim's open balance (of one line when given), audited."""
    require_role(actor, BILLERS)
    if reason_code not in REASONS:
        raise InvalidChangeError("reason_code", f"reason_code: choose one of {', '.join(REASONS)}")
    text = (reason_text or "").strip() or None
    if text is not None and (len(text) > MAX_REASON_TEXT or not text.replace("\n", " ").isprintable()):
        raise InvalidChangeError("reason_text", f"reason_text: at most {MAX_REASON_TEXT} printable characters")
    if reason_code == "other" and text is None:
        raise InvalidChangeError("reason_text", "reason_text: say why, for a write-off whose reason is 'other'")
    parse_amount(amount)
    row = claim_row(session, actor, claim_id)
    if line_number is not None and line_number not in {line.line_number for line in row.lines}:
        raise InvalidChangeError("line_number", f"line_number: claim {claim_id} has no line {line_number}")
    session.flush()  # on SQLite this takes the writer lock; on PostgreSQL the claim row is locked next
    session.execute(select(ClaimRow.id).where(ClaimRow.id == row.id).with_for_update())
    open_now = open_of(session, actor, row)
    if amount > open_now.total:
        raise ConflictError(f"amount: {amount} is more than the claim's open balance of {open_now.total}")
    visit_left = visit_open(session, actor, row.id, clock.today())
    if amount > visit_left:
        # The patient's payments and a next payer's answers are on the visit, not on this claim's answers.
        raise ConflictError(
            f"amount: {amount} is more than the visit's open balance of {visit_left} "
            "(after the patient's payments and any next payer)"
        )
    if line_number is not None:
        line = next(line for line in row.lines if line.line_number == line_number)
        taken = session.scalars(
            select(ClaimWriteOffRow.amount).where(
                ClaimWriteOffRow.claim_id == row.id, ClaimWriteOffRow.line_number == line_number
            )
        ).all()
        left = line.charge - line.paid_amount - sum(taken, Decimal("0.00"))
        if amount > left:
            raise ConflictError(f"amount: {amount} is more than line {line_number}'s open {left}")
    stored = ClaimWriteOffRow(
        clinic_id=actor.clinic_id,
        claim_id=row.id,
        line_number=line_number,
        amount=amount,
        reason_code=reason_code,
        reason_text=text,
        created_by_user_id=actor.user_id,
        created_at=clock.now(),
    )
    session.add(stored)
    session.flush()
    where = f" line {line_number}" if line_number is not None else ""
    audit(session, actor, "create", "claim_write_off", str(stored.id), f"claim {row.id}{where}: {reason_code}")
    audit(session, actor, "update", "claim", str(row.id), f"written off {amount} ({reason_code})")
    return copy_of(WriteOff, stored)


def write_offs_of(session: Session, actor: Actor, claim_id: int) -> list[WriteOff]:
    """The claim's write-offs, oldest first (the caller has read, and audited, the claim)."""
    rows = session.scalars(
        select(ClaimWriteOffRow)
        .where(ClaimWriteOffRow.clinic_id == actor.clinic_id, ClaimWriteOffRow.claim_id == claim_id)
        .order_by(ClaimWriteOffRow.id)
    )
    return [copy_of(WriteOff, row) for row in rows]
