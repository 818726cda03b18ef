"""Readable terminal output: a summary line per encounter, then each finding with its fix and source.

Colour and the progress bar appear only on a terminal; piped output is plain text, written without importing
rich (a command's start-up time is most of what a script calling ``ptbill`` waits for).
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING

from ptbill.cli.terminal import printable

if TYPE_CHECKING:  # the engine and the unit types only name what is printed: not imported at run time
    from ptbill.rules.engine import CheckReport
    from ptbill.units import UnitResult

Segment = tuple[str, str | None]  # text, and its rich style on a terminal

_VERDICT_STYLE = {
    "ready": ("READY", "bold green"),
    "needs_attention": ("NEEDS ATTENTION", "bold yellow"),
    "blocked": ("BLOCKED", "bold red"),
}
_SEVERITY_STYLE = {"error": ("error", "red"), "warning": ("warning", "yellow"), "info": ("info", "cyan")}


def _console(stderr: bool = False):  # type: ignore[no-untyped-def]  # rich's Console, imported on a terminal only
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=True)


class _Lines:
    """Lines of styled segments: through rich on a terminal, plain text otherwise."""

    def __init__(self) -> None:
        self.console = _console() if sys.stdout.isatty() else None

    def print(self, *segments: Segment) -> None:
        if self.console is None:
            sys.stdout.write("".join(text for text, _ in segments) + "\n")
            return
        from rich.text import Text

        line = Text()
        for text, style in segments:
            line.append(text, style=style or "")
        self.console.print(line)


@contextlib.contextmanager
def progress(total: int, label: str = "Checking") -> Iterator[Callable[[], None]]:
    """A progress bar on stderr when it is a terminal and there are several files; else nothing."""
    if total < 2 or not sys.stderr.isatty():
        yield lambda: None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=_console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task("check", total=total)
        yield lambda: bar.advance(task)


def blank_line() -> None:
    """The blank line between two encounters' reports."""
    _Lines().print()


def reports(items: list[CheckReport]) -> None:
    out = _Lines()
    for number, report in enumerate(items):
        if number:
            out.print()
        label, style = _VERDICT_STYLE[report.verdict.value]
        counts = {s: sum(1 for f in report.findings if f.severity.value == s) for s in ("error", "warning", "info")}
        out.print(
            (f"{printable(report.encounter_id)}  ", None),
            (label, style),
            (
                f"  payer {printable(report.payer_id)}; {counts['error']} error(s), {counts['warning']} warning(s); "
                f"{len(report.claim_lines)} claim line(s)" + expected_text(report),
                None,
            ),
        )
        for finding in report.findings:
            word, colour = _SEVERITY_STYLE[finding.severity.value]
            out.print(
                ("  ", None),
                (f"{word:<7}", colour),
                (f" {printable(finding.message)}", None),  # the message names the code or field it concerns
                (f"  [{finding.rule}]", "dim"),  # the id stays findable, but the words come first
            )
            out.print((f"          fix: {printable(finding.fix)}", None))
            out.print((f"          source: {finding.reference}", "dim"))
            if finding.detail:
                out.print((f"          for the biller: {finding.detail}", "dim"))
        if report.claim_lines:
            billed = ", ".join(
                f"{line.code}" + (f"-{'-'.join(line.modifiers)}" if line.modifiers else "") + f" x{line.units}"
                for line in report.claim_lines
            )
            billed = printable(billed)
            out.print((f"  claim: {billed}", "dim"))


def expected_text(report: CheckReport) -> str:
    """', expected $71.20 for 3 of 3 lines (2025 RVUs at the 2026 CF, estimate)': never one line's amount alone."""
    priced = [line for line in report.claim_lines if line.expected_payment is not None]
    if not priced:
        return ""
    total = sum((line.expected_payment or Decimal(0) for line in priced), Decimal("0.00"))
    methods = list(dict.fromkeys(line.payment_method or "amount" for line in priced))
    return f", expected ${total:,.2f} for {len(priced)} of {len(report.claim_lines)} lines ({'; '.join(methods)})"


def unit_result(result: UnitResult, labels: Mapping[str, str]) -> None:
    out = _Lines()
    method = "Medicare 8-minute rule (pooled)" if result.method.value == "cms" else "per code"
    out.print((f"Method: {method}; total timed minutes: {result.total_timed_minutes}", None))
    for code, count in result.units.items():
        out.print((f"  {code}  {count} unit(s)  {labels.get(code, '')}", None))
    for tie in result.ties:
        out.print(
            (
                f"  tie: {', '.join(tie.codes)} each had {tie.leftover_minutes} minutes left over; "
                f"{tie.chosen} got the unit, but either may be billed.",
                "yellow",
            )
        )
