"""What each note type must hold: evaluations write the plan of care and its goals, progress reports and
discharge summaries measure and report progress toward each goal, and only a therapist writes them.

Source: Medicare Benefit Policy Manual (Pub. 100-02) ch.15 §220.1.2 (the plan of care's content: diagnoses,
long-term goals, type, amount, duration and frequency) and §220.3 (documentation: the evaluation, the
progress report at least once every 10 treatment days with its objective measurements and progress toward
goals, the treatment note, the discharge note). A daily note (every format-1 document) is not checked here.
"""

from __future__ import annotations

from collections.abc import Iterator

from ptbill.domain.chart import calendar_week
from ptbill.domain.finding import Severity
from ptbill.domain.note_content import NoteType
from ptbill.rules.context import CheckContext
from ptbill.rules.registry import Hit, in_words, rule
from ptbill.rules.sources import bpm_15

SECTION = "Note types"
_TYPE_NAMES = {
    NoteType.INITIAL_EVALUATION: "initial evaluation",
    NoteType.DAILY_NOTE: "daily note",
    NoteType.PROGRESS_REPORT: "progress report",
    NoteType.RE_EVALUATION: "re-evaluation",
    NoteType.DISCHARGE_SUMMARY: "discharge summary",
}
_REPORTS = (NoteType.PROGRESS_REPORT, NoteType.DISCHARGE_SUMMARY)


def _kind(ctx: CheckContext) -> str:
    return _TYPE_NAMES[ctx.encounter.note_type]


@rule(
    "EVAL_GOALS_MISSING",
    needs=("evaluation",),
    section=SECTION,
    severity=Severity.ERROR,
    source=bpm_15("220.1.2", "the plan of care contains the long-term treatment goals")
    + "; "
    + bpm_15("220.3", "the evaluation and plan of care"),
    fix="Write the patient's functional goals: short- and long-term, each with its baseline, target and date.",
)
def eval_goals_missing(ctx: CheckContext) -> Iterator[Hit]:
    """An initial evaluation or re-evaluation sets no goals, or no long-term goal."""
    encounter = ctx.encounter
    if not encounter.note_type.is_evaluation:
        return
    if not encounter.goals:
        yield Hit(f"The {_kind(ctx)} sets no goals.", None, "goals")
    elif not any(goal.term.value == "long" for goal in encounter.goals):
        yield Hit(f"The {_kind(ctx)} sets no long-term goal.", None, "goals")


@rule(
    "EVAL_PLAN_INCOMPLETE",
    needs=("evaluation",),
    section=SECTION,
    severity=Severity.ERROR,
    source=bpm_15("220.1.2", "the plan of care states the type, amount, frequency and duration of therapy"),
    fix="Write the plan of care: its start and end dates, how often (for example 2-3 times a week) and for how "
    "many weeks.",
)
def eval_plan_incomplete(ctx: CheckContext) -> Iterator[Hit]:
    """An initial evaluation or re-evaluation writes no plan of care, or one without frequency or duration."""
    if not ctx.encounter.note_type.is_evaluation:
        return
    plan = ctx.encounter.plan_of_care
    if plan is None:
        required = ctx.snapshot.resolved("plan_of_care.required")
        if required is None or not required.flag:  # where a plan is required, POC_MISSING says so
            yield Hit(f"The {_kind(ctx)} writes no plan of care.", None, "plan_of_care")
        return
    if plan.frequency_per_week is None:
        yield Hit("The plan of care does not say how many visits a week.", None, "plan_of_care.frequency_per_week")
    if plan.duration_weeks is None and plan.end_date is None:
        yield Hit("The plan of care does not say how long it runs.", None, "plan_of_care.duration_weeks")


def _no_measure(ctx: CheckContext) -> Iterator[Hit]:
    """The note records no objective measure (the evaluation's baseline, a report's re-measurement)."""
    objective = ctx.encounter.objective
    if objective is None or not objective.measured:
        yield Hit(f"The {_kind(ctx)} records no objective measure.", None, "objective")


@rule(
    "EVAL_MEASURES_MISSING",
    needs=("evaluation",),
    section=SECTION,
    severity=Severity.WARNING,
    source=bpm_15("220.3", "the evaluation's objective measures, the baseline that progress is judged against"),
    fix="Record the measures the goals rest on: range of motion, strength, special tests or an outcome measure "
    "such as the Oswestry or Neck Disability Index score.",
)
def eval_measures_missing(ctx: CheckContext) -> Iterator[Hit]:
    """An initial evaluation or re-evaluation records no objective measure."""
    if ctx.encounter.note_type.is_evaluation:
        yield from _no_measure(ctx)


@rule(
    "PROGRESS_MEASURES_MISSING",
    needs=("progress_or_discharge",),
    section=SECTION,
    severity=Severity.ERROR,
    source=bpm_15("220.3", "the progress report's objective measurements or other quantifiable assessment"),
    fix="Re-measure what the goals rest on (range of motion, strength, an outcome measure score) and record it.",
)
def progress_measures_missing(ctx: CheckContext) -> Iterator[Hit]:
    """A progress report or discharge summary records no objective measure of progress."""
    if ctx.encounter.note_type in _REPORTS:
        yield from _no_measure(ctx)


@rule(
    "PROGRESS_GOALS_MISSING",
    needs=("progress_or_re_evaluation",),
    section=SECTION,
    severity=Severity.ERROR,
    source=bpm_15("220.3", "the progress report assesses the extent of progress, or lack of it, toward each goal"),
    fix="List the plan's goals on the progress report, each with its status (met, progressing, not met) and the "
    "progress made.",
)
def progress_goals_missing(ctx: CheckContext) -> Iterator[Hit]:
    """A progress report or re-evaluation does not report progress toward each goal."""
    if ctx.encounter.note_type not in (NoteType.PROGRESS_REPORT, NoteType.RE_EVALUATION):
        return
    yield from _goal_status(ctx)


