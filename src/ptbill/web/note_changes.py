"""Copy-forward of the last visit, and what a note changed of it.

A returning patient's note starts from the last visit's note: ``carried`` picks, from that note's form
values, the inputs that go on (diagnoses, plan of care with its visit counters moved on by one, referral,
codes and modifiers but an evaluation's, traction device and settings, the exercise flowsheet and the goals).
Today's facts (times, minutes, pain, the patient's response, the justification, the assessment) are not among
them.

``marks`` says how each carried value reads, for the page to show "was 65 lb" once it is changed.
``changes`` compares a note with what it started from: a value changed, a flowsheet row or a goal added or
removed (rows matched by exercise and by goal id, so a row cleared in the middle is one removal, not a shift
of every row below it). Pure: form values in, records out; the note page reads the last note for it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ptbill.domain.identifiers import bounded_int
from ptbill.web import note_sections
from ptbill.web.note_form import BODY_REGIONS, CARRIED, DEVICE_LABELS, EVALUATION_CODES, MODES, T

EVALUATIONS = frozenset(EVALUATION_CODES)  # an evaluation's code is that day's: never carried
COUNTERS = ("plan_of_care.visit_number", "plan_of_care.visits_since_progress_report")
_KEPT_PREFIXES = (
    "diagnoses[",
    "referring_provider.",
    "supervising_provider.",
    "plan_of_care.",
    "flowsheet[",
    "goals[",
)
_SERVICE_PART = re.compile(r"^services\[([0-9]{1,2})\]\.(code|modifiers|diagnosis_pointers)$")
_ROW_CELL = re.compile(r"^(flowsheet|goals)\[([0-9]{1,2})\]\.([a-z_]+)$")
LABELS = {
    "referring_provider.name": "Referring provider",
    "referring_provider.npi": "Referring NPI",
    "supervising_provider.name": "Supervising PT",
    "supervising_provider.npi": "Supervising PT's NPI",
    "supervising_provider.credential": "Supervising credential",
    "referring_provider.credential": "Referring credential",
    "plan_of_care.start_date": "Plan start",
    "plan_of_care.certified_date": "Certified on",
    "plan_of_care.end_date": "Plan end",
    "plan_of_care.order_signed_date": "Order signed on",
    "plan_of_care.sent_to_referrer_date": "Plan sent on",
    "plan_of_care.frequency_per_week": "Visits a week",
    "plan_of_care.frequency_max_per_week": "Up to (visits a week)",
    "plan_of_care.duration_weeks": "For (weeks)",
    "plan_of_care.visit_number": "This visit's number",
    "plan_of_care.visits_since_progress_report": "Visits since progress report",
    "services[0].modifiers": "Traction modifiers",
    "services[0].diagnosis_pointers": "Traction diagnoses treated",
    T + "body_region": "Body region",
    T + "device_type": "Device type",
    T + "device_name": "Device name",
    T + "mode": "Mode",
    T + "force_lbs": "Force",
    T + "angle_deg": "Angle of pull",
    T + "hold_seconds": "Hold",
    T + "rest_seconds": "Rest",
    T + "patient_position": "Patient position",
}
PARTS = (  # the note's parts in page order, each with the inputs it holds
    ("Referral", ("referring_provider.", "supervising_provider.")),
    ("Diagnoses", ("diagnoses[",)),
    ("Plan of care", ("plan_of_care.",)),
    ("Traction", (T, "services[0].")),
    ("Other services", ("services[",)),
)
_GOAL_COLUMNS = {key: label for key, label, _kind in note_sections.GRIDS["goals"][0]}


@dataclass(frozen=True, slots=True)
class Change:
    """One difference from the last visit: ``kind`` is changed, added or removed."""

    part: str  # "Traction", "Exercise flowsheet", ...
    item: str  # "Force", "Bridges", "STG1 target" ...
    was: str  # as the last visit had it ("65 lb"); "" when added
    now: str  # as this note has it; "" when removed
    kind: str
    field: str  # the input (or the row) it concerns, to link to it

    @property
    def text(self) -> str:
        if self.kind == "added":
            return f"{self.item}: added ({self.now})" if self.now else f"{self.item}: added"
        if self.kind == "removed":
            return f"{self.item}: removed (was {self.was})" if self.was else f"{self.item}: removed"
        return f"{self.item}: {self.was or '—'} → {self.now or '—'}"


def carried(stored: Mapping[str, str]) -> dict[str, str]:
    """The inputs a new note starts from, given the last note's form values (``note_form.form_values``)."""
    keep = {
        name: value
        for name, value in stored.items()
        if name.startswith(_KEPT_PREFIXES)
        or (_SERVICE_PART.match(name) is not None and name != "services[0].code")
        or (name.startswith(T) and name[len(T) :] in CARRIED)
    }
    evaluated = tuple(n.removesuffix("code") for n, v in keep.items() if n.endswith(".code") and v in EVALUATIONS)
    keep = {name: value for name, value in keep.items() if not name.startswith(evaluated)}  # billed on its day
    for counter in COUNTERS:
        if (visits := bounded_int(stored.get(counter, ""), 5)) is not None:
            keep[counter] = str(visits + 1)
    if note_sections.shows_goal_status(stored):  # a report ends its period; an evaluation's day is day 1 (§220.3 D)
        keep["plan_of_care.visits_since_progress_report"] = "0"
    return keep


