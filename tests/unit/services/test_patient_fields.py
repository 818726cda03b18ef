"""The typed-text readers of the patient forms: ASCII digits only, calendar days, ZIP, phone, NPI check digit."""

from __future__ import annotations

from datetime import date

import pytest

from ptbill.services.patient_fields import FieldProblemsError, Fields, shown_phone


def read(name: str, value: str, reader: str, *args: object, **kwargs: object) -> tuple[object, dict[str, str]]:
    fields = Fields({name: value})
    found = getattr(fields, reader)(name, *args, **kwargs)
    return found, fields.problems


@pytest.mark.parametrize(
    ("typed", "kept"),
    [("(503) 555-0142", "5035550142"), ("1-503-555-0142", "5035550142"), ("503.555.0142", "5035550142")],
)
def test_a_phone_number_is_kept_as_its_ten_digits(typed: str, kept: str) -> None:
    assert read("phone", typed, "phone") == (kept, {})
    assert shown_phone(kept) == "(503) 555-0142"


@pytest.mark.parametrize("typed", ["555-٣٣٣-0142", "555-0142", "503-555-0142 ext 4", "５０３５５５０１４２"])
def test_a_phone_number_with_other_digits_or_too_few_is_refused(typed: str) -> None:
    assert read("phone", typed, "phone") == (None, {"phone": "10 digits (0-9), e.g. 503-555-0142"})


@pytest.mark.parametrize(("typed", "ok"), [("97201", True), ("97201-1234", True), ("9720", False), ("٩٧٢٠١", False)])
def test_a_zip_code_is_five_digits_or_five_plus_four(typed: str, ok: bool) -> None:
    found, problems = read("zip", typed, "zip")
    assert (found == typed) is ok
    assert bool(problems) is not ok


@pytest.mark.parametrize("typed", ["2026-02-30", "26-2-3", "2026-2-03", "١٩٥١-٠٣-٠٩"])
def test_a_day_must_be_on_the_calendar(typed: str) -> None:
    assert read("day", typed, "day") == (None, {"day": "not a date on the calendar (YYYY-MM-DD)"})


def test_a_birth_date_cannot_be_in_the_future() -> None:
    assert read("born", "2026-04-07", "day", not_after=date(2026, 4, 6)) == (None, {"born": "in the future"})


@pytest.mark.parametrize(("typed", "ok"), [("1245319599", True), ("1245319598", False), ("124531959", False)])
def test_an_npi_needs_its_check_digit(typed: str, ok: bool) -> None:
    found, _problems = read("npi", typed, "npi")
    assert (found == typed) is ok


@pytest.mark.parametrize("typed", ["٣", "²", "0", "10001", "1e3", "-1"])
def test_a_count_is_ascii_digits_in_its_range(typed: str) -> None:
    assert read("n", typed, "whole", 1, 10_000)[0] is None


def test_every_problem_is_named_at_once() -> None:
    fields = Fields({"a": "", "b": "x\x00y"})
    fields.text("a", 10, required=True)
    fields.text("b", 10)
    with pytest.raises(FieldProblemsError) as refused:
        fields.done()
    assert refused.value.problems == {"a": "required", "b": "control characters cannot be stored"}
