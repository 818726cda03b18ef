"""Everything the claim page and ``GET /api/claims/{id}/history`` show, read from rows, audited once.

What the claim says comes from the frozen claim (``frozen_claims.stored_claim``). The status timeline is
derived from the rows themselves, never kept as a second copy: the claim's creation, its batch, its
submission, each posted 835 answer (its meaning from ``balances``), the claims that correct or void it and
the clinic's write-offs, and what the clearinghouse and the payer said before the 835 (999, 277CA, 277 and
the 276s sent: ``claim_answers``) in ``_acknowledgements``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import BigInteger, BindParameter, ColumnElement, bindparam, exists, or_, select
from sqlalchemy.orm import Session, aliased, defer, selectinload

if TYPE_CHECKING:
    from ptbill.services.cob_page import CobView

from ptbill.domain.claim import Claim, ClaimFrequency
from ptbill.domain.remittance import ClaimPayment, ClaimStatus
from ptbill.domain.vocabulary import BILLERS
from ptbill.reference.adjustment_codes import AdjustmentCodes
from ptbill.remittance.accounting import ClaimAccount, Outcome
from ptbill.rules.filing_limit import FilingLimit
from ptbill.services.access import Actor, NotFoundError, require_role
from ptbill.services.audit import ReadAudits
from ptbill.services.audit_views import record_history
from ptbill.services.balances import (
    OpenBalance,
    account_of_answers,
    account_of_payment,
    open_balance,
    payment_of,
    with_write_off,
)
from ptbill.services.billing import ClaimRecord, claim_record
from ptbill.services.frozen_claims import replacement_refusal, stored_claim
from ptbill.services.note_returns import NoteReturn, returns_of
from ptbill.services.reopening import ReopeningRequest, reopenings_of
from ptbill.services.timely_filing import FilingLimits, unsent_limit
from ptbill.services.write_offs import WriteOff, write_offs_of
from ptbill.storage.tables import (
    ClaimAnswerRow,
    ClaimBatchRow,
    ClaimPaymentRow,
    ClaimRow,
    ClaimWriteOffRow,
    NoteReturnRow,
    RemittanceRow,
    ReopeningRequestRow,
)

ZERO = Decimal("0.00")


@dataclass(frozen=True, slots=True)
class TimelineEvent:
    kind: str  # created, batched, submitted, accepted, rejected, pended, finalized, noted, asked, answered ...
    label: str
    at: datetime | None = None  # a moment (shown in the clinic's zone) ...
    day: date | None = None  # ... or a day (an 835's payment date)
    detail: str = ""
    link: str | None = None


@dataclass(frozen=True, slots=True)
class AdjustmentLine:
    group: str
    code: str
    amount: Decimal
    text: str
    group_text: str


@dataclass(frozen=True, slots=True)
class Remark:
    code: str
    text: str


@dataclass(frozen=True, slots=True)
class PaidLine:
    line_number: int | None
    code: str
    modifiers: tuple[str, ...]
    charge: Decimal
    paid: Decimal
    adjustments: tuple[AdjustmentLine, ...]
    remarks: tuple[Remark, ...]


@dataclass(frozen=True, slots=True)
class Payment:
    """One posted 835 answer for the claim: where it came from and what it said, line by line."""

    id: int
    remittance_id: int
    source_name: str
    payer_name: str
    trace_number: str  # the check or EFT number (TRN02)
    payment_date: date | None
    posted_at: datetime
    payer_claim_number: str | None
    status_code: str
    outcome: str  # paid, partially paid, denied, processed to deductible, reversed ...
    charge: Decimal
    paid: Decimal
    patient_responsibility: Decimal
    adjustments: tuple[AdjustmentLine, ...]  # claim-level
    remarks: tuple[Remark, ...]
    lines: tuple[PaidLine, ...]


@dataclass(frozen=True, slots=True)
class HistoryLine:
    at: datetime
    user: str
    action: str
    entity: str
    entity_id: str | None
    detail: str | None


@dataclass(frozen=True, slots=True)
class ClaimPage:
    claim: ClaimRecord
    frozen: Claim
    timeline: tuple[TimelineEvent, ...]
    payments: tuple[Payment, ...]
    account: ClaimAccount
    open: OpenBalance
    write_offs: tuple[WriteOff, ...]
    corrected_by: tuple[ClaimRecord, ...]  # the claims whose corrects_claim_id is this one
    corrects: ClaimRecord | None
    returns: tuple[NoteReturn, ...]
    reopenings: tuple[ReopeningRequest, ...]
    history: tuple[HistoryLine, ...]
    replacement_refusal: str | None  # why this payer takes no frequency 7/8 claims; None: it does
    correction_blocked: str | None  # why no corrected claim or void can be made now; None: it can
    cob: CobView | None = None  # the order of benefits: the claims before and after this one
    filing: FilingLimit | None = None  # the payer's filing limit while the claim waits to be sent

    @property
    def lines_by_number(self) -> dict[int, object]:
        return {line.line_number: line for line in self.claim.lines}


@functools.cache
def _codes() -> AdjustmentCodes:
    return AdjustmentCodes.load()


def _adjustment(group: str, code: str, amount: Decimal) -> AdjustmentLine:
    codes = _codes()
    return AdjustmentLine(group, code, amount, codes.describe_carc(code), codes.group(group))


def _remarks(codes: tuple[str, ...]) -> tuple[Remark, ...]:
    return tuple(Remark(code, _codes().describe_rarc(code)) for code in codes)


def outcome_label(row: ClaimPaymentRow, claim: ClaimRecord) -> str:
    """What one posted answer means, in a biller's words."""
    if row.status_code == ClaimStatus.REVERSAL.value:
        return "reversed"
    return _outcome(account_of_payment(row, claim))