def reading(name: str, value: str) -> str:
    """How a carried value reads beside its input: "65 lb", "motorized traction table", "M51.16"."""
    if not value:
        return "empty"
    if name.startswith(T):
        key = name[len(T) :]
        unit = CARRIED.get(key)
        words = {"device_type": DEVICE_LABELS, "mode": dict(MODES), "body_region": dict(BODY_REGIONS)}.get(key)
        if words is not None:
            said = words.get(value, value.replace("_", " "))
            return said[:1].lower() + said[1:]  # inside a sentence: "was motorized traction table"
        if isinstance(unit, str):
            return f"{value}{unit}" if unit == "°" else f"{value} {unit}"
    return value


def flowsheet_row(row: Mapping[str, str]) -> str:
    """An exercise as a therapist says it: "2 × 10, 5 lb, 8 min, neutral spine"."""
    sets, reps = row.get("sets", ""), row.get("reps", "")
    parts = [f"{sets} × {reps}" if sets and reps else (f"{sets} sets" if sets else (f"{reps} reps" if reps else ""))]
    parts += [row.get("load", ""), f"{row['minutes']} min" if row.get("minutes") else "", row.get("cues", "")]
    return ", ".join(part for part in parts if part)


def _rows(values: Mapping[str, str], path: str) -> dict[int, dict[str, str]]:
    rows: dict[int, dict[str, str]] = {}
    for name, value in values.items():
        match = _ROW_CELL.match(name)
        if match and match.group(1) == path and value.strip():
            rows.setdefault(int(match.group(2)), {})[match.group(3)] = value.strip()
    return dict(sorted(rows.items()))


def marks(start: Mapping[str, str]) -> dict[str, Any]:
    """What the page needs to mark changes as they are typed: each carried input's value and how it reads
    (``fields``), and each carried row's words (``rows``: a flowsheet row, a goal, another service)."""
    fields = {
        name: {"value": value, "text": reading(name, value)}
        for name, value in start.items()
        if value and name not in COUNTERS
    }
    rows: dict[str, str] = {}
    for index, row in _rows(start, "flowsheet").items():
        rows[f"flowsheet[{index}]"] = " ".join(filter(None, (row.get("exercise", ""), flowsheet_row(row))))
    for index, row in _rows(start, "goals").items():
        rows[f"goals[{index}]"] = " ".join(filter(None, (row.get("id", ""), row.get("description", ""))))
    for name, value in start.items():
        if (match := _SERVICE_PART.match(name)) and match.group(2) == "code":
            rows[f"services[{match.group(1)}]"] = " ".join(
                filter(None, (value, start.get(f"services[{match.group(1)}].modifiers", "")))
            )
    return {"fields": fields, "rows": rows}


def _part(name: str) -> str:
    return next(part for part, prefixes in PARTS if name.startswith(prefixes))


def _label(name: str) -> str:
    if name.startswith("diagnoses["):
        return f"Diagnosis {int(name[len('diagnoses[') : -1]) + 1}"
    return LABELS.get(name, name)


def _scalars(start: Mapping[str, str], now: Mapping[str, str]) -> list[Change]:
    """Inputs compared one by one: referral, diagnoses (by position), plan of care, traction settings."""
    names = {n for n in (*start, *now) if n.startswith(_KEPT_PREFIXES[:4]) or n.startswith(T) or n in LABELS}
    out = []
    for name in sorted(names, key=_order):
        if name.startswith(T) and name[len(T) :] not in CARRIED:
            continue
        if name.startswith("supervising_provider.") and name not in start:
            continue  # named on this note for an assistant, not carried
        was, is_now = start.get(name, "").strip(), now.get(name, "").strip()
        if was == is_now:
            continue
        kind = "added" if not was else ("removed" if not is_now else "changed")
        shown_was = reading(name, was) if was else ""
        shown_now = reading(name, is_now) if is_now else ""
        out.append(Change(_part(name), _label(name), shown_was, shown_now, kind, name))
    return out


def _order(name: str) -> tuple[int, int, str]:
    index = next(i for i, (_part_name, prefixes) in enumerate(PARTS) if name.startswith(prefixes))
    match = re.search(r"\[([0-9]{1,2})\]", name)
    return index, int(match.group(1)) if match else -1, name


