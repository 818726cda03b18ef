"""The one place background jobs are declared: a name, a retry policy, a queue, and a function of a
``JobContext`` (its ``job_runs`` row's ids and primitive arguments, the sessions, the clock, a progress
callback) returning what it did in words without patient data.

Adding a job is one function here (or in a module imported here)::

    @job("mailbox_poll", retries=3, periodic=True)
    def mailbox_poll(ctx: JobContext) -> Outcome:
        ...  # a services call with ctx.sessions and ctx.clock
        return Outcome("3 files fetched")

``periodic=True`` lets ``PTBILL_JOB_SCHEDULE`` name it with a cron expression (it then runs without a clinic
or a user: the installation's own job). A job for one clinic takes ``clinic_id`` and ``user_id`` from
``defer`` and acts as that user, checked again when it runs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ptbill.domain.clock import Clock
from ptbill.domain.errors import PtbillError
from ptbill.mailbox.transport import MailboxError
from ptbill.services.eligibility_send import DAYS_AHEAD, nightly_run
from ptbill.services.job_runs import actor_of
from ptbill.services.mailbox_settings import clinic_mailbox
from ptbill.services.reference_status import reference_status
from ptbill.services.remittance_files import REFUSED, post_file
from ptbill.services.reports.ledger import compact_ledger_marks
from ptbill.services.statements import run_statements as statement_run
from ptbill.settings import Settings
from ptbill.storage.session import transaction
from ptbill.storage.tables import ClinicRow


class JobRefusedError(PtbillError):
    """The job cannot succeed, whatever the retries: recorded failed with this message, not retried.
    The message names no patient."""


@dataclass(frozen=True, slots=True)
class Outcome:
    message: str
    result_id: int | None = None


@dataclass(frozen=True, slots=True)
class JobContext:
    run_id: int
    clinic_id: int | None
    user_id: int | None
    args: dict[str, Any]  # ids, numbers, short codes
    data: bytes | None  # the bytes the job reads (an uploaded 835), kept with its row until done
    data_name: str | None
    sessions: sessionmaker[Session]
    clock: Clock
    settings: Settings
    progress: Callable[[int, int], None]  # (done, total), recorded as the job goes on where the database allows

    def actor_ids(self) -> tuple[int, int]:
        if self.clinic_id is None or self.user_id is None:
            raise JobRefusedError("this job acts for a clinic's user and names none")
        return self.clinic_id, self.user_id


JobFunction = Callable[[JobContext], Outcome]


@dataclass(frozen=True, slots=True)
class JobKind:
    name: str
    function: JobFunction
    retries: int  # attempts after the first, when an attempt raises anything but JobRefusedError
    retry_seconds: int  # the wait before each retry (procrastinate's RetryStrategy)
    queue: str
    periodic: bool  # may be scheduled by PTBILL_JOB_SCHEDULE


JOBS: dict[str, JobKind] = {}


def job(
    name: str, *, retries: int = 0, retry_seconds: int = 30, queue: str = "default", periodic: bool = False
) -> Callable[[JobFunction], JobFunction]:
    """Declare a job. A name is declared once."""

    def register(function: JobFunction) -> JobFunction:
        if name in JOBS and JOBS[name].function is not function:
            raise ValueError(f"job {name!r} is declared twice")
        JOBS[name] = JobKind(name, function, retries, retry_seconds, queue, periodic)
        return function

    return register


@job("post_835_file", retries=2, queue="remittances")
def post_835_file(ctx: JobContext) -> Outcome:
    """A large 835 file posted whole, its progress counted in claim payments."""
    clinic_id, user_id = ctx.actor_ids()
    if ctx.data is None:
        raise JobRefusedError("the uploaded file is no longer stored: upload it again")
    with transaction(ctx.sessions) as session:
        actor = actor_of(session, clinic_id, user_id)
        result = post_file(
            session,
            actor,
            ctx.data_name or "upload.835",
            ctx.data,
            max_bytes=ctx.settings.request_limits.upload_bytes,
            progress=ctx.progress,
        )
    if result.outcome == REFUSED:
        # The reason code and the count only: the problems may quote the file's names and amounts.
        raise JobRefusedError(f"not posted ({result.reason}): {len(result.problems)} problem(s); upload it again")
    assert result.file is not None
    summary = result.file.summary
    return Outcome(
        f"{result.outcome.replace('_', ' ')}: {summary.claims_posted} claim payment(s) posted, "
        f"{summary.claims_already_posted} already on file, {len(summary.unmatched_claims)} unmatched",
        result.file.id,
    )


@job("run_statements", retries=1, queue="statements")
def run_statements(ctx: JobContext) -> Outcome:
    """The clinic's statement run over ``minimum`` (a decimal string)."""
    clinic_id, user_id = ctx.actor_ids()
    minimum = Decimal(str(ctx.args.get("minimum", "0")))
    with transaction(ctx.sessions) as session:
        actor = actor_of(session, clinic_id, user_id)
        run = statement_run(session, actor, minimum=minimum, clock=ctx.clock, progress=ctx.progress)
    return Outcome(f"statement run #{run.id}: {run.count} statement(s)", run.id)