def _outcome(account: ClaimAccount) -> str:
    """What an answer that is not a reversal means, from its account on its own."""
    balance = account.balance
    if balance.payer_paid <= ZERO and balance.deductible > ZERO and balance.denied <= ZERO:
        return "processed to deductible"
    return {
        Outcome.PAID: "paid",
        Outcome.UNDERPAID: "partially paid",
        Outcome.PARTLY_DENIED: "partially paid, some denied",
        Outcome.DENIED: "denied",
        Outcome.REVERSED: "reversed",
    }[account.outcome]


def _payment_rows(session: Session, actor: Actor, claim_id: int) -> list[tuple[ClaimPaymentRow, RemittanceRow]]:
    """The claim's posted answers with their 835s, in the order they were posted (one query)."""
    query = (
        select(ClaimPaymentRow, RemittanceRow)
        .join(RemittanceRow, RemittanceRow.id == ClaimPaymentRow.remittance_id)
        .where(ClaimPaymentRow.clinic_id == actor.clinic_id, ClaimPaymentRow.claim_id == claim_id)
        .order_by(ClaimPaymentRow.id)
    )
    return [(row, remittance) for row, remittance in session.execute(query)]


Answer = tuple[ClaimPayment, tuple[int | None, ...]]  # balances.payment_of: the answer and its matched lines


def _payments(
    rows: list[tuple[ClaimPaymentRow, RemittanceRow]], answers: list[Answer], claim: ClaimRecord
) -> list[Payment]:
    found = []
    for (row, remittance), (answer, matched) in zip(rows, answers, strict=True):
        reversal = row.status_code == ClaimStatus.REVERSAL.value
        lines = tuple(
            PaidLine(
                number,
                service.procedure_code,
                service.modifiers,
                service.charge,
                service.paid,
                tuple(_adjustment(a.group.value, a.reason, a.amount) for a in service.adjustments),
                _remarks(service.remark_codes),
            )
            for service, number in zip(answer.service_lines, matched, strict=False)
        )
        found.append(
            Payment(
                row.id,
                remittance.id,
                remittance.source_name,
                remittance.payer_name,
                remittance.trace_number,
                remittance.payment_date,
                remittance.posted_at,
                row.payer_claim_number,
                row.status_code,
                "reversed" if reversal else _outcome(account_of_answers(claim, [(answer, matched)])),
                answer.charge,
                answer.paid,
                answer.patient_responsibility or ZERO,
                tuple(_adjustment(a.group.value, a.reason, a.amount) for a in answer.adjustments),
                _remarks(answer.remark_codes),
                lines,
            )
        )
    return found


def _acknowledgements(session: Session, claim: ClaimRecord) -> list[TimelineEvent]:
    """What the clearinghouse and the payer said before the 835 (``claim_answers``: 999, 277CA, 277) and the
    276 inquiries sent, each in words with its codes; a rejection with its fix and the checks it maps to."""
    rows = session.scalars(
        select(ClaimAnswerRow).where(ClaimAnswerRow.claim_id == claim.id).order_by(ClaimAnswerRow.id)
    )
    events = []
    for row in rows:
        detail = row.detail + (f" · codes {', '.join(row.codes)}" if row.codes else "")
        if row.fix:
            detail += f" · Fix: {row.fix}"
        if row.rule_ids:
            detail += f" (ptbill checks {', '.join(row.rule_ids)})"
        events.append(TimelineEvent(row.outcome, row.label, at=row.received_at, detail=detail))
    return events


