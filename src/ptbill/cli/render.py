"""Readable terminal output: a summary line per encounter, then each finding with its fix and source.

Colour and the progress bar appear only on a terminal; piped output is plain text.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator, Mapping
from decimal import Decimal

from rich.console import Console
from rich.text import Text

from ptbill.cli.terminal import printable
from ptbill.rules.engine import CheckReport
from ptbill.units import UnitResult

_VERDICT_STYLE = {
    "ready": ("READY", "bold green"),
    "needs_attention": ("NEEDS ATTENTION", "bold yellow"),
    "blocked": ("BLOCKED", "bold red"),
}
_SEVERITY_STYLE = {"error": ("error", "red"), "warning": ("warning", "yellow"), "info": ("info", "cyan")}


def _console(stderr: bool = False) -> Console:
    return Console(stderr=stderr, highlight=False, soft_wrap=True)


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


def reports(items: list[CheckReport]) -> None:
    console = _console()
    for number, report in enumerate(items):
        if number:
            console.print()
        label, style = _VERDICT_STYLE[report.verdict.value]
        counts = {s: sum(1 for f in report.findings if f.severity.value == s) for s in ("error", "warning", "info")}
        summary = Text()
        summary.append(f"{printable(report.encounter_id)}  ")
        summary.append(label, style=style)
        summary.append(
            f"  payer {printable(report.payer_id)}; {counts['error']} error(s), {counts['warning']} warning(s); "
            f"{len(report.claim_lines)} claim line(s)" + expected_text(report)
        )
        console.print(summary)
        for finding in report.findings:
            word, colour = _SEVERITY_STYLE[finding.severity.value]
            line = Text("  ")
            line.append(f"{word:<7}", style=colour)
            line.append(f" {printable(finding.message)}")  # the message names the code or field it concerns
            line.append(f"  [{finding.rule}]", style="dim")  # the id stays findable, but the words come first
            console.print(line)
            console.print(Text(f"          fix: {printable(finding.fix)}"))
            console.print(Text(f"          source: {finding.reference}", style="dim"))
            if finding.detail:
                console.print(Text(f"          for the biller: {finding.detail}", style="dim"))
        if report.claim_lines:
            billed = ", ".join(
                f"{line.code}" + (f"-{'-'.join(line.modifiers)}" if line.modifiers else "") + f" x{line.units}"
                for line in report.claim_lines
            )
            billed = printable(billed)
            console.print(Text(f"  claim: {billed}", style="dim"))


def expected_text(report: CheckReport) -> str:
    """', expected $71.20 for 3 of 3 lines (2025 RVUs at the 2026 CF, estimate)': never one line's amount alone."""
    priced = [line for line in report.claim_lines if line.expected_payment is not None]
    if not priced:
        return ""
    total = sum((line.expected_payment or Decimal(0) for line in priced), Decimal("0.00"))
    methods = list(dict.fromkeys(line.payment_method or "amount" for line in priced))
    return f", expected ${total:,.2f} for {len(priced)} of {len(report.claim_lines)} lines ({'; '.join(methods)})"


def unit_result(result: UnitResult, labels: Mapping[str, str]) -> None:
    console = _console()
    method = "Medicare 8-minute rule (pooled)" if result.method.value == "cms" else "per code"
    console.print(f"Method: {method}; total timed minutes: {result.total_timed_minutes}")
    for code, count in result.units.items():
        console.print(f"  {code}  {count} unit(s)  {labels.get(code, '')}")
    for tie in result.ties:
        console.print(
            Text(
                f"  tie: {', '.join(tie.codes)} each had {tie.leftover_minutes} minutes left over; "
                f"{tie.chosen} got the unit, but either may be billed.",
                style="yellow",
            )
        )
