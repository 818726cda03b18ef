"""The reports pages: what each payer pays for 97012 beside the guide's table, what was paid under the
expected amount, how often each payer denies and why, which payer pays best for a code, and the
documentation audit of a month or a quarter.

Every page draws its chart on the server as inline SVG (no script), and offers the same report as CSV
(``/reports/<name>.csv``) and as the PNG chart of ``chart_png`` (``/reports/<name>.png``), both with the
page's own query parameters. Reports are for billers and admins; each reads only the viewer's clinic.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from ptbill.reference.catalog import default_catalog
from ptbill.rules.checks.traction import SECTION as TRACTION_SECTION
from ptbill.rules.registry import all_rules
from ptbill.services import app as services
from ptbill.services import reports
from ptbill.services.denials import denial_worklist
from ptbill.services.reports import PERIOD, PROCEDURE_CODE, period_bounds
from ptbill.storage.tables import ClaimLineRow, ClaimRow, EncounterRow, UserRow
from ptbill.web.deps import CurrentViewer, SessionDep, Viewer, render
from ptbill.web.inputs import whole_number
from ptbill.web.routes.payers import TYPE_LABELS

router = APIRouter()
ZERO = Decimal("0.00")
TREND_PERIODS = 4  # the documentation audit's trend: the chosen period and the three before it
FEW_LINES = 3  # best payer: an average of fewer paid lines than this is marked as thin
PAGES = [  # name, short title for the tabs, what the report answers
    (
        "reimbursement-97012",
        "97012 vs the guide",
        "What each payer pays you for 97012, beside the billing guide's table.",
    ),
    ("expected-vs-paid", "Expected vs paid", "Lines paid under the expected amount, per payer and code."),
    ("denial-rate", "Denial rate", "How often each payer denies, month by month, and for which reasons."),
    ("best-payer", "Best payer for a code", "Which payer pays the most per unit for a code you bill."),
    (
        "documentation-audit",
        "Documentation audit",
        "A random sample of notes per therapist, checked against the rules.",
    ),
]
TITLES = {name: title for name, title, _ in PAGES}


# charts: geometry here, drawing in templates/reports/_chart.html ------------------------------------


def _step(top: float, ticks: int = 5) -> float:
    """A round step (1, 2, 2.5 or 5 times a power of ten) that covers ``top`` in about ``ticks`` steps."""
    raw = max(top, 1e-9) / ticks
    magnitude = 10 ** math.floor(math.log10(raw))
    return next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)


def _axis(top: float, ticks: int = 5) -> tuple[float, float]:
    step = _step(top, ticks)
    return step, max(step, math.ceil(top / step - 1e-9) * step)


def _fmt(value: float, unit: str) -> str:
    if unit == "$":
        return f"${value:,.2f}"
    if unit == "%":
        return f"{value:.0f}%" if value == int(value) else f"{value:.1f}%"
    return f"{value:,.0f}" if value == int(value) else f"{value:,.1f}"


def _tick(value: float, unit: str) -> str:
    if unit == "$":
        return f"${value:,.0f}" if value == int(value) else f"${value:,.2f}"
    return _fmt(value, unit)


def _short(text: str, limit: int = 36) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _r(value: float) -> float:
    return round(value, 1)


def _series_classes(count: int) -> list[str]:
    """One series is the main colour; with two, the first is the reference (grey) and the second yours."""
    return ["main"] if count == 1 else ["ref", "main", "third", "fourth"][:count]


def bar_chart(
    labels: Sequence[str],
    series: Mapping[str, Sequence[float | None]],
    unit: str = "$",
    ranges: Sequence[tuple[float, float] | None] | None = None,
    title: str = "",
) -> dict[str, Any]:
    """Horizontal grouped bars, one band per label (payer names stay readable, unrotated)."""
    width, label_width, value_room = 1240, 300, 80
    names = list(series)
    classes = _series_classes(len(names))
    head = 52 if len(names) > 1 or ranges else 30  # room for the legend, then the tick labels
    bar, gap = (12, 2) if len(names) > 1 else (16, 0)
    band = len(names) * (bar + gap) + 10
    values = [v for s in series.values() for v in s if v is not None]
    values += [hi for r in ranges or [] if r for hi in r]
    step, top = _axis(max(values, default=0) or 1)
    x0 = label_width + 12
    plot = width - x0 - value_room
    rows = []
    for index, label in enumerate(labels):
        y = head + index * band
        bars = []
        for position, name in enumerate(names):
            value = series[name][index]
            if value is None:
                continue
            length = plot * value / top
            bar_y = y + 6 + position * (bar + gap)
            bars.append(
                {
                    "x": x0,
                    "y": bar_y,
                    "w": _r(max(length, 1)),
                    "h": bar,
                    "cls": classes[position],
                    "text": _fmt(value, unit),
                    "tx": _r(x0 + length + 6),
                    "ty": bar_y + bar - 2,
                    "title": f"{label}, {name}: {_fmt(value, unit)}",
                }
            )
        whisker = None
        if ranges and ranges[index]:
            low, high = ranges[index]  # type: ignore[misc]
            mid = y + 6 + bar / 2
            whisker = {"x1": _r(x0 + plot * low / top), "x2": _r(x0 + plot * high / top), "y": _r(mid)}
            if bars:
                bars[-1]["tx"] = max(bars[-1]["tx"], _r(whisker["x2"] + 6))
        rows.append(
            {"label": _short(label), "full": label, "y": _r(y + band / 2 + 4), "bars": bars, "whisker": whisker}
        )
    bottom = head + len(labels) * band + 8
    ticks = [
        {"x": _r(x0 + plot * (i * step) / top), "text": _tick(i * step, unit)} for i in range(round(top / step) + 1)
    ]
    legend = [{"name": name, "cls": classes[i], "x": x0 + i * 200} for i, name in enumerate(names)] if names else []
    return {
        "kind": "bars",
        "width": width,
        "height": bottom + 4,
        "x0": x0,
        "top": head - 8,
        "bottom": bottom,
        "rows": rows,
        "ticks": ticks,
        "legend": legend if len(names) > 1 or ranges else [],
        "range_legend": bool(ranges),
        "title": title,
        "empty": not values,
    }


def line_chart(
    labels: Sequence[str],
    series: Mapping[str, Sequence[float | None]],
    unit: str = "%",
    notes: Sequence[str] | None = None,
    title: str = "",
    size: tuple[int, int] = (1240, 320),
) -> dict[str, Any]:
    """Points joined by lines over periods; a period without data is a gap, never a zero."""
    names = list(series)
    (width, height), left, right, foot = size, 64, 40, 62
    head = 44 if len(names) > 1 else 28  # a legend only when there is more than one line
    classes = _series_classes(len(names))
    values = [v for s in series.values() for v in s if v is not None]
    step, top = _axis(max(values, default=0) or (10 if unit == "%" else 1), 5)
    if unit == "%":
        top = min(top, 100.0)
        step = min(step, top)
    plot_w, plot_h = width - left - right, height - head - foot
    count = len(labels)

    def x_of(i: int) -> float:
        return left + plot_w / 2 if count == 1 else left + 40 + (plot_w - 80) * i / (count - 1)

    def y_of(v: float) -> float:
        return head + plot_h * (1 - v / top)

    lines = []
    for position, name in enumerate(names):
        segments: list[list[tuple[float, float]]] = [[]]
        points = []
        for i, value in enumerate(series[name]):
            if value is None:
                segments.append([])
                continue
            point = (_r(x_of(i)), _r(y_of(value)))
            segments[-1].append(point)
            points.append(
                {"x": point[0], "y": point[1], "text": _fmt(value, unit), "title": f"{labels[i]}: {_fmt(value, unit)}"}
            )
        lines.append(
            {
                "cls": classes[position],
                "paths": [" ".join(f"{x:.1f},{y:.1f}" for x, y in seg) for seg in segments if len(seg) > 1],
                "points": points,
            }
        )
    ticks = [{"y": _r(y_of(i * step)), "text": _tick(i * step, unit)} for i in range(round(top / step) + 1)]
    return {
        "kind": "line",
        "width": width,
        "height": height,
        "left": left,
        "right": width - right,
        "base": head + plot_h,
        "ticks": ticks,
        "lines": lines,
        "xlabels": [
            {"x": _r(x_of(i)), "text": label, "note": (notes[i] if notes and i < len(notes) else "")}
            for i, label in enumerate(labels)
        ],
        "legend": [{"name": name, "cls": classes[i], "x": left + i * 200} for i, name in enumerate(names)]
        if len(names) > 1
        else [],
        "title": title,
        "empty": not values,
    }


# small helpers --------------------------------------------------------------------------------------


def _month_label(month: str) -> str:
    try:
        return date.fromisoformat(f"{month}-01").strftime("%b %Y")
    except ValueError:
        return month


def _month_span(months: Sequence[str]) -> list[str]:
    """Every month from the first to the last of ``months`` ('YYYY-MM'), in order."""
    known = sorted(m for m in months if re.match(r"^[0-9]{4}-[0-9]{2}$", m))
    if not known:
        return list(months)
    year, month = map(int, known[0].split("-"))
    span = []
    while f"{year}-{month:02d}" <= known[-1]:
        span.append(f"{year}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return span


def _share(denied: int, total: int) -> float | None:
    return 100 * denied / total if total else None


def _of(part: int, whole: int, noun: str) -> str:
    return f"{part} of {whole} {noun}{'' if whole == 1 else 's'}"


@dataclass
class Built:
    """A report as a page shows it: the service's report, the page's extra context, its parameters."""

    report: reports.Report
    query: dict[str, str] = field(default_factory=dict)
    context: dict[str, Any] = field(default_factory=dict)


Params = Mapping[str, str]


# 1. reimbursement for 97012 ---------------------------------------------------------------------------


def _reimbursement(session: Session, viewer: Viewer, params: Params, page: bool) -> Built:
    report = reports.reimbursement_97012(session, viewer.actor)
    if not page:
        return Built(report)
    rows = []
    for payer, kind, guide, yours, lines, difference in report.rows:
        if guide is None and yours is None:
            continue  # a catalog fallback payer, in neither the guide nor your remittances
        share = (yours / guide * 100).quantize(Decimal("1")) if guide and yours is not None else None
        rows.append(
            {
                "payer": payer,
                "type": TYPE_LABELS.get(kind, kind),
                "guide": guide,
                "yours": yours,
                "lines": lines,
                "difference": difference,
                "share": share,
            }
        )
    paid = [r for r in rows if r["yours"] is not None]
    chart = bar_chart(
        [r["payer"] for r in paid],
        {
            "Guide average": [float(r["guide"]) if r["guide"] is not None else None for r in paid],
            "Your average reimbursed": [float(r["yours"]) for r in paid],
        },
        title="97012 per unit: the guide's average beside what you were reimbursed (payer + patient), by payer",
    )
    below = [r for r in paid if r["difference"] is not None and r["difference"] < 0]
    worst = min(below, key=lambda r: r["difference"], default=None)
    return Built(
        report,
        context={
            "rows": rows,
            "chart": chart,
            "paid_payers": len(paid),
            "below": len(below),
            "worst": worst,
            "unpaid_payers": [r["payer"] for r in rows if r["yours"] is None],
        },
    )


# 2. expected vs paid --------------------------------------------------------------------------------


def _expected_vs_paid(session: Session, viewer: Viewer, params: Params, page: bool) -> Built:
    report = reports.expected_vs_paid(session, viewer.actor)
    if not page:
        return Built(report)
    lines = reports.underpaid_lines(session, viewer.actor)
    by_group: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for line in lines:
        by_group[(line["payer"], line["code"])].append(line)
    rows = [
        {
            "payer": payer,
            "code": code,
            "expected": expected,
            "paid": paid,
            "difference": difference,
            "underpaid": underpaid,
            "lines": len(by_group.get((payer, code), [])),
        }
        for payer, code, expected, paid, difference, underpaid in report.rows
    ]
    rows.sort(key=lambda r: (r["difference"], r["payer"].lower(), r["code"]))  # the largest shortfall first
    groups = sorted(
        (
            {"payer": payer, "code": code, "lines": items, "short": sum((i["short"] for i in items), ZERO)}
            for (payer, code), items in by_group.items()
        ),
        key=lambda g: -g["short"],
    )
    chart = bar_chart(
        [f"{r['payer']} · {r['code']}" for r in rows],
        {"Expected": [float(r["expected"]) for r in rows], "Paid": [float(r["paid"]) for r in rows]},
        title="Expected and paid, by payer and code",
    )
    totals = {key: sum((r[key] for r in rows), ZERO) for key in ("expected", "paid", "difference", "underpaid")} | {
        "lines": len(lines)
    }
    return Built(
        report,
        context={
            "rows": rows,
            "groups": groups,
            "chart": chart,
            "totals": totals,
            "tolerance": reports.UNDERPAID_TOLERANCE,
        },
    )


# 3. denial rate ------------------------------------------------------------------------------------


def _denial_rate(session: Session, viewer: Viewer, params: Params, page: bool) -> Built:
    report = reports.denial_rate(session, viewer.actor)
    if not page:
        return Built(report)
    months: list[str] = list((report.chart or {}).get("x", []))
    cells: dict[str, dict[str, tuple[int, int]]] = defaultdict(dict)
    month_totals = {m: [0, 0] for m in months}
    payer_totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for payer, month, total, denied, _rate, _top in report.rows:
        cells[payer][month] = (total, denied)
        month_totals.setdefault(month, [0, 0])
        month_totals[month][0] += total
        month_totals[month][1] += denied
        payer_totals[payer][0] += total
        payer_totals[payer][1] += denied
    payers = sorted(cells, key=lambda p: (-payer_totals[p][1] / max(payer_totals[p][0], 1), p.lower()))
    reasons: dict[str, dict[str, Any]] = {}
    for group in denial_worklist(session, viewer.actor):
        entry = reasons.setdefault(
            group.key, {"key": group.key, "reason": group.reason, "months": defaultdict(int), "amount": ZERO}
        )
        for item in group.items:
            month = item.remittance_date.strftime("%Y-%m") if item.remittance_date else "unknown"
            entry["months"][month] += 1
            entry["amount"] += item.denied_amount
    reason_rows = sorted(reasons.values(), key=lambda r: (-sum(r["months"].values()), r["key"]))
    # The chart runs month by month without skipping: a month without remittances is a gap, not a jump.
    span = _month_span(months)
    chart = line_chart(
        [_month_label(m) for m in span],
        {
            "Claims denied": [
                _share(month_totals[m][1], month_totals[m][0]) if m in month_totals else None for m in span
            ]
        },
        unit="%",
        notes=[
            _of(month_totals[m][1], month_totals[m][0], "claim") if m in month_totals else "no claims" for m in span
        ],
        title="Share of adjudicated claims denied, by month of the remittance",
        size=(1240, 280),
    )
    all_total = sum(t for t, _ in month_totals.values())
    all_denied = sum(d for _, d in month_totals.values())
    return Built(
        report,
        context={
            "months": months,
            "month_labels": {m: _month_label(m) for m in months},
            "payers": payers,
            "cells": cells,
            "payer_totals": payer_totals,
            "month_totals": month_totals,
            "reasons": reason_rows,
            "chart": chart,
            "all_total": all_total,
            "all_denied": all_denied,
        },
    )


# 4. best payer for a code ---------------------------------------------------------------------------


def billed_codes(session: Session, viewer: Viewer) -> list[str]:
    """The codes the clinic has claimed, the picker's choices (97012 always among them)."""
    query = (
        select(ClaimLineRow.code)
        .join(ClaimRow, ClaimRow.id == ClaimLineRow.claim_id)
        .where(ClaimRow.clinic_id == viewer.actor.clinic_id)
        .distinct()
    )
    return sorted({*session.scalars(query), "97012"})


