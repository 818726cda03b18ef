"""The plan of care's lifecycle: the recertification due as a certification ends, a plan written longer than a
certification covers, and a certified plan changed significantly without a new certification.

Sources: Medicare Benefit Policy Manual (Pub. 100-02) ch.15 §220.1.2 (changes to the therapy plan) and §220.1.3
(certification and recertification: at least every 90 calendar days from the initial treatment, and whenever the
plan is significantly modified; treatment beyond the certified duration needs a recertified plan), 42 CFR
424.24(c) and 42 CFR 410.61(d). Whether a payer follows them is its parameters': ``plan_of_care.max_days`` (the
longest certification; null: the payer sets none) and ``plan_of_care.changes_need_certification``.

A *significant* change, as §220.1.2 and §220.1.3 describe it, is one the therapist may not make without the
physician's or NPP's signature: more visits a week than certified, a plan running past its certified end (a
later end date or more weeks), and long-term goals added or reworded. Fewer visits, a shorter plan, changed
short-term goals, changed procedures or modalities, and a long-term goal dropped once reported met are not.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date, timedelta

from ptbill.domain.chart import CertifiedPlan, plan_end
from ptbill.domain.encounter import PlanOfCare
from ptbill.domain.finding import Severity
from ptbill.domain.identity_memo import BoundedMemo
from ptbill.domain.note_content import GoalTerm, NoteType
from ptbill.rules.context import CheckContext
from ptbill.rules.registry import Hit, in_words, rule
from ptbill.rules.sources import CFR_410_61_URL, CFR_424_24_URL, bpm_15, cite

SECTION = "Coverage, authorization, plan of care"
RECERTIFICATION = bpm_15("220.1.3", "recertify at least every 90 calendar days from the initial treatment") + (
    "; " + cite("42 CFR 424.24(c)", CFR_424_24_URL)
)
# The notes that write or update the plan: where a plan too long to certify is fixed.
_PLAN_WRITERS = frozenset({NoteType.INITIAL_EVALUATION, NoteType.RE_EVALUATION, NoteType.PROGRESS_REPORT})
# The note type POC_RECERT_DUE leaves out, read once: on Python 3.11 an Enum member read from its class goes through
# ``EnumType.__getattr__``, about 900 instructions.
_DISCHARGE_SUMMARY = NoteType.DISCHARGE_SUMMARY


def _limit(ctx: CheckContext, plan: PlanOfCare) -> date | None:
    """The last day one certification covers under the payer's longest period (None: the payer sets none)."""
    longest = ctx.snapshot.integer("plan_of_care.max_days")
    if longest is None:
        return None
    period = _PERIODS.get(longest)
    if period is None:
        period = _PERIODS.keep(longest, timedelta(days=longest))
    return plan.start_date + period


# Making a timedelta costs about 3,800 instructions (its keyword argument), more than the rest of POC_RECERT_DUE: the
# few longest periods payers set are made once.
_PERIODS: BoundedMemo[int, timedelta] = BoundedMemo(64)


@rule(
    "POC_RECERT_DUE",
    needs=(
        "plan_of_care",
        "not_discharge_summary",
    ),
    section=SECTION,
    severity=Severity.WARNING,
    source=RECERTIFICATION,
    fix="Re-assess the patient and send the updated plan of care to the physician or NPP to recertify before the "
    "certification ends, or plan the discharge.",
)
def poc_recert_due(ctx: CheckContext) -> Iterator[Hit]:
    """The plan's certification ends within the payer's notice days of this visit: a recertification is due.

    The certification ends on the plan's last day (its end date or stated weeks) or on the payer's longest
    period from its start, whichever comes first. A discharge summary ends the care and is not asked.
    """
    plan = ctx.encounter.plan_of_care
    if plan is None or ctx.encounter.note_type is _DISCHARGE_SUMMARY:
        return
    limit = _limit(ctx, plan)
    notice = ctx.snapshot.integer("plan_of_care.recertification_notice_days")
    if limit is None or notice is None:
        return
    last = plan_end(plan.start_date, plan.end_date, plan.duration_weeks)
    ends, why, field = limit, None, "plan_of_care.start_date"
    if last is not None and last <= limit:
        ends, why = last, "the plan's last day"
        field = "plan_of_care.end_date" if plan.end_date is not None else "plan_of_care.duration_weeks"
    left = (ends - ctx.encounter.date_of_service).days
    if 0 <= left <= notice:
        why = why or f"{(limit - plan.start_date).days} days from its start"  # worded only for a finding
        when = "today" if left == 0 else f"{left} day{'s' if left != 1 else ''} after this visit"
        yield Hit(
            f"The plan of care's certification ends on {ends} ({why}), {when}: have the plan recertified before "
            "the next visit that needs it.",
            None,
            field,
        )


