"""Claim status inquiries (276, 005010X212): a claim sent, with no 835 and no claim status (277) from its payer
for the payer's ``claims.status_inquiry_after_days`` (a dated parameter; an inquiry sent counts as asked, so
a claim is asked at most once in that time), is asked about in a 276 per payer, sent through the clinic's
mailbox. Each claim asked gets a ``claim_answers`` row (kind 276, its trace number) that its timeline shows
and that the 277 answering it is found by. All or nothing per file: the rows are written in a savepoint
that a failed upload rolls back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from ptbill.claim_status.x12_276_277.writer import write_276
from ptbill.domain.claim import Claim
from ptbill.domain.claim_status import ClaimInquiry, ClaimStatusRequest
from ptbill.domain.clock import Clock, day_in
from ptbill.domain.coded import Party
from ptbill.domain.status import ClaimState
from ptbill.mailbox.transport import Mailbox
from ptbill.reference.catalog import default_catalog
from ptbill.services.access import BILLERS, Actor, require_role
from ptbill.services.audit import audit
from ptbill.services.clinic import clinic_zone
from ptbill.services.frozen_claims import stored_claim
from ptbill.services.mailbox import outgoing_file
from ptbill.services.mailbox_settings import clinic_code
from ptbill.services.payers import clinic_layer
from ptbill.storage.control_numbers import StoredControlNumbers
from ptbill.storage.tables import ClaimAnswerRow, ClaimBatchRow, ClaimPaymentRow, ClaimRow
from ptbill.x12.envelope_writer import Parties
from ptbill.x12.reader import read_lenient

PARAMETER = "claims.status_inquiry_after_days"
DEFAULT_DAYS = 30
WAITING = (ClaimState.SUBMITTED, ClaimState.ACCEPTED, ClaimState.PENDED, ClaimState.FINALIZED)
ASKED = "asked"


@dataclass(frozen=True, slots=True)
class InquiryResult:
    asked: int  # claims asked about
    files: tuple[str, ...]  # the 276 files sent, one per payer

    @property
    def summary(self) -> str:
        return f"{self.asked} claim(s) asked about in {len(self.files)} claim status inquiry file(s)"


def _days(session: Session, clinic_id: int, payer_id: str, service_date: date) -> int:
    catalog = default_catalog()
    if catalog.payer(payer_id) is None:
        return DEFAULT_DAYS
    snapshot = catalog.snapshot(payer_id, service_date)
    layer = clinic_layer(session, clinic_id, payer_id)
    if layer is not None:
        snapshot = snapshot.with_layer(layer)
    return snapshot.integer(PARAMETER) or DEFAULT_DAYS


def _aware(moment: datetime) -> datetime:
    """A stored moment in UTC (SQLite hands them back without their zone)."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def due_claims(session: Session, actor: Actor, now: datetime) -> list[ClaimRow]:
    """The clinic's claims sent and unanswered (no 835, no 277 and no 276 in their payer's days), by id."""
    require_role(actor, BILLERS)
    paid = exists().where(ClaimPaymentRow.claim_id == ClaimRow.id)
    candidates = session.scalars(
        select(ClaimRow)
        .where(ClaimRow.clinic_id == actor.clinic_id, ClaimRow.status.in_(WAITING), ClaimRow.submitted_at.is_not(None))
        .where(~paid)
        .order_by(ClaimRow.id)
    ).all()
    due = []
    for claim in candidates:
        assert claim.submitted_at is not None
        days = timedelta(days=_days(session, actor.clinic_id, claim.payer_id, claim.service_date))
        if _aware(claim.submitted_at) + days > now:
            continue
        last = session.scalar(
            select(ClaimAnswerRow.received_at)
            .where(ClaimAnswerRow.claim_id == claim.id, ClaimAnswerRow.kind.in_(("276", "277")))
            .order_by(ClaimAnswerRow.received_at.desc())
            .limit(1)
        )
        if last is None or _aware(last) + days <= now:
            due.append(claim)
    return due


