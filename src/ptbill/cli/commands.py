"""Commands beyond the contract of spec/cli.md: payers, parameters and reference tables."""

from __future__ import annotations

import json
import os
import sys
from contextlib import AbstractContextManager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

from ptbill.cli.params import Day, OutputFile, RecordId, write_output
from ptbill.cli.terminal import printable

if TYPE_CHECKING:
    from ptbill.settings import Settings


def _today() -> date:
    """Today as the installation's clock says: the system's, or the day PTBILL_TODAY pins."""
    from ptbill.settings import clock_from_environment

    return clock_from_environment().today()


@click.group()
def payers() -> None:
    """The payer catalog: who pays, by which rules."""


@payers.command("list")
@click.option("--json", "as_json", is_flag=True)
def payers_list(as_json: bool) -> None:
    """List every payer with its type."""
    from ptbill.reference.catalog import default_catalog

    catalog = default_catalog().payers()
    if as_json:
        click.echo(json.dumps([{"id": p.id, "name": p.name, "type": p.type.value} for p in catalog.values()], indent=2))
        return
    width = max(len(p) for p in catalog)
    for payer in catalog.values():
        click.echo(f"{payer.id:<{width}}  {payer.type.value:<12}  {payer.name}")


@payers.command("show")
@click.argument("payer_id")
@click.option("--date", "on", type=Day(), help="Date of service (YYYY-MM-DD); default today.")
@click.option("--json", "as_json", is_flag=True)
def payers_show(payer_id: str, on: date | None, as_json: bool) -> None:
    """Show a payer and every parameter in force for it on a date."""
    from ptbill.reference.catalog import default_catalog
    from ptbill.reference.declarations import as_json as json_value  # the --json flag takes the name as_json

    catalog = default_catalog()
    payer = catalog.payer(payer_id)
    if payer is None:
        click.echo(f"payers show: {payer_id!r} is not in the payer catalog (see `ptbill payers list`)", err=True)
        sys.exit(2)
    day = on or _today()
    snapshot = catalog.snapshot(payer_id, day)
    rows = [r for r in (snapshot.resolved(n) for n in snapshot.names()) if r is not None]
    if as_json:
        click.echo(
            json.dumps(
                {
                    "id": payer.id,
                    "name": payer.name,
                    "type": payer.type.value,
                    "date": day.isoformat(),
                    "parameters": {
                        r.name: {
                            "value": json_value(r.value),
                            "from": r.effective.start.isoformat(),
                            "until": r.effective.end.isoformat() if r.effective.end else None,
                            "source": r.reference,
                            "confidence": r.confidence,
                            "layer": r.layer,
                        }
                        for r in rows
                    },
                },
                indent=2,
                default=str,
            )
        )
        return
    click.echo(f"{payer.name} ({payer.id}), type {payer.type.value}. {payer.notes}")
    click.echo(f"Parameters in force on {day}:")
    for row in rows:
        value = json_value(row.value) if not isinstance(row.value, dict) else f"{len(row.value)} entries"
        click.echo(f"  {row.name} = {value}   [{row.layer}, from {row.effective.start}, {row.confidence}]")


@click.command()
@click.argument("parameter")
@click.option("--payer", "payer_id", default="commercial-default", show_default=True)
@click.option("--date", "on", type=Day(), help="Date of service (YYYY-MM-DD); default today.")
def explain(parameter: str, payer_id: str, on: date | None) -> None:
    """Say which value of PARAMETER is in force for a payer on a date, since when, and on what source."""
    from ptbill.reference.catalog import default_catalog
    from ptbill.reference.declarations import as_json

    catalog = default_catalog()
    if catalog.payer(payer_id) is None:
        click.echo(f"explain: {payer_id!r} is not in the payer catalog (see `ptbill payers list`)", err=True)
        sys.exit(2)
    day = on or _today()
    history = catalog.parameter_history(payer_id, parameter)
    if not history:
        known = catalog.snapshot(payer_id, day).names()
        close = [n for n in known if parameter.split(".", maxsplit=1)[0] in n][:8]
        click.echo(
            f"explain: no parameter named {parameter!r}" + (f"; did you mean: {', '.join(close)}" if close else ""),
            err=True,
        )
        sys.exit(2)
    resolved = catalog.snapshot(payer_id, day).resolved(parameter)
    if resolved is None:
        click.echo(f"{parameter} for {payer_id} on {day}: no value (the rule that reads it does not apply).")
    else:
        until = resolved.effective.end.isoformat() if resolved.effective.end else "open"
        click.echo(f"{parameter} for {payer_id} on {day}: {json.dumps(as_json(resolved.value))}")
        click.echo(f"  in force: {resolved.effective.start} until {until} (exclusive)")
        click.echo(f"  source: {resolved.reference}")
        click.echo(f"  confidence: {resolved.confidence}; set in {resolved.origin} ({resolved.layer})")
        if resolved.note:
            click.echo(f"  note: {resolved.note}")
        if resolved.description:
            click.echo(f"  meaning: {resolved.description}")
    declaration = history[0].declaration
    if declaration is not None:
        click.echo(f"  type: {declaration.shown()} (declared as {declaration.name})")
    click.echo("  history (first layer that has started wins):")
    for definition in history:
        for dated in definition.values:
            until = dated.effective.end.isoformat() if dated.effective.end else "open"
            click.echo(
                f"    [{definition.layer}] {dated.effective.start} .. {until}: "
                f"{json.dumps(as_json(dated.value))} ({dated.confidence}; {dated.reference})"
            )


