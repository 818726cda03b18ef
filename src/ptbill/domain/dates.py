"""Half-open date ranges used for effective periods of rules and parameters."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True, slots=True)
class DateRange:
    """Dates from ``start`` (inclusive) to ``end`` (exclusive); ``end=None`` means open-ended.

    >>> DateRange(date(2025, 1, 1), date(2026, 1, 1)).contains(date(2025, 12, 31))
    True
    >>> DateRange(date(2025, 1, 1), date(2026, 1, 1)).contains(date(2026, 1, 1))
    False
    """

    start: date
    end: date | None = None

    def __post_init__(self) -> None:
        if self.end is not None and self.end <= self.start:
            raise ValueError(f"date range ends ({self.end}) on or before it starts ({self.start})")

    def contains(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day < self.end)

    def overlaps(self, other: DateRange) -> bool:
        starts_before_other_ends = other.end is None or self.start < other.end
        ends_after_other_starts = self.end is None or other.start < self.end
        return starts_before_other_ends and ends_after_other_starts

    def __str__(self) -> str:
        return f"{self.start} to {self.end - _ONE_DAY if self.end else 'open'}"


_ONE_DAY = timedelta(days=1)
