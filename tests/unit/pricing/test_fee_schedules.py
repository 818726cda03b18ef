"""Payer fee schedules imported from CSV: modifier preference, inclusive end dates, and errors that point at the row."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from ptbill.domain.errors import ReferenceDataError
from ptbill.pricing import FeeSchedule

GOOD = """\
code,modifiers,amount,effective_from,effective_to,note
97012,,25.00,2025-01-01,2025-12-31,bare code
97012,GP,$27.50,2025-01-01,,
97110,GP|CQ,20.00,01/01/2025,,assistant rate
97110,GP,24.00,2025-01-01,,
97012,,26.00,2026-01-01,,2026 rate
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "acme-ppo.csv"
    path.write_text(text)
    return path


def test_a_row_with_the_lines_modifiers_is_preferred_over_the_bare_code(tmp_path: Path) -> None:
    schedule = FeeSchedule.from_csv(write(tmp_path, GOOD))
    found = schedule.amount_for("97012", ["GP", "KX"], date(2025, 6, 1))
    assert found is not None
    assert found.amount == Decimal("27.50")
    assert found.modifiers == ("GP",)
    assert found.source.endswith("acme-ppo.csv line 3")
    assert "Preferred over line 2 (97012)" in found.explanation


def test_the_bare_code_row_applies_without_modifiers(tmp_path: Path) -> None:
    schedule = FeeSchedule.from_csv(write(tmp_path, GOOD))
    found = schedule.amount_for("97012", [], date(2025, 12, 31))
    assert found is not None
    assert (found.amount, found.row.line) == (Decimal("25.00"), 2)


def test_effective_to_is_the_last_day_inclusive(tmp_path: Path) -> None:
    schedule = FeeSchedule.from_csv(write(tmp_path, GOOD))
    found = schedule.amount_for("97012", [], date(2026, 1, 1))
    assert found is not None
    assert found.amount == Decimal("26.00")
    assert schedule.amount_for("97012", [], date(2024, 12, 31)) is None


def test_the_most_specific_modifier_row_wins(tmp_path: Path) -> None:
    schedule = FeeSchedule.from_csv(write(tmp_path, GOOD))
    assistant = schedule.amount_for("97110", ["cq", "gp"], date(2025, 6, 1))
    therapist = schedule.amount_for("97110", ["GP"], date(2025, 6, 1))
    assert assistant is not None
    assert therapist is not None
    assert assistant.amount == Decimal("20.00")
    assert therapist.amount == Decimal("24.00")
    assert schedule.amount_for("97110", [], date(2025, 6, 1)) is None  # no bare 97110 row


def test_a_bad_amount_names_file_line_and_field(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD + "97140,GP,twelve,2025-01-01,\n")
    with pytest.raises(ReferenceDataError, match=r"acme-ppo\.csv: line 7: field 'amount': 'twelve' is not an amount"):
        FeeSchedule.from_csv(path)


@pytest.mark.parametrize(
    ("row", "field"),
    [
        ("9714,GP,12.00,2025-01-01,", "code"),
        ("97140,GPX,12.00,2025-01-01,", "modifiers"),
        ("97140,GP,12.00,2025-13-01,", "effective_from"),
        ("97140,GP,12.00,2025-06-01,2025-05-31", "effective_to"),
        ("97140,GP,-1,2025-01-01,", "amount"),
    ],
)
def test_each_bad_field_is_reported(tmp_path: Path, row: str, field: str) -> None:
    path = write(tmp_path, "code,modifiers,amount,effective_from,effective_to\n" + row + "\n")
    with pytest.raises(ReferenceDataError, match=rf"line 2: field '{field}'"):
        FeeSchedule.from_csv(path)


def test_overlapping_rows_for_the_same_code_and_modifiers_are_refused(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD + "97012,GP,28.00,2025-06-01,2025-06-30,\n")
    with pytest.raises(ReferenceDataError, match="line 7: 97012 GP overlaps line 3"):
        FeeSchedule.from_csv(path)


def test_a_missing_column_is_reported(tmp_path: Path) -> None:
    with pytest.raises(ReferenceDataError, match="line 1: missing column"):
        FeeSchedule.from_csv(write(tmp_path, "code,price\n97012,25\n"))


def test_equally_specific_rows_are_noted(tmp_path: Path) -> None:
    text = "code,modifiers,amount,effective_from\n97530,GP,30.00,2025-01-01\n97530,59,31.00,2025-01-01\n"
    found = FeeSchedule.from_csv(write(tmp_path, text)).amount_for("97530", ["GP", "59"], date(2025, 2, 1))
    assert found is not None
    assert found.amount == Decimal("30.00")
    assert "Line 3 (97530 59) matches as well" in found.explanation
