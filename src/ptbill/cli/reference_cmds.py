"""``ptbill reference``: install CMS's quarterly NCCI PTP edits and practitioner MUE table, and show them.

Each load parses CMS's file, compiles it and replaces the installed table atomically; a file that
fails to parse leaves the installed table as it was.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click

from ptbill.cli.params import Day
from ptbill.cli.terminal import printable


def default_reference_dir() -> Path:
    """Where installed CMS tables live: <PTBILL_DATA_DIR>/reference (./var/reference by default)."""
    from ptbill.settings import Settings

    return Settings.from_environment().data_dir / "reference"


_Command = TypeVar("_Command", bound=Callable[..., Any])


def _data_dir_option(function: _Command) -> _Command:
    return click.option(
        "--data-dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=default_reference_dir,
        show_default="$PTBILL_DATA_DIR/reference, else ./var/reference",
        help="Folder holding the installed tables.",
    )(function)


def _effective_option(function: _Command) -> _Command:
    return click.option(
        "--effective",
        type=Day(),
        help="First day of the quarter the file is for, when its name does not say or says wrong.",
    )(function)


@click.group(name="reference")
def reference() -> None:
    """Install and inspect CMS reference tables (NCCI PTP edits, MUEs, the fee schedule, ICD-10-CM)."""


@reference.command("load-ncci")
@click.argument("files", nargs=-1, required=True, metavar="FILE...")
@_data_dir_option
@_effective_option
def load_ncci(files: tuple[str, ...], data_dir: Path, effective: date | None) -> None:
    """Install CMS's practitioner PTP edits from FILE (the f1–f4 ZIPs, or the TXT files in them)."""
    from ptbill.domain.errors import ReferenceDataError
    from ptbill.reference.ncci import PtpTable, quarter_label

    started = time.perf_counter()
    try:
        table = PtpTable.load_cms_files(files, quarter=effective)
        target = table.install(data_dir)
    except (ReferenceDataError, OSError) as error:
        _fail(error)
    for warning in table.warnings:
        click.echo(f"warning: {printable(warning)}", err=True)
    click.echo(
        f"Installed {len(table):,} NCCI PTP edits, {quarter_label(table.quarter)}, from {printable(table.source)}, "
        f"in {time.perf_counter() - started:.1f} s → {target}"
    )


@reference.command("load-mue")
@click.argument("file", metavar="FILE")
@_data_dir_option
@_effective_option
def load_mue(file: str, data_dir: Path, effective: date | None) -> None:
    """Install CMS's Practitioner Services MUE table from FILE (the CSV or the ZIP holding it)."""
    from ptbill.domain.errors import ReferenceDataError
    from ptbill.reference.mue import MueTable
    from ptbill.reference.ncci import quarter_label

    started = time.perf_counter()
    try:
        table = MueTable.load_cms_file(file, quarter=effective)
        target = table.install(data_dir)
    except (ReferenceDataError, OSError) as error:
        _fail(error)
    click.echo(
        f"Installed {len(table):,} practitioner MUE values, {quarter_label(table.quarter)} "
        f"(effective {table.quarter}), from {printable(table.source_files[0])}, "
        f"in {time.perf_counter() - started:.1f} s → {target}"
    )


@reference.command("load-icd10")
@click.argument("file", metavar="FILE", type=click.Path(dir_okay=False, path_type=Path))
@_data_dir_option
@click.option("--fiscal-year", type=int, help="The fiscal year, when the file name does not say it.")
@click.option(
    "--effective", type=Day(), metavar="YYYY-MM-DD", help="First day it applies, for an update within the year."
)
def load_icd10(file: Path, data_dir: Path, fiscal_year: int | None, effective: date | None) -> None:
    """Install a CMS ICD-10-CM "code descriptions" file (icd10cm_codes_YYYY.txt or icd10cm_order_YYYY.txt)."""
    from ptbill.domain.errors import ReferenceDataError
    from ptbill.reference.icd10_install import install_code_descriptions

    try:
        entry, layout = install_code_descriptions(data_dir, file, fiscal_year=fiscal_year, effective_from=effective)
    except (ReferenceDataError, OSError) as error:
        _fail(error)
    click.echo(
        f"Installed {entry['name']} from {file.name} ({layout}): {entry['billable_count']:,} billable and "
        f"{entry['header_count']:,} header codes, for dates of service {entry['effective_from']} to "
        f"{entry['effective_to']} (exclusive) → {data_dir / 'icd10cm'}"
    )


@reference.command("load-pfs")
@click.argument("files", nargs=-1, required=True, metavar="FILE...", type=click.Path(dir_okay=False, path_type=Path))
@_data_dir_option
@click.option("--year", type=int, help="The calendar year of the RVU file, when its name and titles do not say.")
@click.option("--conversion-factor", help="Dollars per RVU, when the RVU file has no CONV FACTOR column.")
@click.option("--conversion-factor-source", help="Where the conversion factor comes from (final rule, FR citation).")
def load_pfs(
    files: tuple[Path, ...],
    data_dir: Path,
    year: int | None,
    conversion_factor: str | None,
    conversion_factor_source: str | None,
) -> None:
    """Install CMS physician fee schedule files: a year's RVU package (PPRRVU, GPCI, LOCCO; the ZIP or its CSVs)
    and/or the ZIP-code-to-carrier-locality file (ZIP5_*.txt)."""
    from decimal import Decimal, InvalidOperation

    from ptbill.domain.errors import ReferenceDataError
    from ptbill.pricing.installed import install_pfs

    factor = None
    if conversion_factor is not None:
        try:
            factor = Decimal(conversion_factor)
        except InvalidOperation:
            _fail(f"--conversion-factor {conversion_factor!r} is not a number")
    try:
        result = install_pfs(
            data_dir,
            files,
            loaded_at=_now(),
            year=year,
            conversion_factor=factor,
            conversion_factor_reference=conversion_factor_source,
        )
    except (ReferenceDataError, OSError) as error:
        _fail(error)
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    if result.year is not None:
        click.echo(
            f"Installed the Medicare PFS {result.year}: {result.rvu_rows:,} RVU rows, {result.localities} localities"
            f"{f', {result.counties} county rows' if result.counties else ''}, conversion factor "
            f"${result.conversion_factor} → {data_dir / 'pfs' / str(result.year)}"
        )
    if result.zip_codes:
        click.echo(f"Installed the ZIP-to-locality table: {result.zip_codes:,} ZIP codes → {data_dir / 'pfs'}")


def _now() -> datetime:
    """The install time written to the manifest: the one place this command reads the clock."""
    from ptbill.settings import clock_from_environment

    return clock_from_environment().now()


@reference.command("status")
@_data_dir_option
def status(data_dir: Path) -> None:
    """Show which tables and years are installed or shipped, the dates of service they cover and their files."""
    from ptbill.domain.errors import ReferenceDataError
    from ptbill.services.reference_status import reference_status

    try:
        lines = reference_status(data_dir)
    except ReferenceDataError as error:
        _fail(error)
    for line in lines:
        click.echo(f"{line.table}: {printable(line.text)}")


def _fail(message: object) -> NoReturn:
    """One line on standard error and exit status 2, as for any unreadable input (spec/cli.md)."""
    click.echo(f"error: {printable(message)}", err=True)
    raise SystemExit(2)
