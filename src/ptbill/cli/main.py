"""The ``ptbill`` command. ``check`` and ``units`` follow spec/cli.md exactly; the rest is ours.

Exit status: 0 fine, 1 something blocked or refused, 2 unreadable input (an argument, option or file
the command cannot use: one line per problem naming it, no traceback), 3 an error ptbill did not
expect (a bug: one line saying so, without the data it was handling).
"""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

import click

from ptbill import __version__
from ptbill.cli.params import OutputFile, write_output
from ptbill.cli.terminal import printable

EXIT_OK, EXIT_BLOCKED, EXIT_BAD_INPUT, EXIT_BUG = 0, 1, 2, 3
MAX_MINUTES = 24 * 60  # a visit's minutes of one code fit in a day


def _fail(lines: Sequence[str]) -> NoReturn:
    for line in lines:
        click.echo(printable(" ".join(line.split())), err=True)  # one line each, even for a parser's several
    sys.exit(EXIT_BAD_INPUT)


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


# Loading `ptbill check`'s modules makes about 55,000 tracked objects that live as long as the process (modules,
# classes, validators) and a few hundred garbage ones: the collector's repeated scans of the growing heap cost
# more than they free. main() pauses the cyclic garbage collector while the command's modules load, and the
# commands resume it before they work on their input.
IMPORTS_ONLY = ("check", "units", "claim")  # these resume it themselves, after their own imports


def _resume_collection(settled: bool = False) -> None:
    """Resume the collector; ``settled``: what loaded so far lives as long as the process, so the
    collector's scans skip it from now on (``gc.freeze``) instead of scanning it all at the first. Nothing
    when the collector runs: main() did not start this command (a test's runner, another program)."""
    if gc.isenabled():
        return
    if settled:
        gc.freeze()
    gc.enable()


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="ptbill")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """ptbill: check physical-therapy notes and claims before the payer does."""
    if ctx.invoked_subcommand not in IMPORTS_ONLY:
        _resume_collection()


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="One JSON object per file (an array for several files).")
@click.option(
    "--ndjson",
    is_flag=True,
    help="Read JSON Lines (one encounter a line) and write one JSON report a line, as each is checked.",
)
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Check in this many processes; the output keeps the input's order.",
)
@click.argument("files", nargs=-1, required=True)
def check(as_json: bool, ndjson: bool, jobs: int, files: tuple[str, ...]) -> None:
    """Check encounter files (format 1; '-' reads standard input) and report each finding with its fix."""
    from ptbill.cli.check_cmd import run_check
    from ptbill.domain.clock import SYSTEM_CLOCK
    from ptbill.domain.encounter_json import parse_encounter  # noqa: F401 - loaded before the collector resumes
    from ptbill.rules.engine import check_encounter  # noqa: F401 - loaded before the collector resumes

    _resume_collection(settled=True)
    if as_json and ndjson:
        _fail(["check: --json and --ndjson are two outputs: choose one"])
    sys.exit(run_check(as_json, ndjson, jobs, files, SYSTEM_CLOCK.today()))


