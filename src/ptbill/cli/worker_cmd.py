"""``ptbill worker``: runs the background jobs. On PostgreSQL a procrastinate worker takes jobs from the queue
in the app's database (several workers, on several machines, each job taken once); on SQLite jobs run
in-process where they are deferred, so it only runs the scheduled jobs that are due, with ``--once``."""

from __future__ import annotations

import sys

import click


@click.command()
@click.option("--concurrency", default=1, show_default=True, type=click.IntRange(1, 64), help="Jobs at once.")
@click.option(
    "--queue",
    "queues",
    multiple=True,
    help="Take jobs of this queue only (repeatable): remittances, statements, mailbox, default. Default: every queue.",
)
@click.option(
    "--once",
    is_flag=True,
    help="PostgreSQL: run what is queued, then stop. SQLite: run the scheduled jobs that are due, then stop.",
)
def worker(concurrency: int, queues: tuple[str, ...], once: bool) -> None:
    """Run background jobs (835 files posted with progress, statement runs, scheduled reference checks)."""
    from ptbill.cli.commands import _redacted
    from ptbill.jobs.runner import JobRunner
    from ptbill.settings import Settings
    from ptbill.storage.migrate import upgrade
    from ptbill.storage.session import make_engine, session_factory

    try:
        settings = Settings.from_environment()
        upgrade(settings.database_url)
        runner = JobRunner(settings, session_factory(make_engine(settings.database_url)))
    except ValueError as exc:  # a bad PTBILL_JOB_SCHEDULE, named
        click.echo(f"worker: {exc}", err=True)
        sys.exit(2)
    if not runner.queued:
        if once:
            ran = runner.run_due()
            click.echo(f"worker: ran {', '.join(ran) if ran else 'no scheduled job (none due)'}")
            return
        click.echo(
            "worker: this database is SQLite: jobs run in-process when they are asked for, no worker is needed. "
            "`ptbill worker --once` from a system timer runs the scheduled jobs that are due."
        )
        return
    schedule = ", ".join(f"{name} ({cron})" for name, cron in settings.jobs.schedule) or "none"
    click.echo(
        f"worker on {_redacted(settings.database_url)}: queues {', '.join(queues) or 'all'}, "
        f"concurrency {concurrency}, schedule {schedule}"
    )
    runner.run_worker(queues=list(queues) or None, concurrency=concurrency, wait=not once)
