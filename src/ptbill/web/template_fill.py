"""A template applied to the note form as it stands: which empty inputs it fills, and with what.

Nothing typed or carried forward is overwritten. A single input (a traction setting, the assessment) is
filled only when it is empty. A row of a grid (the other services, the flowsheet, goals, outcome measures)
is added only when the note has no row of the same service code, exercise, goal or measure, and it goes
into the first row left wholly empty (rows past the form's last are added by the page). A template's goal
whose id the note already uses takes the next free number (STG1 taken: STG2).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from ptbill.domain.note_content import NoteType
from ptbill.domain.note_template import NoteTemplate
from ptbill.web import note_form

# Each grid a template fills: its input prefix, the column that says which row it is, its first form row.
GRIDS: tuple[tuple[str, str, int], ...] = (
    ("services", "code", 1),
    ("flowsheet", "exercise", 0),
    ("goals", "description", 0),
    ("objective.outcome_measures", "name", 0),
)
_CELL = re.compile(r"^(services|flowsheet|goals|objective\.outcome_measures)\[([0-9]{1,2})\]\.([a-z_]+)$")
_NUMBERED = re.compile(r"^(.*?)([0-9]+)$")
_TEMPLATE_INPUTS = (
    note_form.T,
    "services[",
    "flowsheet[",
    "goals[",
    "objective.outcome_measures[",
    "assessment",
    "plan",
)
_NOT_INPUTS = {"services[0].code"}  # the traction line's code is the section itself, not an input


@dataclass(slots=True)
class Filled:
    values: dict[str, str] = field(default_factory=dict)  # input name -> the template's value, empty inputs only
    kept: int = 0  # template entries not used: their input or row already held something
    left_out: list[str] = field(default_factory=list)  # parts this note type does not take from a template


def template_inputs(template: NoteTemplate, note_type: NoteType) -> dict[str, str]:
    """The template as the note form's inputs (named by document path, as every input of the form)."""
    values, _renames = note_form.form_values(template.document_parts(note_type))
    return {
        name: value
        for name, value in values.items()
        if value and name.startswith(_TEMPLATE_INPUTS) and name not in _NOT_INPUTS
    }


def _same(text: str) -> str:
    return " ".join(text.split()).casefold()


def _rows(values: Mapping[str, str], grid: str, first: int) -> dict[int, dict[str, str]]:
    rows: dict[int, dict[str, str]] = {}
    for name, value in values.items():
        match = _CELL.match(name)
        if match and match.group(1) == grid and int(match.group(2)) >= first:
            rows.setdefault(int(match.group(2)), {})[match.group(3)] = value
    return rows


def _free_id(wanted: str, used: set[str]) -> str:
    if wanted not in used:
        return wanted
    match = _NUMBERED.match(wanted)
    stem = match.group(1) if match else wanted
    return next(f"{stem}{n}" for n in itertools.count(1) if f"{stem}{n}" not in used)


def note_type_of(values: Mapping[str, str]) -> NoteType:
    try:
        return NoteType(values.get("note_type") or NoteType.DAILY_NOTE.value)
    except ValueError:
        return NoteType.DAILY_NOTE


def fill(current: Mapping[str, str], template: NoteTemplate) -> Filled:
    """What applying ``template`` to the form ``current`` (as posted: every input, empty ones included) fills."""
    note_type = note_type_of(current)
    wanted = template_inputs(template, note_type)
    filled = Filled()
    if (template.goals or template.assessment or template.plan) and not note_type.is_evaluation:
        filled.left_out.append("goals, assessment and plan (an evaluation writes them)")
    if template.outcome_measures and not (note_type.is_evaluation or note_type.reports_progress):
        filled.left_out.append("outcome measures (scored on evaluations and progress reports)")
    for name, value in wanted.items():
        if not _CELL.match(name) or name.startswith("services[0]."):
            if (current.get(name) or "").strip():
                filled.kept += 1
            else:
                filled.values[name] = value
    for grid, key, first in GRIDS:
        rows = _rows(current, grid, first)
        occupied = {index for index, cells in rows.items() if any(v.strip() for v in cells.values())}
        known = {_same(rows[index].get(key, "")) for index in occupied}
        used_ids = {rows[index].get("id", "").strip() for index in occupied} - {""}
        free = (index for index in itertools.count(first) if index not in occupied)
        for _index, cells in sorted(_rows(wanted, grid, first).items()):
            if _same(cells.get(key, "")) in known:
                filled.kept += len(cells)
                continue
            known.add(_same(cells.get(key, "")))
            placed = dict(cells)
            if grid == "goals" and "id" in placed:
                placed["id"] = _free_id(placed["id"], used_ids)
                used_ids.add(placed["id"])
            row = next(free)
            for column, value in placed.items():
                filled.values[f"{grid}[{row}].{column}"] = value
    return filled
