"""Eligibility: a 270 asked for a patient's coverage on a date of service, each member's 271 answer recorded
against the clinic's patient and coverage, and the latest answer read back (chart, note, checks, estimate).

A 270 is stored before it is sent, with a trace number unique in the clinic (TRN02); the payer echoes it in
the 271, which is how an answer finds its patient and coverage. An answer without a known trace is matched by
its member id (and, where several patients share it, the member's name); one that matches no coverage is
still stored, ``unmatched``, with the reason. The figures a clinic acts on are columns (``eligibility.figures``),
the whole parsed answer is kept as JSON. Every read and change is audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from ptbill.domain.clock import Clock, day_in
from ptbill.domain.coded import Party
from ptbill.domain.eligibility import (
    EligibilityInquiry,
    EligibilityRequest,
    EligibilityResponse,
    MemberEligibility,
)
from ptbill.domain.vocabulary import Role
from ptbill.eligibility.figures import figures_of, plain, reasons_of
from ptbill.eligibility.x12_270_271.reader import read_271
from ptbill.eligibility.x12_270_271.writer import write_270
from ptbill.reference.catalog import default_catalog
from ptbill.services.access import Actor, ConflictError, NotFoundError, owned_row, require_role
from ptbill.services.audit import audit
from ptbill.services.clinic import clinic_zone
from ptbill.services.records import copy_of
from ptbill.storage.control_numbers import StoredControlNumbers
from ptbill.storage.tables import (
    ClinicRow,
    CoverageRow,
    EligibilityRequestRow,
    EligibilityResponseRow,
    MailboxFileRow,
    PatientRow,
)
from ptbill.x12.envelope_writer import Parties
from ptbill.x12.errors import X12Error

ASKERS = frozenset({Role.THERAPIST, Role.PTA, Role.BILLER, Role.ADMIN})
MATCHED, UNMATCHED = "matched", "unmatched"
TEST_SENDER, TEST_RECEIVER = "PTBILLTEST", "RECEIVERTEST"
MAX_FILE_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class EligibilityAnswer:
    """One member's 271 answer as stored: the figures, the 271's reasons, and how it came."""

    id: int
    clinic_id: int
    patient_id: int | None
    coverage_id: int | None
    request_id: int | None
    service_date: date
    received_at: datetime
    received_on: date
    source: str
    mailbox_file_id: int | None
    outcome: str
    message: str
    member_id: str | None
    trace_number: str | None
    request_control_number: int | None
    coverage_status: str
    plan_begin: date | None
    plan_end: date | None
    deductible_remaining: Decimal | None
    deductible_total: Decimal | None
    out_of_pocket_remaining: Decimal | None
    out_of_pocket_total: Decimal | None
    coinsurance_percent: Decimal | None
    copay: Decimal | None
    visits_limit: int | None
    visits_used: int | None
    visits_remaining: int | None
    prior_auth_required: bool | None
    therapy_applied: Decimal | None
    reasons: str | None
    answer: dict[str, Any]

    @property
    def status_text(self) -> str:
        return {"active": "Active", "inactive": "Inactive"}.get(self.coverage_status, "Unknown")


@dataclass(frozen=True, slots=True)
class AskedRecord:
    """A 270 as written and stored (sent through the mailbox when ``mailbox_file_id`` is set)."""

    id: int
    clinic_id: int
    patient_id: int
    coverage_id: int
    service_date: date
    trace_number: str
    interchange_control_number: int | None
    source: str
    mailbox_file_id: int | None
    content: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Recorded:
    """What recording a 271 file came to: each member's stored answer, matched or not."""

    answers: tuple[EligibilityAnswer, ...]

    @property
    def matched(self) -> int:
        return sum(1 for a in self.answers if a.outcome == MATCHED)

    @property
    def summary(self) -> str:
        unmatched = len(self.answers) - self.matched
        return f"{len(self.answers)} eligibility answer(s): {self.matched} matched, {unmatched} unmatched"