@click.command("rules")
@click.option("--markdown", is_flag=True, help="Print the catalog as the Markdown of docs/rules.md.")
def rules_command(markdown: bool) -> None:
    """List every check: id, default severity, the rule in plain words, its source and fix."""
    from ptbill.rules.catalog_doc import rules_markdown, rules_text

    click.echo(rules_markdown() if markdown else rules_text(), nl=False)


@click.group()
def db() -> None:
    """The app's database (DATABASE_URL; a SQLite file under PTBILL_DATA_DIR by default)."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the database to the current schema."""
    from ptbill.settings import Settings
    from ptbill.storage.migrate import upgrade

    settings = Settings.from_environment()
    upgrade(settings.database_url)
    click.echo(f"database ready: {_redacted(settings.database_url)}")


def _redacted(url: str) -> str:
    """The URL without its password, for messages."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        credentials, host = rest.rsplit("@", 1)
        return f"{scheme}://{credentials.split(':', 1)[0]}:***@{host}" if ":" in credentials else url
    return url


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Server processes; one per CPU core serves the most live checks (bench/api_load.py).",
)
def serve(host: str, port: int, workers: int) -> None:
    """Serve the clinic app (web pages and the JSON API) without seeding anything."""
    import uvicorn

    from ptbill.settings import Settings
    from ptbill.storage.migrate import upgrade

    if host in ("127.0.0.1", "localhost") and "PTBILL_SECURE_COOKIES" not in os.environ:
        # Plain http on loopback: a Secure cookie would never be sent back by the browser.
        os.environ["PTBILL_SECURE_COOKIES"] = "0"
    settings = Settings.from_environment()
    upgrade(settings.database_url)
    settings.secret_key  # noqa: B018 - creates the shared secret file before the worker processes start
    click.echo(
        f"ptbill {_version()} on http://{host}:{port}  (database {_redacted(settings.database_url)}, "
        f"{workers} worker{'s' * (workers > 1)})"
    )
    _offer_first_run(settings, host, port)
    uvicorn.run("ptbill.server:serving_app", factory=True, host=host, port=port, workers=workers, log_level="warning")


def _offer_first_run(settings: Settings, host: str, port: int) -> None:
    """On an empty database, a one-time token for the set-up page, printed here only (never logged)."""
    from ptbill.services.clinic_setup import clinic_count, issue_setup_token
    from ptbill.storage.session import make_engine, session_factory

    engine = make_engine(settings.database_url)
    try:
        with session_factory(engine)() as session:
            if clinic_count(session) > 0:
                return
    finally:
        engine.dispose()
    token = issue_setup_token(settings.data_dir)
    click.echo(
        "\nThis database holds no clinic yet. Set it up in the browser (the token works once):\n"
        f"  http://{host}:{port}/setup?token={token}\n"
        "or from the terminal with `ptbill init`.\n"
    )


def _version() -> str:
    from ptbill import __version__

    return __version__


@click.command()
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64))
@click.option("--reset", is_flag=True, help="Start from an empty demo database.")
@click.pass_context
def demo(ctx: click.Context, port: int, workers: int, reset: bool) -> None:
    """Seed a synthetic demo clinic (if the database is empty), print the logins, and serve the app."""
    from sqlalchemy import func, select

    from ptbill.services.demo_data import DEMO_PASSWORD, seed_demo
    from ptbill.services.demo_payments import simulate_payments
    from ptbill.settings import Settings
    from ptbill.storage.migrate import upgrade
    from ptbill.storage.session import make_engine, session_factory, transaction
    from ptbill.storage.tables import ClinicRow

    settings = Settings.from_environment()
    database = settings.data_dir / "ptbill.sqlite3"
    if reset and settings.database_url == f"sqlite:///{database}" and database.exists():
        database.unlink()
    upgrade(settings.database_url)
    factory = session_factory(make_engine(settings.database_url))
    with transaction(factory) as session:
        empty = session.scalar(select(func.count()).select_from(ClinicRow)) == 0
        logins = seed_demo(session, clock=settings.clock) if empty else None
        paid = simulate_payments(session, clock=settings.clock) if empty else 0
    if logins:
        click.echo(
            f"Demo clinic seeded for the last twelve weeks: 40 synthetic patients, 200 traction visits, {paid} "
            "claims paid or denied by simulated payer 835s."
        )
        shown = [(login.email, login.role, login.name) for login in logins]
    else:
        click.echo("Demo data already present (use --reset to start over).")
        shown = [
            ("therapist1@harbor.example", "therapist", ""),
            ("biller@harbor.example", "biller", ""),
            ("admin@harbor.example", "admin", ""),
        ]
    rule = "=" * 72
    click.echo(f"\n{rule}\n  ptbill demo: open http://127.0.0.1:{port}/  (Ctrl-C stops it)\n")
    click.echo(f"  Log in with any of these (password {DEMO_PASSWORD!r}):")
    for email, role, name in shown:
        click.echo(f"    {email:<28} {role:<22} {name}".rstrip())
    click.echo(rule)
    ctx.invoke(serve, host="127.0.0.1", port=port, workers=workers)


def register(cli: click.Group) -> None:
    cli.add_command(db)
    cli.add_command(serve)
    cli.add_command(demo)
    cli.add_command(users)
    cli.add_command(payers)
    cli.add_command(rules_command)
    cli.add_command(explain)
    from ptbill.cli.read_cmd import read_command
    from ptbill.cli.reference_cmds import reference
    from ptbill.cli.setup_cmds import register as register_setup
    from ptbill.cli.worker_cmd import worker

    cli.add_command(reference)
    cli.add_command(read_command)
    cli.add_command(worker)
    register_setup(cli, users)
    register_back_office(cli)


def _app_session() -> AbstractContextManager[Session]:
    """One transaction on the installation's database, migrated first."""
    from ptbill.settings import Settings
    from ptbill.storage.migrate import upgrade
    from ptbill.storage.session import make_engine, session_factory, transaction

    settings = Settings.from_environment()
    upgrade(settings.database_url)
    return transaction(session_factory(make_engine(settings.database_url)))


