"""Other payers' fee schedules (contracted rates, Medicaid, workers' comp ...) imported from a clinic's CSV.

The CSV has columns code, modifiers, amount, effective_from, effective_to (see docs/pricing.md);
its amounts are whatever the payer's schedule or contract says, cited by file and line.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path

from ptbill.domain.dates import DateRange
from ptbill.domain.errors import ReferenceDataError
from ptbill.pricing.medicare_pfs import read_csv_table

REQUIRED_COLUMNS = ("code", "amount", "effective_from")
OPTIONAL_COLUMNS = ("modifiers", "effective_to", "note")

_MODIFIER_SEPARATORS = re.compile(r"[\s|]+")
_ONE_DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class FeeScheduleRow:
    """One row: the amount per unit of a code (with these modifiers, if any) over a period."""

    code: str
    modifiers: frozenset[str]
    amount: Decimal
    effective: DateRange  # end-exclusive: effective_to (inclusive in the CSV) plus one day
    line: int
    note: str = ""

    @property
    def label(self) -> str:
        return " ".join([self.code, *sorted(self.modifiers)])


@dataclass(frozen=True, slots=True)
class ScheduledAmount:
    """The amount per unit a fee schedule gives a line, the row it came from and why that row."""

    code: str
    modifiers: tuple[str, ...]  # the row's modifiers, sorted; empty for a bare-code row
    amount: Decimal
    effective: DateRange
    source: str  # "<file> line <n>"
    explanation: str
    row: FeeScheduleRow


class FeeSchedule:
    """A payer's amounts by code, modifiers and date.

    A row with modifiers applies only to a line that carries all of them, and is preferred over a row
    with fewer (or none); among equally specific rows, the one listed first wins and the choice is noted.
    """

    def __init__(self, rows: Sequence[FeeScheduleRow], source: str) -> None:
        self.source = source
        self.rows: tuple[FeeScheduleRow, ...] = tuple(rows)
        by_key = sorted(self.rows, key=lambda r: (r.code, sorted(r.modifiers), r.effective.start))
        for _, group in itertools.groupby(by_key, key=lambda r: (r.code, r.modifiers)):
            for earlier, later in itertools.pairwise(group):
                if earlier.effective.overlaps(later.effective):
                    raise ReferenceDataError(
                        f"{source}: line {later.line}: {later.label} overlaps line {earlier.line} "
                        f"({later.effective} vs {earlier.effective})"
                    )

    @classmethod
    def from_csv(cls, path: Path) -> FeeSchedule:
        """Read a fee schedule CSV; a bad row raises ReferenceDataError naming file, line and field."""
        rows = [_parse_row(path, line, raw) for line, raw in read_csv_table(path, REQUIRED_COLUMNS)]
        if not rows:
            raise ReferenceDataError(f"{path}: no rows")
        return cls(rows, str(path))

    def amount_for(self, code: str, modifiers: Iterable[str], day: date) -> ScheduledAmount | None:
        """The amount per unit for ``code`` with the line's ``modifiers`` on ``day``; None when no row applies."""
        code = code.strip().upper()
        carried = frozenset(m.strip().upper() for m in modifiers if m.strip())
        matches = [
            row for row in self.rows if row.code == code and row.modifiers <= carried and row.effective.contains(day)
        ]
        if not matches:
            return None
        matches.sort(key=lambda r: (-len(r.modifiers), r.line))
        best = matches[0]
        why = [f"{best.label}: ${best.amount} per unit, {self.source} line {best.line} ({best.effective})."]
        if best.modifiers:
            passed_over = [r for r in matches[1:] if len(r.modifiers) < len(best.modifiers)]
            if passed_over:
                why.append(
                    f"Preferred over line {passed_over[0].line} ({passed_over[0].label}) because the line "
                    f"carries {' '.join(sorted(best.modifiers))}."
                )
        tied = [r for r in matches[1:] if len(r.modifiers) == len(best.modifiers)]
        if tied:
            why.append(
                f"Line {tied[0].line} ({tied[0].label}) matches as well; the row listed first was used. "
                "Check the fee schedule."
            )
        return ScheduledAmount(
            code=best.code,
            modifiers=tuple(sorted(best.modifiers)),
            amount=best.amount,
            effective=best.effective,
            source=f"{self.source} line {best.line}",
            explanation=" ".join(why),
            row=best,
        )


def _parse_row(path: Path, line: int, raw: dict[str, str]) -> FeeScheduleRow:
    def fail(field: str, problem: str) -> ReferenceDataError:
        return ReferenceDataError(f"{path}: line {line}: field {field!r}: {problem}")

    code = raw["code"].upper()
    if len(code) != 5 or not code.isalnum():
        raise fail("code", f"{raw['code']!r} is not a 5-character CPT/HCPCS code")
    modifiers = frozenset(m.upper() for m in _MODIFIER_SEPARATORS.split(raw.get("modifiers", "")) if m)
    for modifier in modifiers:
        if len(modifier) != 2 or not modifier.isalnum():
            raise fail("modifiers", f"{modifier!r} is not a 2-character modifier (separate them with spaces or |)")
    amount_text = raw["amount"].removeprefix("$").strip()
    try:
        amount = Decimal(amount_text)
    except InvalidOperation:
        raise fail(
            "amount", f"{raw['amount']!r} is not an amount (write 25.00, without thousands separators)"
        ) from None
    if not amount.is_finite() or amount < 0:
        raise fail("amount", f"{raw['amount']!r} is not a non-negative amount")
    start = _parse_date(raw["effective_from"], fail, "effective_from")
    last_text = raw.get("effective_to", "")
    end: date | None = None
    if last_text:
        # effective_to is the last day the amount applies, as payers write "through 12/31/2025".
        last = _parse_date(last_text, fail, "effective_to")
        if last < start:
            raise fail("effective_to", f"{last} is before effective_from {start}")
        end = last + _ONE_DAY
    return FeeScheduleRow(code, modifiers, amount, DateRange(start, end), line, raw.get("note", ""))


def _parse_date(text: str, fail: Callable[[str, str], ReferenceDataError], field: str) -> date:
    if not text:
        raise fail(field, "is empty")
    for pattern in ("%Y-%m-%d", "%m/%d/%Y"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise fail(field, f"{text!r} is not a date (YYYY-MM-DD or MM/DD/YYYY)")
