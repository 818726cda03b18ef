"""Background jobs (ptbill.jobs): procrastinate's queue on PostgreSQL, in-process on SQLite; their ``job_runs``
rows, retries, and the large-835 upload that posts as a job with its progress page."""

from __future__ import annotations

import asyncio
import os
import re
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, sessionmaker

from ptbill.domain.remittance import ClaimPayment, ClaimStatus, Remittance
from ptbill.jobs.declared import JOBS, JobContext, Outcome, job
from ptbill.jobs.runner import JobRunner
from ptbill.remittance.x12_835.writer import write_835
from ptbill.server import create_app
from ptbill.services import access
from ptbill.settings import JobSettings, Settings
from ptbill.storage.session import make_engine, session_factory, transaction
from ptbill.storage.tables import JobRunRow, RemittanceFileRow, RemittanceRow
from tests.integration.api.world import A_USERS, fresh_database, running_world
from tests.integration.page_forms import logged_in
from tests.integration.queue_worker import work_the_queue
from tests.integration.test_storage_services import make_clinic

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
# The issue asks two workers to run for 60 s; under CI=true they do (the test stays under 70 s). Locally a
# shorter run proves the same thing without holding a shared machine: every file is deferred before the
# run ends and the workers keep polling the whole time.
WORKER_SECONDS = 60.0 if os.environ.get("CI") == "true" else 8.0
FILES = 24
CLAIMS_PER_FILE = 15


def era(trace: str, claims: int) -> bytes:
    """An 835 paying ``claims`` claims no clinic billed (posted as unmatched payments), balanced."""
    payments = tuple(
        ClaimPayment(f"UNK{trace[-6:]}{n:04d}", ClaimStatus.PRIMARY, Decimal("100.00"), Decimal("100.00"))
        for n in range(claims)
    )
    remittance = Remittance(
        payer_name="CA MEDICARE SOUTH",
        payer_id="CAMEDS",
        payee_name="HARBOR PT",
        payee_npi="1245319599",
        payee_tax_id=None,
        handling=None,
        payment_amount=Decimal(100 * claims),
        credit_debit=None,
        payment_method=None,
        payment_date=date(2026, 3, 20),
        trace_number=trace,
        originating_company_id=None,
        production_date=None,
        claims=payments,
    )
    return write_835(remittance).encode()


@contextmanager
def setup(url: str, tmp_path: Path) -> Iterator[tuple[JobRunner, sessionmaker[Session], access.Actor]]:
    """A runner on ``url`` and a clinic's biller; its connections closed afterwards."""
    engine = make_engine(url)
    sessions = session_factory(engine)
    with transaction(sessions) as session:
        _, biller, _ = make_clinic(session, f"jobs{uuid.uuid4().hex[:6]}")
    settings = Settings(database_url=url, data_dir=tmp_path, secret_key="test", secure_cookies=False)
    runner = JobRunner(settings, sessions)
    try:
        yield runner, sessions, biller
    finally:
        runner.close()
        engine.dispose()


def run_workers(url: str, tmp_path: Path, count: int, seconds: float, queues: list[str] | None) -> None:
    """``count`` workers, each in a thread with its own runner and connections, for ``seconds``."""

    def one() -> None:
        settings = Settings(database_url=url, data_dir=tmp_path, secret_key="test", secure_cookies=False)
        engine = make_engine(url)
        runner = JobRunner(settings, session_factory(engine))
        try:
            asyncio.run(asyncio.wait_for(runner.worker(queues=queues, concurrency=2), seconds))
        except TimeoutError:
            pass
        finally:
            engine.dispose()

    threads = [threading.Thread(target=one) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + 30)


@pytest.mark.postgres
@pytest.mark.slow
def test_on_postgresql_two_workers_running_the_same_queue_post_every_deferred_835_file_exactly_once(
    tmp_path: Path,
) -> None:
    with fresh_database("postgresql", tmp_path) as url, setup(url, tmp_path) as (runner, sessions, biller):
        started = time.monotonic()
        workers = threading.Thread(target=run_workers, args=(url, tmp_path, 2, WORKER_SECONDS, ["remittances"]))
        run_ids = [runner.defer("post_835_file", biller, data=era(f"EFT{n:06d}", CLAIMS_PER_FILE)) for n in range(8)]
        workers.start()  # the rest deferred while both workers run
        run_ids += [
            runner.defer("post_835_file", biller, data=era(f"EFT{n:06d}", CLAIMS_PER_FILE)) for n in range(8, FILES)
        ]
        runner.close()
        workers.join()
        elapsed = time.monotonic() - started
        with sessions() as session:
            runs = session.scalars(select(JobRunRow).where(JobRunRow.id.in_(run_ids))).all()
            assert sorted((r.status, r.attempts) for r in runs) == [("done", 1)] * FILES, [r.message for r in runs]
            assert all(r.progress_done == r.progress_total == CLAIMS_PER_FILE for r in runs)
            files = session.scalars(select(RemittanceFileRow).where(RemittanceFileRow.clinic_id == biller.clinic_id))
            assert sorted(f.id for f in files) == sorted(r.result_id for r in runs)
            assert session.scalar(select(func.count()).select_from(RemittanceRow)) == FILES
            queue = session.execute(text("SELECT status, count(*) FROM procrastinate_jobs GROUP BY status")).all()
            assert queue == [("succeeded", FILES)]
            started_twice = session.scalar(
                text(
                    "SELECT count(*) FROM (SELECT job_id FROM procrastinate_events WHERE type = 'started' "
                    "GROUP BY job_id HAVING count(*) > 1) AS twice"
                )
            )
            assert started_twice == 0
        assert elapsed < WORKER_SECONDS + 10


