"""Columns of a stored check computed from its JSON as the row is inserted (migration 0013_queue): the planned
lines' expected payment summed and the findings' rule ids. Column defaults, so every writer (ORM or Core, one
row or many) fills them and the queue filters on them without reading JSON."""

from __future__ import annotations

from decimal import Decimal
from typing import Any


def expected_of_lines(lines: list[dict[str, Any]] | None) -> Decimal | None:
    """The planned lines' expected payments summed, to the cent; None when no line has one."""
    known = [Decimal(str(line["expected_payment"])) for line in lines or [] if line.get("expected_payment") is not None]
    return sum(known, Decimal("0.00")).quantize(Decimal("0.01")) if known else None


def rules_of_findings(findings: list[dict[str, Any]] | None) -> str:
    """The rule ids of a check's findings, each between spaces (" A B "): "has a finding of rule R" is a LIKE."""
    rules = sorted({str(finding.get("rule")) for finding in findings or []})
    return f" {' '.join(rules)} " if rules else ""


def findings_rules(context: Any) -> str:
    """The column default of ``encounter_checks.finding_rules``: the inserted row's findings' rule ids."""
    return rules_of_findings(context.get_current_parameters().get("findings"))


def lines_expected(context: Any) -> Decimal | None:
    """The column default of ``encounter_checks.expected_payment``: the inserted row's lines summed."""
    return expected_of_lines(context.get_current_parameters().get("claim_lines"))