def _coverage_of(session: Session, actor: Actor, patient_id: int, coverage_id: int | None) -> CoverageRow:
    """The patient's coverage named, else their primary active one (NotFoundError naming what is missing)."""
    owned_row(session, actor, PatientRow, patient_id, "patient")
    if coverage_id is not None:
        row = owned_row(session, actor, CoverageRow, coverage_id, "coverage")
        if row.patient_id != patient_id:
            raise NotFoundError(f"coverage {coverage_id} of patient {patient_id} not found")
        return row
    found = session.scalars(
        select(CoverageRow)
        .where(CoverageRow.clinic_id == actor.clinic_id, CoverageRow.patient_id == patient_id, CoverageRow.active)
        .order_by(CoverageRow.priority, CoverageRow.id)
    ).first()
    if found is None:
        raise NotFoundError(f"patient {patient_id} has no active coverage to verify")
    return found


def _parties(clinic: ClinicRow) -> Parties:
    """The interchange's sender and receiver: the clinic's trading-partner ids, else a TEST interchange."""
    usage = "P" if clinic.submitter_id and clinic.receiver_id else "T"
    return Parties(clinic.submitter_id or TEST_SENDER, clinic.receiver_id or TEST_RECEIVER, "HS", "", usage=usage)


def _inquiry(patient: PatientRow, coverage: CoverageRow, trace: str, day: date) -> EligibilityInquiry:
    if coverage.relationship_to_insured == "self" or not coverage.subscriber_last_name:
        member = Party(patient.last_name, coverage.member_id, "MI", patient.first_name)
        return EligibilityInquiry(member, trace, day, subscriber_birth_date=patient.birth_date)
    subscriber = Party(coverage.subscriber_last_name, coverage.member_id, "MI", coverage.subscriber_first_name)
    return EligibilityInquiry(
        subscriber,
        trace,
        day,
        subscriber_birth_date=coverage.subscriber_birth_date,
        patient=Party(patient.last_name, None, None, patient.first_name),
        patient_birth_date=patient.birth_date,
    )


def _interchange_number(text: str) -> int | None:
    """ISA13 of a written interchange (the ISA is fixed width: 106 characters with its terminator)."""
    elements = text[:105].split(text[3]) if len(text) > 105 else []
    return int(elements[13]) if len(elements) > 13 and elements[13].isdigit() else None


def write_request(
    session: Session,
    clinic_id: int,
    coverage: CoverageRow,
    day: date,
    clock: Clock,
    *,
    source: str,
    user_id: int | None,
) -> EligibilityRequestRow:
    """Store and write the 270 for ``coverage`` on ``day`` (the caller checked who may ask)."""
    clinic = session.get(ClinicRow, clinic_id)
    patient = session.get(PatientRow, coverage.patient_id)
    assert clinic is not None
    assert patient is not None
    row = EligibilityRequestRow(
        clinic_id=clinic_id,
        patient_id=patient.id,
        coverage_id=coverage.id,
        service_date=day,
        trace_number="",
        source=source,
        content="",
        created_by_user_id=user_id,
        created_at=clock.now(),
    )
    session.add(row)
    session.flush()
    row.trace_number = f"PTB{clinic_id}E{row.id}"
    payer = default_catalog().payer(coverage.payer_id)
    request = EligibilityRequest(
        control_number="",
        reference=f"E{row.id}",
        created=day,
        payer=Party(payer.name if payer else coverage.payer_id, coverage.payer_id, "PI"),
        provider=Party(clinic.name, clinic.npi, "XX"),
        inquiries=(_inquiry(patient, coverage, row.trace_number, day),),
    )
    row.content = write_270(
        request, f"9{clinic.tax_id}"[:10], _parties(clinic), clock.now(), StoredControlNumbers(session)
    )
    row.interchange_control_number = _interchange_number(row.content)
    session.flush()
    audit(session, None, "create", "eligibility_request", str(row.id), f"patient {patient.id} {source}",
          clinic_id=clinic_id)  # fmt: skip
    return row


