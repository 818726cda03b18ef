"""A note template: the typical content of a note for one body region and diagnosis family, which a new note
starts from (``docs/notes.md``, "Templates").

A template holds only what is the same from patient to patient: the traction set-up (region, device, mode,
angle, hold and rest, position; never the force, which is the patient's), the services usually given with
their codes and modifiers (never minutes or times), a starting exercise flowsheet, goal skeletons whose
blanks (``___``) the therapist completes, the outcome measures to score, and assessment and plan skeletons.
It is read with the parts of the note document model it fills (``FlowsheetRow``, goal ids and terms, the
traction vocabulary), and the document it produces must read as an encounter: a template that does not is
refused naming its field. ptbill ships some (``reference_data/note_templates/``); a clinic saves its own
from a note (``template_from_encounter``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool, ValidationError, field_validator, model_validator

from ptbill.domain.encounter import BodyRegion, DeviceType, Encounter, TractionMode, normalize_diagnosis
from ptbill.domain.encounter_json import encounter_from_dict, problems_of
from ptbill.domain.encounter_models import dump_part
from ptbill.domain.errors import EncounterFormatError, PtbillError
from ptbill.domain.note_content import (
    BLANK,
    MAX_TEXT,
    Degrees,
    FlowsheetRow,
    GoalId,
    GoalTerm,
    Name,
    NoteType,
    Score,
    SmallCount,
)

TRACTION_CODE = "97012"
# Evaluations are billed by the evaluation note itself, never carried by a template into another note.
EVALUATION_CODES = frozenset({"97161", "97162", "97163", "97164", "97165", "97166", "97167", "97168"})
MAX_TEMPLATE_NAME = 80
_FAMILY = re.compile(r"^[A-Z][0-9][0-9A-Z](\.?[0-9A-Z]{0,4})?$")


class TemplateFormatError(PtbillError):
    """A template that cannot be used; ``problems`` has one line per field."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        super().__init__("\n".join(f"{source}: {p}" for p in problems))


class _Strict(BaseModel):
    # A key the template does not know is refused by name: a misspelt "hold_second" is not silently dropped.
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


def _family(value: Any) -> Any:
    if not isinstance(value, str) or not _FAMILY.fullmatch(value.strip().upper()):
        raise ValueError("not an ICD-10-CM code or the start of one (M54.1, M51.16)")
    return value.strip().upper()


Family = Annotated[str, Field(max_length=8)]
Line = Annotated[str, Field(max_length=400)]


class TemplateTraction(_Strict):
    """The traction set-up a region and diagnosis usually start from; the force is the patient's own."""

    device_type: DeviceType | None = None
    device_name: Annotated[str, Field(max_length=120)] | None = None
    mode: TractionMode | None = None
    angle_deg: Degrees | None = None
    hold_seconds: SmallCount | None = None
    rest_seconds: SmallCount | None = None
    patient_position: Annotated[str, Field(max_length=200)] | None = None


