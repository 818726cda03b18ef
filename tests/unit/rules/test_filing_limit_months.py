"""A filing limit in months ends on the same day of the month that many months later, or on that month's last
day when it is shorter (rules/filing_limit.py): 2026-03-31 under 12 months is filed through 2027-03-31,
2026-01-31 under one month through 2026-02-28, and a leap year's February has its 29th."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

import pytest

from ptbill.rules.filing_limit import add_months, last_filing_day


@pytest.mark.parametrize(
    ("limit", "service", "last"),
    [
        ("12 months", date(2026, 3, 31), date(2027, 3, 31)),
        ("1 months", date(2026, 1, 31), date(2026, 2, 28)),
        ("13 months", date(2023, 1, 31), date(2024, 2, 29)),
        ("12 months", date(2024, 2, 29), date(2025, 2, 28)),
        ("6 months", date(2026, 8, 31), date(2027, 2, 28)),
        ("11 months", date(2026, 12, 31), date(2027, 11, 30)),
        ("90 days", date(2026, 1, 1), date(2026, 4, 1)),
    ],
)
def test_the_last_filing_day(limit: str, service: date, last: date) -> None:
    assert last_filing_day(limit, service) == last


def test_every_month_of_every_year_ends_on_its_calendar_day() -> None:
    for year in range(1, 10000):
        for month in range(1, 13):
            ends = calendar.monthrange(year, month)[1]
            day = date(year, month, 1)
            assert add_months(date(year, 1, 31), month - 1) == day + timedelta(days=ends - 1)
