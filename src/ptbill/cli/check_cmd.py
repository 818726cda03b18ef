"""`ptbill check`: spec/cli.md's contract, streamed, and over several processes with ``--jobs``.

Reports are written as each encounter is checked, never kept: ``--json`` on several files writes the
array of spec/cli.md element by element, byte for byte what ``json.dumps(reports, indent=2)`` would
print; ``--ndjson`` reads JSON Lines (one encounter a line) and writes one compact JSON report a line,
a bad line answered in its place by ``{"source", "line", "problems"}`` and named on stderr. Memory stays
flat in the number of encounters: at most a window of chunks is in flight between the processes.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import IO, TYPE_CHECKING, NoReturn

from ptbill.cli.fanout import chunked, ordered
from ptbill.cli.main import fail, resume_collection
from ptbill.cli.terminal import echo, printable

if TYPE_CHECKING:
    from ptbill.rules.engine import CheckReport

CHUNK = 64  # encounters handed to a process at a time: large enough that pickling is a small share


@dataclass(frozen=True, slots=True)
class Item:
    """One encounter to check: its file (or file and line), and its bytes when the parent read them."""

    source: str
    line: int | None = None
    text: bytes | None = None  # None: the worker reads the file itself
    problem: str | None = None  # found while reading (an unreadable file, an overlong line): not checked


@dataclass(frozen=True, slots=True)
class Outcome:
    item: Item
    output: str | None  # the report as it is printed (JSON modes), or None
    report: CheckReport | None  # the report itself, for the readable output only
    blocked: bool
    problems: tuple[str, ...]  # "field: message", one per problem


Mode = str  # "text", "json" (spec/cli.md's indented objects) or "ndjson" (one compact object a line)


def check_items(items: list[Item], mode: Mode, today: date) -> list[Outcome]:
    """Check a chunk of encounters: what one process does with the chunk it is handed."""
    from ptbill.domain.encounter_json import parse_encounter
    from ptbill.domain.errors import EncounterFormatError, PtbillError
    from ptbill.rules.engine import check_encounter

    outcomes = []
    for item in items:
        if item.problem is not None:
            outcomes.append(Outcome(item, None, None, False, (item.problem,)))
            continue
        try:
            text = item.text if item.text is not None else Path(item.source).read_bytes()
        except OSError as exc:
            outcomes.append(Outcome(item, None, None, False, (f"cannot read the file: {exc.strerror or exc}",)))
            continue
        try:
            report = check_encounter(parse_encounter(text, item.source), today=today)
        except EncounterFormatError as exc:
            outcomes.append(Outcome(item, None, None, False, tuple(exc.problems)))
            continue
        except PtbillError as exc:
            outcomes.append(Outcome(item, None, None, False, (str(exc),)))
            continue
        blocked = report.verdict.value == "blocked"
        if mode == "text":
            outcomes.append(Outcome(item, None, report, blocked, ()))
        else:
            document = report.to_json()
            output = json.dumps(document) if mode == "ndjson" else json.dumps(document, indent=2)
            outcomes.append(Outcome(item, output, None, blocked, ()))
    return outcomes


def checked(items: Iterable[Item], mode: Mode, today: date, jobs: int) -> Iterator[Outcome]:
    """Each item's outcome, in the items' order, from ``jobs`` processes; never more than a window ahead."""
    for outcomes in ordered(check_items, chunked(items, CHUNK), jobs, mode, today):
        yield from outcomes


def _file_items(files: tuple[str, ...]) -> Iterator[Item]:
    for name in files:
        if name == "-":
            yield Item(name, None, sys.stdin.buffer.read())
        else:
            yield Item(name)


def _lines_of(name: str, stream: IO[bytes], limit: int) -> Iterator[Item]:
    """Each non-blank line as an Item; a line longer than ``limit`` as a problem, read past in pieces."""
    number = 0
    while True:
        line = stream.readline(limit + 1)
        if not line:
            return
        number += 1
        if len(line) > limit and not line.endswith(b"\n"):
            while (rest := stream.readline(limit + 1)) and not rest.endswith(b"\n"):
                pass
            yield Item(name, number, problem=f"(line): longer than {limit:,} bytes: not one encounter")
            continue
        if line.strip():
            yield Item(name, number, line)


def _ndjson_items(files: tuple[str, ...]) -> Iterator[Item]:
    from ptbill.domain.encounter_json import MAX_NOTE_BYTES

    for name in files:
        try:
            stream = sys.stdin.buffer if name == "-" else open(name, "rb")  # noqa: SIM115 - closed below
        except OSError as exc:
            yield Item(name, problem=f"cannot read the file: {exc.strerror or exc}")
            continue
        try:
            yield from _lines_of(name, stream, MAX_NOTE_BYTES)
        except OSError as exc:
            yield Item(name, problem=f"cannot read the file: {exc.strerror or exc}")
        finally:
            if stream is not sys.stdin.buffer:
                stream.close()


def _where(item: Item) -> str:
    return item.source if item.line is None else f"{item.source}:{item.line}"


def check_command(as_json: bool, ndjson: bool, jobs: int, files: tuple[str, ...]) -> NoReturn:
    """``ptbill check``: load what checking needs, resume the collector (``cli.main``), check, exit."""
    from ptbill.domain.clock import SYSTEM_CLOCK
    from ptbill.domain.encounter_json import parse_encounter  # noqa: F401 - loaded before the collector resumes
    from ptbill.rules.engine import check_encounter  # noqa: F401 - loaded before the collector resumes

    resume_collection(settled=True)
    if as_json and ndjson:
        fail(["check: --json and --ndjson are two outputs: choose one"])
    sys.exit(run_check(as_json, ndjson, jobs, files, SYSTEM_CLOCK.today()))


def run_check(as_json: bool, ndjson: bool, jobs: int, files: tuple[str, ...], today: date) -> int:
    """Check, print as each report comes, and return the exit status of spec/cli.md."""
    out = sys.stdout
    blocked = False
    bad_input = False
    if ndjson:
        for outcome in checked(_ndjson_items(files), "ndjson", today, jobs):
            if outcome.problems:
                bad_input = True
                item = outcome.item
                for problem in outcome.problems:
                    echo(printable(" ".join(f"{_where(item)}: {problem}".split())), err=True)
                if item.line is not None:  # the line's answer keeps its place in the output
                    answer = {"source": item.source, "line": item.line, "problems": list(outcome.problems)}
                    out.write(json.dumps(answer) + "\n")
                continue
            blocked = blocked or outcome.blocked
            out.write(f"{outcome.output}\n")
        out.flush()
        return 2 if bad_input else 1 if blocked else 0

    from ptbill.cli import render

    problems: list[str] = []  # one per bad file named on the command line: bounded by the arguments
    written = 0
    with render.progress(len(files)) as advance:
        for outcome in checked(_file_items(files), "json" if as_json else "text", today, jobs):
            advance()
            if outcome.problems:
                problems.extend(f"{_where(outcome.item)}: {p}" for p in outcome.problems)
                continue
            blocked = blocked or outcome.blocked
            if not as_json:
                if written:
                    render.blank_line()
                render.reports([outcome.report] if outcome.report else [])
            elif len(files) == 1:
                out.write(f"{outcome.output}\n")
            else:  # spec/cli.md's array, as json.dumps(list, indent=2) lays it out, one element at a time
                out.write(("[\n  " if not written else ",\n  ") + (outcome.output or "").replace("\n", "\n  "))
            written += 1
    if as_json and len(files) > 1:
        out.write("\n]\n" if written else "[]\n")
    out.flush()
    for line in problems:
        echo(printable(" ".join(line.split())), err=True)
    return 2 if problems else 1 if blocked else 0
