"""What the app knows of a note beyond its own document, for the plan-of-care and co-signature checks: the
plan of care as the physician certified it, the patient's other visits of the calendar week, and the note's
signatures. The app fills them from the chart; a single file has none, and the checks that need them stay quiet.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum


def calendar_week(day: date) -> tuple[date, date]:
    """The Monday and the Sunday of the day's week (ISO 8601), the week a frequency "times a week" counts in."""
    monday = day - timedelta(days=day.weekday())
    return monday, monday + timedelta(days=6)


def plan_end(start: date, end: date | None, weeks: int | None) -> date | None:
    """The last day a plan covers: its end date, else the last day of its stated weeks, else unknown."""
    if end is not None:
        return end
    if weeks is not None:
        return start + timedelta(weeks=weeks, days=-1)
    return None


@dataclass(frozen=True, slots=True)
class CertifiedPlan:
    """The plan of care as the physician or NPP certified it, as the chart holds it: the stored plan whose
    signature date is the note's certification date, else the patient's first signed note that carries that
    certification. ``long_term_goals`` maps each long-term goal's id to its wording; None when the source keeps
    no goals (the chart's stored plans)."""

    source: str  # in words, for the finding: "the plan of care on the chart" or "note N-1 of 2026-02-20"
    start_date: date
    certified_date: date
    end_date: date | None = None
    frequency_per_week: int | None = None
    frequency_max_per_week: int | None = None
    duration_weeks: int | None = None
    long_term_goals: dict[str, str] | None = None

    @property
    def most_visits_per_week(self) -> int | None:
        return self.frequency_max_per_week if self.frequency_max_per_week is not None else self.frequency_per_week

    @property
    def last_day(self) -> date | None:
        return plan_end(self.start_date, self.end_date, self.duration_weeks)


class NoteState(StrEnum):
    """Where the note being checked is in its life, as far as its signatures go."""

    DRAFT = "draft"  # not signed yet (or not saved yet)
    SIGNED = "signed"  # signed, not billed
    BILLED = "billed"  # a claim was built from it: a co-signature no longer holds anything back


@dataclass(frozen=True, slots=True)
class NoteSignatures:
    """The stored note's signatures: its state, and who co-signed its current version (None: nobody).
    ``clinic_requires_cosign`` is the clinic's own switch, for its state's practice act, in force for the
    note's date of service."""

    state: NoteState
    cosigned_by: str | None = None
    clinic_requires_cosign: bool = False
