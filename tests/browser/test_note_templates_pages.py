"""Note templates in Chromium: a therapist starts an initial evaluation from the lumbar radiculopathy template
after typing a few things, and a first daily note by keyboard alone; the template fills only what was empty, adds
the grid rows it needs, marks what it filled, and the note saves with what was typed kept.
``PTBILL_SCREENSHOTS=docs/screenshots`` keeps the page (``note-template.png``)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from ptbill.services import patients, users
from ptbill.services.demo_data import DEMO_PASSWORD
from ptbill.storage.session import transaction
from ptbill.storage.tables import EncounterRow
from tests.browser.live_app import VIEWPORT, LiveApp, T, log_in, start_live_app

pytestmark = pytest.mark.browser
DAY = "2026-11-24"
TEMPLATE = "Lumbar radiculopathy"


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApp]:
    """An app of its own, with a second new patient for the first daily note."""
    live = start_live_app(tmp_path_factory.mktemp("note-templates"))
    yield live
    live.stop()


def second_patient(app: LiveApp) -> int:
    with transaction(app.sessions) as session:
        admin = users.authenticate(session, "admin@harbor.example", DEMO_PASSWORD)
        assert admin is not None
        made = patients.create_patient(
            session,
            admin,
            {"chart_number": "HPT-9002", "first_name": "Tomas", "last_name": "Reyna", "birth_date": date(1962, 8, 1)}
            | {"sex": "M"},
        )
        patients.add_coverage(session, admin, made.id, {"payer_id": "ca-medicare-south", "member_id": "3RT6KP9MQ22"})
        return made.id


def _open(page: Any, app: LiveApp, patient_id: int, note_type: str) -> None:
    page.goto(f"{app.url}/notes/new?patient_id={patient_id}&date_of_service={DAY}&note_type={note_type}")
    page.wait_for_selector("form#note")


def _shoot(page: Any) -> None:
    """The flowsheet, assessment and plan, and goals after the template: what was typed first stays unmarked."""
    folder = os.environ.get("PTBILL_SCREENSHOTS")
    if folder:
        page.set_viewport_size({"width": 1440, "height": 1400})
        page.evaluate("document.querySelector('[data-field=\"flowsheet\"]').closest('section').scrollIntoView()")
        page.evaluate("window.scrollBy(0, -60)")
        page.screenshot(path=str(Path(folder) / "note-template.png"))
        page.set_viewport_size(VIEWPORT)


def test_a_template_fills_only_the_empty_inputs_of_an_evaluation_and_a_first_daily_note(
    app: LiveApp, browser: Any
) -> None:
    from playwright.sync_api import expect

    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(15_000)
    page = context.new_page()
    log_in(page, app.url, "therapist1@harbor.example")

    # The evaluation: a diagnosis, an angle, an exercise and an assessment typed before the template.
    _open(page, app, app.new_patient_id, "initial_evaluation")
    picker = page.locator("[data-template-picker]")
    expect(picker).to_be_visible()
    page.fill('[name="diagnoses[0]"]', "M51.16")
    page.fill(f'[name="{T}angle_deg"]', "10")
    page.fill('[name="flowsheet[0].exercise"]', "Bird dog")
    page.fill('[name="assessment"]', "Typed first: L5 radiculopathy, sitting tolerance 10 minutes.")
    fits = page.locator("#template-choice optgroup[label='Fits this patient'] option")
    expect(fits.first).to_contain_text(f"{TEMPLATE} · matches M51.16")  # ranked again once the diagnosis is typed
    page.select_option("#template-choice", label=f"{TEMPLATE} · matches M51.16")
    page.get_by_role("button", name="Apply template").click()
    status = picker.locator("[data-template-status]")
    expect(status).to_contain_text(f"from “{TEMPLATE}”")
    expect(status).to_contain_text("already typed or carried forward")

    # What was typed stays; what was empty is the template's, marked as such.
    expect(page.locator(f'[name="{T}angle_deg"]')).to_have_value("10")
    expect(page.locator('[name="flowsheet[0].exercise"]')).to_have_value("Bird dog")
    expect(page.locator('[name="assessment"]')).to_have_value(
        "Typed first: L5 radiculopathy, sitting tolerance 10 minutes."
    )
    expect(page.locator(f'[name="{T}hold_seconds"]')).to_have_value("60")
    expect(page.locator(f'[name="{T}patient_position"]')).to_have_value("supine, hips and knees flexed 90 degrees")
    expect(page.locator(f'[name="{T}device_type"][value="motorized_table"]')).to_be_checked()
    expect(page.locator(f'[name="{T}force_lbs"]')).to_have_value("")  # the force is never a template's
    expect(page.locator('[name="services[0].start_time"]')).to_have_value("")
    expect(page.locator('[name="services[1].code"]')).to_have_value("97110")
    expect(page.locator('[name="services[2].code"]')).to_have_value("97140")
    expect(page.locator('[name="services[1].minutes"]')).to_have_value("")
    expect(page.locator('[name="flowsheet[1].exercise"]')).to_have_value("Prone press-up")
    expect(page.locator('[name="flowsheet[5].exercise"]')).to_have_value("Walking")  # rows added past the form's 4
    expect(page.locator('[name="goals[3].id"]')).to_have_value("LTG2")
    expect(page.locator('[name="objective.outcome_measures[0].name"]')).to_have_value("Oswestry Disability Index")
    expect(page.locator('[name="objective.outcome_measures[0].score"]')).to_have_value("")
    expect(page.locator(f'[data-field="{T}hold_seconds"] .from-template-note')).to_have_text(
        f"from template: {TEMPLATE}"
    )
    expect(page.locator(f'[data-field="{T}angle_deg"] .from-template-note')).to_have_count(0)
    expect(page.locator('tr[data-field="flowsheet[0]"]')).not_to_have_class("from-template")
    expect(page.locator('tr[data-field="flowsheet[5]"]')).to_have_class("from-template")
    # A measure is named, never scored: until the therapist scores it the check says so beside it; then the
    # check reads the note and names the blanks the therapist must complete.
    expect(page.locator('[data-findings-for="objective.outcome_measures[0]"]')).to_contain_text("required")
    page.fill('[name="objective.outcome_measures[0].score"]', "42")
    expect(page.locator('[data-findings-for="goals[0]"]')).to_contain_text(
        "Goal STG1 still holds 4 blanks (___) from a template in its description, baseline and target."
    )
    _shoot(page)

    page.get_by_role("button", name="Save draft").click()
    page.wait_for_url(lambda url: "outcome=saved" in url)
    with app.sessions() as session:
        stored = session.scalars(select(EncounterRow).where(EncounterRow.patient_id == app.new_patient_id)).one()
        document = stored.document
    assert [row["exercise"] for row in document["flowsheet"]] == [
        "Bird dog",
        "Prone press-up",
        "Sciatic nerve glide (slider)",
        "Abdominal bracing",
        "Bridge",
        "Walking",
    ]
    assert document["services"][0]["traction"]["angle_deg"] == 10
    assert (
        "force_lbs" not in document["services"][0]["traction"]
        or document["services"][0]["traction"]["force_lbs"] is None
    )
    assert document["assessment"].startswith("Typed first")
    assert [goal["id"] for goal in document["goals"]] == ["STG1", "STG2", "LTG1", "LTG2"]
    assert "template" not in document

    # A first daily note, by keyboard alone: the best fit is chosen once the diagnosis is typed.
    _open(page, app, second_patient(app), "daily_note")
    page.locator('[name="diagnoses[0]"]').focus()
    page.keyboard.type("M54.16")
    page.keyboard.press("Tab")
    expect(page.locator("#template-choice")).to_have_value("ptbill:lumbar-radiculopathy")
    page.locator("#template-choice").focus()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Apply template")).to_be_focused()
    page.keyboard.press("Enter")
    status = page.locator("[data-template-status]")
    expect(status).to_contain_text("Not taken on this note type: goals, assessment and plan")
    expect(page.locator(f'[name="{T}mode"][value="intermittent"]')).to_be_checked()
    expect(page.locator('[name="flowsheet[4].exercise"]')).to_have_value("Walking")
    expect(page.locator('[name="goals[0].description"]')).to_have_value("")  # an evaluation writes the goals
    expect(page.locator('[name="assessment"]')).to_have_value("")
    page.keyboard.press("Enter")  # applied twice: nothing more to fill, nothing changed
    expect(status).to_contain_text("Filled 0 empty entries")
    expect(page.locator('[name="flowsheet[5].exercise"]')).to_have_count(0)
    context.close()