def request_270(
    session: Session,
    actor: Actor,
    patient_id: int,
    clock: Clock,
    *,
    coverage_id: int | None = None,
    day: date | None = None,
    source: str = "cli",
) -> AskedRecord:
    """A 270 for the patient's coverage (the primary active one unless named) on ``day`` (today by default)."""
    require_role(actor, ASKERS)
    coverage = _coverage_of(session, actor, patient_id, coverage_id)
    asked = day or day_in(clock, ZoneInfo(clinic_zone(session, actor.clinic_id)))
    row = write_request(session, actor.clinic_id, coverage, asked, clock, source=source, user_id=actor.user_id)
    audit(session, actor, "create", "eligibility_request", str(row.id), f"patient {patient_id}")
    return copy_of(AskedRecord, row)


def _by_member_id(session: Session, clinic_id: int, member: MemberEligibility) -> tuple[CoverageRow | None, str]:
    """The clinic's one coverage with the 271's member id (by the member's name where several share it)."""
    member_id = member.subscriber.id if member.is_dependent and member.subscriber else member.member.id
    if not member_id:
        return None, "the 271 names no member id and no trace number this clinic sent"
    rows = session.execute(
        select(CoverageRow, PatientRow)
        .join(PatientRow, PatientRow.id == CoverageRow.patient_id)
        .where(CoverageRow.clinic_id == clinic_id, CoverageRow.member_id == member_id)
        .order_by(CoverageRow.active.desc(), CoverageRow.id)
    ).all()
    if len(rows) > 1:
        last, first = member.member.name.upper(), (member.member.first_name or "").upper()
        rows = [r for r in rows if r[1].last_name.upper() == last and (not first or r[1].first_name.upper() == first)]
    if len(rows) == 1:
        return rows[0][0], f"matched by member id to patient {rows[0][1].id}"
    if not rows:
        return None, "no coverage of this clinic has the 271's member id"
    return None, f"{len(rows)} coverages of this clinic have the 271's member id and name: match it by hand"


def _match(
    session: Session, clinic_id: int, member: MemberEligibility
) -> tuple[CoverageRow | None, EligibilityRequestRow | None, str]:
    if member.trace_number:
        asked = session.scalar(
            select(EligibilityRequestRow).where(
                EligibilityRequestRow.clinic_id == clinic_id, EligibilityRequestRow.trace_number == member.trace_number
            )
        )
        if asked is not None:
            return session.get(CoverageRow, asked.coverage_id), asked, f"matched by trace number {asked.trace_number}"
    coverage, message = _by_member_id(session, clinic_id, member)
    return coverage, None, message


def _mailbox_file(session: Session, clinic_id: int, name: str) -> MailboxFileRow | None:
    return session.scalar(
        select(MailboxFileRow)
        .where(MailboxFileRow.clinic_id == clinic_id, MailboxFileRow.direction == "in", MailboxFileRow.name == name)
        .order_by(MailboxFileRow.id.desc())
    )