@cli.command()
@click.option(
    "--method",
    type=click.Choice(["cms", "per_code"]),
    default="cms",
    show_default=True,
    help="cms: Medicare's pooled 8-minute rule; per_code: each timed code on its own minutes.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.argument("services", nargs=-1, required=True, metavar="CODE=MINUTES...")
def units(method: str, as_json: bool, services: tuple[str, ...]) -> None:
    """Compute billable units for the services of one visit."""
    from ptbill.domain.identifiers import bounded_int
    from ptbill.reference.catalog import default_catalog
    from ptbill.units import TimedMinutes, UnitMethod, compute_units

    codes = default_catalog().procedure_codes
    _resume_collection(settled=True)
    parsed: list[TimedMinutes] = []
    problems: list[str] = []
    for item in services:
        code, sep, minutes_text = item.partition("=")
        code = code.strip().upper()
        minutes = bounded_int(minutes_text.strip(), len(str(MAX_MINUTES)))
        if not sep or minutes is None or minutes > MAX_MINUTES:
            shown = item if len(item) <= 40 else item[:37] + "..."
            problems.append(
                f"units: {shown!r}: expected CODE=MINUTES with minutes 0 to {MAX_MINUTES} in digits 0-9, "
                "for example 97110=23"
            )
            continue
        info = codes.get(code)
        if info is None:
            problems.append(f"units: {code}: not a code ptbill knows (see the code catalog)")
            continue
        parsed.append(TimedMinutes(code, minutes, info.timed))
    if problems:
        _fail(problems)
    result = compute_units(parsed, UnitMethod(method))
    if as_json:
        import json

        click.echo(json.dumps(result.to_json()))
        return
    from ptbill.cli import render

    render.unit_result(result, {code: codes[code].label for code in result.units})


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
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Check and build in this many processes; the claims keep the files' order.",
)
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

    _resume_collection(settled=True)
    if output_format == "cms1500" and not output:
        _fail(["claim: a CMS-1500 PDF needs -o FILE.pdf"])
    settings = Settings.from_environment()
    try:
        charge_master = ChargeMaster.from_csv(Path(charges)) if charges else None
        partners = TradingConfig.load(Path(trading)) if trading else TradingConfig(TEST_TRADING, {})
    except PtbillError as exc:
        _fail([f"claim: {exc}"])
    if trading is None and output_format == "837p":
        click.echo("claim: no --trading settings given: writing a TEST interchange (ISA15=T)", err=True)
    kind = {
        "original": ClaimFrequency.ORIGINAL,
        "replacement": ClaimFrequency.REPLACEMENT,
        "void": ClaimFrequency.VOID,
    }[frequency]
    if kind is not ClaimFrequency.ORIGINAL and not original_claim:
        _fail(["claim: --original-claim is required for a replacement or a void"])

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
                _fail([f"claim: {exc}"])
            if output_format == "cms1500":
                write_output(output or "", pdf, "claim")
            else:
                write_pieces(pieces, output, "ascii" if output_format == "837p" else "utf-8")
            if output:
                click.echo(f"claim: wrote {len(run.claims)} claim(s) to {printable(output)}", err=True)
        if run.problems:
            _fail(run.problems)
        sys.exit(EXIT_BLOCKED if run.refused else EXIT_OK)


def _configure() -> None:
    """Check against the CMS tables `ptbill reference load-*` installed, where there are any."""
    from ptbill.reference.catalog import ReferenceCatalog, configure_default_catalog
    from ptbill.settings import data_dir_from_environment

    reference_dir = data_dir_from_environment() / "reference"
    if reference_dir.is_dir():
        configure_default_catalog(ReferenceCatalog(installed_dir=reference_dir))


def main() -> None:
    # pydantic looks for plugins among every installed package's entry points the first time it builds a
    # validator (about 20 ms of each command's start); ptbill uses none.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    gc.disable()  # resumed by the command (see _resume_collection), and below whatever happens
    try:
        from ptbill.log_privacy import withhold_exception_messages

        withhold_exception_messages()
        _configure()
        cli(prog_name="ptbill")
    except KeyboardInterrupt:  # pragma: no cover - interactive only
        sys.exit(130)
    except Exception as error:
        # The last resort, for what no command expected: one line, and never the error's text, which
        # may quote a patient's data. PTBILL_DEBUG=1 shows the traceback to whoever fixes it.
        if os.environ.get("PTBILL_DEBUG"):
            raise
        click.echo(
            f"ptbill: unexpected error ({type(error).__name__}); this is a bug in ptbill. Please report it with "
            "the command you ran (not your files); PTBILL_DEBUG=1 shows the details.",
            err=True,
        )
        sys.exit(EXIT_BUG)
    finally:
        gc.enable()
