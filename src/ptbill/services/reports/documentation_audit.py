"""A random sample of N signed notes per therapist per period, scored against the documentation rules.

The scores are the notes' stored check results (``services.check_results``): the audit reads them and does
not run the engine again. One period asked (or none: the last month before this one that has notes) is
shown with the three periods before it as a trend; several periods asked are audited as given.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date
from typing import Any, NamedTuple

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ptbill.rules.checks.traction import SECTION as TRACTION_SECTION
from ptbill.rules.registry import all_rules
from ptbill.services.access import Actor
from ptbill.services.audit import audit
from ptbill.services.check_results import stored_rules_fired
from ptbill.services.reports.base import (
    PERIOD,
    ChartModel,
    Report,
    ReportDefinition,
    ReportParams,
    Series,
    note_filters,
    period_bounds,
)
from ptbill.storage.tables import EncounterRow, UserRow

TREND_PERIODS = 4  # the chosen period and the three before it


class AuditRow(NamedTuple):
    period: str
    therapist: str
    rule: str
    notes_failing: int
    notes_sampled: int
    failure_pct: float
    notes: str  # the failing notes' ids, space-separated: the page links each to /notes/{id}


def previous_period(period: str) -> str:
    match = PERIOD.match(period)
    if not match:
        raise ValueError(period)
    year = int(match.group(1))
    if match.group(3):
        quarter = int(match.group(3))
        return f"{year - 1}-Q4" if quarter == 1 else f"{year}-Q{quarter - 1}"
    month = int(match.group(2))
    return f"{year - 1}-12" if month == 1 else f"{year}-{month - 1:02d}"


def period_label(period: str, long: bool = False) -> str:
    """'2026-02' → 'Feb 2026' (long: 'February 2026'); '2026-Q1' → 'Q1 2026 (Jan–Mar)'."""
    start, _ = period_bounds(period)
    if "Q" in period.upper():
        return f"Q{period[-1]} {start.year} ({start:%b}–{date(start.year, start.month + 2, 1):%b})"
    return f"{start:%B %Y}" if long else f"{start:%b %Y}"


def period_of(day: date, quarterly: bool) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}" if quarterly else f"{day.year}-{day.month:02d}"


@dataclass(frozen=True)
class _Plan:
    period: str  # the chosen (last) period
    periods: list[str]  # audited, oldest first
    candidates: list[str]  # the trend's periods, with those without notes
    by_period: dict[str, dict[int, int]]  # period → therapist id → notes
    dates: list[date]  # the notes' dates of service (the pickers' choices)


def _notes(session: Session, actor: Actor, params: ReportParams) -> Any:
    """How many notes each therapist has on each date of service (counted in SQL)."""
    query = (
        select(EncounterRow.date_of_service, EncounterRow.therapist_user_id, func.count())
        .where(EncounterRow.clinic_id == actor.clinic_id, *_filters(params, actor.clinic_id))
        .group_by(EncounterRow.date_of_service, EncounterRow.therapist_user_id)
    )
    return list(session.execute(query))


def _filters(params: ReportParams, clinic_id: int) -> list[Any]:
    """The notes of the report's payer, therapist, location and dates of service."""
    where: list[Any] = note_filters(params, clinic_id)
    if params.payer:
        where.append(EncounterRow.payer_id == params.payer)
    if params.date_from:
        where.append(EncounterRow.date_of_service >= params.date_from)
    if params.date_to:
        where.append(EncounterRow.date_of_service <= params.date_to)
    return where


def _plan(session: Session, actor: Actor, params: ReportParams) -> _Plan:
    notes = _notes(session, actor, params)
    dates = sorted({day for day, _, _ in notes})
    asked = [p.upper() for p in params.periods if PERIOD.match(p)]
    if asked:
        period = asked[-1]
    else:
        this_month = period_of(params.today, quarterly=False)
        months = sorted({period_of(d, quarterly=False) for d in dates})
        earlier = [m for m in months if m < this_month]
        period = earlier[-1] if earlier else (months[-1] if months else this_month)
    candidates = asked if len(asked) > 1 else [period]
    while len(asked) <= 1 and len(candidates) < TREND_PERIODS:
        candidates.insert(0, previous_period(candidates[0]))
    by_period: dict[str, dict[int, int]] = {p: defaultdict(int) for p in candidates}
    for day, therapist, count in notes:
        for key in (period_of(day, "Q" in period), period_of(day, False), period_of(day, True)):
            if key in by_period:
                by_period[key][therapist or 0] += count
                break
    # Periods without notes are left out of the trend (and named), never drawn as 0 % failing.
    periods = [p for p in candidates if by_period[p] or p == period or len(asked) > 1]
    return _Plan(period, periods, candidates, by_period, dates)