def _timeline(
    claim: ClaimRecord,
    batched_at: datetime | None,
    acknowledgements: list[TimelineEvent],
    payments: list[Payment],
    corrected_by: list[ClaimRecord],
    write_offs: list[WriteOff],
) -> list[TimelineEvent]:
    events = [TimelineEvent("created", "Created", at=claim.created_at, detail=f"from note {claim.encounter_id}")]
    if claim.corrects_claim_id is not None:
        verb = "Voids" if claim.frequency == ClaimFrequency.VOID else "Corrects"
        events[0] = TimelineEvent(
            "created",
            "Created",
            at=claim.created_at,
            detail=f"{verb} claim {claim.corrects_claim_id} (frequency {claim.frequency})",
            link=f"/claims/{claim.corrects_claim_id}",
        )
    if claim.batch_id is not None and batched_at is not None:
        batch = claim.batch_id
        events.append(
            TimelineEvent("batched", "In batch", at=batched_at, detail=f"batch #{batch}", link=f"/batches/{batch}")
        )
    if claim.submitted_at is not None:
        events.append(TimelineEvent("submitted", "Submitted", at=claim.submitted_at))
    events.extend(acknowledgements)
    for p in payments:
        events.append(
            TimelineEvent(
                "answered",
                p.outcome[:1].upper() + p.outcome[1:],
                at=p.posted_at,
                day=p.payment_date,
                detail=f"paid ${p.paid:,.2f} · check/EFT {p.trace_number} · {p.source_name}",
            )
        )
    for c in corrected_by:
        void = c.frequency == ClaimFrequency.VOID
        events.append(
            TimelineEvent(
                "voided" if void else "corrected",
                "Voided" if void else "Corrected",
                at=c.created_at,
                detail=f"by claim {c.patient_control_number} (frequency {c.frequency})",
                link=f"/claims/{c.id}",
            )
        )
    for w in write_offs:
        where = f"line {w.line_number} · " if w.line_number is not None else ""
        events.append(
            TimelineEvent("written_off", "Written off", at=w.created_at, detail=f"{where}${w.amount:,.2f} · {w.reason}")
        )
    return events


def _history(session: Session, actor: Actor, claim_id: int) -> list[HistoryLine]:
    """The claim's audit rows, newest first: its changes and exports, then who read it how often."""
    return [
        HistoryLine(
            line.entry.at,
            (line.user_name or "system") if line.entry.user_id else "system",
            line.entry.action,
            line.entry.entity,
            line.entry.entity_id,
            line.entry.detail,
        )
        for line in record_history(session, actor, "claim", claim_id)
    ]


@dataclass(frozen=True, slots=True)
class _Found:
    """What else the claim has, asked in the query that reads it, so the page skips the empty lookups."""

    batched_at: datetime | None  # the batch's creation (two columns, not the row: it holds its whole 837P)
    answered: bool  # posted 835 answers
    written_off: bool
    acknowledged: bool  # 999, 277CA, 277 answers and 276 inquiries (claim_answers)
    returned: bool  # the note's returns to its therapist
    reopened: bool  # reopening requests
    followed: bool  # claims that correct or void it, or go to the payers after it


# The claim, its batch's date and its flags (``_Found``) for the bound ``claim_id`` and ``clinic``: built once,
# since an aliased table makes a proxy of each of its columns every time it is built.
_CLINIC: BindParameter[int] = bindparam("clinic", type_=BigInteger)
_LATER = aliased(ClaimRow)
_CLAIM_AND_FOUND = (
    select(
        ClaimRow,
        select(ClaimBatchRow.created_at).where(ClaimBatchRow.id == ClaimRow.batch_id).scalar_subquery(),
        exists().where(ClaimPaymentRow.claim_id == ClaimRow.id, ClaimPaymentRow.clinic_id == _CLINIC),
        exists().where(ClaimWriteOffRow.claim_id == ClaimRow.id, ClaimWriteOffRow.clinic_id == _CLINIC),
        exists().where(ClaimAnswerRow.claim_id == ClaimRow.id),
        exists().where(NoteReturnRow.encounter_id == ClaimRow.encounter_id, NoteReturnRow.clinic_id == _CLINIC),
        exists().where(ReopeningRequestRow.claim_id == ClaimRow.id, ReopeningRequestRow.clinic_id == _CLINIC),
        exists().where(
            _LATER.clinic_id == _CLINIC,
            or_(_LATER.corrects_claim_id == ClaimRow.id, _LATER.prior_claim_id == ClaimRow.id),
        ),
    )
    .where(ClaimRow.id == bindparam("claim_id", type_=BigInteger))
    .options(selectinload(ClaimRow.lines))
)


