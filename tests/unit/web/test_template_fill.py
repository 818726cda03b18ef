"""Templates on the note form: every shipped template, applied to a new note and completed with what only today
holds (force, times, minutes, scores), makes a note that reads as an encounter and checks clean but for the
blanks an evaluation must complete; applying fills only empty inputs, never a typed or carried-forward one."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import pytest

from ptbill.domain.encounter_json import encounter_from_dict
from ptbill.reference.note_templates import shipped_templates
from ptbill.rules.engine import check_encounter
from ptbill.web import note_form, template_fill

T = note_form.T
SHIPPED = {shipped.key: shipped.template for shipped in shipped_templates()}
BILLABLE = {"cervical-radiculopathy": "M50.122", "lumbar-radiculopathy": "M51.16", "lumbar-stenosis": "M48.062"}


def parties() -> note_form.NoteParties:
    clinic = SimpleNamespace(
        name="Harbor PT", npi="1245319599", tax_id="954512345", address_line1="120 Harbor Way", city="Santa Barbara"
    )
    clinic.state, clinic.zip = "CA", "93109"
    patient = SimpleNamespace(
        chart_number="HPT-9001", first_name="Nora", last_name="Lindqvist", birth_date=date(1957, 5, 9), sex="F"
    )
    patient.address_line1 = patient.city = patient.state = patient.zip = None
    coverage = SimpleNamespace(
        payer_id="ca-medicare-south",
        member_id="5TQ8LM2KX41",
        group_number=None,
        relationship_to_insured="self",
        authorization=None,
    )
    provider = {"name": "Dana Reyes", "npi": "1093817462", "credential": "PT"}
    return note_form.NoteParties(clinic, provider, patient, coverage)  # type: ignore[arg-type]


def new_note(note_type: str, diagnosis: str) -> dict[str, str]:
    """A new note as the page opens it (empty grids included), with the visit's own facts typed."""
    form = {"id": "N20260302-ABC123", "date_of_service": "2026-03-02", "note_type": note_type}
    form |= {"diagnoses[0]": diagnosis, "services[0].modifiers": "GP", "services[0].diagnosis_pointers": "1"}
    form |= {f"flowsheet[{row}].exercise": "" for row in range(4)}
    form |= {f"services[{row}].code": "" for row in range(1, 5)}
    form |= {
        "plan_of_care.start_date": "2026-03-02",
        "plan_of_care.certified_date": "2026-03-02",
        "plan_of_care.end_date": "2026-04-13",
        "plan_of_care.frequency_per_week": "2",
        "plan_of_care.duration_weeks": "6",
        "plan_of_care.visit_number": "1",
        "plan_of_care.visits_since_progress_report": "0",
    }
    return form


def todays_part(form: dict[str, str]) -> dict[str, str]:
    """What no template holds: the force, times, monitoring, response, justification, minutes and scores."""
    typed = {
        T + "force_lbs": "25",
        "services[0].start_time": "09:00",
        "services[0].end_time": "09:15",
        T + "monitoring_checks": "09:05, 09:12",
        "services[0].patient_response": "Leg pain 6/10 before, 4/10 after; no adverse response.",
        "services[0].clinical_justification": "Radicular pain unchanged after two weeks of exercise alone.",
        "total_treatment_minutes": "45",
    }
    for name, value in form.items():
        if name.endswith(".code") and name != "services[0].code" and value:
            typed[name.replace(".code", ".minutes")] = "15"
            typed[name.replace(".code", ".diagnosis_pointers")] = "1"
        if name.endswith(".scale_max"):
            typed[name.replace(".scale_max", ".score")] = "30"
    return typed


