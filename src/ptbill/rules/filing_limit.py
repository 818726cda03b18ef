"""The payer's timely filing limit for a date of service: the last day a claim is accepted, and how many days
are left on a given day. The check ``TIMELY_FILING_LIMIT``, the claims pages, the timely filing worklist and
the batch guard all read it, so they agree on the day.

The limit is the dated payer parameter ``claims.filing_limit`` ("12 months" for Medicare, 42 CFR 424.44(a)(1);
an assumed "90 days" for other payers until the clinic sets the contract's), and the warning window
``claims.filing_warning_days``. A limit in months ends on the same day of the month that many months later
(the month's last day when it is shorter): a 2026-03-31 service under 12 months may be filed through 2027-03-31.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from ptbill.reference.catalog import Snapshot

NEAR, LATE, OPEN = "near", "late", "open"


@dataclass(frozen=True, slots=True)
class FilingLimit:
    limit: str  # "12 months", "90 days"
    last_day: date  # the last day the payer accepts the claim
    days_left: int  # negative: past the limit by that many days
    warning_days: int
    reference: str  # where the limit comes from
    confidence: str  # cms, assumed, clinic ...

    @property
    def state(self) -> str:
        """late (past the last day), near (within the warning window), open."""
        if self.days_left < 0:
            return LATE
        return NEAR if self.days_left <= self.warning_days else OPEN

    def words(self) -> str:
        """The limit in a sentence a biller reads on a warning or a refusal."""
        if self.days_left < 0:
            when = f"{-self.days_left} day{'s' if self.days_left != -1 else ''} past"
        else:
            when = f"{self.days_left} day{'s' if self.days_left != 1 else ''} left"
        assumed = " (an assumed default: check the payer's contract)" if self.confidence == "assumed" else ""
        return f"filing limit {self.limit} from the date of service{assumed}: last day {self.last_day}, {when}"


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, _days_in_month(year, month)))


def _days_in_month(year: int, month: int) -> int:
    """``calendar.monthrange(year, month)[1]``, without loading calendar (and locale) for every check."""
    return 31 if month == 12 else (date(year, month + 1, 1) - date(year, month, 1)).days


def last_filing_day(limit: str, service_date: date) -> date:
    """The last day a claim for ``service_date`` is accepted under ``limit`` ("N days" or "N months")."""
    number, unit = limit.split()
    if unit == "months":
        return add_months(service_date, int(number))
    return service_date + timedelta(days=int(number))


def filing_limit(snapshot: Snapshot, service_date: date, today: date) -> FilingLimit | None:
    """The payer's limit for a claim of ``service_date`` as of ``today`` (None: the payer sets none)."""
    found = snapshot.resolved("claims.filing_limit")
    if found is None:
        return None
    warning = snapshot.integer("claims.filing_warning_days") or 0
    last = last_filing_day(found.text, service_date)
    return FilingLimit(found.text, last, (last - today).days, warning, found.reference, found.confidence)