def _claim_and_found(session: Session, actor: Actor, claim_id: int) -> tuple[ClaimRow, _Found]:
    """The claim of the acting user's clinic, with its lines, and what else it has (one query for the claim
    and its flags, one for its lines); one of another clinic looks the same as a missing one."""
    found = session.execute(_CLAIM_AND_FOUND, {"claim_id": claim_id, "clinic": actor.clinic_id}).first()
    if found is None or found[0].clinic_id != actor.clinic_id:
        raise NotFoundError(f"claim {claim_id} not found")
    row, batched_at, *flags = found
    return row, _Found(batched_at, *(bool(flag) for flag in flags))


def _related(session: Session, actor: Actor, row: ClaimRow, found: _Found) -> list[ClaimRecord]:
    """The clinic's claims linked to this one either way (the one it corrects, the payer's before it, those
    that correct it or follow it), in one query, without their frozen claims."""
    linked = [claim_id for claim_id in (row.corrects_claim_id, row.prior_claim_id) if claim_id is not None]
    if not linked and not found.followed:
        return []
    which: list[ColumnElement[bool]] = [ClaimRow.id.in_(linked)] if linked else []
    if found.followed:
        which += [ClaimRow.corrects_claim_id == row.id, ClaimRow.prior_claim_id == row.id]
    query = (
        select(ClaimRow)
        .where(ClaimRow.clinic_id == actor.clinic_id, or_(*which))
        .options(defer(ClaimRow.claim_json), selectinload(ClaimRow.lines))
        .order_by(ClaimRow.id)
    )
    return [claim_record(c) for c in session.scalars(query)]


def claim_page(session: Session, actor: Actor, claim_id: int, today: date | None = None) -> ClaimPage:
    """The claim with its timeline, payments, balance by party, write-offs and audit history (audited); with
    ``today``, the payer's filing limit of a claim not yet sent.

    The claim is read once with flags for what else it has; a lookup whose flag says it is empty is skipped.
    The page's three reads (the claim, its balance, the page) are audited in one statement, before the
    history is read, so the history shows this view as before."""
    require_role(actor, BILLERS)
    audits = ReadAudits(actor.clinic_id, user_id=actor.user_id)
    row, found = _claim_and_found(session, actor, claim_id)
    audits.read("claim", claim_id)
    record = claim_record(row)
    if row.claim_json is None:  # built before 0005_frozen: frozen now, its update audited after this read
        audits.write(session)
    frozen = stored_claim(session, actor, row)
    rows = _payment_rows(session, actor, row.id) if found.answered else []
    answers = [payment_of(payment) for payment, _ in rows]
    write_offs = write_offs_of(session, actor, row.id) if found.written_off else []
    sides = (ZERO, ZERO)
    for w in write_offs:
        sides = with_write_off(sides, w.reason_code, w.amount)
    account = account_of_answers(record, answers)
    audits.read("claim_balances", None, "1 claims")
    payments = _payments(rows, answers, record)
    related = _related(session, actor, row, found)
    corrected_by = [c for c in related if c.corrects_claim_id == row.id]
    earlier = next((c for c in related if c.id == row.corrects_claim_id), None)
    refusal = replacement_refusal(session, actor.clinic_id, record)
    blocked = None
    if record.status == "built":
        blocked = "The claim has not been sent: change the note and rebuild it instead."
    elif corrected_by:
        blocked = f"Already replaced by claim {corrected_by[-1].patient_control_number}: work on that one."
    elif record.frequency == ClaimFrequency.VOID:
        blocked = "This claim is a void."
    elif not record.payer_claim_number:
        blocked = "No payer claim number: the payer never adjudicated this claim. Resubmit it instead."
    audits.read("claim_page", row.id, f"{len(payments)} payments")
    audits.write(session)
    from ptbill.services.cob_page import cob_of  # it builds on this module's timeline events

    prior = next((c for c in related if c.id == row.prior_claim_id), None)
    cob = cob_of(record, prior, tuple(c for c in related if c.prior_claim_id == row.id))
    acknowledged = _acknowledgements(session, record) if found.acknowledged else []
    events = _timeline(record, found.batched_at, acknowledged, payments, corrected_by, write_offs) + list(cob.events)
    return ClaimPage(
        record,
        frozen,
        tuple(events),  # the crossover and the next payers' claims come after the answer that made them
        tuple(payments),
        account,
        open_balance(record.total_charge, account, *sides),
        tuple(write_offs),
        tuple(corrected_by),
        earlier,
        tuple(returns_of(session, actor, row.encounter_id)) if found.returned else (),
        tuple(reopenings_of(session, actor, row.id)) if found.reopened else (),
        tuple(_history(session, actor, row.id)),
        refusal,
        blocked,
        cob,
        unsent_limit(FilingLimits(session, actor.clinic_id, today), record.status, record.payer_id, record.service_date)
        if today is not None
        else None,
    )
