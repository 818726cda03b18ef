"""Co-signature in Chromium: where the clinic's state requires it, a PTA's signed note waits on the PT's notes
list; the PT opens it from "To co-sign", presses "Co-sign note", and the page says who co-signed it and when.
``PTBILL_SCREENSHOTS=docs/screenshots`` keeps the pages (``note-cosign-*.png``)."""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from ptbill.services import access, cosign
from ptbill.services import notes as notes_service
from ptbill.storage.session import transaction
from ptbill.storage.tables import EncounterRow, UserRow
from tests.browser.axe import BLOCKING, violations
from tests.browser.live_app import NEW_COVERAGE, NEW_PATIENT, VIEWPORT, LiveApp, log_in, start_live_app

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[2]
PTA_NOTE: dict[str, Any] = json.loads((ROOT / "tests/scenarios/medicare-lumbar-pta-cq.json").read_text())


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApp]:
    """An app of its own: the clinic's co-signature rule set here must not hold the other tests' notes."""
    live = start_live_app(tmp_path_factory.mktemp("note-cosign"))
    yield live
    live.stop()


def _waiting_note(app: LiveApp, days_back: int = 1) -> tuple[int, str]:
    """The clinic's state rule on, and a PTA's note for the new patient signed ``days_back`` days ago; its id and
    the PT it waits for."""
    day = app.settings.clock.today() - timedelta(days=days_back)
    with transaction(app.sessions) as session:
        by_email = {u.email: u for u in session.scalars(select(UserRow))}
        pta, pt, admin = (by_email[f"{r}@harbor.example"] for r in ("pta", "therapist1", "admin"))
        cosign.set_assistant_cosign(
            session, access.Actor(admin.id, admin.clinic_id, "admin", admin.name), date(2020, 1, 1)
        )
        document = copy.deepcopy(PTA_NOTE) | {"id": f"cosign-browser-{days_back}", "date_of_service": day.isoformat()}
        document["rendering_provider"] = {"name": pta.name, "npi": pta.npi, "credential": "PTA"}
        document["supervising_provider"] = {"name": pt.name, "npi": pt.npi, "credential": "PT"}
        document["patient"] |= {"id": NEW_PATIENT["chart_number"], "first_name": NEW_PATIENT["first_name"]}
        document["patient"] |= {"last_name": NEW_PATIENT["last_name"], "birth_date": "1957-05-09"}
        document["coverage"] |= {"payer": NEW_COVERAGE["payer_id"], "member_id": NEW_COVERAGE["member_id"]}
        document["coverage"].pop("authorization", None)  # the scenario's authorization is not the new patient's
        document["plan_of_care"] |= {
            "start_date": (day - timedelta(days=20)).isoformat(),
            "certified_date": (day - timedelta(days=18)).isoformat(),
            "end_date": (day + timedelta(days=40)).isoformat(),
        }
        actor = access.Actor(pta.id, pta.clinic_id, "pta", pta.name)
        row, report = notes_service.save_encounter(session, actor, document, app.new_patient_id)
        assert report.verdict.value != "blocked", [f.message for f in report.findings]
        notes_service.sign_encounter(session, actor, row.id)
        return row.id, pt.name


def _shoot(page: Any, name: str) -> None:
    folder = os.environ.get("PTBILL_SCREENSHOTS")
    if folder:
        page.screenshot(path=str(Path(folder) / f"note-cosign-{name}.png"), full_page=True)


def test_the_pt_cosigns_a_waiting_pta_note_from_the_list(app: LiveApp, browser: Any) -> None:
    from playwright.sync_api import expect

    note_id, pt_name = _waiting_note(app)
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(15_000)
    page = context.new_page()
    log_in(page, app.url, "therapist1@harbor.example")
    page.goto(f"{app.url}/notes")
    waiting = page.locator("[data-to-cosign]")
    expect(waiting).to_contain_text(f"Waiting for co-signature by {pt_name}")
    _shoot(page, "list")
    waiting.get_by_role("link", name="Read and co-sign").click()
    page.wait_for_url(lambda url: f"/notes/{note_id}" in url)
    expect(page.locator("[data-cosign-waiting]")).to_contain_text(f"Waiting for co-signature by {pt_name}")
    _shoot(page, "waiting")
    page.get_by_role("button", name="Co-sign note").click()
    page.wait_for_selector("[data-cosigned]")
    expect(page.locator("[data-cosigned]")).to_contain_text(f"Co-signed by {pt_name} on")
    expect(page.get_by_role("button", name="Co-sign note")).to_have_count(0)
    _shoot(page, "done")
    with app.sessions() as session:
        row = session.get(EncounterRow, note_id)
        assert row is not None
        assert (row.cosigned_by_name, row.verdict) == (pt_name, "ready")
    page.goto(f"{app.url}/notes")
    expect(page.locator("[data-to-cosign]")).to_have_count(0)
    context.close()


def test_the_cosignature_sections_pass_axe_and_fit_a_phone(app: LiveApp, browser: Any) -> None:
    note_id, _ = _waiting_note(app, days_back=2)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    context.set_default_timeout(15_000)
    page = context.new_page()
    problems: list[str] = []
    for who, paths in (
        ("therapist1@harbor.example", ("/notes", f"/notes/{note_id}")),
        ("admin@harbor.example", ("/admin/clinic",)),
    ):
        context.clear_cookies()
        log_in(page, app.url, who)
        for width in (1280, 390):
            page.set_viewport_size({"width": width, "height": 900})
            for path in paths:
                page.goto(app.url + path)
                page.wait_for_load_state("networkidle")
                problems += [f"{path} at {width} px: {v}" for v in violations(page) if v.impact in BLOCKING]
                if (wide := page.evaluate("document.documentElement.scrollWidth")) > width:
                    problems.append(f"{path} is {wide} px wide on a {width} px screen")
    context.close()
    assert problems == [], "\n".join(problems)
