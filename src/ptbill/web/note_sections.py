"""The whole visit on the note form: the note type and the sections beside the traction note (subjective and
pain, objective measures, the exercise flowsheet, assessment, plan, goals), read from and written to the form.

Inputs are named by their document path (``objective.strength[1].grade``), as the rest of the note form, so a
finding or an unreadable entry lands beside its row. Rows left empty are dropped; the rows after them move up,
and ``renames`` maps each moved row back to the row it was typed in.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ptbill.domain.note_content import NOTE_TYPE_LABELS, GoalStatus, NoteType

NOTE_TYPES = [(kind.value, label) for kind, label in NOTE_TYPE_LABELS.items()]
SIDES = [("left", "Left"), ("right", "Right"), ("bilateral", "Both")]
TEST_RESULTS = [("positive", "Positive"), ("negative", "Negative"), ("equivocal", "Equivocal")]
GOAL_TERMS = [("short", "Short term"), ("long", "Long term")]
GOAL_STATUSES = [(status.value, status.value.replace("_", " ").capitalize()) for status in GoalStatus]
PAIN = ("pain_now", "pain_best", "pain_worst")

# Each grid: its document path, its columns (key, label, kind) and the rows an empty form shows.
GRIDS: dict[str, tuple[tuple[tuple[str, str, str], ...], int]] = {
    "objective.range_of_motion": (
        (
            ("joint", "Joint", "text"),
            ("motion", "Motion", "text"),
            ("degrees", "Degrees", "number"),
            ("side", "Side", "side"),
        ),
        2,
    ),
    "objective.strength": (
        (("muscle_group", "Muscle group", "text"), ("grade", "Grade (0-5)", "text"), ("side", "Side", "side")),
        2,
    ),
    "objective.special_tests": (
        (("name", "Test", "text"), ("result", "Result", "result"), ("side", "Side", "side")),
        1,
    ),
    "objective.outcome_measures": (
        (("name", "Measure", "text"), ("score", "Score", "number"), ("scale_max", "Out of", "number")),
        1,
    ),
    "flowsheet": (
        (
            ("exercise", "Exercise", "text"),
            ("sets", "Sets", "number"),
            ("reps", "Reps", "number"),
            ("load", "Load", "text"),
            ("minutes", "Minutes", "number"),
            ("cues", "Cues", "text"),
        ),
        4,
    ),
    "goals": (
        (
            ("id", "Id", "text"),
            ("term", "Term", "term"),
            ("description", "Goal", "text"),
            ("baseline", "Baseline", "text"),
            ("target", "Target", "text"),
            ("target_date", "By", "date"),
            ("status", "Status", "status"),
            ("progress", "Progress", "text"),
        ),
        2,
    ),
}
_INTEGER = re.compile(r"^-?[0-9]{1,15}$")
_DECIMAL = re.compile(r"^-?[0-9]{0,15}\.[0-9]{1,15}$")
_ROW = re.compile(r"^([0-9]{1,2})\]")


def _text(form: Mapping[str, str], name: str) -> str | None:
    value = form.get(name, "").strip()
    return value or None


def _number(form: Mapping[str, str], name: str) -> Any:
    """A typed number as a JSON number; anything else as typed, so the reader names the field."""
    value = _text(form, name)
    if value is None:
        return None
    if _INTEGER.match(value):
        return int(value)
    if _DECIMAL.match(value):
        return float(value)
    return value


def _rows(values: Mapping[str, str], prefix: str) -> int:
    found = [0]
    for key in values:
        if key.startswith(prefix) and (row := _ROW.match(key[len(prefix) :])):
            found.append(int(row.group(1)) + 1)
    return max(found)


def _grid(form: Mapping[str, str], path: str, renames: dict[str, str]) -> list[dict[str, Any]]:
    columns, _ = GRIDS[path]
    rows: list[dict[str, Any]] = []
    for row in range(_rows(form, path + "[")):
        prefix = f"{path}[{row}]"
        entry = {
            key: _number(form, f"{prefix}.{key}") if kind == "number" else _text(form, f"{prefix}.{key}")
            for key, _label, kind in columns
        }
        if all(value is None for value in entry.values()):
            continue
        if len(rows) != row:
            renames[f"{path}[{len(rows)}]"] = prefix
        rows.append({key: value for key, value in entry.items() if value is not None})
    return rows


def build_sections(form: Mapping[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """The document's whole-visit parts the form describes, and the renames of rows that moved up."""
    renames: dict[str, str] = {}
    parts: dict[str, Any] = {}
    note_type = _text(form, "note_type")
    if note_type and note_type != NoteType.DAILY_NOTE.value:
        parts["note_type"] = note_type  # a daily note stays a plain format-1 document
    subjective = {"text": _text(form, "subjective.text")} | {key: _number(form, f"subjective.{key}") for key in PAIN}
    if subjective := {key: value for key, value in subjective.items() if value is not None}:
        parts["subjective"] = subjective
    objective: dict[str, Any] = {"text": _text(form, "objective.text")}
    for path in GRIDS:
        if path.startswith("objective."):
            objective[path.split(".", 1)[1]] = _grid(form, path, renames)
    if objective := {key: value for key, value in objective.items() if value}:
        parts["objective"] = objective
    for path in ("flowsheet", "goals"):
        rows = _grid(form, path, renames)
        if rows:
            parts[path] = rows
    for key in ("assessment", "plan"):
        if (text := _text(form, key)) is not None:
            parts[key] = text
    return parts, renames


