"""The sections of a note as printed: each turns one part of the encounter into flowables, or into nothing when the
note does not hold that part (a format-1 daily note prints its services and traction, no empty headings).

Every value a person typed goes through ``plain`` (``pdf_text``); codes print with ptbill's own short labels
(``procedure_codes.csv``), never the AMA's descriptors.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from enum import Enum
from functools import cache
from typing import Any

from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.platypus import KeepTogether, Paragraph, Spacer, Table

from ptbill.domain.encounter import Encounter, PlanOfCare, Service, Traction
from ptbill.domain.note_content import Goal, Objective, Subjective
from ptbill.reference.catalog import default_catalog
from ptbill.services.pdf_pages import ALERT, INK, MUTED, WIDTH
from ptbill.services.pdf_tables import SHADE, ruled_table
from ptbill.services.pdf_text import plain, text_fonts

Rows = list[list[Any]]
IN_ROW_SPLIT = 180  # points: a row taller than twice this may split across pages, its halves at least this tall


@cache
def styles() -> dict[str, ParagraphStyle]:
    base = getSampleStyleSheet()
    font, bold = text_fonts()  # names and notes print as written (Nguyễn, Muñoz-Peña), not in Latin-1 only
    body = ParagraphStyle("note-body", parent=base["BodyText"], fontName=font, fontSize=9.5, leading=12.5)
    return {
        "clinic": ParagraphStyle("note-clinic", parent=body, fontName=bold, fontSize=13, leading=16, textColor=INK),
        "kind": ParagraphStyle("note-kind", parent=body, fontName=bold, fontSize=15, leading=18, alignment=2),
        "title": ParagraphStyle("note-title", parent=body, fontName=bold, fontSize=17, leading=21, textColor=INK),
        "right": ParagraphStyle("note-right", parent=body, alignment=2),
        "h2": ParagraphStyle(
            "note-h2", parent=body, fontName=bold, fontSize=11, leading=14, spaceBefore=10, spaceAfter=4, textColor=INK
        ),
        "h3": ParagraphStyle("note-h3", parent=body, fontName=bold, fontSize=9.5, spaceBefore=4, spaceAfter=2),
        "body": body,
        "cell": ParagraphStyle("note-cell", parent=body, fontSize=9, leading=11.5),
        "label": ParagraphStyle("note-label", parent=body, fontName=bold, fontSize=8.5, leading=11.5),
        "small": ParagraphStyle("note-small", parent=body, fontSize=8, leading=10.5, textColor=MUTED),
        "banner": ParagraphStyle(
            "note-banner", parent=body, fontName=bold, fontSize=8, leading=10, textColor=MUTED, spaceAfter=6
        ),
        "hash": ParagraphStyle("note-hash", parent=body, fontName="Courier", fontSize=7.5, leading=10),
        "draft": ParagraphStyle("note-draft", parent=body, fontName=bold, fontSize=9, leading=11.5, textColor=ALERT),
        "alert": ParagraphStyle("note-alert", parent=body, fontName=bold, textColor=ALERT, fontSize=10.5, leading=14),
    }


def day(value: date | None) -> str:
    return f"{value:%m/%d/%Y}" if value else "—"


def words(value: Enum | str | None) -> str:
    if value is None:
        return "—"
    return str(value.value if isinstance(value, Enum) else value).replace("_", " ")


def number(value: Decimal | int | None) -> str:
    if value is None:
        return "—"
    return f"{value.normalize():f}" if isinstance(value, Decimal) else str(value)


def cell(value: Any, style: str = "cell") -> Any:
    """A table cell: text as a paragraph that prints as typed; a flowable as it is."""
    if isinstance(value, str):
        return Paragraph(plain(value), styles()[style])
    return value


def grid(rows: Rows, widths: Sequence[float], *, header: bool = True, labels: Sequence[int] = ()) -> Table:
    """A ruled table of cells: ``header`` shades the first row (repeated on each page), ``labels`` shades the
    columns of those indexes and sets them bold. A very tall cell (pages of typed text) splits across pages."""
    body = [
        [
            cell(value, "label" if column in labels or (header and line == 0) else "cell")
            for column, value in enumerate(row)
        ]
        for line, row in enumerate(rows)
    ]
    shading = [("BACKGROUND", (column, 0), (column, -1), SHADE) for column in labels]
    table = ruled_table(
        body,
        widths,
        shade="header" if header else None,
        extra=[("LEFTPADDING", (0, 0), (-1, -1), 4), ("RIGHTPADDING", (0, 0), (-1, -1), 4), *shading],
    )
    table.splitInRow = IN_ROW_SPLIT
    return table


def heading(text: str) -> Paragraph:
    return Paragraph(plain(text), styles()["h2"])


def text_block(title: str, text: str | None) -> list[Any]:
    """A titled free-text section; nothing when the text is empty."""
    if not text or not text.strip():
        return []
    return [heading(title), Paragraph(plain(text), styles()["body"])]


def _pain(subjective: Subjective) -> str:
    scores = (("now", subjective.pain_now), ("at best", subjective.pain_best), ("at worst", subjective.pain_worst))
    return ", ".join(f"{name} {value}/10" for name, value in scores if value is not None)


def subjective_section(subjective: Subjective | None) -> list[Any]:
    if subjective is None:
        return []
    pain = _pain(subjective)
    if not pain and not (subjective.text or "").strip():
        return []
    found: list[Any] = [heading("Subjective")]
    if subjective.text:
        found.append(Paragraph(plain(subjective.text), styles()["body"]))
    if pain:
        found += [Spacer(1, 3), Paragraph(f"<b>Pain (numeric rating scale 0–10):</b> {plain(pain)}", styles()["body"])]
    return found


def _table_of(title: str, rows: Rows, widths: Sequence[float]) -> list[Any]:
    return [KeepTogether([Paragraph(plain(title), styles()["h3"]), grid(rows[:6], widths)]), *_rest(rows, widths)]


def _rest(rows: Rows, widths: Sequence[float]) -> list[Any]:
    """Rows past the first five, in their own table under the same header (a long list is not kept together)."""
    return [grid([rows[0], *rows[6:]], widths)] if len(rows) > 6 else []


def objective_section(objective: Objective | None) -> list[Any]:
    if objective is None or not (objective.measured or (objective.text or "").strip()):
        return []
    w = WIDTH
    found: list[Any] = [heading("Objective")]
    if objective.text:
        found.append(Paragraph(plain(objective.text), styles()["body"]))
    if objective.range_of_motion:
        rows: Rows = [["Joint", "Motion", "Side", "Active / passive", "Degrees"]]
        rows += [
            [r.joint, r.motion, words(r.side), "active (AROM)" if r.active else "passive (PROM)", number(r.degrees)]
            for r in objective.range_of_motion
        ]
        found += _table_of("Range of motion", rows, [0.26 * w, 0.26 * w, 0.14 * w, 0.2 * w, 0.14 * w])
    if objective.strength:
        rows = [["Muscle group", "Side", "Grade (0–5)"]]
        rows += [[s.muscle_group, words(s.side), f"{s.grade}/5"] for s in objective.strength]
        found += _table_of("Strength", rows, [0.5 * w, 0.2 * w, 0.3 * w])
    if objective.special_tests:
        rows = [["Special test", "Side", "Result"]]
        rows += [[t.name, words(t.side), words(t.result)] for t in objective.special_tests]
        found += _table_of("Special tests", rows, [0.5 * w, 0.2 * w, 0.3 * w])
    if objective.outcome_measures:
        rows = [["Outcome measure", "Score", "Scale", "Reading"]]
        rows += [
            [
                m.name,
                number(m.score),
                f"{number(m.scale_min)}–{number(m.scale_max)}",
                "higher is worse" if m.higher_is_worse else "higher is better",
            ]
            for m in objective.outcome_measures
        ]
        found += _table_of("Outcome measures", rows, [0.4 * w, 0.15 * w, 0.2 * w, 0.25 * w])
    return found


def _minutes(service: Service) -> str:
    if service.start_time and service.end_time:
        return f"{service.start_time:%H:%M}–{service.end_time:%H:%M}"
    return "—"


def services_section(encounter: Encounter, units: Mapping[str, int]) -> list[Any]:
    """Every service with its code, our label, modifiers, pointers, clock times, minutes, units and goals."""
    if not encounter.services:
        return []
    codes = default_catalog().procedure_codes
    w = WIDTH
    rows: Rows = [["Code", "Service", "Modifiers", "Dx", "Time", "Min", "Units", "Goals"]]
    shown: set[str] = set()
    for service in encounter.services:
        billed = service.units if service.units is not None else units.get(service.code)
        rows.append(
            [
                service.code,
                codes[service.code].label if service.code in codes else "(code not in ptbill's list)",
                " ".join(service.modifiers) or "—",
                ", ".join(map(str, service.diagnosis_pointers)) or "—",
                _minutes(service),
                number(service.documented_minutes),
                "—" if billed is None or service.code in shown else str(billed),
                ", ".join(service.goal_ids) or "—",
            ]
        )
        shown.add(service.code)
    timed = sum(s.documented_minutes or 0 for s in encounter.services if s.code in codes and codes[s.code].timed)
    total = encounter.total_treatment_minutes
    found: list[Any] = [
        heading("Services and time"),
        grid(rows, [0.08 * w, 0.3 * w, 0.11 * w, 0.06 * w, 0.13 * w, 0.09 * w, 0.07 * w, 0.16 * w]),
        Spacer(1, 3),
        Paragraph(
            plain(
                f"Timed minutes: {timed}. Total treatment time: "
                + (f"{total} minutes." if total is not None else "not recorded.")
                + " Units are those of the note's latest check (the 8-minute rule or the payer's method)."
            ),
            styles()["small"],
        ),
    ]
    found += _justifications(encounter)
    return found


def _justifications(encounter: Encounter) -> list[Any]:
    """Why each service other than traction was given and how the patient responded, where the note says."""
    codes = default_catalog().procedure_codes
    rows: Rows = []
    for service in encounter.services:
        if service.traction is not None or not (service.clinical_justification or service.patient_response):
            continue
        label = codes[service.code].label if service.code in codes else ""
        what = f"{service.code} {label}".strip()
        if service.clinical_justification:
            rows.append([f"{what}: justification", service.clinical_justification])
        if service.patient_response:
            rows.append([f"{what}: patient response", service.patient_response])
    if not rows:
        return []
    return [Spacer(1, 6), grid(rows, [0.3 * WIDTH, 0.7 * WIDTH], header=False, labels=(0,))]


def _device(t: Traction) -> str:
    if not t.device_type:
        return "not recorded"
    return words(t.device_type) + (f", {t.device_name}" if t.device_name else "")


def traction_rows(service: Service) -> Rows:
    """The traction record of one service, item by item, as the 97012 documentation asks for it."""
    t = service.traction or Traction()
    times = (
        f"{service.start_time:%H:%M} to {service.end_time:%H:%M} ({service.documented_minutes} min)"
        if service.start_time and service.end_time
        else f"{number(service.minutes)} min (no clock times)"
    )
    changes = "; ".join(
        f"minute {c.at_minute}: {number(c.force_lbs)} lb ({c.reason or 'no reason given'})" for c in t.force_changes
    )
    return [
        ["Body region", words(t.body_region) if t.body_region else "not recorded"],
        ["Device", _device(t)],
        [
            "Mode and angle",
            f"{words(t.mode) if t.mode else 'not recorded'}, "
            f"{number(t.angle_deg) if t.angle_deg is not None else '?'} degrees",
        ],
        ["Hold / rest", f"{t.hold_seconds} s / {t.rest_seconds} s" if t.hold_seconds else "static (none)"],
        ["Force", f"{number(t.force_lbs)} lb" if t.force_lbs else "not recorded"],
        ["Force changes", changes or "none"],
        ["Patient position", t.patient_position or "not recorded"],
        ["Time", times],
        ["Monitoring checks", ", ".join(f"{c:%H:%M}" for c in t.monitoring_checks) or "not recorded"],
        ["Clinical justification", service.clinical_justification or "not recorded"],
        ["Patient response", service.patient_response or "not recorded"],
        *([["Goals served", ", ".join(service.goal_ids)]] if service.goal_ids else []),
    ]


def traction_section(encounter: Encounter) -> list[Any]:
    found: list[Any] = []
    for service in encounter.services:
        if service.code != "97012" and service.traction is None:
            continue
        title = "Mechanical traction (97012)" if service.code == "97012" else f"Traction ({service.code})"
        found += [heading(title), grid(traction_rows(service), [0.27 * WIDTH, 0.73 * WIDTH], header=False, labels=(0,))]
    return found


def flowsheet_section(encounter: Encounter) -> list[Any]:
    if not encounter.flowsheet:
        return []
    w = WIDTH
    rows: Rows = [["Exercise or activity", "Sets", "Reps", "Load", "Min", "Cues"]]
    rows += [
        [r.exercise, number(r.sets), number(r.reps), r.load or "—", number(r.minutes), r.cues or "—"]
        for r in encounter.flowsheet
    ]
    return [
        heading("Flowsheet: exercise and activity"),
        grid(rows, [0.3 * w, 0.07 * w, 0.07 * w, 0.14 * w, 0.1 * w, 0.32 * w]),
    ]


def _goal_text(goal: Goal) -> str:
    return f"{goal.id} ({'short' if goal.term.value == 'short' else 'long'}-term): {goal.description}"


def goals_section(goals: Sequence[Goal]) -> list[Any]:
    if not goals:
        return []
    w = WIDTH
    progress = any(g.status or g.progress for g in goals)
    if progress:
        rows: Rows = [["Goal", "Baseline", "Target", "By", "Status", "Progress"]]
        rows += [
            [_goal_text(g), g.baseline or "—", g.target or "—", day(g.target_date), words(g.status), g.progress or "—"]
            for g in goals
        ]
        widths = [0.3 * w, 0.13 * w, 0.13 * w, 0.11 * w, 0.11 * w, 0.22 * w]
    else:
        rows = [["Goal", "Baseline", "Target", "By"]]
        rows += [[_goal_text(g), g.baseline or "—", g.target or "—", day(g.target_date)] for g in goals]
        widths = [0.46 * w, 0.2 * w, 0.2 * w, 0.14 * w]
    return [heading("Goals"), grid(rows, widths)]


def frequency(plan: PlanOfCare) -> str:
    low, high = plan.frequency_per_week, plan.frequency_max_per_week
    if low is None and high is None:
        text = "frequency not recorded"
    elif high is not None and low is not None and high != low:
        text = f"{low}–{high} visits a week"
    else:
        text = f"{high if low is None else low} visit{'s' if (high if low is None else low) != 1 else ''} a week"
    return text + (f" for {plan.duration_weeks} weeks" if plan.duration_weeks else "")


def plan_of_care_rows(plan: PlanOfCare) -> Rows:
    period = f"{day(plan.start_date)} to {day(plan.end_date)}" if plan.end_date else f"from {day(plan.start_date)}"
    rows: Rows = [
        ["Certification period", period + (" (recertification)" if plan.recertification else "")],
        ["Frequency and duration", frequency(plan)],
        ["Physician's signature", f"signed {day(plan.certified_date)}" if plan.certified_date else "not yet signed"],
    ]
    if plan.order_signed_date:
        rows.append(["Order or referral", f"signed {day(plan.order_signed_date)}"])
    if plan.sent_to_referrer_date:
        rows.append(["Plan sent to the referrer", day(plan.sent_to_referrer_date)])
    if plan.visit_number is not None or plan.visits_since_progress_report is not None:
        visit = f"visit {plan.visit_number} under the plan" if plan.visit_number is not None else "visit"
        since = plan.visits_since_progress_report
        rows.append(["This visit", visit + (f"; {since} since the last progress report" if since is not None else "")])
    return rows


def plan_of_care_section(plan: PlanOfCare | None) -> list[Any]:
    if plan is None:
        return []
    return [
        heading("Plan of care"),
        grid(plan_of_care_rows(plan), [0.27 * WIDTH, 0.73 * WIDTH], header=False, labels=(0,)),
    ]
