"""Today's date and the moment, from one clock the delivery layers pass on: nothing else asks the system.

The system clock answers with the date where it is latest on earth (UTC+14), so a note written late in
the evening in any US time zone is never taken for a note dated in the future.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from typing import Protocol

LATEST_ZONE = timezone(timedelta(hours=14))


class Clock(Protocol):
    def today(self) -> date: ...

    def now(self) -> datetime:
        """The moment in UTC, for what is stamped (signed at, submitted at, loaded at)."""
        ...


class SystemClock:
    def today(self) -> date:
        return datetime.now(LATEST_ZONE).date()

    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class FixedClock:
    """A clock stopped on one day (tests, demos, re-running a check as of a past day).

    Its moments fall on that day at the wall clock's time of day, so stamps still follow each other.
    """

    day: date

    def today(self) -> date:
        return self.day

    def now(self) -> datetime:
        return datetime.combine(self.day, datetime.now(UTC).timetz())


SYSTEM_CLOCK: Clock = SystemClock()


def day_in(clock: Clock, zone: tzinfo) -> date:
    """The day it is in ``zone`` (a clinic's time zone): a pinned clock's day as pinned, else the moment there."""
    if isinstance(clock, FixedClock):
        return clock.day
    return clock.now().astimezone(zone).date()


def local_now() -> datetime:
    """The local wall-clock time, for stamps written into files (an 837P batch's creation time, ISA09/10)."""
    return datetime.now()
