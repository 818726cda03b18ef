"""Background jobs as rows (``job_runs``, migration 0022_jobs): queued, running, done or failed, with their
progress and a message that names no patient. ``ptbill.jobs`` runs them; this module only keeps their rows.

A clinic's job belongs to it and to the user who asked: only that clinic's billers and admins read it. The
installation's own jobs (the reference checks) have no clinic. Arguments are ids and numbers only; the
bytes a job reads (an uploaded 835) sit in ``input`` until it ends, never in the queue's arguments.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ptbill.domain.clock import Clock
from ptbill.services.access import BILLERS, Actor, NotFoundError, require_role
from ptbill.services.audit import audit
from ptbill.storage.tables import JobRunRow, UserRow

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
MAX_MESSAGE = 500


@dataclass(frozen=True, slots=True)
class JobRun:
    id: int
    clinic_id: int | None
    kind: str
    status: str
    attempts: int
    progress_done: int
    progress_total: int
    message: str | None
    result_id: int | None
    user_id: int | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    @property
    def finished(self) -> bool:
        return self.status in (DONE, FAILED)

    @property
    def percent(self) -> int:
        if self.status == DONE:
            return 100
        return min(100, self.progress_done * 100 // self.progress_total) if self.progress_total else 0


def _record(row: JobRunRow) -> JobRun:
    return JobRun(
        row.id,
        row.clinic_id,
        row.kind,
        row.status,
        row.attempts,
        row.progress_done,
        row.progress_total,
        row.message,
        row.result_id,
        row.user_id,
        row.created_at,
        row.started_at,
        row.finished_at,
    )


def _primitive(args: dict[str, Any]) -> dict[str, Any]:
    """Ids, numbers, flags and short codes only: a job's arguments are logged and queued, so no patient data."""
    for key, value in args.items():
        if not isinstance(value, int | float | bool | str | None) or (isinstance(value, str) and len(value) > 40):
            raise ValueError(f"job argument {key!r}: ids, numbers and short codes only")
    return dict(args)


def create_run(
    session: Session,
    actor: Actor | None,
    kind: str,
    args: dict[str, Any],
    clock: Clock,
    *,
    data: bytes | None = None,
    data_name: str | None = None,
) -> int:
    """A queued job of ``kind`` for the actor's clinic (none: the installation's own job); its id."""
    row = JobRunRow(
        clinic_id=actor.clinic_id if actor else None,
        kind=kind,
        status=QUEUED,
        attempts=0,
        progress_done=0,
        progress_total=0,
        args=_primitive(args),
        input=data,
        input_name=data_name[:200] if data_name else None,
        user_id=actor.user_id if actor else None,
        created_at=clock.now(),
    )
    session.add(row)
    session.flush()
    if actor is not None:
        audit(session, actor, "create", "job_run", str(row.id), kind)
    return row.id


def start_run(session: Session, run_id: int, clock: Clock) -> JobRunRow:
    """The job's row, marked running for one more attempt."""
    row = session.get(JobRunRow, run_id, with_for_update=True)
    if row is None:
        raise NotFoundError(f"job {run_id} not found")
    row.status, row.attempts, row.started_at, row.finished_at = RUNNING, row.attempts + 1, clock.now(), None
    return row


def record_progress(session: Session, run_id: int, done: int, total: int) -> None:
    session.execute(
        update(JobRunRow).where(JobRunRow.id == run_id).values(progress_done=max(done, 0), progress_total=max(total, 0))
    )


def end_run(
    session: Session, run_id: int, clock: Clock, *, failed: bool, message: str, result_id: int | None = None
) -> None:
    """Done or failed, with its message; the input it read is dropped once it is done."""
    values: dict[str, Any] = {
        "status": FAILED if failed else DONE,
        "message": message[:MAX_MESSAGE],
        "finished_at": clock.now(),
    }
    if not failed:
        values["input"] = values["input_name"] = None
        values["result_id"] = result_id
    session.execute(update(JobRunRow).where(JobRunRow.id == run_id).values(**values))


def actor_of(session: Session, clinic_id: int, user_id: int) -> Actor:
    """The user a job acts as, as they are now: still active, still of that clinic, with their role now."""
    user = session.scalar(select(UserRow).where(UserRow.id == user_id, UserRow.clinic_id == clinic_id, UserRow.active))
    if user is None:
        raise NotFoundError(f"user {user_id} of clinic {clinic_id} is not an active user")
    return Actor(user.id, user.clinic_id, user.role, user.name)


def get_run(session: Session, actor: Actor, run_id: int) -> JobRun:
    """One of the clinic's jobs (its billers and admins only); another clinic's is not found."""
    require_role(actor, BILLERS)
    row = session.scalar(select(JobRunRow).where(JobRunRow.id == run_id, JobRunRow.clinic_id == actor.clinic_id))
    if row is None:
        raise NotFoundError(f"job {run_id} not found")
    return _record(row)


def run_of(session: Session, run_id: int) -> JobRun:
    """A job as its runner reads it (no actor: the worker)."""
    row = session.get(JobRunRow, run_id)
    if row is None:
        raise NotFoundError(f"job {run_id} not found")
    return _record(row)


def input_of(session: Session, run_id: int) -> tuple[dict[str, Any], bytes | None, str | None]:
    """The job's arguments, and the bytes it reads with their file name."""
    row = session.get(JobRunRow, run_id)
    if row is None:
        raise NotFoundError(f"job {run_id} not found")
    return dict(row.args), row.input, row.input_name


def last_started(session: Session, kind: str) -> datetime | None:
    """When a job of ``kind`` was last created: whether a scheduled one is due."""
    return session.scalar(select(JobRunRow.created_at).where(JobRunRow.kind == kind).order_by(JobRunRow.id.desc()))
