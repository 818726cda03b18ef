"""A clinic's own note templates (SQLite and PostgreSQL): saved from a note they keep the template's parts and
nothing of the patient or the visit; they are the clinic's alone; saving, renaming and deleting are audited;
the choices for a note put the templates of its diagnoses first."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from ptbill.domain.clock import FixedClock
from ptbill.services import access, note_templates, notes, plans_of_care
from ptbill.services.patient_fields import FieldProblemsError
from ptbill.storage.tables import AuditRow, NoteTemplateRow
from tests.integration.test_storage_services import CLEAN, make_clinic

CLOCK = FixedClock(date(2026, 3, 4))
# Words and figures of the visit that must never reach a template.
VISIT_ONLY = {
    "subjective": {"text": "Ava says the leg pain woke her at 3 am; lifting her grandson Milo hurts.", "pain_now": 6},
    "objective": {
        "text": "Guarded gait, antalgic to the left.",
        "range_of_motion": [{"joint": "Lumbar spine", "motion": "Flexion", "degrees": 35}],
        "outcome_measures": [{"name": "Oswestry Disability Index", "score": 42, "scale_max": 100}],
    },
    "flowsheet": [{"exercise": "Bridge", "sets": 2, "reps": 10, "cues": "neutral spine"}],
    "goals": [
        {
            "id": "STG1",
            "term": "short",
            "description": "Sit 30 minutes without leg pain",
            "baseline": "10 minutes on 2026-02-20",
            "target": "30 minutes",
            "target_date": "2026-03-13",
        }
    ],
    "assessment": "Ava Testwell improving; tolerating 65 lb well.",
    "plan": "Continue twice a week until 2026-05-20.",
    "note_type": "initial_evaluation",
}


def a_note(session: Session, name: str, **extra: Any) -> tuple[access.Actor, access.Actor, int]:
    pt, biller, patient = make_clinic(session, name)
    document = json.loads(json.dumps(CLEAN)) | json.loads(json.dumps(VISIT_ONLY)) | extra
    row, _ = notes.save_encounter(session, pt, document, patient.id)
    return pt, biller, row.id


def test_a_template_saved_from_a_note_keeps_its_set_up_and_nothing_of_the_patient(session: Session) -> None:
    pt, _biller, note_id = a_note(session, "keeps")
    made = note_templates.save_from_note(session, pt, note_id, "  Lumbar   disc, supine ", None, clock=CLOCK)
    row = session.get(NoteTemplateRow, made.id)
    assert row is not None
    assert (row.name, row.body_region, row.clinic_id) == ("Lumbar disc, supine", "lumbar", pt.clinic_id)
    content = row.content
    assert content["traction"] == {
        "device_type": "motorized_table",
        "device_name": "Chattanooga Triton DTS",
        "mode": "intermittent",
        "angle_deg": "15",
        "hold_seconds": 60,
        "rest_seconds": 20,
        "patient_position": "supine, hips and knees flexed 90 degrees",
    }
    assert [(s["code"], s["modifiers"]) for s in content["services"]] == [
        ("97012", ["GP"]),
        ("97110", ["GP"]),
        ("97140", ["GP"]),
    ]
    assert content["diagnoses"] == ["M51.1", "M54.1"]  # the families of the note's M51.16 and M54.16
    assert content["flowsheet"] == [{"exercise": "Bridge", "sets": 2, "reps": 10, "cues": "neutral spine"}]
    assert content["goals"] == [
        {
            "id": "STG1",
            "term": "short",
            "description": "Sit 30 minutes without leg pain",
            "baseline": "___",
            "target": "___",
        }
    ]
    assert content["outcome_measures"] == [
        {"name": "Oswestry Disability Index", "scale_min": "0", "scale_max": "100", "higher_is_worse": True}
    ]
    stored = json.dumps(content)
    for visit_only in (
        "Testwell",
        "Ava",
        "C-1",
        "1961",
        "2026",
        "09:02",
        "65 lb",
        "42",
        "Radicular pain",
        "L5 radiculopathy",
        "Guarded gait",
        "Milo",
        'minutes": 23',
        "force",
        "monitoring",
    ):
        assert visit_only not in stored, visit_only
    assert set(content) <= {"name", "body_region", "diagnoses", "traction", "services", "flowsheet"} | {
        "outcome_measures",
        "goals",
    }


def test_saving_names_what_is_wrong_and_keeps_the_clinic_name_unique(session: Session) -> None:
    pt, biller, note_id = a_note(session, "names")
    note_templates.save_from_note(session, pt, note_id, "Lumbar", "M51.1, m54.16", clock=CLOCK)
    with pytest.raises(FieldProblemsError) as caught:
        note_templates.save_from_note(session, pt, note_id, "lumbar", "M5", clock=CLOCK)
    assert caught.value.problems == {
        "name": "the clinic already has a template named 'lumbar'",
        "diagnoses": "not an ICD-10-CM code or the start of one: M5",
    }
    with pytest.raises(FieldProblemsError, match="name: required"):
        note_templates.save_from_note(session, pt, note_id, " ", None, clock=CLOCK)
    with pytest.raises(FieldProblemsError, match="at most 80 characters"):
        note_templates.save_from_note(session, pt, note_id, "x" * 81, None, clock=CLOCK)
    with pytest.raises(access.ForbiddenError):
        note_templates.save_from_note(session, biller, note_id, "Billing's own", None, clock=CLOCK)
    [(_, _, saved)] = note_templates.clinic_templates(session, pt)
    assert saved is not None
    assert saved.template.diagnoses == ("M51.1", "M54.16")


def test_a_note_without_a_traction_region_leaves_no_template_and_says_why(session: Session) -> None:
    services = json.loads(json.dumps(CLEAN["services"]))
    del services[0]["traction"]["body_region"]
    pt, _, note_id = a_note(session, "noregion", services=services)
    with pytest.raises(FieldProblemsError) as caught:
        note_templates.save_from_note(session, pt, note_id, "No region", None, clock=CLOCK)
    assert caught.value.problems == {
        "note": "the note's traction section names no body region: choose one and save the note first"
    }
    assert session.scalars(select(NoteTemplateRow).where(NoteTemplateRow.clinic_id == pt.clinic_id)).all() == []


def test_templates_are_the_clinics_own_and_every_change_is_audited(session: Session) -> None:
    pt, biller, note_id = a_note(session, "mine")
    other_pt, _, other_note = a_note(session, "theirs")
    made = note_templates.save_from_note(session, pt, note_id, "Ours", None, clock=CLOCK)
    theirs = note_templates.save_from_note(session, other_pt, other_note, "Theirs", None, clock=CLOCK)

    assert [c.name for c in note_templates.all_templates(session, pt) if c.source == "clinic"] == ["Ours"]
    with pytest.raises(access.NotFoundError):
        note_templates.template_by_key(session, pt, theirs.key)
    with pytest.raises(access.NotFoundError):
        note_templates.rename_template(session, pt, theirs.id or 0, "Taken over", clock=CLOCK)
    with pytest.raises(access.NotFoundError):
        note_templates.delete_template(session, pt, theirs.id or 0)
    with pytest.raises(access.NotFoundError):  # nor a template from the other clinic's note
        note_templates.save_from_note(session, pt, other_note, "Borrowed", None, clock=CLOCK)
    with pytest.raises(access.ForbiddenError):
        note_templates.rename_template(session, biller, made.id or 0, "Billing's", clock=CLOCK)
    assert note_templates.template_by_key(session, pt, made.key).name == "Ours"

    later = FixedClock(date(2026, 3, 5))
    note_templates.rename_template(session, pt, made.id or 0, "Ours, renamed", clock=later)
    row = session.get(NoteTemplateRow, made.id)
    assert row is not None
    assert (row.name, row.content["name"]) == ("Ours, renamed", "Ours, renamed")
    assert row.updated_at.date() == date(2026, 3, 5)
    note_templates.delete_template(session, pt, made.id or 0)
    assert session.get(NoteTemplateRow, made.id) is None
    assert session.get(NoteTemplateRow, theirs.id) is not None

    trail = session.execute(
        select(AuditRow.action, AuditRow.entity, AuditRow.entity_id, AuditRow.detail)
        .where(AuditRow.clinic_id == pt.clinic_id, AuditRow.entity.in_(("note_template", "encounter")))
        .order_by(AuditRow.id)
    ).all()
    mine = [tuple(t) for t in trail if t.entity == "note_template"]
    assert mine == [
        ("create", "note_template", str(made.id), f"from encounter {note_id}"),
        ("update", "note_template", str(made.id), "renamed"),
        ("delete", "note_template", str(made.id), None),
    ]
    assert ("read", "encounter", str(note_id), f"saved as note template {made.id}") in [tuple(t) for t in trail]
    for _action, _entity, _id, detail in trail:
        assert "Testwell" not in (detail or "")


def test_the_choices_put_the_patients_diagnoses_first_then_the_region(session: Session) -> None:
    pt, _, note_id = a_note(session, "choices")
    made = note_templates.save_from_note(session, pt, note_id, "Clinic lumbar", "M99.03", clock=CLOCK)
    choices = note_templates.all_templates(session, pt)
    assert [c.name for c in choices][:1] == ["Clinic lumbar"]  # the clinic's first, then ptbill's by name
    matching, other = note_templates.ranked(choices, ["m50.122"], None)
    assert [(r.choice.name, r.why) for r in matching] == [("Cervical radiculopathy", "M50.122")]
    assert "Lumbar radiculopathy" in [r.choice.name for r in other]
    matching, _ = note_templates.ranked(choices, ["M48.062", "M54.16"], "lumbar")
    assert [(r.choice.name, r.why) for r in matching] == [
        ("Lumbar radiculopathy", "M54.16"),
        ("Lumbar spinal stenosis", "M48.062"),
        ("Clinic lumbar", "lumbar"),  # no diagnosis of its families, but the note's region
    ]
    assert made.key.startswith("clinic:")


def test_the_plans_of_care_add_their_diagnoses_to_the_choice(session: Session) -> None:
    pt, _, patient = make_clinic(session, "plans")
    plan = {
        "start_date": "2026-02-20",
        "end_date": "2026-05-20",
        "visits_per_week": "2",
        "duration_weeks": "12",
        "physician_name": "Alan Cho",
        "physician_npi": "1528060639",
        "diagnoses": "M50.122",
    }
    plans_of_care.add_plan(session, pt, patient.id, plan)
    assert note_templates.plan_diagnoses(session, pt, patient.id) == ["M50.122"]
    other, _, _ = make_clinic(session, "plans-elsewhere")
    with pytest.raises(access.NotFoundError):
        note_templates.plan_diagnoses(session, other, patient.id)