def _store(
    session: Session,
    clinic_id: int,
    response: EligibilityResponse,
    member: MemberEligibility | None,
    moment: tuple[datetime, date],
    how: tuple[str, int | None, int | None],
) -> EligibilityResponseRow:
    source, mailbox_file_id, user_id = how
    coverage, asked, message = _match(session, clinic_id, member) if member else (None, None, "")
    if member is None:
        message = "the payer answered for no member"
    figures = figures_of(member, response) if member else None
    asked_day = member.date("291") if member else None
    row = EligibilityResponseRow(
        clinic_id=clinic_id,
        patient_id=coverage.patient_id if coverage else None,
        coverage_id=coverage.id if coverage else None,
        request_id=asked.id if asked else None,
        service_date=asked.service_date if asked else (asked_day.start if asked_day else moment[1]),
        received_at=moment[0],
        received_on=moment[1],
        source=source,
        mailbox_file_id=mailbox_file_id,
        outcome=MATCHED if coverage else UNMATCHED,
        message=message[:500],
        member_id=(member.member.id or (member.subscriber.id if member.subscriber else None)) if member else None,
        trace_number=member.trace_number if member else None,
        request_control_number=asked.interchange_control_number if asked else None,
        coverage_status=figures.status if figures else "unknown",
        reasons=(figures.reasons if figures else reasons_of(None, response)) or None,
        answer={
            "guide": response.guide,
            "control_number": response.control_number,
            "payer": plain(response.payer),
            "member": plain(member),
            "rejections": plain(response.rejections),
            "problems": list(response.problems),
        },
        created_by_user_id=user_id,
    )
    if figures is not None:
        for name in ("plan_begin", "plan_end", "deductible_remaining", "deductible_total", "out_of_pocket_remaining",
                     "out_of_pocket_total", "coinsurance_percent", "copay", "visits_limit", "visits_used",
                     "visits_remaining", "prior_auth_required", "therapy_applied"):  # fmt: skip
            setattr(row, name, getattr(figures, name))
    session.add(row)
    session.flush()
    audit(session, None, "create", "eligibility_response", str(row.id), f"{row.outcome} from {source}",
          clinic_id=clinic_id)  # fmt: skip
    return row


def _answering(response: EligibilityResponse) -> list[MemberEligibility]:
    """The members the 271 answers for: a subscriber loop that only leads to its dependents (no benefit, no
    rejection of its own) is not an answer."""
    dependents = any(m.is_dependent for m in response.members)
    return [m for m in response.members if m.is_dependent or m.benefits or m.rejections or not dependents]


def record_271(
    session: Session,
    clinic_id: int,
    data: bytes | str,
    clock: Clock | None,
    *,
    source: str,
    user_id: int | None = None,
    file_name: str | None = None,
) -> Recorded:
    """Store each member's answer of a 271 file (the caller checked who may record). A file that is not a
    readable 271 is refused whole (ConflictError naming the segment and element); nothing is stored."""
    if len(data) > MAX_FILE_BYTES:
        raise ConflictError(f"the 271 file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB")
    try:
        responses = list(read_271(data))
    except X12Error as exc:
        raise ConflictError(f"not a readable 271: {exc}") from None
    if not responses:
        raise ConflictError("the file holds no 271 transaction set (ST*271)")
    unreadable = [r for r in responses if r.problems]  # a part of it may be misread: refused whole
    if unreadable:
        raise ConflictError(f"not a readable 271: {'; '.join(unreadable[0].problems)[:400]}")
    zone = ZoneInfo(clinic_zone(session, clinic_id))
    received = _mailbox_file(session, clinic_id, file_name) if file_name else None
    if clock is not None:
        moment = (clock.now(), day_in(clock, zone))
    elif received is not None:  # the mailbox's poll stored the file a moment ago: its moment is the answer's
        at = received.received_at if received.received_at.tzinfo else received.received_at.replace(tzinfo=UTC)
        moment = (at, at.astimezone(zone).date())
    else:
        raise ValueError("record_271 needs a clock, or the mailbox file it came in")
    how = (source, received.id if received else None, user_id)
    stored = []
    with session.begin_nested():  # all the file's answers, or none
        for response in responses:
            members: list[MemberEligibility | None] = [*_answering(response)] or [None]
            stored += [_store(session, clinic_id, response, member, moment, how) for member in members]
    return Recorded(tuple(copy_of(EligibilityAnswer, row) for row in stored))