def _code(params: Params) -> str:
    code = params.get("code", "97012").strip().upper()
    return code if PROCEDURE_CODE.match(code) else "97012"


def _best_payer(session: Session, viewer: Viewer, params: Params, page: bool) -> Built:
    code = _code(params)
    report = reports.best_payer(session, viewer.actor, code)
    query = {"code": code}
    if not page:
        return Built(report, query)
    procedures = default_catalog().procedure_codes
    rows = [
        {"payer": payer, "lines": lines, "average": average, "low": low, "high": high, "thin": lines < FEW_LINES}
        for payer, lines, average, low, high in report.rows
    ]
    chart = bar_chart(
        [r["payer"] for r in rows],
        {"Average paid per unit": [float(r["average"]) for r in rows]},
        ranges=[(float(r["low"]), float(r["high"])) if r["lines"] > 1 else None for r in rows],
        title=f"Average paid per unit of {code}, by payer, with the lowest and highest payment",
    )
    best = next((r for r in rows if not r["thin"]), rows[0] if rows else None)
    choices = [(c, procedures[c].label if c in procedures else "") for c in billed_codes(session, viewer)]
    if code not in {c for c, _ in choices}:
        choices.append((code, procedures[code].label if code in procedures else ""))
    return Built(
        report,
        query,
        {
            "code": code,
            "code_label": procedures[code].label if code in procedures else "",
            "choices": choices,
            "rows": rows,
            "best": best,
            "chart": chart,
            "asked": params.get("code"),
        },
    )


