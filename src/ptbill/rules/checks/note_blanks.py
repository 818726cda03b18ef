"""A note that still holds a template's blank (``___``, ``domain.note_template.BLANK``) is not finished: a
goal's baseline or an assessment left as "leg pain ___/10" says nothing a reviewer can read as the patient's.

Source: Medicare Benefit Policy Manual (Pub. 100-02) ch.15 §220.3, the documentation of the evaluation, the
plan of care's goals and each treatment, which is the patient's own.
"""

from __future__ import annotations

from collections.abc import Iterator

from ptbill.domain.encounter import Encounter
from ptbill.domain.finding import Severity
from ptbill.domain.note_template import BLANK
from ptbill.rules.context import CheckContext
from ptbill.rules.registry import Hit, rule
from ptbill.rules.sources import bpm_15

SECTION = "Note types"


def _texts(encounter: Encounter) -> Iterator[tuple[str, str | None]]:
    """Every free-text field of the note with its document path."""
    yield "assessment", encounter.assessment
    yield "plan", encounter.plan
    if encounter.subjective is not None:
        yield "subjective.text", encounter.subjective.text
    if encounter.objective is not None:
        yield "objective.text", encounter.objective.text
    for index, goal in enumerate(encounter.goals):
        for key in ("description", "baseline", "target", "progress"):
            yield f"goals[{index}].{key}", getattr(goal, key)
    for index, row in enumerate(encounter.flowsheet):
        for key in ("exercise", "load", "cues"):
            yield f"flowsheet[{index}].{key}", getattr(row, key)
    for index, service in enumerate(encounter.services):
        yield f"services[{index}].patient_response", service.patient_response
        yield f"services[{index}].clinical_justification", service.clinical_justification
        if service.traction is not None:
            yield f"services[{index}].traction.patient_position", service.traction.patient_position


@rule(
    "NOTE_TEMPLATE_BLANK",
    section=SECTION,
    severity=Severity.ERROR,
    source=bpm_15("220.3", "the evaluation, the plan's goals and each treatment are documented for the patient"),
    fix=f"Complete each blank ({BLANK}) with the patient's own words or figures, or delete what does not apply.",
)
def note_template_blank(ctx: CheckContext) -> Iterator[Hit]:
    """A field of the note still holds a template's blank (___)."""
    for path, text in _texts(ctx.encounter):
        if text and BLANK in text:
            count = text.count(BLANK)
            what = "a blank" if count == 1 else f"{count} blanks"
            yield Hit(f"{path} still holds {what} ({BLANK}) from a template.", None, path)