def _cli_actor(session, email: str | None):  # type: ignore[no-untyped-def]
    """The user the command acts as (audited): --user, else the first biller or admin of the database,
    when it holds one clinic only: with several, guessing would act on another clinic's data."""
    from sqlalchemy import func, select

    from ptbill.domain.vocabulary import BILLERS
    from ptbill.services.access import Actor
    from ptbill.storage.tables import ClinicRow, UserRow

    clinics = session.scalar(select(func.count()).select_from(ClinicRow))
    if not email and clinics > 1:
        click.echo(
            f"this database holds {clinics} clinics: say whose biller or admin you act as with --user EMAIL "
            "(or PTBILL_USER)",
            err=True,
        )
        sys.exit(2)
    query = select(UserRow).where(UserRow.active)
    query = query.where(UserRow.email == email.lower()) if email else query.where(UserRow.role.in_(tuple(BILLERS)))
    user = session.scalar(query.order_by(UserRow.id))
    if user is None:
        click.echo(
            f"no {'user ' + email if email else 'biller or admin'} in the database (run `ptbill demo` or create one)",
            err=True,
        )
        sys.exit(2)
    return Actor(user.id, user.clinic_id, user.role, user.name)


_USER = click.option("--user", "email", envvar="PTBILL_USER", help="Act as this user (email); audited.")


