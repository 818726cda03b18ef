"""Where declared jobs run: procrastinate's queue on PostgreSQL, in-process on SQLite.

``defer(name, clinic_id=..., user_id=..., **args)`` writes the ``job_runs`` row (queued) and, on PostgreSQL,
defers procrastinate's task of that name with the row's id as its only argument; any worker
(``ptbill worker``, on any machine reaching the database) picks it up exactly once (``SELECT ... FOR UPDATE
SKIP LOCKED`` in procrastinate's fetch). On SQLite the job runs at once, in the caller's thread, with the
same function: no broker, no network. ``run_job(run_id)`` runs one attempt and records it.
"""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import UTC, datetime
from typing import Any

from croniter import croniter
from sqlalchemy.orm import Session, sessionmaker

from ptbill.domain.clock import Clock
from ptbill.domain.errors import PtbillError
from ptbill.jobs.declared import JOBS, JobContext, JobKind, JobRefusedError
from ptbill.services.access import Actor
from ptbill.services.job_runs import create_run, end_run, input_of, last_started, record_progress, start_run
from ptbill.settings import Settings
from ptbill.storage.session import transaction


class JobAttemptError(PtbillError):
    """An attempt failed; the queue retries it per the job's policy. It carries the error's type only."""


PROGRESS_SECONDS = 0.5  # progress written at most this often (PostgreSQL: its own short transaction)


def check_schedule(schedule: tuple[tuple[str, str], ...]) -> None:
    """Every scheduled name a periodic job, every cron expression valid; else ValueError naming it."""
    for name, cron in schedule:
        kind = JOBS.get(name)
        if kind is None or not kind.periodic:
            periodic = ", ".join(sorted(k for k, v in JOBS.items() if v.periodic))
            raise ValueError(f"PTBILL_JOB_SCHEDULE: {name!r} is not a periodic job (those are: {periodic})")
        if not croniter.is_valid(cron):
            raise ValueError(f"PTBILL_JOB_SCHEDULE: {name}: {cron!r} is not a cron expression")


class _Progress:
    """A job's progress: written as it goes on PostgreSQL (a short transaction of its own, at most every
    PROGRESS_SECONDS), kept in memory on SQLite, whose one writer is the job's own transaction."""

    def __init__(self, runner: JobRunner, run_id: int) -> None:
        self.runner, self.run_id = runner, run_id
        self.done = self.total = 0
        self.written = 0.0

    def __call__(self, done: int, total: int) -> None:
        self.done, self.total = done, total
        now = time.monotonic()
        if self.runner.queued and (now - self.written >= PROGRESS_SECONDS or done >= total):
            self.written = now
            self.flush()

    def flush(self) -> None:
        with transaction(self.runner.sessions) as session:
            record_progress(session, self.run_id, self.done, self.total)