@rule(
    "POC_LONGER_THAN_CERTIFICATION",
    needs=(
        "plan_of_care",
        "plan_writer",
    ),
    section=SECTION,
    severity=Severity.WARNING,
    source=RECERTIFICATION + "; " + bpm_15("220.1.2", "the duration is the number of weeks of THIS plan"),
    fix="Write the plan for at most the payer's certification period, and estimate the whole episode separately; "
    "recertify before treating past it.",
)
def poc_longer_than_certification(ctx: CheckContext) -> Iterator[Hit]:
    """The evaluation or progress report writes a plan that runs past the longest period one certification covers.

    Asked of the notes that write or update the plan, while the visit is inside the period (after it,
    POC_EXPIRED says the certification has run out).
    """
    plan = ctx.encounter.plan_of_care
    if plan is None or ctx.encounter.note_type not in _PLAN_WRITERS:
        return
    limit = _limit(ctx, plan)
    last = plan_end(plan.start_date, plan.end_date, plan.duration_weeks)
    if limit is None or last is None or last <= limit or ctx.encounter.date_of_service > limit:
        return
    days = (limit - plan.start_date).days
    yield Hit(
        f"The plan of care runs from {plan.start_date} to {last}, past the {days} days one certification covers: "
        f"visits after {limit} need a recertified plan.",
        None,
        "plan_of_care.end_date" if plan.end_date is not None else "plan_of_care.duration_weeks",
    )


def _changes(plan: PlanOfCare, certified: CertifiedPlan, goals: dict[str, str]) -> list[tuple[str, str]]:
    """Each significant change from the certified plan, in words, with the field it shows on."""
    found: list[tuple[str, str]] = []
    now, then = plan.most_visits_per_week, certified.most_visits_per_week
    if now is not None and then is not None and now > then:
        field = "frequency_max_per_week" if plan.frequency_max_per_week is not None else "frequency_per_week"
        found.append((f"{now} visits a week where {then} were certified", field))
    last, certified_last = plan_end(plan.start_date, plan.end_date, plan.duration_weeks), certified.last_day
    if last is not None and certified_last is not None and last > certified_last:
        field = "end_date" if plan.end_date is not None else "duration_weeks"
        found.append((f"the plan runs to {last} where it was certified to {certified_last}", field))
    elif plan.duration_weeks and certified.duration_weeks and plan.duration_weeks > certified.duration_weeks:
        found.append((f"{plan.duration_weeks} weeks where {certified.duration_weeks} were certified", "duration_weeks"))
    if certified.long_term_goals is not None:
        added = [goal for goal in goals if goal not in certified.long_term_goals]
        reworded = [g for g in goals if g in certified.long_term_goals and goals[g] != certified.long_term_goals[g]]
        if added:
            found.append((f"new long-term goal{'s' if len(added) > 1 else ''} {in_words(added)}", "goals"))
        if reworded:
            found.append((f"long-term goal{'s' if len(reworded) > 1 else ''} {in_words(reworded)} reworded", "goals"))
    return found


def _wording(text: str) -> str:
    return " ".join(text.split()).casefold()


@rule(
    "POC_CHANGE_NOT_CERTIFIED",
    needs=(
        "plan_of_care",
        "certified_plan",
    ),
    section=SECTION,
    severity=Severity.WARNING,
    source=bpm_15("220.1.2", "changes to the therapy plan: a significant change needs the physician's signature")
    + "; "
    + bpm_15("220.1.3", "treatment beyond the certified duration needs a recertified plan")
    + "; "
    + cite("42 CFR 424.24(c)", CFR_424_24_URL)
    + "; "
    + cite("42 CFR 410.61(d)", CFR_410_61_URL),
    fix="Send the changed plan to the physician or NPP and record the date they sign it as the plan's certification "
    "date; until then keep to the certified plan.",
    rises=True,
)
def poc_change_not_certified(ctx: CheckContext) -> Iterator[Hit]:
    """The plan changed significantly from the plan the physician certified, and carries no new certification date.

    Significant: more visits a week, a later end or more weeks, new or reworded long-term goals. Compared with
    the certified plan the app finds in the chart (the stored plan signed on the note's certification date, else
    the first signed note with that certification). An error once this visit is past the certified end.
    """
    plan, certified = ctx.encounter.plan_of_care, ctx.certified_plan
    if plan is None or certified is None or plan.certified_date is None:
        return
    if plan.start_date != certified.start_date or plan.certified_date != certified.certified_date:
        return  # another plan, or a new certification date: the change was certified
    if not ctx.snapshot.flag("plan_of_care.changes_need_certification"):
        return
    goals = {g.id: _wording(g.description) for g in ctx.encounter.goals if g.term is GoalTerm.LONG}
    if certified.long_term_goals is not None:
        certified = _normalized(certified)
    changes = _changes(plan, certified, goals)
    if not changes:
        return
    past = certified.last_day is not None and ctx.encounter.date_of_service > certified.last_day
    yield Hit(
        f"The plan of care changed since it was certified on {plan.certified_date} ({certified.source}): "
        f"{in_words([words for words, _ in changes])}. A significant change needs the physician's or NPP's "
        "signature" + (f", and this visit is after the certified end, {certified.last_day}." if past else "."),
        None,
        f"plan_of_care.{changes[0][1]}" if changes[0][1] != "goals" else "goals",
        severity=Severity.ERROR if past else None,
    )


def _normalized(certified: CertifiedPlan) -> CertifiedPlan:
    goals = certified.long_term_goals or {}
    return replace(certified, long_term_goals={key: _wording(text) for key, text in goals.items()})
