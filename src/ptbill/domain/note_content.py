"""The whole visit: the note type and the sections a therapist writes beside the billed services.

These are ptbill additions to encounter format 1 (``docs/encounter-format.md``, "Additions (format 1,
compatible)"). Every field is optional: a format-1 document without them is a daily treatment note and
reads and checks as before. Typed so that a wrong value is refused naming its field: a pain scale is a
whole number 0-10, a range of motion is degrees, a muscle grade is the 0-5 manual muscle test scale.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictBool, field_validator, model_validator

MAX_TEXT = 8_000  # a section's free text: pages of it, far below the note's size limit
MAX_NAME = 120  # an exercise, a joint, a test, a goal's id
MAX_ROWS = 200  # rows of a list (measures, exercises, goals)
# A template's blank the therapist fills in; a note still holding one cannot be signed (NOTE_TEMPLATE_BLANK).
BLANK = "___"
_GOAL_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,19}")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_DECIMAL_TEXT = re.compile(r"-?[0-9]{1,12}(\.[0-9]{1,12})?")


def _no_bool(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError("not a number")
    if isinstance(value, str) and not _DECIMAL_TEXT.fullmatch(value.strip()):
        raise ValueError("not a number (digits 0-9, with an optional decimal point)")
    return value


def _day(value: Any) -> Any:
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        raise ValueError("not a date (expected YYYY-MM-DD)")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError("not a date") from None


def _empty_list(value: Any) -> Any:
    return () if value is None else value


Text = Annotated[str, Field(max_length=MAX_TEXT)]
Name = Annotated[str, Field(min_length=1, max_length=MAX_NAME)]
# Constraints before the BeforeValidator are pydantic's native ones, after it Python callbacks (encounter.py):
# Degrees keeps the callback, since natively its digits would be tested before its bounds (another message).
Pain = Annotated[int, Field(ge=0, le=10), BeforeValidator(_no_bool)]
Degrees = Annotated[Decimal, BeforeValidator(_no_bool), Field(ge=-360, le=360, max_digits=6, decimal_places=1)]
Score = Annotated[Decimal, Field(max_digits=8, decimal_places=2), BeforeValidator(_no_bool)]
SmallCount = Annotated[int, Field(ge=0, le=9_999), BeforeValidator(_no_bool)]
IsoDay = Annotated[date, BeforeValidator(_day)]
GoalId = Annotated[str, Field(pattern=_GOAL_ID.pattern)]


class _Part(BaseModel):
    # built at first use, as encounter.py's models are
    model_config = ConfigDict(frozen=True, extra="ignore", str_strip_whitespace=True, defer_build=True)


class NoteType(StrEnum):
    """What the note is (Medicare Benefit Policy Manual ch.15 §220.3); format 1 knows only the daily note."""

    INITIAL_EVALUATION = "initial_evaluation"
    DAILY_NOTE = "daily_note"
    PROGRESS_REPORT = "progress_report"
    RE_EVALUATION = "re_evaluation"
    DISCHARGE_SUMMARY = "discharge_summary"

    @property
    def label(self) -> str:
        return NOTE_TYPE_LABELS[self]

    @property
    def is_evaluation(self) -> bool:
        return self in (NoteType.INITIAL_EVALUATION, NoteType.RE_EVALUATION)

    @property
    def reports_progress(self) -> bool:
        """The note reports progress toward the goals (and so stands for the every-10-days report)."""
        return self in (NoteType.PROGRESS_REPORT, NoteType.RE_EVALUATION, NoteType.DISCHARGE_SUMMARY)


NOTE_TYPE_LABELS = {
    NoteType.INITIAL_EVALUATION: "Initial evaluation",
    NoteType.DAILY_NOTE: "Daily treatment note",
    NoteType.PROGRESS_REPORT: "Progress report",
    NoteType.RE_EVALUATION: "Re-evaluation",
    NoteType.DISCHARGE_SUMMARY: "Discharge summary",
}


class Subjective(_Part):
    text: Text | None = None
    pain_now: Pain | None = None  # 0 (no pain) to 10 (worst imaginable), numeric rating scale
    pain_best: Pain | None = None
    pain_worst: Pain | None = None


class Side(StrEnum):
    LEFT = "left"
    RIGHT = "right"
    BILATERAL = "bilateral"


class RangeOfMotion(_Part):
    joint: Name
    motion: Name
    degrees: Degrees
    side: Side | None = None
    active: StrictBool = True  # active (AROM) or passive (PROM)


class Strength(_Part):
    muscle_group: Name
    grade: str = Field(pattern=r"^[0-5][+-]?$")  # manual muscle test grade, 0-5 with + or -
    side: Side | None = None


class TestResult(StrEnum):
    POSITIVE = "positive"
    NEGATIVE = "negative"
    EQUIVOCAL = "equivocal"


class SpecialTest(_Part):
    name: Name
    result: TestResult
    side: Side | None = None


class OutcomeMeasure(_Part):
    """A standardized outcome measure entered as a score on its scale (Oswestry 0-100 %, NDI 0-50 ...)."""

    name: Name
    score: Score
    scale_min: Score = Decimal(0)
    scale_max: Score
    higher_is_worse: StrictBool = True  # Oswestry and NDI: a higher score is more disability

    @model_validator(mode="after")
    def _on_scale(self) -> OutcomeMeasure:
        if self.scale_max <= self.scale_min:
            raise ValueError(f"scale_max {self.scale_max} is not above scale_min {self.scale_min}")
        if not self.scale_min <= self.score <= self.scale_max:
            raise ValueError(f"score {self.score} is outside its scale {self.scale_min}-{self.scale_max}")
        return self


class Objective(_Part):
    range_of_motion: tuple[RangeOfMotion, ...] = Field(default=(), max_length=MAX_ROWS)
    strength: tuple[Strength, ...] = Field(default=(), max_length=MAX_ROWS)
    special_tests: tuple[SpecialTest, ...] = Field(default=(), max_length=MAX_ROWS)
    outcome_measures: tuple[OutcomeMeasure, ...] = Field(default=(), max_length=MAX_ROWS)
    text: Text | None = None  # observation, palpation, gait, what the lists do not hold

    @field_validator("range_of_motion", "strength", "special_tests", "outcome_measures", mode="before")
    @classmethod
    def _null_is_empty(cls, value: Any) -> Any:
        return _empty_list(value)

    @property
    def measured(self) -> bool:
        """Something quantified: a range, a grade, a test result or a score."""
        return bool(self.range_of_motion or self.strength or self.special_tests or self.outcome_measures)


class FlowsheetRow(_Part):
    """One exercise or activity as performed: sets, reps, load or time, and the cues it needed."""

    exercise: Name
    sets: SmallCount | None = None
    reps: SmallCount | None = None
    load: Annotated[str, Field(max_length=40)] | None = None  # "5 lb", "red band", "body weight"
    minutes: SmallCount | None = None
    cues: Annotated[str, Field(max_length=400)] | None = None


class GoalTerm(StrEnum):
    SHORT = "short"
    LONG = "long"


class GoalStatus(StrEnum):
    MET = "met"
    PARTIALLY_MET = "partially_met"
    PROGRESSING = "progressing"
    NOT_MET = "not_met"
    DISCONTINUED = "discontinued"


class Goal(_Part):
    """A functional goal of the plan of care; its status and progress are recorded on progress reports and
    at discharge."""

    id: GoalId
    term: GoalTerm
    description: Annotated[str, Field(min_length=1, max_length=1_000)]
    baseline: Annotated[str, Field(max_length=400)] | None = None
    target: Annotated[str, Field(max_length=400)] | None = None
    target_date: IsoDay | None = None
    status: GoalStatus | None = None
    progress: Annotated[str, Field(max_length=1_000)] | None = None


def duplicate_goal_ids(goals: tuple[Goal, ...]) -> list[str]:
    """The lines naming each goal whose id was already used by an earlier goal."""
    seen: set[str] = set()
    problems = []
    for index, goal in enumerate(goals):
        if goal.id in seen:
            problems.append(f"goals[{index}].id {goal.id!r} repeats an earlier goal's id")
        seen.add(goal.id)
    return problems
