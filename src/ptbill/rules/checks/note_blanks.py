"""A note that still holds a template's blank (``___``, ``domain.note_content.BLANK``) is not finished: a
goal's baseline or an assessment left as "leg pain ___/10" says nothing a reviewer can read as the patient's.

Source: Medicare Benefit Policy Manual (Pub. 100-02) ch.15 §220.3, the documentation of the evaluation, the
plan of care's goals and each treatment, which is the patient's own.
"""

from __future__ import annotations

from collections.abc import Iterator

from ptbill.domain.encounter import Encounter
from ptbill.domain.finding import Severity
from ptbill.domain.note_content import BLANK
from ptbill.rules.context import CheckContext
from ptbill.rules.registry import Hit, rule
from ptbill.rules.sources import bpm_15

SECTION = "Note types"


def _parts(encounter: Encounter) -> Iterator[tuple[str, str, dict[str, str | None]]]:
    """Each part of the note with free text: its document path, how to name it, and its fields' texts."""
    yield "assessment", "The assessment", {"": encounter.assessment}
    yield "plan", "The plan", {"": encounter.plan}
    if encounter.subjective is not None:
        yield "subjective.text", "The subjective", {"": encounter.subjective.text}
    if encounter.objective is not None:
        yield "objective.text", "The observation", {"": encounter.objective.text}
    for index, goal in enumerate(encounter.goals):
        texts = {key: getattr(goal, key) for key in ("description", "baseline", "target", "progress")}
        yield f"goals[{index}]", f"Goal {goal.id}", texts
    for index, row in enumerate(encounter.flowsheet):
        yield f"flowsheet[{index}]", f"Exercise {row.exercise}", {"load": row.load, "cues": row.cues}
    for index, service in enumerate(encounter.services):
        texts = {"patient response": service.patient_response, "justification": service.clinical_justification}
        if service.traction is not None:
            texts["patient position"] = service.traction.patient_position
        for key, text in texts.items():
            yield f"services[{index}].{_FIELDS[key]}", f"The {key} of {service.code}", {"": text}


def _texts(encounter: Encounter) -> list[str | None]:
    """Every text ``_parts`` reads, without naming them (a test keeps the two lists alike)."""
    texts = [encounter.assessment, encounter.plan]
    if encounter.subjective is not None:
        texts.append(encounter.subjective.text)
    if encounter.objective is not None:
        texts.append(encounter.objective.text)
    for goal in encounter.goals:
        texts += (goal.description, goal.baseline, goal.target, goal.progress)
    for row in encounter.flowsheet:
        texts += (row.load, row.cues)
    for service in encounter.services:
        texts += (service.patient_response, service.clinical_justification)
        if service.traction is not None:
            texts.append(service.traction.patient_position)
    return texts


def _any_blank(encounter: Encounter) -> bool:
    """Whether any text of the note holds a blank: one quick pass before the one that names the parts."""
    return BLANK in "\n".join(filter(None, _texts(encounter)))  # a blank never spans a line break


_FIELDS = {
    "patient response": "patient_response",
    "justification": "clinical_justification",
    "patient position": "traction.patient_position",
}


@rule(
    "NOTE_TEMPLATE_BLANK",
    section=SECTION,
    severity=Severity.ERROR,
    source=bpm_15("220.3", "the evaluation, the plan's goals and each treatment are documented for the patient"),
    fix=f"Complete each blank ({BLANK}) with the patient's own words or figures, or delete what does not apply.",
)
def note_template_blank(ctx: CheckContext) -> Iterator[Hit]:
    """A part of the note still holds a template's blank (___)."""
    if not _any_blank(ctx.encounter):
        return
    for path, name, texts in _parts(ctx.encounter):
        where = [key for key, text in texts.items() if text and BLANK in text]
        if not where:
            continue
        count = sum((texts[key] or "").count(BLANK) for key in where)
        blanks = "a blank" if count == 1 else f"{count} blanks"
        named = [key for key in where if key]
        fields = " and ".join([", ".join(named[:-1]), named[-1]] if len(named) > 1 else named)
        yield Hit(
            f"{name} still holds {blanks} ({BLANK}) from a template{f' in its {fields}' if fields else ''}.", None, path
        )