@pytest.mark.parametrize("key", sorted(BILLABLE))
def test_every_shipped_template_matches_its_diagnosis_and_fits_every_note_type(key: str) -> None:
    assert set(SHIPPED) == set(BILLABLE)
    template = SHIPPED[key]
    assert template.matching_diagnoses([BILLABLE[key], "Z00.00"]) == [BILLABLE[key]]
    assert template.traction is not None
    for note_type in ("initial_evaluation", "daily_note", "progress_report", "re_evaluation", "discharge_summary"):
        form = new_note(note_type, BILLABLE[key])
        form |= template_fill.fill(form, template).values
        form |= todays_part(form)
        built = note_form.build_document(form, parties())
        encounter = encounter_from_dict(built.document)  # reads as an encounter
        assert encounter.services[0].traction is not None
        assert encounter.services[0].traction.body_region == template.body_region
        assert encounter.services[0].traction.force_lbs == 25  # today's, typed: no template holds a force
        report = check_encounter(encounter, today=date(2026, 3, 4))
        rules = {finding.rule for finding in report.findings}
        if note_type == "initial_evaluation":
            # The evaluation takes the goals, assessment and plan skeletons: their blanks are the therapist's.
            assert rules == {"NOTE_TEMPLATE_BLANK"}, (note_type, rules)
            assert report.verdict.value == "blocked"
        elif note_type == "re_evaluation":  # and it records each goal's status, which no template knows
            assert rules == {"NOTE_TEMPLATE_BLANK", "PROGRESS_GOALS_MISSING"}, (note_type, rules)
        elif note_type == "daily_note":
            assert report.verdict.value == "ready", (note_type, rules)
        else:  # a report reports progress on goals its evaluation wrote: this note has none
            assert "NOTE_TEMPLATE_BLANK" not in rules
            assert not any(rule.startswith(("NCCI", "MODIFIER", "CODE", "TRACTION")) for rule in rules), rules


def test_only_empty_inputs_are_filled_and_whole_rows_only_where_none_is_the_same() -> None:
    template = SHIPPED["lumbar-radiculopathy"]
    form = new_note("initial_evaluation", "M51.16")
    form |= {
        T + "angle_deg": "10",  # typed
        T + "mode": "static",
        T + "patient_position": "",  # empty: the template's
        "services[1].code": "97110",  # carried forward
        "services[1].modifiers": "GP",
        "flowsheet[0].exercise": "bridge",  # the template's Bridge, already here (any case)
        "flowsheet[0].sets": "3",
        "flowsheet[2].exercise": "Clamshell",  # row 1 is empty, row 3 too
        "goals[0].id": "STG1",
        "goals[0].term": "short",
        "goals[0].description": "Stand 20 minutes to cook",
        "assessment": "Typed before the template.",
    }
    filled = template_fill.fill(form, template).values
    for typed in (T + "angle_deg", T + "mode", "assessment", "services[1].code", "flowsheet[0].sets"):
        assert typed not in filled, typed
    assert filled[T + "patient_position"] == "supine, hips and knees flexed 90 degrees"
    assert filled[T + "hold_seconds"] == "60"
    assert filled["plan"].startswith("Mechanical lumbar traction")
    assert (filled["services[2].code"], filled["services[2].modifiers"]) == ("97140", "GP")  # 97110 kept, once
    assert "services[3].code" not in filled
    exercises = {name: value for name, value in filled.items() if name.endswith(".exercise")}
    assert exercises == {  # rows 1, 3, then new rows past the form's last; Bridge is not repeated
        "flowsheet[1].exercise": "Prone press-up",
        "flowsheet[3].exercise": "Sciatic nerve glide (slider)",
        "flowsheet[4].exercise": "Abdominal bracing",
        "flowsheet[5].exercise": "Walking",
    }
    ids = [filled[f"goals[{row}].id"] for row in range(1, 5)]
    assert ids == ["STG2", "STG3", "LTG1", "LTG2"]  # the note's STG1 stays; the template's takes the next number
    assert filled["objective.outcome_measures[0].name"] == "Oswestry Disability Index"
    assert "objective.outcome_measures[0].score" not in filled  # a score is measured, never templated
    assert not any(
        "force" in name or (name.endswith(("_time", ".minutes")) and "flowsheet" not in name) for name in filled
    )


def test_a_daily_note_takes_the_set_up_but_not_the_evaluations_goals_or_skeletons() -> None:
    form = new_note("daily_note", "M51.16")
    result = template_fill.fill(form, SHIPPED["lumbar-radiculopathy"])
    assert result.left_out == [
        "goals, assessment and plan (an evaluation writes them)",
        "outcome measures (scored on evaluations and progress reports)",
    ]
    assert not any(name.startswith(("goals[", "objective.", "assessment", "plan")) for name in result.values)
    assert result.values[T + "device_type"] == "motorized_table"
    applied_again = template_fill.fill(form | result.values, SHIPPED["lumbar-radiculopathy"])
    assert applied_again.values == {}  # a second time fills nothing: everything it holds is there
    assert applied_again.kept > 0