def _services(start: Mapping[str, str], now: Mapping[str, str]) -> list[Change]:
    """The other services, matched by code: a code added or left off today, its modifiers or diagnoses changed."""

    def by_code(values: Mapping[str, str]) -> dict[str, tuple[str, str, str]]:
        found = {}
        for name, value in values.items():
            match = _SERVICE_PART.match(name)
            if match and match.group(2) == "code" and match.group(1) != "0" and value.strip():
                prefix = f"services[{match.group(1)}]"
                found[value.strip().upper()] = (
                    prefix,
                    values.get(prefix + ".modifiers", "").strip(),
                    values.get(prefix + ".diagnosis_pointers", "").strip(),
                )
        return found

    before, after = by_code(start), by_code(now)
    out = []
    for code, (prefix, modifiers, pointers) in after.items():
        if code not in before:
            out.append(Change("Other services", code, "", modifiers, "added", prefix + ".code"))
            continue
        _, was_modifiers, was_pointers = before[code]
        for label, was, now_value, key in (
            ("modifiers", was_modifiers, modifiers, "modifiers"),
            ("diagnoses", was_pointers, pointers, "diagnosis_pointers"),
        ):
            if was != now_value:
                out.append(Change("Other services", f"{code} {label}", was, now_value, "changed", f"{prefix}.{key}"))
    for code, (prefix, modifiers, _pointers) in before.items():
        if code not in after:
            out.append(Change("Other services", code, modifiers, "", "removed", prefix + ".code"))
    return out


def _flowsheet(start: Mapping[str, str], now: Mapping[str, str]) -> list[Change]:
    """Exercises matched by name: one added, one left off, or its sets, reps, load, time or cues changed."""

    def by_exercise(values: Mapping[str, str]) -> dict[str, tuple[int, dict[str, str]]]:
        found: dict[str, tuple[int, dict[str, str]]] = {}
        for index, row in _rows(values, "flowsheet").items():
            key = row.get("exercise", "").casefold()
            while key in found:  # the same exercise twice (two loads): the second is its own row
                key += "+"
            found[key] = (index, row)
        return found

    before, after = by_exercise(start), by_exercise(now)
    out = []
    for key, (index, row) in after.items():
        name = row.get("exercise", f"Row {index + 1}")
        if key not in before:
            out.append(Change("Exercise flowsheet", name, "", flowsheet_row(row), "added", f"flowsheet[{index}]"))
        elif before[key][1] != row:
            was = flowsheet_row(before[key][1])
            out.append(Change("Exercise flowsheet", name, was, flowsheet_row(row), "changed", f"flowsheet[{index}]"))
    for key, (index, row) in before.items():
        if key not in after:
            name = row.get("exercise", f"Row {index + 1}")
            out.append(Change("Exercise flowsheet", name, flowsheet_row(row), "", "removed", f"flowsheet[{index}]"))
    return out


def _goals(start: Mapping[str, str], now: Mapping[str, str], reports_progress: bool) -> list[Change]:
    """Goals matched by id (else by their words): one added or dropped, or its words, target or date changed.

    A daily note shows no goal status or progress: those are the reports', and a daily note does not change them.
    """
    compared = [key for key in _GOAL_COLUMNS if key != "id" and (reports_progress or key not in ("status", "progress"))]

    def by_id(values: Mapping[str, str]) -> dict[str, tuple[int, dict[str, str]]]:
        rows = _rows(values, "goals")
        return {(row.get("id") or row.get("description", "")).casefold(): (i, row) for i, row in rows.items()}

    before, after = by_id(start), by_id(now)
    out = []
    for key, (index, row) in after.items():
        name = row.get("id") or f"Goal {index + 1}"
        if key not in before:
            out.append(Change("Goals", name, "", row.get("description", ""), "added", f"goals[{index}]"))
            continue
        old = before[key][1]
        for column in compared:
            if old.get(column, "") != row.get(column, ""):
                label = f"{name} {_GOAL_COLUMNS[column].lower()}"
                field = f"goals[{index}].{column}"
                kind = "added" if not old.get(column) else ("removed" if not row.get(column) else "changed")
                out.append(Change("Goals", label, old.get(column, ""), row.get(column, ""), kind, field))
    for key, (index, row) in before.items():
        if key not in after:
            name = row.get("id") or f"Goal {index + 1}"
            out.append(Change("Goals", name, row.get("description", ""), "", "removed", f"goals[{index}]"))
    return out


def changes(start: Mapping[str, str], now: Mapping[str, str]) -> list[Change]:
    """What ``now`` (a note's form values) changed of ``start`` (what copy-forward gave it), in page order."""
    reports_progress = note_sections.shows_goal_status(now)
    return [
        *_scalars(start, now),
        *_services(start, now),
        *_flowsheet(start, now),
        *_goals(start, now, reports_progress),
    ]