class DocumentationAudit(ReportDefinition[AuditRow]):
    name = "documentation-audit"
    tab = "Documentation audit"
    question = "A random sample of notes per therapist, checked against the rules."
    accepts = frozenset({"period", "sample", "draw", "payer", "therapist", "location", "from", "to"})
    columns = ("period", "therapist", "rule", "notes failing", "notes sampled", "failure %", "notes")

    def build(self, session: Session, actor: Actor, params: ReportParams) -> Report[AuditRow]:
        plan = _plan(session, actor, params)
        documentation_rules = sorted({r.id for r in all_rules() if r.section == TRACTION_SECTION})
        users = {u.id: u.name for u in session.scalars(select(UserRow).where(UserRow.clinic_id == actor.clinic_id))}
        rows: list[AuditRow] = []
        trend: dict[str, float] = {}
        sampled: dict[str, int] = {}
        rng = random.Random(params.draw)
        for period in plan.periods:
            by_therapist = self._signed_notes(session, actor, params, period)
            failures: dict[tuple[int, str], list[int]] = defaultdict(list)
            # the draw picks among the notes' ids; only the notes picked are read whole
            chosen_ids = {t: rng.sample(own, min(params.sample, len(own))) for t, own in sorted(by_therapist.items())}
            rows_of = self._notes_by_id(session, actor, [i for ids in chosen_ids.values() for i in ids])
            picked = {t: [rows_of[i] for i in ids] for t, ids in chosen_ids.items()}
            results = stored_rules_fired(session, actor.clinic_id, [n for notes in picked.values() for n in notes])
            failed_total = 0
            for therapist_id, sample in picked.items():
                for note in sample:
                    failing = results.get(note.id, frozenset()) & set(documentation_rules)
                    for rule_id in failing:
                        failures[(therapist_id, rule_id)].append(note.id)
                    failed_total += bool(failing)
                for rule_id in documentation_rules:
                    failed = sorted(failures[(therapist_id, rule_id)])
                    count = len(failed)
                    if count:
                        rows.append(
                            AuditRow(
                                period,
                                users.get(therapist_id, "unknown"),
                                rule_id,
                                count,
                                len(sample),
                                round(100 * count / len(sample), 1),
                                " ".join(str(i) for i in failed),
                            )
                        )
            sampled[period] = sum(len(s) for s in picked.values())
            trend[period] = round(100 * failed_total / sampled[period], 1) if sampled[period] else 0.0
            audit(session, actor, "read", "report", f"documentation-audit:{period}", f"{sampled[period]} notes sampled")
        rule_totals: dict[str, int] = defaultdict(int)
        for row in rows:
            rule_totals[row.rule] += row.notes_failing
        chart = ChartModel(
            "line",
            "Share of the sampled notes that fail at least one documentation rule",
            tuple(period_label(p) for p in plan.periods),
            (
                Series(
                    "Sampled notes failing a documentation rule",
                    tuple(trend[p] if sampled[p] else None for p in plan.periods),
                ),
            ),
            unit="%",
            notes=tuple(f"{sampled[p]} note{'' if sampled[p] == 1 else 's'} sampled" for p in plan.periods),
            size=(960, 220),
        )
        notes = [
            f"{period}: {value}% of sampled notes failed at least one documentation rule"
            for period, value in trend.items()
        ]
        notes += [
            f"{rule}: {n} failing notes in all periods"
            for rule, n in sorted(rule_totals.items(), key=lambda kv: -kv[1])
        ]
        title = f"Documentation audit: {params.sample} random notes per therapist per period"
        chosen = replace(params, periods=tuple(plan.periods) if len(params.periods) > 1 else (plan.period,))
        return Report(self.name, title, self.columns, rows, chart, chosen, notes)

    @staticmethod
    def _signed_notes(session: Session, actor: Actor, params: ReportParams, period: str) -> dict[int, list[int]]:
        """The ids of the period's signed notes, by therapist, in id order."""
        start, end = period_bounds(period)
        query = (
            select(EncounterRow.id, EncounterRow.therapist_user_id)
            .where(
                EncounterRow.clinic_id == actor.clinic_id,
                EncounterRow.status.in_(("signed", "billed")),  # the audit judges finished notes
                EncounterRow.date_of_service >= start,
                EncounterRow.date_of_service < end,
            )
            .order_by(EncounterRow.id)
        )
        query = query.where(*_filters(params, actor.clinic_id))
        by_therapist: dict[int, list[int]] = defaultdict(list)
        for note_id, therapist_id in session.execute(query):
            by_therapist[therapist_id or 0].append(note_id)
        return by_therapist

    @staticmethod
    def _notes_by_id(session: Session, actor: Actor, ids: list[int]) -> dict[int, EncounterRow]:
        query = select(EncounterRow).where(EncounterRow.clinic_id == actor.clinic_id, EncounterRow.id.in_(ids))
        return {note.id: note for note in session.scalars(query)}

    def page(self, session: Session, actor: Actor, report: Report[AuditRow]) -> dict[str, Any]:
        params = report.params
        plan = _plan(session, actor, params)
        period = plan.period
        rules = {r.id: r for r in all_rules() if r.section == TRACTION_SECTION}
        therapists: list[dict[str, Any]] = []
        for therapist_id in sorted(plan.by_period[period], key=lambda i: (i == 0, i)):
            user = session.get(UserRow, therapist_id) if therapist_id else None  # former staff keep their name
            count = plan.by_period[period][therapist_id]
            therapists.append(
                {
                    "key": user.name if user else "unknown",  # how the report's rows name the therapist
                    "name": user.name if user else "No therapist recorded",
                    "role": (user.credential or "") if user else "",
                    "notes": count,
                    "sampled": min(params.sample, count),
                }
            )
        failing: dict[tuple[str, str], int] = defaultdict(int)
        note_ids: dict[str, list[int]] = defaultdict(list)
        for row in report.rows:
            if row.period == period:
                failing[(row.rule, row.therapist)] += row.notes_failing
                note_ids[row.rule] += [int(i) for i in row.notes.split()]
        sampled_total = sum(t["sampled"] for t in therapists)
        rule_rows: list[dict[str, Any]] = []
        for rule_id, rule in rules.items():
            counts = [failing.get((rule_id, t["key"]), 0) for t in therapists]
            rule_rows.append(
                {
                    "id": rule_id,
                    "title": rule.title,
                    "severity": rule.severity.value,
                    "counts": counts,
                    "total": sum(counts),
                    "share": round(100 * sum(counts) / sampled_total, 1) if sampled_total else None,
                    "notes": sorted(note_ids.get(rule_id, [])),
                }
            )
        rule_rows.sort(key=lambda r: (-r["total"], r["id"]))
        trend = dict(zip(plan.periods, report.chart.series[0].values, strict=True))
        share_now = trend.get(period) if sampled_total else None
        return {
            "period": period,
            "period_name": period_label(period, long=True),
            "per_therapist": params.sample,
            "draw": params.draw,
            "therapists": therapists,
            "rule_rows": rule_rows,
            "sampled_total": sampled_total,
            "failing_notes": round((share_now or 0) * sampled_total / 100),
            "share_now": share_now,
            "month_choices": [
                (m, period_label(m, long=True)) for m in sorted({period_of(d, False) for d in plan.dates}, reverse=True)
            ],
            "quarter_choices": [
                (q, period_label(q)) for q in sorted({period_of(d, True) for d in plan.dates}, reverse=True)
            ],
            "empty_periods": [period_label(p) for p in plan.candidates if p not in plan.periods],
        }
