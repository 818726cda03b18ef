"""The three journeys the pages exist for, in a real Chromium against the real app.

1. A therapist documents a traction visit without the force, sees TRACTION_FORCE_MISSING beside the
   force input, enters the force, sees the finding go, and signs.
2. A biller finds that visit ready, builds its claim, creates the 837P batch and downloads it.
3. A biller of another clinic cannot open the visit: a 404 page with none of the patient's data.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from tests.browser.live_app import NEW_PATIENT, VISIT_DATE, LiveApp, T, fill_visit, log_in, start_note

pytestmark = pytest.mark.browser
FORCE = T + "force_lbs"
SIGNED: dict[str, Any] = {}  # the visit the therapist signed, for the biller's and the outsider's tests


def _expect() -> Any:
    from playwright.sync_api import expect

    return expect


def test_therapist_sees_missing_force_beside_the_force_field_then_signs(live_app: LiveApp, page: Any) -> None:
    expect = _expect()
    log_in(page, live_app.url, "therapist1@harbor.example")
    start_note(page, live_app.url, NEW_PATIENT["last_name"], VISIT_DATE)
    fill_visit(page)

    force_findings = page.locator(f'[data-findings-for="{FORCE}"]')
    expect(force_findings).to_contain_text("TRACTION_FORCE_MISSING")
    expect(force_findings).to_contain_text("Record the traction force in pounds")  # the fix
    expect(force_findings.locator(".finding.sev-error")).to_have_count(1)
    expect(page.locator("#sign-button")).to_be_disabled()

    page.get_by_label("Force", exact=True).fill("65")
    expect(force_findings).not_to_contain_text("TRACTION_FORCE_MISSING")
    expect(page.locator("#check-counts")).not_to_contain_text(re.compile(r"\d+ to fix"))
    expect(page.locator("#sign-button")).to_be_enabled()

    page.locator("#sign-button").click()
    page.wait_for_url(re.compile(r"/notes/\d+\?outcome=signed$"))
    expect(page.locator(".notice-ok")).to_contain_text("Signed")
    expect(page.locator(".badge-status-signed")).to_be_visible()
    expect(page.get_by_label("Force", exact=True)).to_have_value("65")
    expect(page.get_by_label("Force", exact=True)).to_be_disabled()  # a signed note is read-only
    SIGNED["encounter_id"] = int(re.search(r"/notes/(\d+)", page.url).group(1))  # type: ignore[union-attr]


@pytest.fixture
def signed_visit(live_app: LiveApp, page: Any) -> int:
    """The visit test 1 signed; when that test did not run, sign one the same way in a separate context."""
    if "encounter_id" not in SIGNED:
        test_therapist_sees_missing_force_beside_the_force_field_then_signs(live_app, page)
        page.context.clear_cookies()
    return int(SIGNED["encounter_id"])


def _external_id(live_app: LiveApp, encounter_id: int) -> str:
    from ptbill.storage.tables import EncounterRow

    with live_app.sessions() as session:
        return str(session.scalar(select(EncounterRow.external_id).where(EncounterRow.id == encounter_id)))


def test_biller_builds_the_837p_for_the_ready_visit_and_downloads_it(
    live_app: LiveApp, page: Any, signed_visit: int, tmp_path: Path
) -> None:
    expect = _expect()
    external_id = _external_id(live_app, signed_visit)
    log_in(page, live_app.url, "biller@harbor.example")
    page.goto(f"{live_app.url}/queue?tab=ready")
    row = page.locator("table.queue tbody tr", has_text=NEW_PATIENT["last_name"])
    expect(row).to_have_count(1)
    expect(page.locator(".tab-ready .tab-count")).not_to_have_text("0")

    page.locator("[data-select-all]").uncheck()  # bill only this visit
    row.locator('input[name="encounter_id"]').check()
    expect(page.locator("[data-selected-summary]")).to_contain_text("1 selected")
    page.get_by_role("button", name="Build claims for selected").click()
    page.wait_for_url(re.compile(r"/claims\?built=1$"))

    claim = page.locator("tbody tr", has_text=external_id)
    expect(claim).to_have_count(1)
    page.get_by_role("button", name="Create 837P batch").click()
    page.wait_for_url(re.compile(r"/batches/\d+\?created=1$"))
    expect(page.locator("tbody tr", has_text=external_id)).to_have_count(1)

    with page.expect_download() as caught:
        page.locator("#download-837p").click()
    download = caught.value
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    content = saved.read_text(encoding="utf-8")
    assert content.startswith("ISA*")
    assert f"CLM*{external_id}*" in content
    assert "NM1*QC*1*LINDQVIST*NORA" in content or "NM1*IL*1*LINDQVIST*NORA" in content
    assert download.suggested_filename.endswith(".x12")


def test_a_user_of_another_clinic_gets_a_404_page_without_patient_data(
    live_app: LiveApp, page: Any, signed_visit: int
) -> None:
    expect = _expect()
    log_in(page, live_app.url, "biller@mesa.example")
    for path in (f"/notes/{signed_visit}", f"/notes/{signed_visit}/history"):
        response = page.goto(f"{live_app.url}{path}")
        assert response is not None
        assert response.status == 404
        expect(page.locator("h1")).to_have_text("Not found")
        body = page.content()
        for private in (NEW_PATIENT["last_name"], NEW_PATIENT["first_name"], NEW_PATIENT["chart_number"], "M51.16"):
            assert private not in body