@click.command()
@_USER
@click.option(
    "--accept-unbalanced",
    is_flag=True,
    help="Post a remittance whose amounts do not add up (BPR02, CLP04, CAS, PLB) anyway; audited.",
)
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
def remit(email: str | None, accept_unbalanced: bool, files: tuple[str, ...]) -> None:
    """Post X12 835 remittance files; each file posts whole or not at all, and never twice.

    A file whose amounts do not balance is refused, naming them, unless --accept-unbalanced.
    """
    from ptbill.domain.errors import PtbillError
    from ptbill.remittance.x12_835.reader import balance_problems, read_835
    from ptbill.services.posting import PostingSummary, UnbalancedRemittanceError, post_remittances
    from ptbill.services.remittance_files import record_file

    total = PostingSummary()
    failed = False
    for name in files:
        try:
            data = Path(name).read_bytes()
            remittances = list(read_835(data))
            if not remittances:
                raise PtbillError("the file holds no 835 transaction (ST*835 ... SE)")
            with _app_session() as session:
                actor = _cli_actor(session, email)
                summary = post_remittances(
                    session, actor, remittances, Path(name).name, accept_unbalanced=accept_unbalanced
                )
                file_id, new_file = record_file(session, actor, Path(name).name, data, summary)
        except UnbalancedRemittanceError as exc:
            click.echo(f"{printable(name)}: not posted: its amounts do not balance:", err=True)
            for problem in exc.problems:
                click.echo(f"  {problem}", err=True)
            click.echo("  (--accept-unbalanced posts it anyway, and the audit log records that)", err=True)
            failed = True
            continue
        except (PtbillError, OSError) as exc:  # OSError: a file that vanished or may not be read
            click.echo(f"{printable(name)}: not posted: {printable(getattr(exc, 'strerror', None) or exc)}", err=True)
            failed = True
            continue
        for problem in (p for r in remittances for p in balance_problems(r)):
            click.echo(f"{printable(name)}: posted although it does not balance (audited): {problem}", err=True)
        total.add(summary)
        click.echo(
            f"{printable(name)}: {summary.claims_posted} claim(s) posted, "
            f"{summary.claims_already_posted} already posted"
            + (f", {len(summary.claims_unmatched)} unmatched" if summary.claims_unmatched else "")
        )
        stored = "summary stored as" if new_file else "the same file was posted before as"
        click.echo(f"  {stored} remittance file #{file_id} (page /remittances/{file_id})")
    click.echo(
        f"paid ${total.paid:,.2f}; adjusted ${total.adjusted:,.2f}; denied {total.denied} claim(s); "
        f"patient responsibility ${total.patient_responsibility:,.2f}; reversals {total.reversals}; "
        f"provider adjustments ${total.provider_adjustments:,.2f}"
    )
    for unmatched in total.claims_unmatched:
        click.echo(f"  unmatched claim {printable(unmatched)}: no claim with that control number", err=True)
    for warning in total.warnings:
        click.echo(f"  warning: {printable(warning)}", err=True)
    sys.exit(2 if failed else 0)


@click.command()
@_USER
def denials(email: str | None) -> None:
    """The denial worklist: by reason, with the next action, the rule that should have caught it, deadlines."""
    from ptbill.services.denials import denial_worklist

    with _app_session() as session:
        groups = denial_worklist(session, _cli_actor(session, email))
    if not groups:
        click.echo("No open denials.")
    for group in groups:
        click.echo(printable(f"{group.key}  {len(group.items)} claim(s), ${group.total:,.2f}: {group.reason}"))
        click.echo(f"  next: {group.next_action}")
        if group.rules:
            click.echo(f"  ptbill checks that catch it before submission: {', '.join(group.rules)}")
        for item in group.items:
            deadline = f"appeal by {item.appeal_by}" if item.appeal_by else "no appeal deadline on file"
            still = f"; the note still fails {', '.join(item.rules_firing_now)}" if item.rules_firing_now else ""
            click.echo(
                printable(
                    f"    claim {item.claim_id} ({item.patient_control_number}) {item.payer_id} "
                    f"{item.service_date} ${item.denied_amount:,.2f}; {deadline}{still}"
                )
            )


