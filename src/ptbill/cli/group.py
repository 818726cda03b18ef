"""The ``ptbill`` command as click reads it: the group, ``check``, ``units`` and ``claim``, with every help text.
``check`` and ``units`` follow spec/cli.md exactly; the rest is ours. ``main()`` (``cli.main``) runs a plainly
well-formed check or units without this module (``cli.fast_args``), with the same options, declared there.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from ptbill import __version__
from ptbill.cli.fast_args import JOBS, JSON, METHOD, NDJSON
from ptbill.cli.main import EXIT_BLOCKED, EXIT_OK, IMPORTS_ONLY, fail, resume_collection
from ptbill.cli.params import OutputFile, write_output
from ptbill.cli.terminal import printable

_Decorated = TypeVar("_Decorated", bound=Callable[..., Any])


def _jobs_option(help_text: str) -> Callable[[_Decorated], _Decorated]:
    """``--jobs``/``-j`` (check's and claim's) as ``cli.fast_args`` declares it, with this command's help."""
    return click.option(
        *JOBS.names,
        JOBS.dest,
        type=click.IntRange(JOBS.low, JOBS.high),
        default=JOBS.default,
        show_default=True,
        help=help_text,
    )


class _Commands(click.Group):
    """check, units and claim are defined here; the other commands (``cli.commands.register``) are imported
    only when one of them is asked for, or all of them are listed (help, an unknown name's suggestions)."""

    registered = False

    def _register(self) -> None:
        if not self.registered:
            self.registered = True
            from ptbill.cli.commands import register

            register(self)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is None:
            self._register()
            command = super().get_command(ctx, cmd_name)
        return command

    def list_commands(self, ctx: click.Context) -> list[str]:
        self._register()
        return super().list_commands(ctx)


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="ptbill")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """ptbill: check physical-therapy notes and claims before the payer does."""
    if ctx.invoked_subcommand not in IMPORTS_ONLY:
        resume_collection()


@cli.command()
@click.option(*JSON.names, JSON.dest, is_flag=True, help="One JSON object per file (an array for several files).")
@click.option(
    *NDJSON.names,
    NDJSON.dest,
    is_flag=True,
    help="Read JSON Lines (one encounter a line) and write one JSON report a line, as each is checked.",
)
@_jobs_option("Check in this many processes; the output keeps the input's order.")
@click.argument("files", nargs=-1, required=True)
def check(as_json: bool, ndjson: bool, jobs: int, files: tuple[str, ...]) -> None:
    """Check encounter files (format 1; '-' reads standard input) and report each finding with its fix."""
    from ptbill.cli.check_cmd import check_command

    check_command(as_json, ndjson, jobs, files)


@cli.command()
@click.option(
    *METHOD.names,
    METHOD.dest,
    type=click.Choice(METHOD.choices),
    default=METHOD.default,
    show_default=True,
    help="cms: Medicare's pooled 8-minute rule; per_code: each timed code on its own minutes.",
)
@click.option(*JSON.names, JSON.dest, is_flag=True, help="Print the result as JSON.")
@click.argument("services", nargs=-1, required=True, metavar="CODE=MINUTES...")
def units(method: str, as_json: bool, services: tuple[str, ...]) -> None:
    """Compute billable units for the services of one visit."""
    from ptbill.cli.units_cmd import units_command

    units_command(method, as_json, services)


@cli.command()
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["837p", "cms1500", "fhir"]),
    default="837p",
    show_default=True,
    help="X12 837P batch, CMS-1500 PDF, or FHIR R4 Claim JSON.",
)
@click.option("-o", "--output", type=OutputFile(), help="Write here (stdout if absent).")
@click.option("--allow-blocked", is_flag=True, help="Build claims even for encounters with blocking findings.")
@click.option("--charges", type=click.Path(exists=True, dir_okay=False), help="Charge master CSV (code,charge).")
@click.option(
    "--trading",
    type=click.Path(exists=True, dir_okay=False),
    help="Submitter/receiver settings YAML; without it a test-mode (ISA15=T) envelope is written.",
)
@click.option(
    "--frequency", type=click.Choice(["original", "replacement", "void"]), default="original", show_default=True
)
@click.option("--original-claim", help="The payer's claim number, for a replacement or a void.")
@_jobs_option("Check and build in this many processes; the claims keep the files' order.")
@click.argument("files", nargs=-1, required=True)
def claim(
    output_format: str,
    output: str | None,
    allow_blocked: bool,
    charges: str | None,
    trading: str | None,
    frequency: str,
    original_claim: str | None,
    jobs: int,
    files: tuple[str, ...],
) -> None:
    """Build claims from encounter files. Blocked encounters are refused and their errors listed."""
    from ptbill.claims.build import ChargeMaster
    from ptbill.claims.trading import TEST_TRADING, TradingConfig
    from ptbill.domain.claim import ClaimFrequency
    from ptbill.domain.errors import PtbillError
    from ptbill.services.claims import default_control_numbers, stream_837p
    from ptbill.settings import Settings

    resume_collection(settled=True)
    if output_format == "cms1500" and not output:
        fail(["claim: a CMS-1500 PDF needs -o FILE.pdf"])
    settings = Settings.from_environment()
    try:
        charge_master = ChargeMaster.from_csv(Path(charges)) if charges else None
        partners = TradingConfig.load(Path(trading)) if trading else TradingConfig(TEST_TRADING, {})
    except PtbillError as exc:
        fail([f"claim: {exc}"])
    if trading is None and output_format == "837p":
        click.echo("claim: no --trading settings given: writing a TEST interchange (ISA15=T)", err=True)
    kind = {
        "original": ClaimFrequency.ORIGINAL,
        "replacement": ClaimFrequency.REPLACEMENT,
        "void": ClaimFrequency.VOID,
    }[frequency]
    if kind is not ClaimFrequency.ORIGINAL and not original_claim:
        fail(["claim: --original-claim is required for a replacement or a void"])

    from ptbill.cli.claim_cmd import Options, build_claims, fewer_collections, write_pieces

    writes_837p = partners if output_format == "837p" else None
    with fewer_collections():  # up to the exit: the claims built, numbered and written
        run = build_claims(files, Options(charge_master, allow_blocked, kind, original_claim, writes_837p), jobs)
        for name, reasons in run.refused:
            click.echo(f"{printable(name)}: refused:", err=True)
            for reason in reasons:
                click.echo(f"  {printable(reason)}", err=True)
        if run.claims:
            try:
                if output_format == "837p":
                    pieces = stream_837p(run.claims, partners, default_control_numbers(settings.data_dir))
                elif output_format == "fhir":
                    from ptbill.claims.fhir import claims_to_fhir_json

                    pieces = iter([claims_to_fhir_json(run.claims)])
                else:
                    from ptbill.claims.cms1500 import render_cms1500

                    pdf = render_cms1500(run.claims)
            except PtbillError as exc:
                fail([f"claim: {exc}"])
            if output_format == "cms1500":
                write_output(output or "", pdf, "claim")
            else:
                write_pieces(pieces, output, "ascii" if output_format == "837p" else "utf-8")
            if output:
                click.echo(f"claim: wrote {len(run.claims)} claim(s) to {printable(output)}", err=True)
        if run.problems:
            fail(run.problems)
        sys.exit(EXIT_BLOCKED if run.refused else EXIT_OK)
