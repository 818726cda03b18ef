"""Note templates: ptbill's own (reference data) and the clinic's, saved from a note, renamed and deleted.

A clinic's template keeps only a template's parts (``domain.note_template.template_from_encounter``), never
the patient or the visit; it is the clinic's alone (another clinic's looks missing), and saving, renaming and
deleting one is audited (saving also as a read of the note it came from). Therapists and admins manage them;
every clinician uses them. ``ranked`` orders the choices for a note: those whose diagnosis families hold one
of the patient's diagnoses first, then those of the note's body region, then the rest.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from ptbill.domain.clock import SYSTEM_CLOCK, Clock
from ptbill.domain.encounter_json import encounter_from_dict
from ptbill.domain.errors import EncounterFormatError
from ptbill.domain.note_template import (
    MAX_TEMPLATE_NAME,
    NoteTemplate,
    TemplateFormatError,
    family_of,
    read_template,
    template_from_encounter,
)
from ptbill.domain.vocabulary import CLINICIANS, Role
from ptbill.reference.note_templates import shipped_templates
from ptbill.services.access import Actor, NotFoundError, owned_row, require_role
from ptbill.services.audit import audit
from ptbill.services.notes import encounter_of
from ptbill.services.patient_fields import FieldProblemsError
from ptbill.storage.tables import NoteTemplateRow, PatientRow, PlanOfCareRow, UserRow

MANAGERS = frozenset({Role.THERAPIST, Role.ADMIN})  # save, rename and delete the clinic's templates
USERS = CLINICIANS | {Role.ADMIN}  # start a note from one
SHIPPED, CLINIC = "ptbill", "clinic"
_SPLIT = re.compile(r"[\s,;]+")
_CLINIC_KEY = re.compile(r"^clinic:([0-9]{1,12})$")
_NO_REGION = "the note's traction section names no body region: choose one and save the note first"


@dataclass(frozen=True, slots=True)
class TemplateChoice:
    key: str  # "ptbill:lumbar-radiculopathy" or "clinic:12"
    source: str  # ptbill or clinic
    template: NoteTemplate
    id: int | None = None  # the clinic's row
    author: str | None = None
    created_at: datetime | None = None

    @property
    def name(self) -> str:
        return self.template.name


@dataclass(frozen=True, slots=True)
class RankedChoice:
    choice: TemplateChoice
    why: str  # "M51.16", "lumbar", or "" for the rest


def _clinic_choice(row: NoteTemplateRow, author: str | None) -> TemplateChoice | None:
    try:
        template = NoteTemplate.model_validate(row.content)
    except ValidationError:
        return None  # saved under an older model and no longer readable: listed as such, never applied
    return TemplateChoice(f"{CLINIC}:{row.id}", CLINIC, template, row.id, author, row.created_at)


def clinic_templates(session: Session, actor: Actor) -> list[tuple[int, str, TemplateChoice | None]]:
    """The clinic's templates by name: (id, name, the template or None when it no longer reads)."""
    require_role(actor, USERS)
    query = (
        select(NoteTemplateRow, UserRow.name)
        .outerjoin(UserRow, UserRow.id == NoteTemplateRow.created_by_user_id)
        .where(NoteTemplateRow.clinic_id == actor.clinic_id)
        .order_by(NoteTemplateRow.name, NoteTemplateRow.id)
    )
    return [(row.id, row.name, _clinic_choice(row, author)) for row, author in session.execute(query)]


def all_templates(session: Session, actor: Actor) -> list[TemplateChoice]:
    """The clinic's templates, then ptbill's, each by name."""
    own = [choice for _id, _name, choice in clinic_templates(session, actor) if choice is not None]
    shipped = [TemplateChoice(f"{SHIPPED}:{s.key}", SHIPPED, s.template) for s in shipped_templates()]
    return own + shipped


def template_by_key(session: Session, actor: Actor, key: str) -> TemplateChoice:
    """One template by its key; NotFoundError for an unknown key or another clinic's template."""
    require_role(actor, USERS)
    if key.startswith(f"{SHIPPED}:"):
        for shipped in shipped_templates():
            if key == f"{SHIPPED}:{shipped.key}":
                return TemplateChoice(key, SHIPPED, shipped.template)
    elif match := _CLINIC_KEY.fullmatch(key):
        row = owned_row(session, actor, NoteTemplateRow, int(match.group(1)), "note template")
        choice = _clinic_choice(row, None)
        if choice is not None:
            return choice
    raise NotFoundError(f"note template {key[:80]!r} not found")


def plan_diagnoses(session: Session, actor: Actor, patient_id: int) -> list[str]:
    """The diagnoses of the patient's plans of care, latest plan first (the note page read the patient)."""
    owned_row(session, actor, PatientRow, patient_id, "patient")
    query = (
        select(PlanOfCareRow.diagnoses)
        .where(PlanOfCareRow.clinic_id == actor.clinic_id, PlanOfCareRow.patient_id == patient_id)
        .order_by(PlanOfCareRow.start_date.desc(), PlanOfCareRow.id.desc())
    )
    return [code for codes in session.scalars(query) for code in codes or [] if isinstance(code, str)]


