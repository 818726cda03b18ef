"""The clearinghouse mailbox: batches sent into its outbox, answers polled from its inbox.

``poll`` lists the inbox and stores each file not received before (by sha256, per clinic: a unique index, so
two polls at once store and handle it once: the second waits for the first's row and then finds it), reads
its transaction type from the envelope and hands it to the type's handler (``mailbox_handlers``). A handled
file, or one kept "waiting for a reader", is moved to the archive. A failure (the handler refuses, or the
server cannot be reached) leaves the file where it is, records the message and schedules another try, each
wait twice the one before. Polling again changes nothing.

``send_batch`` marks a built batch submitted and puts its 837P into the outbox, named by the clinic's rule,
all or nothing: the batch is marked in a savepoint that a failed upload rolls back.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from ptbill.domain.clock import Clock, day_in
from ptbill.domain.errors import PtbillError
from ptbill.mailbox.kinds import REMITTANCE_835, UNKNOWN, transaction_kind
from ptbill.mailbox.transport import Mailbox, MailboxError
from ptbill.services.access import BILLERS, Actor, NotFoundError, require_role
from ptbill.services.audit import audit
from ptbill.services.batches import get_batch, mark_batch_submitted
from ptbill.services.clinic import clinic_zone
from ptbill.services.mailbox_handlers import HANDLERS, MAX_FILE_BYTES, Handled
from ptbill.services.mailbox_settings import clinic_code, file_name, name_template
from ptbill.services.records import copy_of
from ptbill.storage.session import dialect_insert
from ptbill.storage.tables import EligibilityRequestRow, MailboxFileRow

IN, OUT = "in", "out"
SENT, WAITING, NOT_RECOGNISED, RETRYING, FAILED = "sent", "waiting_for_reader", "not_recognised", "retrying", "failed"
OUTCOME_TEXT = {
    "posted": "Posted",
    "already_posted": "Already posted",
    "recorded": "Recorded",
    "unreadable": "Not readable",
    "partly_matched": "Recorded; some claims are not ours",
    "unmatched": "Not our claims: nothing recorded",
    SENT: "Sent",
    WAITING: "Waiting for a reader",
    NOT_RECOGNISED: "Not recognised",
    RETRYING: "Failed: will try again",
    FAILED: "Failed: needs a person",
}
FIRST_WAIT = timedelta(minutes=5)
LONGEST_WAIT = timedelta(hours=24)
MAX_ATTEMPTS = 10


@dataclass(frozen=True, slots=True)
class MailboxFile:
    """A file sent or received, as the inbox page lists it (its content stays in the database)."""

    id: int
    direction: str
    name: str
    sha256: str
    size_bytes: int
    transaction_type: str
    received_at: datetime
    outcome: str
    message: str | None
    attempts: int
    next_try_at: datetime | None
    archived_at: datetime | None
    batch_id: int | None


@dataclass(frozen=True, slots=True)
class PollResult:
    listed: int
    received: int  # new files stored by this poll
    handled: int  # files done (posted, kept waiting for a reader ...) by this poll
    failed: int  # files that failed this time and wait for their next try
    problems: tuple[str, ...]  # what could not be reached or moved

    @property
    def summary(self) -> str:
        text = f"{self.listed} file(s) in the inbox: {self.received} new, {self.handled} handled, {self.failed} failed"
        return text + (f"; {'; '.join(self.problems)}" if self.problems else "")


def backoff(attempts: int) -> timedelta:
    """The wait before the next try after ``attempts`` failures: 5 minutes, then twice as long each time."""
    return min(FIRST_WAIT * (1 << min(max(attempts - 1, 0), 20)), LONGEST_WAIT)


def _utc(moment: datetime) -> datetime:
    """A stored moment in UTC (SQLite hands them back without their zone)."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _handle(session: Session, actor: Actor, row: MailboxFileRow, now: datetime) -> Handled:
    """Hand the stored file to its type's handler in a savepoint: a refusal or an error undoes what it did."""
    handler = HANDLERS.get(row.transaction_type)
    if row.transaction_type == UNKNOWN:
        return Handled(NOT_RECOGNISED, "The envelope names no transaction this mailbox knows (ISA/GS/ST).", True)
    if handler is None:
        return Handled(WAITING, f"A {row.transaction_type} is kept as received until its reader is installed.", True)
    try:
        with session.begin_nested():
            handled = handler(session, actor, row.name, row.content)
    except PtbillError as exc:
        handled = Handled(RETRYING, f"{row.name}: not handled: {type(exc).__name__}: {exc}"[:500], False)
    if handled.done:
        return handled
    attempts = row.attempts + 1
    if attempts >= MAX_ATTEMPTS:
        return Handled(FAILED, f"{handled.message} (gave up after {attempts} tries)"[:500], False)
    return Handled(RETRYING, handled.message, False)


