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
from typing import TypeAlias, TypeVar

from ptbill.domain.parts import Part

MAX_TEXT = 8_000  # a section's free text: pages of it, far below the note's size limit
MAX_NAME = 120  # an exercise, a joint, a test, a goal's id
MAX_ROWS = 200  # rows of a list (measures, exercises, goals)
# A template's blank the therapist fills in; a note still holding one cannot be signed (NOTE_TEMPLATE_BLANK).
BLANK = "___"
_GOAL_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,19}")


# Each field's kind, as in encounter.py: the plain type here, pydantic's constrained type in encounter_models.py.
T = TypeVar("T")
Rows: TypeAlias = tuple[T, ...]  # at most MAX_ROWS; null reads as none
Text: TypeAlias = str  # at most MAX_TEXT characters
Name: TypeAlias = str  # 1 to MAX_NAME characters
Pain: TypeAlias = int  # 0 to 10
Degrees: TypeAlias = Decimal  # -360 to 360, one decimal place
Score: TypeAlias = Decimal  # 8 digits, 2 after the point
SmallCount: TypeAlias = int  # 0 to 9,999
GoalId: TypeAlias = str  # a letter or digit, then up to 19 of them or _ . -
MuscleGrade: TypeAlias = str  # 0-5 with + or -
Load: TypeAlias = str  # at most 40 characters
ShortText: TypeAlias = str  # at most 400 characters
Description: TypeAlias = str  # 1 to 1,000 characters
Progress: TypeAlias = str  # at most 1,000 characters
Flag: TypeAlias = bool  # true or false only
IsoDate: TypeAlias = date  # YYYY-MM-DD, a real day


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


class Subjective(Part):
    text: Text | None = None
    pain_now: Pain | None = None  # 0 (no pain) to 10 (worst imaginable), numeric rating scale
    pain_best: Pain | None = None
    pain_worst: Pain | None = None


class Side(StrEnum):
    LEFT = "left"
    RIGHT = "right"
    BILATERAL = "bilateral"


class RangeOfMotion(Part):
    joint: Name
    motion: Name
    degrees: Degrees
    side: Side | None = None
    active: Flag = True  # active (AROM) or passive (PROM)


class Strength(Part):
    muscle_group: Name
    grade: MuscleGrade  # manual muscle test grade, 0-5 with + or -
    side: Side | None = None


class TestResult(StrEnum):
    POSITIVE = "positive"
    NEGATIVE = "negative"
    EQUIVOCAL = "equivocal"


class SpecialTest(Part):
    name: Name
    result: TestResult
    side: Side | None = None


class OutcomeMeasure(Part):
    """A standardized outcome measure entered as a score on its scale (Oswestry 0-100 %, NDI 0-50 ...)."""

    name: Name
    score: Score
    scale_min: Score = Decimal(0)
    scale_max: Score
    higher_is_worse: Flag = True  # Oswestry and NDI: a higher score is more disability


class Objective(Part):
    range_of_motion: Rows[RangeOfMotion] = ()
    strength: Rows[Strength] = ()
    special_tests: Rows[SpecialTest] = ()
    outcome_measures: Rows[OutcomeMeasure] = ()
    text: Text | None = None  # observation, palpation, gait, what the lists do not hold

    @property
    def measured(self) -> bool:
        """Something quantified: a range, a grade, a test result or a score."""
        return bool(self.range_of_motion or self.strength or self.special_tests or self.outcome_measures)


class FlowsheetRow(Part):
    """One exercise or activity as performed: sets, reps, load or time, and the cues it needed."""

    exercise: Name
    sets: SmallCount | None = None
    reps: SmallCount | None = None
    load: Load | None = None  # "5 lb", "red band", "body weight"
    minutes: SmallCount | None = None
    cues: ShortText | None = None


class GoalTerm(StrEnum):
    SHORT = "short"
    LONG = "long"


class GoalStatus(StrEnum):
    MET = "met"
    PARTIALLY_MET = "partially_met"
    PROGRESSING = "progressing"
    NOT_MET = "not_met"
    DISCONTINUED = "discontinued"


class Goal(Part):
    """A functional goal of the plan of care; its status and progress are recorded on progress reports and
    at discharge."""

    id: GoalId
    term: GoalTerm
    description: Description
    baseline: ShortText | None = None
    target: ShortText | None = None
    target_date: IsoDate | None = None
    status: GoalStatus | None = None
    progress: Progress | None = None


def duplicate_goal_ids(goals: tuple[Goal, ...]) -> list[str]:
    """The lines naming each goal whose id was already used by an earlier goal."""
    seen: set[str] = set()
    problems = []
    for index, goal in enumerate(goals):
        if goal.id in seen:
            problems.append(f"goals[{index}].id {goal.id!r} repeats an earlier goal's id")
        seen.add(goal.id)
    return problems