# 5. documentation audit ----------------------------------------------------------------------------


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


def _period_of(day: date, quarterly: bool) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}" if quarterly else f"{day.year}-{day.month:02d}"


def _int(params: Params, name: str, default: int, low: int, high: int) -> int:
    number = whole_number(params.get(name))
    return default if number is None else min(max(number, low), high)


def _audit_params(notes: Sequence[EncounterRow], params: Params) -> tuple[str, int, int]:
    """The chosen period (default: the last month before this one that has notes), N per therapist, seed."""
    period = params.get("period", "").strip().upper()
    if not PERIOD.match(period):
        this_month = _period_of(date.today(), quarterly=False)
        months = sorted({_period_of(n.date_of_service, quarterly=False) for n in notes})
        earlier = [m for m in months if m < this_month]
        period = earlier[-1] if earlier else (months[-1] if months else this_month)
    return period, _int(params, "n", 5, 1, 50), _int(params, "draw", 0, 0, 9999)


def _documentation_audit(session: Session, viewer: Viewer, params: Params, page: bool) -> Built:
    notes = services.list_encounters(session, viewer.actor)
    period, per_therapist, draw = _audit_params(notes, params)
    quarterly = "Q" in period
    candidates = [period]
    for _ in range(TREND_PERIODS - 1):
        candidates.insert(0, previous_period(candidates[0]))
    by_period: dict[str, dict[int, int]] = {p: defaultdict(int) for p in candidates}
    for note in notes:
        key = _period_of(note.date_of_service, quarterly)
        if key in by_period:
            by_period[key][note.therapist_user_id or 0] += 1
    # Periods without notes are left out of the trend (and named), never drawn as 0 % failing.
    periods = [p for p in candidates if by_period[p] or p == period]
    report = reports.documentation_audit(session, viewer.actor, periods, per_therapist, draw)
    query = {"period": period, "n": str(per_therapist), "draw": str(draw)}
    if not page:
        return Built(report, query)

    rules = {r.id: r for r in all_rules() if r.section == TRACTION_SECTION}
    therapist_ids = sorted(by_period[period], key=lambda i: (i == 0, i))
    therapists = []
    for therapist_id in therapist_ids:
        user = session.get(UserRow, therapist_id) if therapist_id else None  # former staff keep their name
        count = by_period[period][therapist_id]
        therapists.append(
            {
                "key": user.name if user else "unknown",  # how the report's rows name the therapist
                "name": user.name if user else "No therapist recorded",
                "role": (user.credential or "") if user else "",
                "notes": count,
                "sampled": min(per_therapist, count),
            }
        )
    failing: dict[tuple[str, str], int] = defaultdict(int)
    for row_period, therapist, rule_id, count, _sampled, _share in report.rows:
        if row_period == period:
            failing[(rule_id, therapist)] += count
    sampled_total = sum(t["sampled"] for t in therapists)
    rule_rows = []
    for rule_id, rule in rules.items():
        counts = [failing.get((rule_id, t["key"]), 0) for t in therapists]
        total = sum(counts)
        rule_rows.append(
            {
                "id": rule_id,
                "title": rule.title,
                "severity": rule.severity.value,
                "counts": counts,
                "total": total,
                "share": round(100 * total / sampled_total, 1) if sampled_total else None,
            }
        )
    rule_rows.sort(key=lambda r: (-r["total"], r["id"]))
    chart_data = report.chart or {"x": [], "series": {}}
    trend = dict(zip(chart_data["x"], next(iter(chart_data["series"].values()), []), strict=False))
    sampled_by_period = {p: sum(min(per_therapist, c) for c in by_period[p].values()) for p in periods}
    chart = line_chart(
        [period_label(p) for p in periods],
        {
            "Sampled notes failing a documentation rule": [
                trend.get(p) if sampled_by_period[p] else None for p in periods
            ]
        },
        unit="%",
        notes=[f"{sampled_by_period[p]} note{'' if sampled_by_period[p] == 1 else 's'} sampled" for p in periods],
        title="Share of the sampled notes that fail at least one documentation rule",
        size=(960, 220),
    )
    share_now = trend.get(period) if sampled_total else None
    choices = sorted({_period_of(n.date_of_service, False) for n in notes}, reverse=True)
    quarters = sorted({_period_of(n.date_of_service, True) for n in notes}, reverse=True)
    return Built(
        report,
        query,
        {
            "period": period,
            "period_name": period_label(period, long=True),
            "per_therapist": per_therapist,
            "draw": draw,
            "therapists": therapists,
            "rule_rows": rule_rows,
            "sampled_total": sampled_total,
            "failing_notes": round((share_now or 0) * sampled_total / 100),
            "share_now": share_now,
            "chart": chart,
            "month_choices": [(m, period_label(m, long=True)) for m in choices],
            "quarter_choices": [(q, period_label(q)) for q in quarters],
            "empty_periods": [period_label(p) for p in candidates if p not in periods],
        },
    )