def _apply(session: Session, actor: Actor, row: MailboxFileRow, handled: Handled, now: datetime) -> None:
    row.outcome = handled.outcome
    row.message = handled.message
    if not handled.done:
        row.attempts += 1
        row.next_try_at = now + backoff(row.attempts) if handled.outcome == RETRYING else None
    else:
        row.next_try_at = None
    audit(session, actor, "update", "mailbox_file", str(row.id), f"{row.transaction_type} {handled.outcome}")


def _new_row(session: Session, actor: Actor, name: str, data: bytes, digest: str, now: datetime) -> int | None:
    """The new file's row id; None when the clinic received these bytes before (or another poll is storing
    them now: the unique index makes this INSERT wait for it)."""
    table = MailboxFileRow.__table__
    file_id: int | None = session.execute(
        dialect_insert(session)(table)
        .values(
            clinic_id=actor.clinic_id,
            direction=IN,
            name=name[:200],
            sha256=digest,
            size_bytes=len(data),
            transaction_type=transaction_kind(data),
            received_at=now,
            outcome=RETRYING,
            attempts=0,
            content=data,
        )
        .on_conflict_do_nothing(index_elements=[table.c.clinic_id, table.c.direction, table.c.sha256])
        .returning(table.c.id)
    ).scalar_one_or_none()
    if file_id is not None:
        audit(session, actor, "create", "mailbox_file", str(file_id), "received")
    return file_id


def _archive(mailbox: Mailbox, row: MailboxFileRow, now: datetime, problems: list[str]) -> None:
    try:
        mailbox.archive(row.name)
    except MailboxError as exc:
        problems.append(str(exc))
        return
    row.archived_at = row.archived_at or now


def _receive(
    session: Session, actor: Actor, mailbox: Mailbox, name: str, now: datetime, problems: list[str]
) -> tuple[bool, Handled | None]:
    """One inbox file: (stored by this poll, what handling came to this time, None when nothing was due)."""
    try:
        data = mailbox.fetch(name)
    except MailboxError as exc:
        problems.append(str(exc))
        return False, None
    if len(data) > MAX_FILE_BYTES:
        problems.append(f"{name} is larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB: left in the inbox")
        return False, None
    digest = hashlib.sha256(data).hexdigest()
    new = _new_row(session, actor, name, data, digest, now) is not None
    row = session.scalar(
        select(MailboxFileRow)
        .where(MailboxFileRow.clinic_id == actor.clinic_id, MailboxFileRow.direction == IN)
        .where(MailboxFileRow.sha256 == digest)
        .with_for_update()
    )
    assert row is not None  # inserted now or before
    if row.outcome == FAILED:
        return new, None  # it gave up: left in the inbox for a person
    if row.outcome != RETRYING:  # received before and done: the same bytes again go to the archive too
        _archive(mailbox, row, now, problems)
        return new, None
    if row.next_try_at is not None and _utc(row.next_try_at) > now:
        return new, None  # failed before; its next try is not due yet
    handled = _handle(session, actor, row, now)
    _apply(session, actor, row, handled, now)
    if handled.done:
        _archive(mailbox, row, now, problems)
    return new, handled


def _kept_for_a_reader(session: Session, actor: Actor, now: datetime) -> int:
    """Files kept waiting for a reader whose handler is now registered: handed to it from their stored bytes."""
    kinds = [kind for kind in HANDLERS if kind != REMITTANCE_835]
    rows = session.scalars(
        select(MailboxFileRow)
        .where(MailboxFileRow.clinic_id == actor.clinic_id, MailboxFileRow.direction == IN)
        .where(MailboxFileRow.outcome == WAITING, MailboxFileRow.transaction_type.in_(kinds))
        .order_by(MailboxFileRow.id)
        .with_for_update()
    ).all()
    for row in rows:
        _apply(session, actor, row, _handle(session, actor, row, now), now)
    return len(rows)


def poll(session: Session, actor: Actor, mailbox: Mailbox, clock: Clock) -> PollResult:
    """Receive what the inbox holds: each new file stored, handled by its type and archived once done."""
    require_role(actor, BILLERS)
    now = clock.now()
    problems: list[str] = []
    try:
        names = mailbox.list_inbox()
    except MailboxError as exc:
        audit(session, actor, "read", "mailbox", None, "poll: the inbox could not be listed")
        return PollResult(0, 0, 0, 0, (str(exc),))
    received = handled = failed = 0
    for name in names:
        new, answer = _receive(session, actor, mailbox, name, now, problems)
        received += new
        if answer is not None:
            handled += answer.done
            failed += not answer.done
    handled += _kept_for_a_reader(session, actor, now)
    audit(session, actor, "read", "mailbox", None, f"poll: {len(names)} listed, {received} new")
    return PollResult(len(names), received, handled, failed, tuple(problems))


