"""Patients in a real Chromium: the front desk registers a patient (a refused ZIP is marked beside its
field), adds Medicare as primary and a spouse's plan as secondary, an authorization and a plan of care;
the therapist then finds her by typing three letters in the note's patient field. Every patient page is
photographed at 1280 px and 390 px (``PTBILL_SCREENSHOTS`` keeps them in a folder of your choice)."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.browser.live_app import LiveApp, log_in

pytestmark = pytest.mark.browser
WIDTHS = (1280, 390)


def shoot(page: Any, folder: Path, name: str, *, fits: bool = True) -> None:
    """The page at each width, whole; and nothing of the page's own content wider than the window (tables
    scroll inside their card), unless ``fits`` is off. The top bar is the layout's, not these pages'."""
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(folder / f"{name}-{width}.png"), full_page=True)
        overflow = page.evaluate(
            "(m => m.getBoundingClientRect().left + m.scrollWidth - window.innerWidth)(document.querySelector('main'))"
        )
        assert overflow <= 0 or not fits, f"{name} is {overflow}px wider than a {width}px window"
    page.set_viewport_size({"width": 1280, "height": 900})


def fill(page: Any, values: dict[str, str], prefix: str = "f-") -> None:
    """Each field by its id (the patient forms' ids start with ``f-``, the admin forms' with nothing)."""
    for name, value in values.items():
        field = page.locator(f"#{prefix}{name}")
        if field.evaluate("e => e.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)


def test_front_desk_registers_a_patient_with_two_coverages_and_the_therapist_finds_her(
    live_app: LiveApp, page: Any, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    today = live_app.settings.clock.today()  # the plan and the authorization are in force today

    def day(offset: int) -> str:
        return (today + timedelta(days=offset)).isoformat()

    folder = Path(os.environ.get("PTBILL_SCREENSHOTS", tmp_path))
    folder.mkdir(parents=True, exist_ok=True)
    log_in(page, live_app.url, "admin@harbor.example")

    page.get_by_role("link", name="Patients").click()
    page.wait_for_url(f"{live_app.url}/patients")  # the list, not the queue the login opened, in the picture
    shoot(page, folder, "patients-list")
    page.get_by_role("link", name="Register a patient").click()
    fill(
        page,
        {
            "first_name": "Wilhelmina",
            "last_name": "Ashgrove",
            "birth_date": "1948-06-21",
            "sex": "F",
            "phone": "805-555-0199",
            "address_line1": "9 Mission Canyon Rd",
            "city": "Santa Barbara",
            "state": "CA",
            "zip": "9310",
        },
    )
    page.get_by_role("button", name="Register").click()
    expect(page.locator("#f-zip-error")).to_contain_text("5 digits")
    expect(page.locator("#f-last_name")).to_have_value("Ashgrove")
    shoot(page, folder, "patients-register-refused")
    page.locator("#f-zip").fill("93105")
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_role("status")).to_contain_text("Patient registered")
    chart_url = page.url.split("?")[0]

    page.get_by_role("link", name="Add coverage").click()
    fill(page, {"priority": "1", "payer_id": "ca-medicare-south", "member_id": "7AB2CD3EF45"})
    page.get_by_role("button", name="Add coverage").click()
    expect(page.get_by_role("status")).to_contain_text("Coverage added")
    page.get_by_role("link", name="Add coverage").click()
    fill(
        page,
        {
            "priority": "2",
            "payer_id": "aetna",
            "member_id": "W884512",
            "group_number": "SB-2210",
            "relationship_to_insured": "spouse",
            "subscriber_first_name": "Rowan",
            "subscriber_last_name": "Ashgrove",
            "subscriber_birth_date": "1946-02-14",
        },
    )
    shoot(page, folder, "patients-coverage")
    page.get_by_role("button", name="Add coverage").click()

    page.get_by_role("link", name="Add authorization").click()
    fill(
        page,
        {
            "number": "AUTH-55120",
            "unit_kind": "visits",
            "approved": "12",
            "valid_from": day(-14),
            "valid_to": day(75),
            "codes": "97012, 97110",
        },
    )
    shoot(page, folder, "patients-authorization")
    page.get_by_role("button", name="Add authorization").click()
    expect(page.get_by_role("status")).to_contain_text("Authorization added")

    page.get_by_role("link", name="Add plan of care").click()
    plan = {
        "referring_provider_name": "Alan Cho",
        "referring_provider_npi": "1528060638",
        "referral_date": day(-20),
        "start_date": day(-14),
        "end_date": day(75),
        "visits_per_week": "2",
        "duration_weeks": "12",
        "physician_name": "Alan Cho",
        "physician_npi": "1528060639",
        "signed_on": day(-12),
        "diagnoses": "M51.16, M54.16",
    }
    fill(page, plan)
    page.get_by_role("button", name="Add plan of care").click()
    expect(page.locator("#f-referring_provider_npi-error")).to_contain_text("not an NPI")
    shoot(page, folder, "patients-plan-refused")
    page.locator("#f-referring_provider_npi").fill("1528060639")
    page.get_by_role("button", name="Add plan of care").click()
    expect(page.get_by_role("status")).to_contain_text("Plan of care added")

    chart = page.locator("main")
    expect(chart).to_contain_text("Primary")
    expect(chart).to_contain_text("Secondary")
    expect(chart).to_contain_text("Rowan Ashgrove (spouse")
    expect(chart).to_contain_text("AUTH-55120")
    expect(chart).to_contain_text("2× a week for 12 weeks")
    expect(chart).to_contain_text("due by visit 10")
    expect(page.locator("section[aria-labelledby=h-plan]")).to_contain_text("In force")
    expect(page.locator("section[aria-labelledby=h-auth]")).to_contain_text("In force")
    shoot(page, folder, "patients-chart")

    # The therapist types three letters in the note's patient field and picks her from what it finds.
    page.context.clear_cookies()
    log_in(page, live_app.url, "therapist1@harbor.example")
    page.goto(f"{live_app.url}/notes/new")
    page.locator("#patient-search").press_sequentially("Ash", delay=60)
    expect(page.locator("#pick-status")).to_contain_text("found")
    options = page.locator("#pick-patient option", has_text="Ashgrove, Wilhelmina")
    expect(options).to_have_count(1)
    expect(page.locator("#pick-patient")).to_have_value(chart_url.rsplit("/", 1)[1])
    shoot(page, folder, "patients-note-picker")
    page.fill("#pick-date", today.isoformat())
    page.get_by_role("button", name="Start note").click()
    page.wait_for_selector("form#note")
    expect(page.locator("h1")).to_contain_text("Wilhelmina Ashgrove")