class JobRunner:
    def __init__(self, settings: Settings, sessions: sessionmaker[Session], clock: Clock | None = None) -> None:
        check_schedule(settings.jobs.schedule)
        self.settings = settings
        self.sessions = sessions
        self.clock = clock or settings.clock
        self.queued = settings.database_url.startswith("postgresql")
        self._app: Any = None
        self._deferrer: Any = None  # an App opened for synchronous defers (the web process), once
        self._lock = threading.Lock()

    # -- deferring -------------------------------------------------------------------------------------

    def defer(
        self,
        name: str,
        actor: Actor | None = None,
        *,
        data: bytes | None = None,
        data_name: str | None = None,
        **args: Any,
    ) -> int:
        """Queue job ``name`` for the actor's clinic (none: the installation's own) with primitive ``args``;
        its ``job_runs`` id. On SQLite it has run (every attempt its retry policy allows) when this returns."""
        kind = JOBS[name]
        with transaction(self.sessions) as session:
            run_id = create_run(session, actor, name, args, self.clock, data=data, data_name=data_name)
        if self.queued:
            try:
                self.deferrer().configure_task(kind.name).defer(run_id=run_id)
            except Exception:
                self._end(run_id, failed=True, message="could not be queued: the job queue did not answer")
                raise
        else:
            self.run_in_process(run_id, kind)
        return run_id

    def run_in_process(self, run_id: int, kind: JobKind) -> None:
        """SQLite: each attempt at once, as procrastinate would retry it (without the wait)."""
        for _ in range(kind.retries + 1):
            try:
                self.run_job(run_id)
                return
            except Exception:  # recorded failed by run_job; tried again while the policy allows
                continue

    # -- running ----------------------------------------------------------------------------------------

    def run_job(self, run_id: int) -> None:
        """One attempt: running → done, or failed with a message naming no patient. An unexpected error is
        raised again after it is recorded, so the queue retries it; a JobRefusedError is not."""
        with transaction(self.sessions) as session:
            row = start_run(session, run_id, self.clock)
            kind_name, clinic_id, user_id, attempt = row.kind, row.clinic_id, row.user_id, row.attempts
            args, data, data_name = input_of(session, run_id)
        progress = _Progress(self, run_id)
        context = JobContext(
            run_id, clinic_id, user_id, args, data, data_name, self.sessions, self.clock, self.settings, progress
        )
        try:
            outcome = JOBS[kind_name].function(context)
        except JobRefusedError as refused:
            self._end(run_id, failed=True, message=str(refused), progress=progress)
            return
        except Exception as error:
            # The type only: an error's text may quote the data it was handling.
            message = f"attempt {attempt} failed: {type(error).__name__} (details withheld; retried per its policy)"
            self._end(run_id, failed=True, message=message, progress=progress)
            raise JobAttemptError(f"job {run_id}: {message}") from None  # what the queue logs: no data
        self._end(run_id, failed=False, message=outcome.message, result_id=outcome.result_id, progress=progress)

    def _end(
        self,
        run_id: int,
        *,
        failed: bool,
        message: str,
        result_id: int | None = None,
        progress: _Progress | None = None,
    ) -> None:
        with transaction(self.sessions) as session:
            if progress is not None:
                record_progress(session, run_id, progress.done, progress.total)
            end_run(session, run_id, self.clock, failed=failed, message=message, result_id=result_id)

    def run_periodic(self, name: str) -> int:
        """A scheduled job's run now, without a clinic: its ``job_runs`` id."""
        with transaction(self.sessions) as session:
            run_id = create_run(session, None, name, {}, self.clock)
        self.run_in_process(run_id, JOBS[name])
        return run_id

    def run_due(self) -> list[str]:
        """The scheduled jobs whose cron time passed since their last run, run now (``ptbill worker --once``
        on SQLite, from a system timer): their names."""
        now = self.clock.now()
        ran = []
        for name, cron in self.settings.jobs.schedule:
            due = croniter(cron, now).get_prev(datetime).replace(tzinfo=UTC)
            with self.sessions() as session:
                last = last_started(session, name)
            if last is None or last.replace(tzinfo=last.tzinfo or UTC) < due:
                self.run_periodic(name)
                ran.append(name)
        return ran

    # -- procrastinate ------------------------------------------------------------------------------------

    def app(self) -> Any:
        """procrastinate's App on the app's database, in its schema (the URL's search_path), its tasks the
        declared jobs, its periodic tasks the schedule. Built once; opened by whoever runs a worker."""
        if self._app is None:
            self._app = build_app(self)
        return self._app

    def deferrer(self) -> Any:
        with self._lock:
            if self._deferrer is None:
                self._deferrer = build_app(self, min_size=1, max_size=4)
                self._deferrer.open()
            return self._deferrer

    def close(self) -> None:
        with self._lock:
            if self._deferrer is not None:
                self._deferrer.close()
                self._deferrer = None

    def run_worker(self, *, queues: list[str] | None, concurrency: int, wait: bool = True) -> None:
        asyncio.run(self.worker(queues=queues, concurrency=concurrency, wait=wait, signals=wait))

    async def worker(
        self, *, queues: list[str] | None, concurrency: int, wait: bool = True, signals: bool = False
    ) -> None:
        """A worker on its own connections (cancel it to stop it; ``signals``: Ctrl-C stops it, main thread only)."""
        app = self.app()
        async with app.open_async():
            await app.run_worker_async(
                queues=queues, concurrency=concurrency, wait=wait, install_signal_handlers=signals, listen_notify=wait
            )


def build_app(runner: JobRunner, **pool: Any) -> Any:
    import procrastinate

    # libpq reads the URL's options=-csearch_path=... too: the queue's tables are found in the app's schema.
    conninfo = runner.settings.database_url.replace("postgresql+psycopg://", "postgresql://", 1)
    app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=conninfo, **pool))
    for kind in JOBS.values():
        app.task(
            name=kind.name,
            queue=kind.queue,
            retry=procrastinate.RetryStrategy(max_attempts=kind.retries, wait=kind.retry_seconds),
        )(_task(runner))
    for name, cron in runner.settings.jobs.schedule:
        task = app.task(name=f"periodic:{name}", queue=JOBS[name].queue)(_periodic(runner, name))
        app.periodic(cron=cron, periodic_id=name)(task)
    return app


def _task(runner: JobRunner) -> Any:
    def task(run_id: int) -> None:
        runner.run_job(run_id)

    return task


def _periodic(runner: JobRunner, name: str) -> Any:
    def task(timestamp: int) -> None:
        runner.run_periodic(name)

    return task
