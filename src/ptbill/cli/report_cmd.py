"""`ptbill report NAME`: any report of the registry, with the same parameters as its page."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

import click

from ptbill.cli.params import Day, OutputFile, Period, ProcedureCode, write_output
from ptbill.cli.terminal import printable

SAMPLE = click.IntRange(1, 50)  # documentation-audit notes per therapist and period, as on the report page


class ReportName(click.ParamType[str, Any]):
    """The name of a report of ``services.reports.registry`` (read when the command runs)."""

    name = "REPORT"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        from ptbill.services.reports import NAMES

        if value not in NAMES:
            self.fail(f"{str(value)!r} is not a report: one of {', '.join(NAMES)}", param, ctx)
        return str(value)


class PayerId(click.ParamType[str, Any]):
    """A payer of the catalog (ptbill payers list)."""

    name = "PAYER"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        from ptbill.reference.catalog import default_catalog

        if default_catalog().payer(str(value)) is None:
            self.fail(f"{str(value)!r} is not a payer (ptbill payers list)", param, ctx)
        return str(value)


@click.command()
@click.option("--user", "email", envvar="PTBILL_USER", help="Act as this user (email); audited.")
@click.argument("name", type=ReportName())
@click.option("--from", "date_from", type=Day(), help="First date of service (YYYY-MM-DD).")
@click.option("--to", "date_to", type=Day(), help="Last date of service (YYYY-MM-DD).")
@click.option("--payer", type=PayerId(), help="Only this payer's claims (a payer id: ptbill payers list).")
@click.option("--therapist", help="Only the notes of this therapist (email).")
@click.option(
    "--location",
    type=click.Choice(["clinic", "home", "telehealth"]),
    help="Only visits at the clinic's office (every place of service but home and telehealth), home (POS 12) "
    "or telehealth (POS 02, 10).",
)
@click.option("--as-of", "as_of", type=Day(), help="ar-aging, days-in-ar: the day balances are aged to (today).")
@click.option(
    "--basis",
    type=click.Choice(["service", "submission"]),
    default="service",
    show_default=True,
    help="ar-aging: age from the date of service or of submission.",
)
@click.option(
    "--party",
    type=click.Choice(["insurance", "patient", "all"]),
    default="insurance",
    show_default=True,
    help="ar-aging, days-in-ar: whose balance.",
)
@click.option(
    "--by", type=click.Choice(["payer", "patient"]), default="payer", show_default=True, help="ar-aging: rows per."
)
@click.option(
    "--code", type=ProcedureCode(), default="97012", show_default=True, help="best-payer: the code to rank payers for."
)
@click.option(
    "--period",
    "periods",
    type=Period(),
    multiple=True,
    help="documentation-audit: 2026-03 or 2026-Q1 (repeat for a trend).",
)
@click.option(
    "--sample", default=5, show_default=True, type=SAMPLE, help="documentation-audit: notes per therapist per period."
)
@click.option("--csv", "csv_path", type=OutputFile(), help="Also write the rows as CSV.")
@click.option("--png", "png_path", type=OutputFile(), help="Also write the chart as PNG.")
def report(
    email: str | None,
    name: str,
    date_from: date | None,
    date_to: date | None,
    payer: str | None,
    therapist: str | None,
    location: str | None,
    as_of: date | None,
    basis: Literal["service", "submission"],
    party: Literal["insurance", "patient", "all"],
    by: Literal["payer", "patient"],
    code: str,
    periods: tuple[str, ...],
    sample: int,
    csv_path: str | None,
    png_path: str | None,
) -> None:
    """Print a report (A/R aging, days in A/R, net collection, clean claims, productivity, what payers pay,
    underpayments, denials, documentation audit).

    Each report reads the options its page offers (the others are ignored): --from, --to, --payer,
    --therapist and --location for every report, --as-of, --basis, --party and --by for the A/R reports,
    --code for best-payer, --period and --sample for the audit.
    """
    from ptbill.cli.commands import _app_session, _cli_actor
    from ptbill.domain.clock import SYSTEM_CLOCK
    from ptbill.services import reports

    params = reports.ReportParams(
        today=SYSTEM_CLOCK.today(),
        date_from=date_from,
        date_to=date_to,
        payer=payer,
        therapist=therapist.strip().lower() if therapist else None,
        location=location,
        as_of=as_of,
        basis=basis,
        party=party,
        by=by,
        code=code,
        periods=periods,
        sample=sample,
    )
    with _app_session() as session:
        result = reports.run(session, _cli_actor(session, email), name, params)
    click.echo(printable(result.title))
    # Cells hold names and ids from the clinic's data: escaped before they are measured and printed.
    columns = [printable(c) for c in result.columns]
    rows = [["" if v is None else printable(v) for v in row] for row in result.rows]
    widths = [max(len(c), *(len(r[i]) for r in rows)) if rows else len(c) for i, c in enumerate(columns)]
    click.echo("  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)))
    for row in rows:
        click.echo("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)))
    for note in result.notes:
        click.echo(f"note: {printable(note)}")
    if csv_path:
        write_output(csv_path, result.to_csv(), "report")
    if png_path:
        write_output(png_path, reports.chart_png(result.chart), "report")