def ranked(
    choices: Iterable[TemplateChoice], diagnoses: Iterable[str], region: str | None
) -> tuple[list[RankedChoice], list[RankedChoice]]:
    """The templates that fit the note (a diagnosis in their families first, then the body region) and the rest."""
    codes = list(dict.fromkeys(code.strip().upper() for code in diagnoses if code.strip()))
    by_diagnosis, by_region, rest = [], [], []
    for choice in choices:
        matched = choice.template.matching_diagnoses(codes)
        if matched:
            by_diagnosis.append(RankedChoice(choice, ", ".join(matched)))
        elif region and choice.template.body_region.value == region:
            by_region.append(RankedChoice(choice, region.replace("_", " ")))
        else:
            rest.append(RankedChoice(choice, ""))
    return by_diagnosis + by_region, rest


def _name(session: Session, actor: Actor, text: str | None, problems: dict[str, str], keep: int | None = None) -> str:
    name = " ".join((text or "").split())
    if not name:
        problems["name"] = "required"
    elif len(name) > MAX_TEMPLATE_NAME:
        problems["name"] = f"at most {MAX_TEMPLATE_NAME} characters, got {len(name)}"
    else:
        taken = session.scalars(
            select(NoteTemplateRow.name).where(NoteTemplateRow.clinic_id == actor.clinic_id, NoteTemplateRow.id != keep)
        ).all()
        if name.casefold() in {other.casefold() for other in taken}:
            problems["name"] = f"the clinic already has a template named {name!r}"
    return name


def _families(text: str | None, problems: dict[str, str]) -> list[str] | None:
    parts = [part.upper() for part in _SPLIT.split(text or "") if part]
    if not parts:
        return None
    if len(parts) > 40:
        problems["diagnoses"] = f"at most 40 diagnosis codes, got {len(parts)}"
    elif bad := [part for part in parts if not re.fullmatch(r"[A-Z][0-9][0-9A-Z](\.?[0-9A-Z]{0,4})?", part)]:
        problems["diagnoses"] = f"not an ICD-10-CM code or the start of one: {bad[0][:12]}"
    return list(dict.fromkeys(parts))


def save_from_note(
    session: Session,
    actor: Actor,
    encounter_id: int,
    name: str | None,
    diagnoses: str | None = None,
    *,
    clock: Clock = SYSTEM_CLOCK,
) -> TemplateChoice:
    """Save a template from a stored note: its parts only (see ``template_from_encounter``). ``diagnoses``: the
    families it is offered for, else those of the note's diagnoses. FieldProblemsError names each bad field."""
    row = encounter_of(session, actor, encounter_id)  # another clinic's note is missing, before any other answer
    require_role(actor, MANAGERS)
    problems: dict[str, str] = {}
    clean = _name(session, actor, name, problems)
    families = _families(diagnoses, problems)
    if problems:
        raise FieldProblemsError(problems)
    preview, trouble = preview_of(row.document)
    if preview is None:
        raise FieldProblemsError({"note": trouble or "the note leaves no template"})
    try:
        chosen = {"name": clean} | ({"diagnoses": families} if families is not None else {})
        template = read_template(preview.model_dump(mode="json") | chosen, clean)
    except TemplateFormatError as exc:
        raise FieldProblemsError({"note": "; ".join(exc.problems)}) from None
    now = clock.now()
    stored = NoteTemplateRow(
        clinic_id=actor.clinic_id,
        name=clean,
        body_region=template.body_region.value,
        content=template.model_dump(mode="json", exclude_none=True),
        created_by_user_id=actor.user_id,
        created_at=now,
        updated_at=now,
    )
    session.add(stored)
    session.flush()
    audit(session, actor, "read", "encounter", str(row.id), f"saved as note template {stored.id}")
    audit(session, actor, "create", "note_template", str(stored.id), f"from encounter {row.id}")
    return TemplateChoice(f"{CLINIC}:{stored.id}", CLINIC, template, stored.id, actor.name, now)


def preview_of(document: dict[str, Any]) -> tuple[NoteTemplate | None, str | None]:
    """The template a note would leave (named "preview"), or why it cannot leave one."""
    try:
        return template_from_encounter(encounter_from_dict(dict(document), "note"), "preview"), None
    except EncounterFormatError:
        return None, "the note cannot be read: save it without errors first"
    except TemplateFormatError as exc:
        if any(problem.startswith("body_region") for problem in exc.problems):
            return None, _NO_REGION
        return None, "; ".join(exc.problems)


def suggested_families(codes: Iterable[str]) -> list[str]:
    """The families a note's diagnoses suggest for a template saved from it (M51.16 → M51.1)."""
    return list(dict.fromkeys(family_of(code) for code in codes if code.strip()))


def rename_template(
    session: Session, actor: Actor, template_id: int, name: str | None, *, clock: Clock = SYSTEM_CLOCK
) -> None:
    row = owned_row(session, actor, NoteTemplateRow, template_id, "note template")
    require_role(actor, MANAGERS)
    problems: dict[str, str] = {}
    clean = _name(session, actor, name, problems, keep=row.id)
    if problems:
        raise FieldProblemsError(problems)
    row.name = clean
    row.content = {**row.content, "name": clean}
    row.updated_at = clock.now()
    audit(session, actor, "update", "note_template", str(row.id), "renamed")


def delete_template(session: Session, actor: Actor, template_id: int) -> None:
    row = owned_row(session, actor, NoteTemplateRow, template_id, "note template")
    require_role(actor, MANAGERS)
    session.delete(row)
    session.flush()
    audit(session, actor, "delete", "note_template", str(template_id))
