"""Commands beyond the contract of spec/cli.md: payers, parameters and reference tables."""

from __future__ import annotations

import dataclasses
import json
import os
import sys
from datetime import date

import click


def _parse_day(value: str | None) -> date:
    if value is None:
        return date.today()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"not a date (expected YYYY-MM-DD): {value!r}") from None


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
@click.option("--date", "on", help="Date of service (YYYY-MM-DD); default today.")
@click.option("--json", "as_json", is_flag=True)
def payers_show(payer_id: str, on: str | None, as_json: bool) -> None:
    """Show a payer and every parameter in force for it on a date."""
    from ptbill.reference.catalog import default_catalog

    catalog = default_catalog()
    payer = catalog.payer(payer_id)
    if payer is None:
        click.echo(f"payers show: {payer_id!r} is not in the payer catalog (see `ptbill payers list`)", err=True)
        sys.exit(2)
    day = _parse_day(on)
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
                            "value": r.value,
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
        value = row.value if not isinstance(row.value, dict) else f"{len(row.value)} entries"
        click.echo(f"  {row.name} = {value}   [{row.layer}, from {row.effective.start}, {row.confidence}]")


@click.command()
@click.argument("parameter")
@click.option("--payer", "payer_id", default="commercial-default", show_default=True)
@click.option("--date", "on", help="Date of service (YYYY-MM-DD); default today.")
def explain(parameter: str, payer_id: str, on: str | None) -> None:
    """Say which value of PARAMETER is in force for a payer on a date, since when, and on what source."""
    from ptbill.reference.catalog import default_catalog

    catalog = default_catalog()
    if catalog.payer(payer_id) is None:
        click.echo(f"explain: {payer_id!r} is not in the payer catalog (see `ptbill payers list`)", err=True)
        sys.exit(2)
    day = _parse_day(on)
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
        click.echo(f"{parameter} for {payer_id} on {day}: {json.dumps(resolved.value, default=str)}")
        click.echo(f"  in force: {resolved.effective.start} until {until} (exclusive)")
        click.echo(f"  source: {resolved.reference}")
        click.echo(f"  confidence: {resolved.confidence}; set in {resolved.origin} ({resolved.layer})")
        if resolved.note:
            click.echo(f"  note: {resolved.note}")
        if resolved.description:
            click.echo(f"  meaning: {resolved.description}")
    click.echo("  history (first layer that has started wins):")
    for definition in history:
        for dated in definition.values:
            until = dated.effective.end.isoformat() if dated.effective.end else "open"
            click.echo(
                f"    [{definition.layer}] {dated.effective.start} .. {until}: "
                f"{json.dumps(dated.value, default=str)} ({dated.confidence}; {dated.reference})"
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
def serve(host: str, port: int) -> None:
    """Serve the clinic app (web pages and the JSON API) without seeding anything."""
    import uvicorn

    from ptbill.server import create_app
    from ptbill.settings import Settings
    from ptbill.storage.migrate import upgrade

    settings = Settings.from_environment()
    if host in ("127.0.0.1", "localhost") and "PTBILL_SECURE_COOKIES" not in os.environ:
        # Plain http on loopback: a Secure cookie would never be sent back by the browser.
        settings = dataclasses.replace(settings, secure_cookies=False)
    upgrade(settings.database_url)
    click.echo(f"ptbill {_version()} on http://{host}:{port}  (database {_redacted(settings.database_url)})")
    uvicorn.run(create_app(settings), host=host, port=port, log_level="warning")


def _version() -> str:
    from ptbill import __version__

    return __version__


@click.command()
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--reset", is_flag=True, help="Start from an empty demo database.")
@click.pass_context
def demo(ctx: click.Context, port: int, reset: bool) -> None:
    """Seed a synthetic demo clinic (if the database is empty), print the logins, and serve the app."""
    from sqlalchemy import func, select

    from ptbill.services.demo_data import DEMO_PASSWORD, seed_demo, simulate_payments
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
        logins = seed_demo(session) if empty else None
        paid = simulate_payments(session) if empty else 0
    if logins:
        click.echo(
            f"Demo clinic seeded: 40 synthetic patients, 200 traction visits, {paid} claims paid or denied by "
            f"simulated payer 835s. Logins (password {DEMO_PASSWORD!r}):"
        )
        for login in logins:
            click.echo(f"  {login.email:<28} {login.role:<22} {login.name}")
    else:
        click.echo(
            f"Demo data already present; logins are therapist1@harbor.example, biller@harbor.example, "
            f"admin@harbor.example ... password {DEMO_PASSWORD!r} (use --reset to start over)"
        )
    ctx.invoke(serve, host="127.0.0.1", port=port)


def register(cli: click.Group) -> None:
    cli.add_command(db)
    cli.add_command(serve)
    cli.add_command(demo)
    cli.add_command(payers)
    cli.add_command(rules_command)
    cli.add_command(explain)
    from ptbill.cli.reference_cmds import reference

    cli.add_command(reference)
