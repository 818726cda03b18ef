"""``ptbill eligibility request|record|show``: a 270 for a patient's coverage (written to a file or sent through
the clinic's mailbox), a payer's 271 file recorded, the latest answer per coverage printed. Each acts as a user
of the clinic (``--user`` or PTBILL_USER; the database's one biller or admin otherwise) and is audited."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import click

from ptbill.cli.mailbox_cmds import _refused
from ptbill.cli.params import OutputFile, write_output
from ptbill.cli.terminal import printable

_USER = click.option("--user", "email", envvar="PTBILL_USER", help="Act as this user (email); audited.")
_ID = click.IntRange(1, 2**63 - 1)
T = TypeVar("T")


@click.group()
def eligibility() -> None:
    """Eligibility: ask the payer (270), record its answer (271), show the latest."""


def _acting(email: str | None, work: Callable[[Any, Any, Any], T]) -> T:
    """``work(session, actor, settings)`` in one transaction, as ``email``."""
    from ptbill.cli.commands import _app_session, _cli_actor
    from ptbill.settings import Settings

    settings = Settings.from_environment()
    with _app_session() as session:
        return work(session, _cli_actor(session, email), settings)


def _money(value: Decimal | None) -> str:
    return "—" if value is None else f"${value:,.2f}"


@eligibility.command("request")
@_USER
@click.option("--coverage", "coverage_id", type=_ID, help="The coverage's id (default: the primary active one).")
@click.option("--date", "day", type=click.DateTime(["%Y-%m-%d"]), help="The date of service asked (default today).")
@click.option("--out", "out", type=OutputFile(), help="Write the 270 to this file.")
@click.option("--send", is_flag=True, help="Send the 270 through the clinic's mailbox.")
@click.argument("patient_id", type=_ID)
def request(email: str | None, coverage_id: int | None, day: Any, out: str | None, send: bool, patient_id: int) -> None:
    """Write a 270 for the patient's coverage on a date, to a file (--out), the mailbox (--send) or the screen."""
    from ptbill.services import eligibility as service
    from ptbill.services.eligibility_send import verify_now
    from ptbill.services.mailbox_settings import open_mailbox

    if out and send:
        click.echo("eligibility request: choose --out FILE or --send, not both", err=True)
        sys.exit(2)
    asked_day: date | None = day.date() if day is not None else None

    def ask(session: Any, actor: Any, settings: Any) -> tuple[Any, Any]:
        if not send:
            return service.request_270(
                session, actor, patient_id, settings.clock, coverage_id=coverage_id, day=asked_day
            ), None
        box = open_mailbox(session, actor, secret_key=settings.secret_key, data_dir=settings.data_dir)
        try:
            return verify_now(
                session, actor, patient_id, box, settings.clock, coverage_id=coverage_id, day=asked_day, source="cli"
            )
        finally:
            box.close()

    with _refused(f"no 270 for patient {patient_id}"):
        asked, sent = _acting(email, ask)
    if out:
        write_output(out, asked.content, "eligibility request")
        click.echo(f"270 for {asked.service_date} written to {out} (trace {asked.trace_number})")
    elif sent is not None:
        click.echo(f"270 for {asked.service_date} sent as {printable(sent.name)} (trace {asked.trace_number})")
    else:
        click.echo(asked.content)


@eligibility.command("record")
@_USER
@click.argument("path", type=click.Path(exists=True, dir_okay=False, readable=True))
def record(email: str | None, path: str) -> None:
    """Record a payer's 271 file: each member's answer against the clinic's patient and coverage."""
    from ptbill.services import eligibility as service

    data = Path(path).read_bytes()
    with _refused(f"{printable(Path(path).name)} not recorded"):
        recorded = _acting(
            email, lambda session, actor, settings: service.record_file(session, actor, data, settings.clock)
        )
    click.echo(recorded.summary)
    for answer in recorded.answers:
        who = f"patient {answer.patient_id}, coverage {answer.coverage_id}" if answer.patient_id else answer.message
        click.echo(f"  {answer.outcome}: {printable(who)}: {answer.status_text.lower()}")


def _lines(answer: Any) -> list[str]:
    percent = answer.coinsurance_percent
    lines = [
        f"coverage {answer.coverage_id}: {answer.status_text} "
        f"(271 received {answer.received_on} for {answer.service_date})",
        f"  plan dates: {answer.plan_begin or '—'} to {answer.plan_end or 'open'}",
        f"  deductible left {_money(answer.deductible_remaining)} of {_money(answer.deductible_total)}; "
        f"out of pocket left {_money(answer.out_of_pocket_remaining)} of {_money(answer.out_of_pocket_total)}",
        f"  coinsurance {'—' if percent is None else f'{percent.normalize():f} %'}; copay {_money(answer.copay)}",
        f"  visits left {'—' if answer.visits_remaining is None else answer.visits_remaining}"
        + (f" of {answer.visits_limit}" if answer.visits_limit is not None else ""),
        "  prior authorization: "
        + {True: "required", False: "not required", None: "not said"}[answer.prior_auth_required],
        f"  therapy amount applied this year (KX): {_money(answer.therapy_applied)}",
    ]
    if answer.reasons:
        lines.append(f"  the 271 says: {printable(answer.reasons)}")
    return lines


@eligibility.command("show")
@_USER
@click.argument("patient_id", type=_ID)
def show(email: str | None, patient_id: int) -> None:
    """Print the latest answer of each of the patient's coverages."""
    from ptbill.services import eligibility as service

    with _refused(f"patient {patient_id}"):
        answers = _acting(email, lambda session, actor, settings: service.answers_of(session, actor, patient_id))
    latest = service.latest_by_coverage(answers)
    if not latest:
        click.echo(f"no eligibility answer on file for patient {patient_id}")
        return
    for answer in latest.values():
        click.echo("\n".join(_lines(answer)))