def _parties(content: str) -> Parties:
    """Who the claim's batch went from and to (ISA05-08, ISA15): the 276 goes the same way."""
    isa = next(iter(read_lenient(content)))
    return Parties(isa[6].strip(), isa[8].strip(), "HR", "005010X212", isa[5].strip(), isa[7].strip(), isa[15].strip())


def _inquiry(claim: Claim, row: ClaimRow, trace: str) -> ClaimInquiry:
    subscriber = Party(claim.subscriber.last_name, claim.member_id, "MI", claim.subscriber.first_name)
    dependent = claim.relationship != "self"
    return ClaimInquiry(
        row.patient_control_number.upper(),  # as the 837P's CLM01 carried it (free text, in capitals)
        trace,
        subscriber,
        claim.service_date,
        max(line.service_date for line in claim.lines) if claim.lines else claim.service_date,
        charge=claim.total_charge,
        payer_claim_number=row.payer_claim_number,
        patient=Party(claim.patient.last_name, None, None, claim.patient.first_name) if dependent else None,
        subscriber_birth_date=claim.subscriber.birth_date,
        patient_birth_date=claim.patient.birth_date if dependent else None,
    )


def send_inquiries(session: Session, actor: Actor, mailbox: Mailbox, clock: Clock) -> InquiryResult:
    """A 276 per payer (and batch envelope) for the clinic's claims due an inquiry, sent through ``mailbox``."""
    require_role(actor, BILLERS)
    now = clock.now()
    day = day_in(clock, ZoneInfo(clinic_zone(session, actor.clinic_id)))
    groups: dict[tuple[str, str], list[tuple[Claim, ClaimRow]]] = {}
    envelopes: dict[tuple[str, str], Parties] = {}
    for row in due_claims(session, actor, now):
        batch = session.get(ClaimBatchRow, row.batch_id) if row.batch_id is not None else None
        if batch is None:
            continue  # sent outside ptbill's batches: no envelope to answer
        claim = stored_claim(session, actor, row, clock=clock)
        parties = _parties(batch.content)
        key = (claim.payer.payer_identifier, f"{parties.sender_id}>{parties.receiver_id}")
        groups.setdefault(key, []).append((claim, row))
        envelopes[key] = parties
    files: list[str] = []
    asked = 0
    for key, claims in sorted(groups.items()):
        first = claims[0][0]
        provider = first.billing_provider
        request = ClaimStatusRequest(
            "0001",
            f"{actor.clinic_id}-{day:%Y%m%d}",
            day,
            Party(first.payer.name, first.payer.payer_identifier, "PI"),
            Party(provider.last_name_or_organization, envelopes[key].sender_id, "46"),
            Party(provider.last_name_or_organization, provider.npi, "XX"),
            tuple(_inquiry(claim, row, f"{row.id}T{day:%Y%m%d}") for claim, row in claims),
        )
        numbers = StoredControlNumbers(session)
        with session.begin_nested():
            text = write_276(request, envelopes[key], now, numbers)
            control = int(next(iter(read_lenient(text)))[13])
            name = f"{clinic_code(session, actor.clinic_id)}_276_{day:%Y%m%d}_{control:09d}.276"
            data = text.encode("ascii")
            message = f"claim status inquiry: {len(claims)} claim(s)"
            file_row = outgoing_file(session, actor.clinic_id, name, data, "276", message, now)
            for _claim, row in claims:
                days = _days(session, actor.clinic_id, row.payer_id, row.service_date)
                session.add(
                    ClaimAnswerRow(
                        clinic_id=actor.clinic_id,
                        claim_id=row.id,
                        mailbox_file_id=file_row.id,
                        kind="276",
                        outcome=ASKED,
                        label="Status asked of the payer (276)",
                        codes=[],
                        detail=f"no 835 or claim status {days} days after it was sent; trace {row.id}T{day:%Y%m%d}",
                        fix=None,
                        rule_ids=[],
                        trace_number=f"{row.id}T{day:%Y%m%d}",
                        received_at=now,
                    )
                )
                audit(session, actor, "export", "claim", str(row.id), "claim status inquiry (276)")
            session.flush()
            mailbox.send(name, data)  # last: a failure rolls the savepoint back
        files.append(name)
        asked += len(claims)
    return InquiryResult(asked, tuple(files))
