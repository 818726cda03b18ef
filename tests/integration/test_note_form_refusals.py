"""A refused note comes back as typed: every value kept, the error beside the input it belongs to.

Unreadable entries (a date that is not one, a clock time, letters in minutes, digits that are not
ASCII), a note id taken by an earlier save, and a signature refused after the save: none loses what
the therapist typed, and none is a 500.
"""

from __future__ import annotations

import html as html_text
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from ptbill.server import create_app
from ptbill.services.demo_data import seed_demo
from ptbill.settings import Settings
from ptbill.storage.session import make_engine, session_factory, transaction
from ptbill.storage.tables import EncounterRow
from tests.browser.live_app import VISIT, VISIT_CHOICES, VISIT_RADIOS, T
from tests.demo_day import DEMO_TODAY
from tests.integration.page_forms import Form, forms_of, logged_in
from tests.migrated import migrate

DAY = "2026-11-25"
TYPED = {**VISIT, **VISIT_CHOICES, **VISIT_RADIOS, T + "force_lbs": "65", "date_of_service": DAY}


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    directory: Path = tmp_path_factory.mktemp("note-refusals")
    url = f"sqlite:///{directory / 'ptbill.sqlite3'}"
    migrate(url)
    engine = make_engine(url)
    with transaction(session_factory(engine)) as session:
        seed_demo(session, encounters=12, patients=6, today=DEMO_TODAY)
    engine.dispose()
    app = create_app(Settings(url, directory, "note-refusals-" + "z" * 32, secure_cookies=False))
    yield app
    app.state.ptbill.sessions.kw["bind"].dispose()


@pytest.fixture
def therapist(app: FastAPI) -> TestClient:
    return logged_in(app, "therapist1@harbor.example")


def _note_form(html: str) -> Form:
    return next(form for form in forms_of(html) if form.method == "post" and form.action.startswith("/notes"))


def new_visit(client: TestClient, day: str = DAY) -> dict[str, Any]:
    """A new note for a patient, the visit typed in from scratch (nothing carried from the last one)."""
    page = client.get(f"/notes/new?patient_id=3&date_of_service={day}")
    assert page.status_code == 200
    given = {k: v for k, v in _note_form(page.text).fields.items() if k in ("csrf_token", "id", "patient_id")}
    fields = {**given, "coverage_id": _note_form(page.text).fields["coverage_id"], **TYPED, "action": "save"}
    return {**fields, "date_of_service": day}


def findings_beside(html: str, field: str) -> str:
    """The text of the findings shown in the box beside ``field``."""
    box = re.search(rf'data-findings-for="{re.escape(field)}">((?:\s*<div class="finding .*?</div>)*)', html, re.S)
    assert box is not None, f"no findings box for {field}"
    return " ".join(html_text.unescape(re.sub(r"<[^>]+>", " ", box.group(1))).split())


def assert_kept(html: str, typed: dict[str, Any], except_for: str) -> None:
    shown = _note_form(html).fields
    for name, value in typed.items():
        if name not in (except_for, "action", "csrf_token"):
            assert shown.get(name) == ([value] if isinstance(value, str) else value), name


@pytest.mark.parametrize(
    ("field", "value", "beside", "says"),
    [
        ("date_of_service", "2026-02-30", "date_of_service", 'not a date: "2026-02-30"'),
        ("services[0].start_time", "9:7x", "services[0].start_time", "not a clock time"),
        ("services[1].minutes", "twenty", "services[1].minutes", "not a whole number"),
        ("services[1].minutes", "٣", "services[1].minutes", "not a whole number"),
        (T + "force_lbs", "6²", T + "force_lbs", "not a number"),
        ("plan_of_care.start_date", "2026-02-30", "plan_of_care.start_date", "not a date"),
        (T + "force_changes[0].at_minute", "abc", T + "force_changes", "not a whole number"),
    ],
)
def test_an_unreadable_entry_is_marked_beside_its_input_and_nothing_typed_is_lost(
    therapist: TestClient, field: str, value: str, beside: str, says: str
) -> None:
    typed = {**new_visit(therapist), field: value}
    response = therapist.post("/notes", data=typed, follow_redirects=False)
    assert response.status_code == 422, response.text[:300]
    assert says in findings_beside(response.text, beside)
    assert "everything you typed is kept" in response.text
    assert _note_form(response.text).fields[field] == [value]
    assert_kept(response.text, typed, field)