def plan_additions(form: Mapping[str, str]) -> dict[str, Any]:
    return {key: _number(form, f"plan_of_care.{key}") for key in ("frequency_max_per_week", "duration_weeks")}


def goal_ids(form: Mapping[str, str], name: str) -> list[str]:
    return [part for part in re.split(r"[\s,;]+", form.get(name, "").strip()) if part]


def _shown(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def section_values(document: Mapping[str, Any]) -> dict[str, str]:
    """The form inputs that show a stored document's whole-visit parts."""
    values = {"note_type": _shown(document.get("note_type")) or NoteType.DAILY_NOTE.value}
    subjective = document.get("subjective") or {}
    for key in ("text", *PAIN):
        values[f"subjective.{key}"] = _shown(subjective.get(key))
    values["objective.text"] = _shown((document.get("objective") or {}).get("text"))
    for key in ("assessment", "plan"):
        values[key] = _shown(document.get(key))
    for path, (columns, _) in GRIDS.items():
        owner, _, name = path.rpartition(".")
        rows = ((document.get(owner) or {}).get(name) if owner else document.get(name)) or []
        for row, entry in enumerate(rows):
            for key, _label, _kind in columns:
                values[f"{path}[{row}].{key}"] = _shown(entry.get(key))
    return values


def row_counts(values: Mapping[str, str]) -> dict[str, int]:
    """Rows each grid shows: the stored ones and a spare, at least the grid's own minimum."""
    return {path: max(_rows(values, path + "[") + 1, minimum) for path, (_, minimum) in GRIDS.items()}


def field_names(counts: Mapping[str, Any]) -> set[str]:
    """The places of the whole-visit sections a finding can be shown beside."""
    names = {"note_type", "subjective", "subjective.text", "objective", "objective.text", "assessment", "plan"}
    names.update(f"subjective.{key}" for key in PAIN)
    names.update({"plan_of_care.frequency_max_per_week", "plan_of_care.duration_weeks", "services[0].goal_ids"})
    for path in GRIDS:
        names.add(path)
        names.update(f"{path}[{row}]" for row in range(counts.get(path, 0)))
    return names


def shows_goal_status(values: Mapping[str, str]) -> bool:
    """Goal status and progress are recorded on progress reports, re-evaluations and discharge summaries."""
    kind = values.get("note_type") or NoteType.DAILY_NOTE.value
    return kind in {k.value for k in NoteType if k.reports_progress}


def has_any(values: Mapping[str, str], *prefixes: str) -> bool:
    """Whether any input under these paths holds a value (a signed note hides the sections it left empty)."""
    return any(value for key, value in values.items() if key.startswith(prefixes))