def record_file(session: Session, actor: Actor, data: bytes | str, clock: Clock, *, source: str = "cli") -> Recorded:
    """A 271 file recorded by a user (the command line, an upload): audited as theirs."""
    require_role(actor, ASKERS)
    recorded = record_271(session, actor.clinic_id, data, clock, source=source, user_id=actor.user_id)
    audit(session, actor, "create", "eligibility_response", None, recorded.summary)
    return recorded


def _answers(
    session: Session, clinic_id: int, patient_id: int, coverage_id: int | None = None
) -> list[EligibilityAnswer]:
    query = select(EligibilityResponseRow).where(
        EligibilityResponseRow.clinic_id == clinic_id,
        EligibilityResponseRow.patient_id == patient_id,
        EligibilityResponseRow.outcome == MATCHED,
    )
    if coverage_id is not None:
        query = query.where(EligibilityResponseRow.coverage_id == coverage_id)
    rows = session.scalars(query.order_by(EligibilityResponseRow.received_at.desc(), EligibilityResponseRow.id.desc()))
    return [copy_of(EligibilityAnswer, row) for row in rows]


def answer_records(session: Session, actor: Actor, patient_id: int) -> list[EligibilityAnswer]:
    """As ``answers_of`` for a caller that has read (and audited) the patient already (the chart)."""
    return _answers(session, actor.clinic_id, patient_id)


def answers_of(session: Session, actor: Actor, patient_id: int) -> list[EligibilityAnswer]:
    """Every answer recorded for the patient, newest first (one audit row)."""
    owned_row(session, actor, PatientRow, patient_id, "patient")
    found = _answers(session, actor.clinic_id, patient_id)
    audit(session, actor, "read", "eligibility_response", f"patient {patient_id}", f"{len(found)} answer(s)")
    return found


def latest_by_coverage(answers: list[EligibilityAnswer]) -> dict[int, EligibilityAnswer]:
    """The newest answer of each coverage, from a newest-first list."""
    latest: dict[int, EligibilityAnswer] = {}
    for answer in answers:
        if answer.coverage_id is not None:
            latest.setdefault(answer.coverage_id, answer)
    return latest


def latest_answer(
    session: Session, actor: Actor, patient_id: int, coverage_id: int, on: date | None = None
) -> EligibilityAnswer | None:
    """The coverage's newest answer (received on or before ``on`` when given), audited."""
    owned_row(session, actor, PatientRow, patient_id, "patient")
    found = [
        a for a in _answers(session, actor.clinic_id, patient_id, coverage_id) if on is None or a.received_on <= on
    ]
    latest = found[0] if found else None
    audit(session, actor, "read", "eligibility_response", str(latest.id) if latest else None, f"patient {patient_id}")
    return latest


def latest_of_coverage(session: Session, clinic_id: int, coverage_id: int) -> EligibilityAnswer | None:
    """The coverage's newest matched answer, for a caller that audits its own read (estimates, checks)."""
    row = session.scalars(
        select(EligibilityResponseRow)
        .where(
            EligibilityResponseRow.clinic_id == clinic_id,
            EligibilityResponseRow.coverage_id == coverage_id,
            EligibilityResponseRow.outcome == MATCHED,
        )
        .order_by(EligibilityResponseRow.received_at.desc(), EligibilityResponseRow.id.desc())
    ).first()
    return copy_of(EligibilityAnswer, row) if row is not None else None


def unmatched_answers(session: Session, actor: Actor, limit: int = 100) -> list[EligibilityAnswer]:
    """The clinic's answers that found no coverage, newest first (billers match them by hand)."""
    require_role(actor, ASKERS)
    rows = session.scalars(
        select(EligibilityResponseRow)
        .where(EligibilityResponseRow.clinic_id == actor.clinic_id, EligibilityResponseRow.outcome == UNMATCHED)
        .order_by(EligibilityResponseRow.id.desc())
        .limit(limit)
    )
    found = [copy_of(EligibilityAnswer, row) for row in rows]
    audit(session, actor, "read", "eligibility_response", None, f"{len(found)} unmatched")
    return found