@click.command()
@_USER
@click.argument("claim_ids", nargs=-1, type=RecordId())
def balances(email: str | None, claim_ids: tuple[int, ...]) -> None:
    """Each answered claim's balance by party (payer, patient, written off, denied), or CLAIM_IDS' only.

    Read from the posted 835s by group code: PR is the patient's, CO-45 and CO-253 are written off.
    """
    from ptbill.services.balances import answered_claim_balances

    with _app_session() as session:
        entries = answered_claim_balances(session, _cli_actor(session, email), claim_ids)
        rows = [(e.claim.id, e.claim.patient_control_number, e.account) for e in entries]
    if not rows:
        click.echo("No claim the payer has answered.")
    for claim_id, number, account in rows:
        b = account.balance
        open_ = f"; denied ${account.denied_amount:,.2f}" if account.denied_amount else ""
        open_ += f"; underpaid ${account.underpaid:,.2f}" if account.underpaid else ""
        click.echo(
            printable(
                f"claim {claim_id} ({number}) {account.outcome.value}: charge ${b.charge:,.2f}; "
                f"payer ${b.payer_paid:,.2f}; patient ${b.patient:,.2f} (deductible ${b.deductible:,.2f}, "
                f"coinsurance ${b.coinsurance:,.2f}, copay ${b.copay:,.2f}); written off ${b.written_off:,.2f} "
                f"(contractual ${b.contractual:,.2f}, sequestration ${b.sequestration:,.2f}){open_}"
            )
        )


@click.command()
@_USER
@click.argument("claim_id", type=RecordId())
@click.option("-o", "--output", required=True, type=OutputFile())
def appeal(email: str | None, claim_id: int, output: str) -> None:
    """Write the appeal packet (cover letter + traction note + claim lines) of a denied claim as a PDF.

    Exit status 2 when the claim is not one of the clinic's or the file cannot be written, 1 when the
    packet is refused.
    """
    from ptbill.domain.errors import PtbillError
    from ptbill.services.access import NotFoundError
    from ptbill.services.appeals import build_appeal_pdf

    try:
        with _app_session() as session:
            pdf = build_appeal_pdf(session, _cli_actor(session, email), claim_id, today=_today())
    except PtbillError as exc:
        click.echo(f"appeal: {printable(exc)}", err=True)
        sys.exit(2 if isinstance(exc, NotFoundError) else 1)
    write_output(output, pdf, "appeal")
    click.echo(f"appeal packet for claim {claim_id} written to {printable(output)}")


@click.command()
@_USER
@click.argument("claim_id", type=RecordId())
@click.option(
    "--payer-claim-number",
    help="The payer's number for the claim being replaced, when no 835 has brought it yet.",
)
def correct(email: str | None, claim_id: int, payer_claim_number: str | None) -> None:
    """Make a corrected claim (frequency 7) replacing CLAIM-ID: built from its note with the rules and the
    clinic's values in force now, frozen, and naming the payer's claim number (audited).

    Exit status 2 when the claim is not one of the clinic's, 1 when the corrected claim is refused.
    """
    from ptbill.domain.errors import PtbillError
    from ptbill.services.access import NotFoundError
    from ptbill.services.frozen_claims import correct_claim

    try:
        with _app_session() as session:
            row = correct_claim(session, _cli_actor(session, email), claim_id, payer_claim_number)
            new_id, number, original = row.id, row.patient_control_number, row.original_claim_number
    except PtbillError as exc:
        click.echo(f"correct: {printable(exc)}", err=True)
        sys.exit(2 if isinstance(exc, NotFoundError) else 1)
    click.echo(printable(f"claim {new_id} ({number}) corrects claim {claim_id}, payer claim number {original}"))


def register_back_office(cli: click.Group) -> None:
    from ptbill.cli.eligibility_cmds import eligibility
    from ptbill.cli.mailbox_cmds import mailbox
    from ptbill.cli.report_cmd import report

    for command in (remit, balances, denials, appeal, correct, report, mailbox, eligibility):
        cli.add_command(command)


@click.group()
def users() -> None:
    """The installation's user accounts."""


@users.command("unlock")
@click.argument("email")
def users_unlock(email: str) -> None:
    """Clear the login lockout of EMAIL, so its user can log in again now (audited). For an admin who is
    locked out themselves; an admin clears their clinic's users in the app."""
    from sqlalchemy import select

    from ptbill.services.login_limits import forget_failures
    from ptbill.storage.tables import UserRow

    with _app_session() as session:
        user = session.scalar(select(UserRow).where(UserRow.email == email.strip().lower()))
        if user is None:
            click.echo(f"no user {email} in the database", err=True)
            sys.exit(2)
        forget_failures(session, user, None)
    click.echo(f"{user.email}: failed logins cleared; the user can log in again")