def test_a_note_saved_twice_from_the_same_page_keeps_the_second_typing(therapist: TestClient) -> None:
    typed = new_visit(therapist)
    first = therapist.post("/notes", data=typed, follow_redirects=False)
    assert first.status_code == 303
    again = {**typed, "services[0].patient_response": "Leg pain 2/10 after; walked out without the cane."}
    response = therapist.post("/notes", data=again, follow_redirects=False)  # the second click on Save
    assert response.status_code == 409
    assert "Not saved: note id" in response.text
    assert "Everything you typed is kept below" in response.text
    assert_kept(response.text, again, "")


def test_a_refused_signature_keeps_the_save_and_says_why(app: FastAPI, therapist: TestClient) -> None:
    # A day of its own: the other tests' notes of DAY would make this one a duplicate (DUPLICATE_SERVICE).
    saved = therapist.post("/notes", data=new_visit(therapist, "2026-11-24"), follow_redirects=False)
    assert saved.status_code == 303
    encounter_id = int(re.search(r"/notes/(\d+)", saved.headers["location"]).group(1))  # type: ignore[union-attr]
    admin = logged_in(app, "admin@harbor.example")  # an admin may edit a draft, not sign it
    typed = {**_note_form(admin.get(f"/notes/{encounter_id}").text).fields, "action": "sign"}
    typed["services[0].patient_response"] = "Leg pain 1/10 after."
    response = admin.post(f"/notes/{encounter_id}", data=typed, follow_redirects=False)
    assert response.status_code == 403
    assert "Saved, but not signed" in response.text
    with app.state.ptbill.sessions() as session:
        row = session.scalar(select(EncounterRow).where(EncounterRow.id == encounter_id))
        assert row is not None
        assert row.status == "draft"
        assert row.version == 2
        assert row.document["services"][0]["patient_response"] == "Leg pain 1/10 after."


def test_signing_with_warnings_open_waits_for_the_therapists_yes(app: FastAPI, therapist: TestClient) -> None:
    # Monitoring checks left out: a finding marked "Check", not one that blocks. A day of its own, as above.
    typed = {**new_visit(therapist, "2026-11-23"), T + "monitoring_checks": "", "action": "sign"}
    asked = therapist.post("/notes", data=typed, follow_redirects=False)
    assert asked.status_code == 303
    assert asked.headers["location"].endswith("?outcome=confirm-sign")
    encounter_id = int(re.search(r"/notes/(\d+)", asked.headers["location"]).group(1))  # type: ignore[union-attr]
    page = therapist.get(asked.headers["location"])
    assert "still open" in page.text
    assert 'name="confirm_warnings"' in page.text
    with app.state.ptbill.sessions() as session:
        row = session.scalar(select(EncounterRow).where(EncounterRow.id == encounter_id))
        assert row is not None
        assert (row.status, row.verdict) == ("draft", "needs_attention")  # saved, not signed

    again = {**_note_form(page.text).fields, "action": "sign"}
    assert "confirm_warnings" not in again  # the box is not ticked by itself
    not_yet = therapist.post(f"/notes/{encounter_id}", data=again, follow_redirects=False)
    assert not_yet.headers["location"].endswith("?outcome=confirm-sign")

    signed = therapist.post(f"/notes/{encounter_id}", data={**again, "confirm_warnings": "yes"}, follow_redirects=False)
    assert signed.headers["location"].endswith("?outcome=signed")
    with app.state.ptbill.sessions() as session:
        assert session.scalar(select(EncounterRow.status).where(EncounterRow.id == encounter_id)) == "signed"
