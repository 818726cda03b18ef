"""The command line's argument types: a day, a record id, a report period, a procedure code and a file
to write, each read one strict way (the pages' own readers), so a bad value is one line naming the
option and exit status 2 (like a file the command cannot read), and a file that cannot be written is
said before any work is done, never as a traceback.
"""

from __future__ import annotations

import os
import sys
from datetime import date
from pathlib import Path
from typing import Any, NoReturn

import click


class InputError(click.ClickException):
    """An argument or option a command cannot use: one line naming it (no usage text), exit status 2."""

    exit_code = 2


class _OneLine:
    """A type whose refusal is an ``InputError``: one line, as for a file the command cannot read."""

    def fail(self, message: str, param: click.Parameter | None = None, ctx: click.Context | None = None) -> NoReturn:
        named = param.get_error_hint(ctx) if param is not None and ctx is not None else "a value"
        raise InputError(f"Invalid value for {named}: {message}")


class Day(_OneLine, click.ParamType[date]):
    """A date of the calendar as YYYY-MM-DD, in ASCII digits."""

    name = "YYYY-MM-DD"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> date:
        if isinstance(value, date):
            return value
        from ptbill.web.inputs import day  # pydantic, imported only by the commands taking a day

        parsed = day(str(value))
        if parsed is None:
            self.fail(f"{value!r} is not a date on the calendar (YYYY-MM-DD)", param, ctx)
        return parsed


class RecordId(_OneLine, click.ParamType[int]):
    """The id of a stored record (a claim ...): ASCII digits, from 1 to the largest id a table holds."""

    name = "ID"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        from ptbill.web.inputs import record_id

        parsed = value if isinstance(value, int) else record_id(str(value))
        if parsed is None or parsed < 1:
            self.fail(f"{value!r} is not a record number (digits 0-9, from 1)", param, ctx)
        return parsed


class Period(_OneLine, click.ParamType[str]):
    """A month (2026-03) or a quarter (2026-Q1)."""

    name = "PERIOD"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        from ptbill.services.reports.base import period_bounds

        text = str(value).strip()
        try:
            period_bounds(text)
        except ValueError as error:
            self.fail(str(error), param, ctx)
        return text.upper()


class ProcedureCode(_OneLine, click.ParamType[str]):
    """A CPT (97012, 0001F) or HCPCS (G0283) code."""

    name = "CODE"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        from ptbill.services.reports.base import PROCEDURE_CODE

        code = str(value).strip().upper()
        if not PROCEDURE_CODE.match(code):
            self.fail(f"{value!r} is not a CPT or HCPCS code (97012, G0283)", param, ctx)
        return code


class OutputFile(_OneLine, click.Path):
    """A file to write: not a folder, in a folder that exists and may be written to."""

    def __init__(self) -> None:
        super().__init__(dir_okay=False, writable=True)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        path = super().convert(value, param, ctx)
        folder = Path(os.fsdecode(path)).parent
        if not folder.is_dir():
            self.fail(f"the folder {str(folder)!r} does not exist", param, ctx)
        if not os.access(folder, os.W_OK):
            self.fail(f"the folder {str(folder)!r} cannot be written to", param, ctx)
        return path


def write_output(path: str, content: bytes | str, what: str) -> None:
    """Write a file an ``OutputFile`` option named; what still goes wrong (a full disk) is one line, exit 2."""
    try:
        if isinstance(content, str):
            Path(path).write_text(content, encoding="utf-8")
        else:
            Path(path).write_bytes(content)
    except OSError as error:
        click.echo(f"{what}: cannot write {path}: {error.strerror or error}", err=True)
        sys.exit(2)  # as for any input the command cannot use