def test_on_sqlite_deferring_a_job_runs_it_in_process_and_records_its_row_done(tmp_path: Path) -> None:
    with fresh_database("sqlite", tmp_path) as url, setup(url, tmp_path) as (runner, sessions, biller):
        run_id = runner.defer("post_835_file", biller, data=era("EFT000001", 5), data_name="era.835")
        with sessions() as session:
            row = session.get(JobRunRow, run_id)
            assert row is not None
            assert (row.status, row.attempts, row.progress_done, row.progress_total) == ("done", 1, 5, 5)
            assert row.input is None
            assert row.input_name is None
            posted = session.get(RemittanceFileRow, row.result_id)
            assert posted is not None
            assert posted.file_name == "era.835"
            assert row.started_at is not None
            assert row.finished_at is not None


ATTEMPTS: dict[str, int] = {}  # by database and job


@job("test_always_fails", retries=2, retry_seconds=0)
def always_fails(ctx: JobContext) -> Outcome:
    key = f"{ctx.settings.database_url}#{ctx.run_id}"
    ATTEMPTS[key] = ATTEMPTS.get(key, 0) + 1
    raise RuntimeError("could not reach the payer for AVA TESTWELL")  # text with a name: never recorded


@pytest.mark.parametrize("kind", BACKENDS)
def test_a_failing_job_is_recorded_failed_with_its_message_and_retried_per_its_policy(
    kind: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    assert JOBS["test_always_fails"].retries == 2
    with fresh_database(kind, tmp_path) as url, setup(url, tmp_path) as (runner, sessions, biller):
        failing = runner.defer("test_always_fails", biller, claim_id=7)
        refused = runner.defer("post_835_file", biller, data=b"ISA*not an 835~", data_name="bad.835")
        runner.close()
        if runner.queued:
            run_workers(url, tmp_path, 1, 8.0, None)
        with sessions() as session:
            row, bad = session.get(JobRunRow, failing), session.get(JobRunRow, refused)
            assert row is not None
            assert bad is not None
            assert (row.status, row.attempts, ATTEMPTS[f"{url}#{failing}"]) == ("failed", 3, 3)
            assert row.message == "attempt 3 failed: RuntimeError (details withheld; retried per its policy)"
            assert (bad.status, bad.attempts) == ("failed", 1)  # a refused file is not retried
            assert bad.message is not None
            assert bad.message.startswith("not posted (malformed)")
            assert "TESTWELL" not in (row.message + bad.message)
            assert bad.input is not None  # kept until it is posted or given up on
        assert "TESTWELL" not in caplog.text  # nor in what the queue logs


@pytest.mark.parametrize("kind", BACKENDS)
def test_the_large_835_upload_page_shows_progress_and_ends_posted(kind: str, tmp_path: Path) -> None:
    with running_world(kind, tmp_path, encounters=4, patients=2) as world:
        settings = Settings(
            database_url=world.database_url,
            data_dir=tmp_path,
            secret_key="test",
            secure_cookies=False,
            jobs=JobSettings(background_bytes=2000),
        )
        app = create_app(settings)
        client = logged_in(app, A_USERS["biller"])
        page = client.get("/remittances")
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert csrf is not None
        data = era("EFT000777", 40)
        assert len(data) > 2000
        answer = client.post(
            "/remittances",
            data={"csrf_token": csrf.group(1)},
            files=[("files", ("big.835", data))],
            follow_redirects=False,
        )
        assert answer.status_code == 303, answer.text
        job_page = answer.headers["location"]
        assert re.fullmatch(r"/remittances/jobs/[0-9]+", job_page)
        first = client.get(job_page)
        assert first.status_code == 200
        assert 'id="job-progress"' in first.text
        if app.state.ptbill.jobs.queued:
            assert "Waiting for a worker" in first.text
            assert 'http-equiv="refresh"' in first.text
            work_the_queue(app)
        done = client.get(job_page)
        assert "Posted" in done.text, done.text
        assert "40 of 40 (100%)" in done.text
        assert 'http-equiv="refresh"' not in done.text
        app.state.ptbill.jobs.close()
        summary = re.search(r'href="(/remittances/[0-9]+)"', done.text)
        assert summary is not None
        assert client.get(summary.group(1)).status_code == 200
        other = logged_in(app, "biller@mesa.example")
        assert other.get(job_page).status_code == 404  # another clinic's job is not found
        app.state.ptbill.sessions.kw["bind"].dispose()