BUILDERS: dict[str, Callable[[Session, Viewer, Params, bool], Built]] = {
    "reimbursement-97012": _reimbursement,
    "expected-vs-paid": _expected_vs_paid,
    "denial-rate": _denial_rate,
    "best-payer": _best_payer,
    "documentation-audit": _documentation_audit,
}


def _builder(viewer: Viewer, name: str) -> Callable[[Session, Viewer, Params, bool], Built]:
    services.require_role(viewer.actor, services.BILLERS)
    builder = BUILDERS.get(name)
    if builder is None:
        raise services.NotFoundError(f"report {name} not found")
    return builder


def _filename(name: str, query: Mapping[str, str], extension: str) -> str:
    parts = [name, *(re.sub(r"[^A-Za-z0-9-]", "", v) for k, v in query.items() if k != "draw")]
    return f"ptbill-{'-'.join(p for p in parts if p)}.{extension}"


def _cell(text: str) -> str:
    """Text a spreadsheet would run as a formula (=, +, -, @ first) is kept as text."""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@") else text


def _download(content: bytes, media_type: str, filename: str) -> Response:
    return Response(
        content, media_type=media_type, headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )


# routes: the exports first, so /reports/x.csv never reads as a report named "x.csv" -------------------


@router.get("/reports")
def report_index(request: Request, viewer: CurrentViewer) -> Any:
    services.require_role(viewer.actor, services.BILLERS)
    return render(request, "reports/index.html", {"viewer": viewer, "pages": PAGES})


