"""What a note's check needs from the chart for the plan-of-care lifecycle and the co-signature (``domain.chart``),
handed to the engine through the clinic context as the ABNs and the eligibility answer are:

- the days of the patient's other signed notes in the visit's calendar week (Monday to Sunday): the visits a
  frequency "times a week" counts (POC_FREQUENCY_EXCEEDED);
- the plan as the physician certified it (POC_CHANGE_NOT_CERTIFIED): the chart's stored plan with the note's
  start date and signed on its certification date; else the plan as it stood when it was signed (the patient's
  latest signed note of that plan dated on or before the certification date, not yet certified or carrying that
  certification); else the first signed note that carries the certification;
- the note's signatures: its state, who co-signed its current version, and whether the clinic's state requires a
  co-signature of assistants' notes on its date of service (NOTE_COSIGN_MISSING).

The patient is the saved note's, else the one whose chart number the note carries. Each read of another note or
of a stored plan is audited on the patient.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from ptbill.domain.chart import CertifiedPlan, NoteSignatures, NoteState, calendar_week
from ptbill.domain.encounter import Encounter, PlanOfCare
from ptbill.domain.encounter_models import validator_of
from ptbill.domain.status import EncounterState
from ptbill.rules.engine import ClinicContext
from ptbill.services.audit import ReadAudits
from ptbill.services.check_inputs import ClinicFacts
from ptbill.storage.tables import EncounterRow, PlanOfCareRow

CHART_PLAN = "the plan of care on the chart"


def with_chart_facts(
    session: Session,
    clinic_id: int,
    encounter: Encounter,
    context: ClinicContext,
    facts: ClinicFacts,
    audits: ReadAudits,
) -> ClinicContext:
    """The clinic context with the chart's plan-of-care facts and the note's signatures added; the note's patient
    and the clinic's co-signature rule come from ``facts``, each read of the chart is audited in ``audits``."""
    signatures = signatures_for(session, clinic_id, encounter, facts.assistant_cosign_from)
    plan = encounter.plan_of_care
    if plan is None:  # nothing of the chart's plan to compare or count against
        return replace(context, signatures=signatures)
    patient_id = facts.patient_id
    if patient_id is None:
        return replace(context, visits_this_week=(), signatures=signatures)
    counted = plan.most_visits_per_week is not None
    return replace(
        context,
        visits_this_week=visits_this_week(session, clinic_id, patient_id, encounter, audits) if counted else None,
        certified_plan=certified_plan_for(session, clinic_id, patient_id, encounter, audits),
        signatures=signatures,
    )


def _signed_notes_of(clinic_id: int, patient_id: int, encounter: Encounter) -> list[Any]:
    """The conditions on the patient's other signed or billed notes."""
    return [
        EncounterRow.clinic_id == clinic_id,
        EncounterRow.patient_id == patient_id,
        EncounterRow.status != EncounterState.DRAFT,
        EncounterRow.external_id != encounter.id,
    ]


def visits_this_week(
    session: Session, clinic_id: int, patient_id: int, encounter: Encounter, audits: ReadAudits
) -> tuple[date, ...]:
    """The days of the patient's other signed notes in the visit's calendar week, each day once."""
    monday, sunday = calendar_week(encounter.date_of_service)
    days = session.scalars(
        select(EncounterRow.date_of_service)
        .where(
            *_signed_notes_of(clinic_id, patient_id, encounter),
            EncounterRow.date_of_service >= monday,
            EncounterRow.date_of_service <= sunday,
        )
        .distinct()
    ).all()
    if days:
        detail = f"{len(days)} other visit days of the week for a check"
        audits.read("patient", patient_id, detail)
    return tuple(sorted(days))


def certified_plan_for(
    session: Session, clinic_id: int, patient_id: int, encounter: Encounter, audits: ReadAudits
) -> CertifiedPlan | None:
    """The plan the note's certification date certified, as the chart holds it (None: not found)."""
    plan = encounter.plan_of_care
    if plan is None or plan.certified_date is None:
        return None
    stored = session.scalars(
        select(PlanOfCareRow)
        .where(
            PlanOfCareRow.clinic_id == clinic_id,
            PlanOfCareRow.patient_id == patient_id,
            PlanOfCareRow.start_date == plan.start_date,
            PlanOfCareRow.signed_on == plan.certified_date,
        )
        .order_by(PlanOfCareRow.id)
    ).first()
    if stored is not None:
        audits.read("plan_of_care", stored.id, "certified plan for a check")
        return CertifiedPlan(
            CHART_PLAN,
            stored.start_date,
            plan.certified_date,
            end_date=stored.end_date,
            frequency_per_week=stored.visits_per_week,
            duration_weeks=stored.duration_weeks,
        )
    return _from_notes(session, clinic_id, patient_id, encounter, plan, audits)