@job("reference_checks", retries=2, periodic=True)
def reference_checks(ctx: JobContext) -> Outcome:
    """What ``ptbill reference status`` prints, checked on a schedule: which tables are installed or missing."""
    lines = reference_status(ctx.settings.data_dir)
    missing = [line.table for line in lines if not line.installed]
    ctx.progress(len(lines), len(lines))
    text = f"{len(lines) - len(missing)} of {len(lines)} reference tables installed"
    return Outcome(text + (f"; not installed: {', '.join(missing)}" if missing else ""))


@job("ledger_marks_compact", retries=2, periodic=True)
def ledger_marks_compact(ctx: JobContext) -> Outcome:
    """The ledger marks every clinic's changes left (the A/R aging's revision) folded into each clinic's total,
    so reading a revision stays one short count however long the clinic has billed. Revisions are unchanged."""
    with transaction(ctx.sessions) as session:
        folded = compact_ledger_marks(session)
    ctx.progress(folded, folded)
    return Outcome(f"{folded} ledger mark(s) folded into the clinics' totals")


@job("nightly_eligibility", retries=1, periodic=True)
def nightly_eligibility(ctx: JobContext) -> Outcome:
    """Each clinic's patients expected in the next ``days_ahead`` days (default 7) or under a plan of care in
    force, whose eligibility answer is not current: a 270 each through the clinic's mailbox. Scheduled, it runs
    for every clinic; deferred for one clinic, for that clinic only."""
    days_ahead = int(ctx.args.get("days_ahead", DAYS_AHEAD))
    with ctx.sessions() as session:
        clinics = [ctx.clinic_id] if ctx.clinic_id is not None else list(session.scalars(select(ClinicRow.id)))
    asked = failed = unreachable = 0
    for number, clinic_id in enumerate(clinics, start=1):
        try:
            with transaction(ctx.sessions) as session:
                box = clinic_mailbox(
                    session, clinic_id, secret_key=ctx.settings.secret_key, data_dir=ctx.settings.data_dir
                )
                try:
                    result = nightly_run(session, clinic_id, box, ctx.clock, days_ahead=days_ahead)
                finally:
                    box.close()
        except MailboxError:  # this clinic's mailbox cannot be reached tonight: the others still run
            unreachable += 1
            continue
        asked, failed = asked + result.asked, failed + result.failed
        ctx.progress(number, len(clinics))
    text = f"{asked} eligibility request(s) sent for {len(clinics)} clinic(s), {failed} failed"
    return Outcome(text + (f"; {unreachable} clinic mailbox(es) unreachable" if unreachable else ""))


# The clearinghouse mailbox's jobs (mailbox_poll, mailbox_send, claim_status_inquiries) are declared in their
# own module, imported here so that every job is declared once this module is imported.
from ptbill.jobs import mailbox_jobs  # noqa: E402, F401