@router.get("/reports/{name}.csv")
def report_csv(request: Request, name: str, viewer: CurrentViewer, session: SessionDep) -> Response:
    builder = _builder(viewer, name)
    params = dict(request.query_params)
    if name == "expected-vs-paid" and params.get("lines") == "underpaid":
        lines = reports.underpaid_lines(session, viewer.actor)
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        columns = ["claim", "patient", "payer", "code", "units", "date of service", "expected", "paid", "short"]
        writer.writerow(columns)
        for line in lines:
            writer.writerow(
                [_cell(line[key]) for key in ("claim", "patient", "payer", "code")]
                + [line["units"], line["service_date"].isoformat(), line["expected"], line["paid"], line["short"]]
            )
        services.audit(session, viewer.actor, "export", "report", "expected-vs-paid:lines", "csv")
        return _download(out.getvalue().encode("utf-8"), "text/csv; charset=utf-8", "ptbill-underpaid-lines.csv")
    built = builder(session, viewer, params, False)
    services.audit(session, viewer.actor, "export", "report", name, "csv")
    return _download(
        built.report.to_csv().encode("utf-8"), "text/csv; charset=utf-8", _filename(name, built.query, "csv")
    )


@router.get("/reports/{name}.png")
def report_png(request: Request, name: str, viewer: CurrentViewer, session: SessionDep) -> Response:
    built = _builder(viewer, name)(session, viewer, dict(request.query_params), False)
    services.audit(session, viewer.actor, "export", "report", name, "png")
    return _download(reports.chart_png(built.report), "image/png", _filename(name, built.query, "png"))


@router.get("/reports/{name}")
def report_page(request: Request, name: str, viewer: CurrentViewer, session: SessionDep) -> Any:
    built = _builder(viewer, name)(session, viewer, dict(request.query_params), True)
    query = urlencode(built.query)
    return render(
        request,
        f"reports/{name}.html",
        {
            "viewer": viewer,
            "pages": PAGES,
            "name": name,
            "report": built.report,
            "export_query": f"?{query}" if query else "",
            **built.context,
        },
    )