def send_batch(
    session: Session, actor: Actor, mailbox: Mailbox, batch_id: int, clock: Clock, *, confirm_late: bool = False
) -> MailboxFile:
    """Mark the batch submitted and put its 837P into the outbox, named by the clinic's rule; a failed upload
    undoes the marking (a savepoint), so the batch stays built and can be sent again."""
    require_role(actor, BILLERS)
    batch = get_batch(session, actor, batch_id)  # another clinic's batch: NotFoundError
    day = day_in(clock, ZoneInfo(clinic_zone(session, actor.clinic_id)))
    name = file_name(
        name_template(session, actor.clinic_id),
        clinic_code(session, actor.clinic_id),
        batch.id,
        day,
        batch.interchange_control_number,
    )
    data = batch.content.encode("utf-8")
    with session.begin_nested():
        mark_batch_submitted(session, actor, batch_id, clock=clock, confirm_late=confirm_late)
        row = outgoing_file(
            session,
            actor.clinic_id,
            name,
            data,
            "837P",
            f"batch {batch.id}: {batch.claim_count} claim(s)",
            clock.now(),
            batch_id=batch.id,
        )
        mailbox.send(name, data)  # last: a failure rolls the savepoint back
    audit(session, actor, "create", "mailbox_file", str(row.id), f"sent batch {batch.id}")
    return copy_of(MailboxFile, row)


def outgoing_file(
    session: Session,
    clinic_id: int,
    name: str,
    data: bytes,
    transaction_type: str,
    message: str,
    now: datetime,
    *,
    batch_id: int | None = None,
) -> MailboxFileRow:
    """The row of a file about to be sent (an 837P batch, a 270, a 276), flushed for its id. The caller adds it
    in the savepoint that ends with ``mailbox.send``, so a failed upload leaves no row."""
    row = MailboxFileRow(
        clinic_id=clinic_id,
        direction=OUT,
        name=name,
        sha256=hashlib.sha256(data).hexdigest(),
        size_bytes=len(data),
        transaction_type=transaction_type,
        received_at=now,
        outcome=SENT,
        message=message,
        attempts=1,
        batch_id=batch_id,
        content=data,
    )
    session.add(row)
    session.flush()
    return row


def send_270(session: Session, clinic_id: int, mailbox: Mailbox, request_id: int, clock: Clock) -> MailboxFile:
    """Put a stored 270 into the outbox, named by the clinic's rule (``{batch}`` is the request's number, and a
    rule's ``.837`` ending becomes ``.270``); the caller checked who may ask. A failed upload stores nothing."""
    asked = session.get(EligibilityRequestRow, request_id)
    if asked is None or asked.clinic_id != clinic_id:
        raise NotFoundError(f"eligibility request {request_id} not found")
    day = day_in(clock, ZoneInfo(clinic_zone(session, clinic_id)))
    name = file_name(
        name_template(session, clinic_id),
        clinic_code(session, clinic_id),
        asked.id,
        day,
        asked.interchange_control_number,
    )
    name = name[: -len(".837")] + ".270" if name.endswith(".837") else name
    data = asked.content.encode("utf-8")
    with session.begin_nested():
        row = outgoing_file(session, clinic_id, name, data, "270", f"eligibility request {asked.id}", clock.now())
        asked.mailbox_file_id = row.id
        mailbox.send(name, data)  # last: a failure rolls the savepoint back
    audit(
        session,
        None,
        "create",
        "mailbox_file",
        str(row.id),
        f"sent eligibility request {asked.id}",
        clinic_id=clinic_id,
    )
    return copy_of(MailboxFile, row)


def list_files(session: Session, actor: Actor, direction: str, limit: int = 100) -> list[MailboxFile]:
    """The clinic's files received (``IN``) or sent (``OUT``), newest first."""
    require_role(actor, BILLERS)
    rows = session.scalars(
        select(MailboxFileRow)
        .where(MailboxFileRow.clinic_id == actor.clinic_id, MailboxFileRow.direction == direction)
        .order_by(MailboxFileRow.id.desc())
        .limit(limit)
    )
    files = [copy_of(MailboxFile, row) for row in rows]
    audit(session, actor, "read", "mailbox_file", None, f"list of {len(files)} {direction}")
    return files
