"""``ptbill reference``: install CMS's quarterly NCCI PTP edits and practitioner MUE table, and show them.

Each load parses CMS's file, compiles it and replaces the installed table atomically; a file that
fails to parse leaves the installed table as it was.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click

from ptbill.cli.params import Day


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
    """Install and inspect CMS reference tables (NCCI PTP edits, practitioner MUEs)."""


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
        click.echo(f"warning: {warning}", err=True)
    click.echo(
        f"Installed {len(table):,} NCCI PTP edits, {quarter_label(table.quarter)}, from {table.source}, "
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
        f"(effective {table.quarter}), from {table.source_files[0]}, "
        f"in {time.perf_counter() - started:.1f} s → {target}"
    )


@reference.command("status")
@_data_dir_option
def status(data_dir: Path) -> None:
    """Show which CMS tables are installed in the data folder."""
    from ptbill.domain.errors import ReferenceDataError
    from ptbill.reference.ncci import read_manifest

    try:
        manifest = read_manifest(data_dir)
    except ReferenceDataError as error:
        _fail(error)
    for kind, title in (("ncci_ptp", "NCCI PTP edits"), ("mue_practitioner", "practitioner MUEs")):
        entry = manifest.get(kind)
        if entry is None:
            click.echo(f"{title}: not installed in {data_dir}")
            continue
        present = (data_dir / str(entry.get("file"))).is_file()
        rows, quarter = entry.get("rows"), entry.get("quarter") or "unknown"
        if not isinstance(rows, int):
            click.echo(f"{title}: manifest entry damaged; load the table again")
            continue
        click.echo(
            f"{title}: {rows:,} rows, quarter {quarter}, from {entry.get('source')}, "
            f"loaded {entry.get('loaded_at')}{'' if present else ' (file missing: load it again)'}"
        )


def _fail(message: object) -> NoReturn:
    """One line on standard error and exit status 2, as for any unreadable input (spec/cli.md)."""
    click.echo(f"error: {message}", err=True)
    raise SystemExit(2)