def _from_notes(
    session: Session, clinic_id: int, patient_id: int, encounter: Encounter, plan: PlanOfCare, audits: ReadAudits
) -> CertifiedPlan | None:
    """The plan as it stood when the physician signed it: the latest note of the plan dated by the certification
    date and not under an earlier certification, else the first note that carries the certification."""
    certified = plan.certified_date
    assert certified is not None  # the caller's condition
    rows = session.execute(
        select(EncounterRow.id, EncounterRow.external_id, EncounterRow.date_of_service, EncounterRow.document)
        .where(
            *_signed_notes_of(clinic_id, patient_id, encounter),
            EncounterRow.date_of_service >= plan.start_date,
            EncounterRow.date_of_service <= encounter.date_of_service,
        )
        .order_by(EncounterRow.date_of_service, EncounterRow.id)
    ).all()
    sent: tuple[Any, PlanOfCare] | None = None
    carrying: tuple[Any, PlanOfCare] | None = None
    for row in rows:
        theirs = _plan_of(row.document)
        if theirs is None or theirs.start_date != plan.start_date:
            continue
        if row.date_of_service <= certified and theirs.certified_date in (None, certified):
            sent = (row, theirs)  # the latest before the signature wins (not one under an earlier certification)
        elif carrying is None and theirs.certified_date == certified:
            carrying = (row, theirs)
    found = sent or carrying
    if found is None:
        return None
    row, theirs = found
    audits.read("encounter", row.id, "certified plan for a check")
    return CertifiedPlan(
        f"note {row.external_id} of {row.date_of_service}",
        theirs.start_date,
        certified,
        end_date=theirs.end_date,
        frequency_per_week=theirs.frequency_per_week,
        frequency_max_per_week=theirs.frequency_max_per_week,
        duration_weeks=theirs.duration_weeks,
        long_term_goals=_long_term_goals(row.document),
    )


def _plan_of(document: dict[str, Any]) -> PlanOfCare | None:
    raw = document.get("plan_of_care")
    if not isinstance(raw, dict):
        return None
    try:
        return validator_of(PlanOfCare).validate_python(raw)  # type: ignore[no-any-return]
    except ValidationError:
        return None  # a stored note always parsed when it was saved; one that no longer does certifies nothing


def _long_term_goals(document: dict[str, Any]) -> dict[str, str] | None:
    """The note's long-term goals by id; None when the note lists no goals (a format-1 note keeps none)."""
    goals = document.get("goals")
    if not isinstance(goals, list) or not goals:
        return None
    return {
        str(goal["id"]): str(goal.get("description") or "")
        for goal in goals
        if isinstance(goal, dict) and goal.get("term") == "long" and goal.get("id")
    }


def signatures_for(session: Session, clinic_id: int, encounter: Encounter, since: date | None) -> NoteSignatures | None:
    """The stored note's state and co-signature, and the clinic's own co-signature rule on its date of service
    (``since``: ``clinics.assistant_cosign_from``).

    None for a note not furnished by an assistant (nothing to co-sign). A note not saved yet is a draft.
    """
    if not encounter.furnished_by_assistant:
        return None
    by_clinic = since is not None and encounter.date_of_service >= since
    row = session.execute(
        select(
            EncounterRow.status, EncounterRow.version, EncounterRow.cosigned_version, EncounterRow.cosigned_by_name
        ).where(EncounterRow.clinic_id == clinic_id, EncounterRow.external_id == encounter.id)
    ).first()
    if row is None:
        return NoteSignatures(NoteState.DRAFT, clinic_requires_cosign=by_clinic)
    cosigned = row.cosigned_by_name if row.cosigned_version == row.version else None
    return NoteSignatures(NoteState(row.status), cosigned, by_clinic)
