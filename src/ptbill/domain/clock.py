"""Today's date, from one clock the delivery layers pass on: checks never ask the system themselves.

The system clock answers with the date where it is latest on earth (UTC+14), so a note written late in
the evening in any US time zone is never taken for a note dated in the future.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Protocol

LATEST_ZONE = timezone(timedelta(hours=14))


class Clock(Protocol):
    def today(self) -> date: ...


class SystemClock:
    def today(self) -> date:
        return datetime.now(LATEST_ZONE).date()


@dataclass(frozen=True, slots=True)
class FixedClock:
    """A clock stopped on one day (tests, demos, re-running a check as of a past day)."""

    day: date

    def today(self) -> date:
        return self.day


SYSTEM_CLOCK: Clock = SystemClock()


def local_now() -> datetime:
    """The local wall-clock time, for stamps written into files (an 837P batch's creation time, ISA09/10)."""
    return datetime.now()
