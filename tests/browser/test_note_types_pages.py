"""The whole visit in Chromium: a therapist writes an initial evaluation with its plan of care, measures, flowsheet
and goals on the note page, signs it, corrects it with an addendum, opens the next daily note with the flowsheet
and goals carried forward, and starts a progress report whose check asks for what the report lacks.
``PTBILL_SCREENSHOTS=docs/screenshots`` keeps the report with its findings (``note-type-progress-report-findings.png``;
each note type's page is ``test_episode_journey.py``'s)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from ptbill.storage.tables import EncounterRow, NoteAddendumRow
from tests.browser.live_app import VIEWPORT, LiveApp, T, fill_visit, log_in, start_live_app

pytestmark = pytest.mark.browser
DAY, LATER = "2026-11-24", "2026-12-04"
EVALUATION = {
    T + "force_lbs": "65",
    "plan_of_care.start_date": DAY,
    "plan_of_care.certified_date": "",
    "plan_of_care.order_signed_date": "2026-11-20",
    "plan_of_care.sent_to_referrer_date": DAY,
    "plan_of_care.end_date": "2027-01-04",
    "plan_of_care.frequency_per_week": "2",
    "plan_of_care.frequency_max_per_week": "3",
    "plan_of_care.duration_weeks": "6",
    "plan_of_care.visit_number": "1",
    "plan_of_care.visits_since_progress_report": "0",
    "subjective.text": "Low back and left leg pain for 6 weeks; sitting over 10 minutes brings on the leg pain.",
    "subjective.pain_now": "6",
    "subjective.pain_worst": "8",
    "objective.range_of_motion[0].joint": "Lumbar spine",
    "objective.range_of_motion[0].motion": "Flexion",
    "objective.range_of_motion[0].degrees": "40",
    "objective.strength[0].muscle_group": "Hip abductors",
    "objective.strength[0].grade": "4-",
    "objective.outcome_measures[0].name": "Oswestry",
    "objective.outcome_measures[0].score": "42",
    "objective.outcome_measures[0].scale_max": "100",
    "flowsheet[0].exercise": "Bridges",
    "flowsheet[0].sets": "2",
    "flowsheet[0].reps": "10",
    "flowsheet[0].cues": "neutral spine",
    "flowsheet[1].exercise": "Recumbent bike",
    "flowsheet[1].minutes": "8",
    "assessment": "L5 radiculopathy limiting sitting and work; a candidate for traction with exercise.",
    "plan": "Traction, exercise and manual therapy 2-3x/week for 6 weeks.",
    "goals[0].id": "STG1",
    "goals[0].description": "Sit 30 minutes without leg pain",
    "goals[0].baseline": "10 minutes",
    "goals[0].target": "30 minutes",
    "goals[0].target_date": "2026-12-15",
    "goals[1].id": "LTG1",
    "goals[1].description": "Full 8-hour shifts as a cashier",
    "goals[1].baseline": "2 hours",
    "goals[1].target": "8 hours",
    "goals[1].target_date": "2027-01-04",
    "services[0].goal_ids": "STG1, LTG1",
}


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApp]:
    """An app of its own: the new patient's notes written here must not meet the other tests' first visit."""
    live = start_live_app(tmp_path_factory.mktemp("note-types"))
    yield live
    live.stop()


def _shoot(page: Any, name: str, anchor: str) -> None:
    """The page at 1440x900 with ``anchor`` (the section the step is about) at the top."""
    folder = os.environ.get("PTBILL_SCREENSHOTS")
    if folder:
        page.evaluate("(selector) => document.querySelector(selector).scrollIntoView()", anchor)
        page.screenshot(path=str(Path(folder) / f"note-type-{name}.png"))


def _open(page: Any, app: LiveApp, day: str, note_type: str) -> None:
    page.goto(f"{app.url}/notes/new?patient_id={app.new_patient_id}&date_of_service={day}&note_type={note_type}")
    page.wait_for_selector("form#note")


def test_an_evaluation_then_an_addendum_then_a_progress_report(app: LiveApp, browser: Any) -> None:
    from playwright.sync_api import expect

    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(15_000)
    page = context.new_page()
    log_in(page, app.url, "therapist1@harbor.example")

    _open(page, app, DAY, "initial_evaluation")
    expect(page.locator('[name="note_type"]')).to_have_value("initial_evaluation")
    fill_visit(page)
    for name, value in EVALUATION.items():
        page.fill(f'[name="{name}"]', value)
    page.select_option('[name="objective.strength[0].side"]', "left")
    page.select_option('[name="goals[0].term"]', "short")
    page.select_option('[name="goals[1].term"]', "long")
    page.get_by_role("button", name="Save draft").click()
    page.wait_for_url(lambda url: "outcome=saved" in url)
    expect(page.locator("#check-verdict")).to_contain_text("Ready")
    expect(page.locator('[name="goals[1].description"]')).to_have_value("Full 8-hour shifts as a cashier")
    with app.sessions() as session:
        stored = session.scalars(select(EncounterRow).where(EncounterRow.patient_id == app.new_patient_id)).one()
        document, note_id = stored.document, stored.id
    assert document["note_type"] == "initial_evaluation"
    assert [goal["id"] for goal in document["goals"]] == ["STG1", "LTG1"]
    assert document["objective"]["outcome_measures"] == [{"name": "Oswestry", "score": 42, "scale_max": 100}]
    assert document["flowsheet"][1] == {"exercise": "Recumbent bike", "minutes": 8}
    assert document["plan_of_care"]["frequency_max_per_week"] == 3
    assert document["services"][0]["goal_ids"] == ["STG1", "LTG1"]

    page.get_by_role("button", name="Sign note").click()
    page.wait_for_url(lambda url: "outcome=signed" in url)
    page.locator("#addendum-reason").fill("Late entry")
    page.locator("#addendum-text").fill("Home program given: bridges and walking 20 minutes a day.")
    page.get_by_role("button", name="Add addendum").click()
    page.wait_for_url(lambda url: "outcome=amended" in url)
    expect(page.locator("[data-addendum='1']")).to_contain_text("Home program given")
    with app.sessions() as session:
        assert session.scalars(select(NoteAddendumRow.reason).where(NoteAddendumRow.encounter_id == note_id)).all() == [
            "Late entry"
        ]

    # The next daily note starts from the evaluation: its exercises and goals, the visit counted on.
    _open(page, app, "2026-11-26", "daily_note")
    expect(page.locator('[name="flowsheet[0].exercise"]')).to_have_value("Bridges")
    expect(page.locator('[name="flowsheet[1].minutes"]')).to_have_value("8")
    expect(page.locator('[name="goals[1].id"]')).to_have_value("LTG1")
    expect(page.locator('[name="plan_of_care.visit_number"]')).to_have_value("2")
    expect(page.locator('[name="plan_of_care.visits_since_progress_report"]')).to_have_value("1")  # evaluation day 1
    expect(page.locator('[name="subjective.text"]')).to_have_value("")  # today's words are today's

    _open(page, app, LATER, "progress_report")
    expect(page.locator("th.col-status")).to_be_visible()  # a report records each goal's status
    fill_visit(page)
    for name in ("plan_of_care.start_date", "plan_of_care.end_date", "plan_of_care.duration_weeks", T + "force_lbs"):
        page.fill(f'[name="{name}"]', EVALUATION[name])
    page.fill('[name="plan_of_care.visit_number"]', "5")
    page.fill('[name="plan_of_care.visits_since_progress_report"]', "4")
    page.fill('[name="goals[0].id"]', "STG1")
    page.select_option('[name="goals[0].term"]', "short")
    page.fill('[name="goals[0].description"]', "Sit 30 minutes without leg pain")
    page.select_option('[name="goals[0].status"]', "progressing")
    page.get_by_role("button", name="Save draft").click()
    page.wait_for_url(lambda url: "outcome=saved" in url)
    expect(page.locator("#check-verdict")).to_contain_text("Blocked")
    expect(page.locator('[data-findings-for="objective"]')).to_contain_text("records no objective measure")
    _shoot(page, "progress-report-findings", "[data-field=goals]")
    context.close()