@rule(
    "DISCHARGE_GOAL_STATUS_MISSING",
    needs=("discharge_summary",),
    section=SECTION,
    severity=Severity.ERROR,
    source=bpm_15("220.3", "the discharge note is a progress report covering the care up to discharge"),
    fix="Give each goal its status at discharge (met, partially met, not met, discontinued) and what was reached.",
)
def discharge_goal_status_missing(ctx: CheckContext) -> Iterator[Hit]:
    """A discharge summary does not give each goal its status at discharge."""
    if ctx.encounter.note_type is NoteType.DISCHARGE_SUMMARY:
        yield from _goal_status(ctx)


def _goal_status(ctx: CheckContext) -> Iterator[Hit]:
    goals = ctx.encounter.goals
    if not goals:
        yield Hit(f"The {_kind(ctx)} lists no goals, so no progress toward them is reported.", None, "goals")
        return
    for index, goal in enumerate(goals):
        if goal.status is None:
            yield Hit(f"Goal {goal.id} has no status on the {_kind(ctx)}.", None, f"goals[{index}].status")


@rule(
    "PROGRESS_ASSESSMENT_MISSING",
    needs=("progress_report",),
    section=SECTION,
    severity=Severity.WARNING,
    source=bpm_15("220.3", "the progress report's assessment and plans for continuing treatment"),
    fix="Write the assessment (why the care still needs a therapist's skill) and the plan for continuing "
    "treatment or its changes.",
)
def progress_assessment_missing(ctx: CheckContext) -> Iterator[Hit]:
    """A progress report has no assessment, or no plan for continuing treatment."""
    if ctx.encounter.note_type is not NoteType.PROGRESS_REPORT:
        return
    if not ctx.encounter.assessment:
        yield Hit("The progress report has no assessment.", None, "assessment")
    if not ctx.encounter.plan:
        yield Hit("The progress report has no plan for continuing treatment.", None, "plan")


@rule(
    "NOTE_TYPE_BY_ASSISTANT",
    needs=(
        "not_daily_note",
        "assistant",
    ),
    section=SECTION,
    severity=Severity.ERROR,
    source=bpm_15(
        "220.3",
        "evaluations, re-evaluations, progress reports and the discharge note are the "
        "clinician's; assistants may not write them",
    ),
    fix="Have the supervising therapist see the patient and write this note; the assistant writes daily notes.",
)
def note_type_by_assistant(ctx: CheckContext) -> Iterator[Hit]:
    """An evaluation, re-evaluation, progress report or discharge summary is written by an assistant."""
    encounter = ctx.encounter
    if encounter.note_type is NoteType.DAILY_NOTE or not encounter.furnished_by_assistant:
        return
    provider = encounter.rendering_provider
    yield Hit(
        f"A {_kind(ctx)} is the therapist's, and this one is by {provider.credential.value} {provider.name}.",
        None,
        "rendering_provider",
    )


@rule(
    "POC_FREQUENCY_EXCEEDED",
    needs=("plan_of_care",),
    section=SECTION,
    severity=Severity.WARNING,
    source=bpm_15("220.1.2", "the plan's frequency and duration; visits beyond them need a changed plan"),
    fix="Keep to the certified frequency, or update the plan of care (with the reason) and have the change "
    "certified before the extra visits.",
)
def poc_frequency_exceeded(ctx: CheckContext) -> Iterator[Hit]:
    """More visits than the plan's certified frequency allows, in the visit's calendar week or over the plan.

    The week's visits are the days of the patient's signed notes in the chart from Monday up to this visit, plus
    this one (where the app sees the chart). The plan's count is the note's visit number, for a plan that states
    its frequency range or duration. The upper end of a frequency range is what is certified.
    """
    plan = ctx.encounter.plan_of_care
    if plan is None or plan.most_visits_per_week is None:
        return
    if ctx.visits_this_week is not None:
        yield from _over_the_week(ctx, plan.most_visits_per_week)
    if plan.visit_number is None or (plan.duration_weeks is None and plan.frequency_max_per_week is None):
        return
    per_week = plan.most_visits_per_week
    week = (ctx.encounter.date_of_service - plan.start_date).days // 7 + 1
    past_the_plan = plan.duration_weeks is not None and week > plan.duration_weeks
    allowed = per_week * (plan.duration_weeks if plan.duration_weeks is not None and past_the_plan else week)
    if plan.visit_number > allowed:
        span = f"in {plan.duration_weeks} weeks" if past_the_plan else f"by week {week}"  # worded for a finding only
        yield Hit(
            f"This is visit {plan.visit_number}; the plan certifies at most {per_week} a week, {allowed} {span}.",
            None,
            "plan_of_care.visit_number",
        )


def _over_the_week(ctx: CheckContext, per_week: int) -> Iterator[Hit]:
    """The visit is one too many in its calendar week, counted from the chart's signed notes of the plan."""
    plan, day = ctx.encounter.plan_of_care, ctx.encounter.date_of_service
    if plan is None or ctx.visits_this_week is None:
        return
    monday, _sunday = calendar_week(day)
    before = sorted({d for d in ctx.visits_this_week if max(monday, plan.start_date) <= d < day})
    if len(before) + 1 <= per_week:
        return
    field = "frequency_max_per_week" if plan.frequency_max_per_week is not None else "frequency_per_week"
    yield Hit(
        f"This is visit {len(before) + 1} in the week of {monday} (the patient was also seen on "
        f"{in_words([str(d) for d in before])}); the plan certifies at most {per_week} a week.",
        None,
        f"plan_of_care.{field}",
    )