class TemplateService(_Strict):
    code: str = Field(pattern=r"^[A-Za-z0-9]{5}$")
    modifiers: tuple[Annotated[str, Field(pattern=r"^[A-Za-z0-9]{2}$")], ...] = ()

    @field_validator("code", mode="after")
    @classmethod
    def _upper(cls, value: str) -> str:
        return value.upper()

    @field_validator("modifiers", mode="after")
    @classmethod
    def _upper_modifiers(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(m.upper() for m in value)


class TemplateMeasure(_Strict):
    """An outcome measure to score: its name and scale, never a score."""

    name: Name
    scale_min: Score = Decimal(0)
    scale_max: Score
    higher_is_worse: StrictBool = True


class TemplateGoal(_Strict):
    """A goal skeleton: what the goal is about, with blanks for the patient's baseline and target."""

    id: GoalId
    term: GoalTerm
    description: Annotated[str, Field(min_length=1, max_length=1_000)]
    baseline: Line | None = None
    target: Line | None = None


class NoteTemplate(_Strict):
    name: Annotated[str, Field(min_length=1, max_length=MAX_TEMPLATE_NAME)]
    summary: Line | None = None
    body_region: BodyRegion
    diagnoses: tuple[Family, ...] = Field(default=(), max_length=40)  # ICD-10-CM codes or their starts
    traction: TemplateTraction | None = None
    services: tuple[TemplateService, ...] = Field(default=(), max_length=12)
    flowsheet: tuple[FlowsheetRow, ...] = Field(default=(), max_length=40)
    outcome_measures: tuple[TemplateMeasure, ...] = Field(default=(), max_length=10)
    goals: tuple[TemplateGoal, ...] = Field(default=(), max_length=20)
    assessment: Annotated[str, Field(max_length=MAX_TEXT)] | None = None
    plan: Annotated[str, Field(max_length=MAX_TEXT)] | None = None

    @field_validator("diagnoses", mode="before")
    @classmethod
    def _families(cls, value: Any) -> Any:
        if isinstance(value, list | tuple):
            return tuple(_family(item) for item in value)
        return value

    @field_validator("goals", mode="after")
    @classmethod
    def _unique_goals(cls, value: tuple[TemplateGoal, ...]) -> tuple[TemplateGoal, ...]:
        ids = [goal.id for goal in value]
        repeated = sorted({goal_id for goal_id in ids if ids.count(goal_id) > 1})
        if repeated:
            raise ValueError(f"goal ids {', '.join(repeated)} are used more than once")
        return value

    @model_validator(mode="after")
    def _codes_once(self) -> NoteTemplate:
        codes = [service.code for service in self.services]
        repeated = sorted({code for code in codes if codes.count(code) > 1})
        if repeated:
            raise ValueError(f"services list {', '.join(repeated)} more than once")
        return self

    def matching_diagnoses(self, diagnoses: Iterable[str]) -> list[str]:
        """The codes among ``diagnoses`` that fall in one of the template's diagnosis families."""
        families = [normalize_diagnosis(family) for family in self.diagnoses]
        return [code for code in diagnoses if any(normalize_diagnosis(code).startswith(f) for f in families)]

    def document_parts(self, note_type: NoteType = NoteType.INITIAL_EVALUATION) -> dict[str, Any]:
        """The parts of an encounter document the template fills, for a note of ``note_type``.

        Goals, the assessment and the plan skeletons belong to the plan of care an evaluation writes; outcome
        measures are scored on evaluations and on the notes that report progress. A daily note carries the
        goals from its evaluation and takes none of these from here. Outcome measures come without a score (the
        document needs one: the therapist enters it).
        """
        services: list[dict[str, Any]] = []
        traction_service: dict[str, Any] | None = None
        for service in self.services:
            entry: dict[str, Any] = {"code": service.code, "modifiers": list(service.modifiers)}
            if service.code == TRACTION_CODE:
                traction_service = entry
            services.append(entry)
        if self.traction is not None or traction_service is not None:
            if traction_service is None:
                traction_service = {"code": TRACTION_CODE, "modifiers": []}
                services.insert(0, traction_service)
            set_up = self.traction.model_dump(exclude_none=True, mode="json") if self.traction else {}
            traction_service["traction"] = {"body_region": self.body_region.value, **set_up}
        parts: dict[str, Any] = {"services": services}
        if self.flowsheet:
            parts["flowsheet"] = [dump_part(row) for row in self.flowsheet]
        if note_type.is_evaluation and self.goals:
            parts["goals"] = [goal.model_dump(exclude_none=True, mode="json") for goal in self.goals]
        if (note_type.is_evaluation or note_type.reports_progress) and self.outcome_measures:
            measures = [_measure(m) for m in self.outcome_measures]
            parts["objective"] = {"outcome_measures": measures}
        for key in ("assessment", "plan"):
            if note_type.is_evaluation and (text := getattr(self, key)) is not None:
                parts[key] = text
        return parts


def _measure(measure: TemplateMeasure) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": measure.name, "scale_max": _number(measure.scale_max)}
    if measure.scale_min != 0:
        entry["scale_min"] = _number(measure.scale_min)
    if not measure.higher_is_worse:
        entry["higher_is_worse"] = False
    return entry


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


# The header a template's document is read under: synthetic, only so that its own parts are judged.
_PROBE_HEADER: dict[str, Any] = {
    "id": "template-check",
    "date_of_service": "2026-01-05",
    "billing_provider": {
        "name": "Template check",
        "npi": "1245319599",
        "tax_id": "954512345",
        "address": {"line1": "1 Main St", "city": "Goleta", "state": "CA", "zip": "93117"},
    },
    "rendering_provider": {"name": "Template check", "npi": "1093817462", "credential": "PT"},
    "patient": {"id": "T-1", "first_name": "Template", "last_name": "Check", "birth_date": "1960-01-01", "sex": "U"},
    "coverage": {"payer": "template-check", "member_id": "T-1"},
    "diagnoses": ["M54.16"],
}


def as_encounter(template: NoteTemplate, note_type: NoteType = NoteType.INITIAL_EVALUATION) -> Encounter:
    """The template's document read as an encounter under a synthetic header, every measure scored at the
    bottom of its scale: EncounterFormatError naming the field when the template's parts do not read."""
    parts = template.document_parts(note_type)
    for measure in parts.get("objective", {}).get("outcome_measures", []):
        measure["score"] = measure.get("scale_min", 0)
    document = {**_PROBE_HEADER, **parts, "note_type": note_type.value}
    return encounter_from_dict(document, template.name)


def read_template(data: Any, source: str) -> NoteTemplate:
    """A template from parsed YAML or stored JSON, checked as a note: TemplateFormatError with one line per
    problem, each naming its field."""
    if not isinstance(data, Mapping):
        raise TemplateFormatError(source, ["(template): a template is a mapping of its parts"])
    try:
        template = NoteTemplate.model_validate(dict(data))
    except ValidationError as exc:
        problems = [p.replace("extra inputs are not permitted", "not a part of a template") for p in problems_of(exc)]
        raise TemplateFormatError(source, problems) from None
    try:
        as_encounter(template)
    except EncounterFormatError as exc:
        raise TemplateFormatError(source, [f"as a note, {problem}" for problem in exc.problems]) from None
    return template


def family_of(code: str) -> str:
    """The diagnosis family a code belongs to, as a template matches it: the category and its first
    subcategory character (``M51.16`` → ``M51.1``)."""
    bare = normalize_diagnosis(code)
    return bare if len(bare) <= 3 else f"{bare[:3]}.{bare[3]}"


def template_from_encounter(
    encounter: Encounter, name: str, families: Iterable[str] | None = None, summary: str | None = None
) -> NoteTemplate:
    """What a note leaves in a template: its traction set-up without the force, its service codes and
    modifiers (no evaluation codes, minutes or times), its exercise flowsheet, its goals' descriptions with
    blanks for baseline and target, and its outcome measures' names and scales.

    Nothing of the visit itself is kept: no patient, dates, times, force, scores, subjective or objective
    findings, response, justification, assessment or plan.
    """
    traction_service = next((s for s in encounter.services if s.traction is not None), None)
    traction = traction_service.traction if traction_service is not None else None
    region = traction.body_region if traction is not None and traction.body_region is not None else None
    codes: dict[str, tuple[str, ...]] = {}
    for service in encounter.services:
        if service.code not in EVALUATION_CODES and service.code not in codes:
            codes[service.code] = tuple(m for m in service.modifiers if m in ("GP", "GO", "GN", "CQ", "CO"))
    measures = encounter.objective.outcome_measures if encounter.objective else ()
    chosen = list(families) if families is not None else []
    data: dict[str, Any] = {
        "name": name,
        "summary": summary,
        "body_region": region.value if region is not None else None,
        "diagnoses": chosen or sorted({family_of(code) for code in encounter.diagnoses}),
        "services": [{"code": code, "modifiers": list(modifiers)} for code, modifiers in codes.items()],
        "flowsheet": [dump_part(row) for row in encounter.flowsheet],
        "outcome_measures": [
            {
                "name": m.name,
                "scale_min": m.scale_min,
                "scale_max": m.scale_max,
                "higher_is_worse": m.higher_is_worse,
            }
            for m in measures
        ],
        "goals": [
            {
                "id": goal.id,
                "term": goal.term.value,
                "description": goal.description,
                "baseline": BLANK,
                "target": BLANK,
            }
            for goal in encounter.goals
        ],
    }
    if traction is not None:
        kept = ("device_type", "device_name", "mode", "angle_deg", "hold_seconds", "rest_seconds", "patient_position")
        data["traction"] = {key: getattr(traction, key) for key in kept if getattr(traction, key) is not None}
    return read_template(data, name)
