"""Co-signature on the pages and the API: the admin sets the clinic's state rule (a bad date comes back named,
with what was typed); a PTA's signed note waits on the PT's "To co-sign" list and on its page, where the PT
co-signs it once; the biller sees no button; the API co-signs the same way, 403 for another role, 409 twice."""

from __future__ import annotations

import copy
import html as html_text
import json
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from ptbill.domain.clock import FixedClock
from ptbill.server import create_app
from ptbill.services import access
from ptbill.services import notes as notes_service
from ptbill.services.demo_data import DEMO_PASSWORD, seed_demo
from ptbill.settings import Settings
from ptbill.storage.session import make_engine, session_factory, transaction
from ptbill.storage.tables import ClinicRow, EncounterRow, PatientRow, UserRow
from tests.demo_day import DEMO_TODAY
from tests.integration.page_forms import forms_of, logged_in
from tests.migrated import migrate

ROOT = Path(__file__).resolve().parents[2]
PTA_NOTE: dict[str, Any] = json.loads((ROOT / "tests/scenarios/medicare-lumbar-pta-cq.json").read_text())
PT_EMAIL, PTA_EMAIL, BILLER_EMAIL, ADMIN_EMAIL = (
    "therapist1@harbor.example",
    "pta@harbor.example",
    "biller@harbor.example",
    "admin@harbor.example",
)
CLOCK = FixedClock(DEMO_TODAY)


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    directory: Path = tmp_path_factory.mktemp("cosign-page")
    url = f"sqlite:///{directory / 'ptbill.sqlite3'}"
    migrate(url)
    engine = make_engine(url)
    with transaction(session_factory(engine)) as session:
        seed_demo(session, encounters=8, patients=4, today=DEMO_TODAY)
    engine.dispose()
    app = create_app(Settings(url, directory, "cosign-page-" + "z" * 32, secure_cookies=False, clock=CLOCK))
    yield app
    app.state.ptbill.sessions.kw["bind"].dispose()


def signed_pta_note(app: FastAPI, days_back: int) -> int:
    """A PTA's note of a demo patient, supervised by the demo's first PT, signed; its id."""
    with transaction(app.state.ptbill.sessions) as session:
        pta = session.scalars(select(UserRow).where(UserRow.email == PTA_EMAIL)).one()
        pt = session.scalars(select(UserRow).where(UserRow.email == PT_EMAIL)).one()
        patient = session.scalars(select(PatientRow).where(PatientRow.clinic_id == pta.clinic_id)).first()
        assert patient is not None
        document = copy.deepcopy(PTA_NOTE)
        document["id"] = f"cs-{uuid.uuid4().hex[:10]}"
        document["date_of_service"] = (DEMO_TODAY - timedelta(days=days_back)).isoformat()
        document["rendering_provider"] = {"name": pta.name, "npi": pta.npi, "credential": "PTA"}
        document["supervising_provider"] = {"name": pt.name, "npi": pt.npi, "credential": "PT"}
        document["patient"]["id"] = patient.chart_number
        actor = access.Actor(pta.id, pta.clinic_id, "pta", pta.name)
        row, _ = notes_service.save_encounter(session, actor, document, patient.id, clock=CLOCK)
        notes_service.sign_encounter(session, actor, row.id, clock=CLOCK)
        return row.id


def name_of(app: FastAPI, email: str) -> str:
    with app.state.ptbill.sessions() as session:
        return session.scalars(select(UserRow.name).where(UserRow.email == email)).one()


def test_the_admin_sets_the_states_rule_and_a_bad_date_comes_back_named(app: FastAPI) -> None:
    admin = logged_in(app, ADMIN_EMAIL)
    page = admin.get("/admin/clinic")
    [form] = [f for f in forms_of(page.text) if f.action == "/admin/clinic/cosign"]
    token = form.fields["csrf_token"][0]
    refused = admin.post(form.action, data={"csrf_token": token, "assistant_cosign_from": "2026-02-30"})
    assert refused.status_code == 422
    shown = html_text.unescape(refused.text)
    assert "'2026-02-30' is not a date (YYYY-MM-DD)." in shown
    assert 'value="2026-02-30"' in shown
    saved = admin.post(form.action, data={"csrf_token": token, "assistant_cosign_from": "2026-01-01"})
    assert saved.status_code == 200  # followed to the settings page
    assert "The co-signature rule is saved." in saved.text
    assert 'value="2026-01-01"' in saved.text
    with app.state.ptbill.sessions() as session:
        clinic = session.scalars(select(ClinicRow).where(ClinicRow.name.like("Harbor%"))).one()
        assert clinic.assistant_cosign_from == DEMO_TODAY.replace(month=1, day=1)


def test_the_pt_cosigns_a_waiting_pta_note_from_the_list_and_its_page(app: FastAPI) -> None:
    test_the_admin_sets_the_states_rule_and_a_bad_date_comes_back_named(app)
    note_id = signed_pta_note(app, 1)
    pt_name = name_of(app, PT_EMAIL)
    pt = logged_in(app, PT_EMAIL)
    listing = html_text.unescape(pt.get("/notes").text)
    assert "To co-sign" in listing
    assert f'href="/notes/{note_id}#cosign"' in listing
    assert f"Waiting for co-signature by {pt_name}" in listing

    biller_page = html_text.unescape(logged_in(app, BILLER_EMAIL).get(f"/notes/{note_id}").text)
    assert "It waits for co-signature before it is billed" in biller_page
    assert f"/notes/{note_id}/cosign" not in biller_page  # no button for the biller

    page = pt.get(f"/notes/{note_id}")
    [form] = [f for f in forms_of(page.text) if f.action == f"/notes/{note_id}/cosign"]
    done = pt.post(form.action, data={"csrf_token": form.fields["csrf_token"][0]}, follow_redirects=False)
    assert done.status_code == 303
    assert done.headers["location"] == f"/notes/{note_id}#cosign"
    shown = html_text.unescape(pt.get(f"/notes/{note_id}").text)
    assert f"Co-signed by {pt_name} on" in shown
    assert "It is in the biller's queue." in shown
    assert f'href="/notes/{note_id}#cosign"' not in html_text.unescape(pt.get("/notes").text)

    again = pt.post(form.action, data={"csrf_token": form.fields["csrf_token"][0]})
    assert again.status_code == 409
    assert f"Not co-signed: encounter {note_id} was co-signed by {pt_name} a moment ago." in html_text.unescape(
        again.text
    )
    with app.state.ptbill.sessions() as session:
        row = session.get(EncounterRow, note_id)
        assert row is not None
        assert (row.cosigned_by_name, row.verdict) == (pt_name, "ready")


def api_client(app: FastAPI, email: str) -> TestClient:
    client = TestClient(app, raise_server_exceptions=False)
    token = client.post("/api/session", json={"email": email, "password": DEMO_PASSWORD}).json()["token"]
    client.headers["Authorization"] = f"Bearer {token}"
    return client


def test_the_api_cosigns_once_and_refuses_other_roles(app: FastAPI) -> None:
    test_the_admin_sets_the_states_rule_and_a_bad_date_comes_back_named(app)
    note_id = signed_pta_note(app, 2)
    waiting = api_client(app, BILLER_EMAIL).get(f"/api/encounters/{note_id}").json()
    assert waiting["verdict"] == "blocked"
    assert waiting["cosigned_at"] is None
    assert api_client(app, BILLER_EMAIL).post(f"/api/encounters/{note_id}/cosign").status_code == 403
    assert api_client(app, PTA_EMAIL).post(f"/api/encounters/{note_id}/cosign").status_code == 403
    pt = api_client(app, PT_EMAIL)
    done = pt.post(f"/api/encounters/{note_id}/cosign")
    assert done.status_code == 200
    body = done.json()
    assert (body["cosigned_by_name"], body["cosigned_version"], body["verdict"]) == (name_of(app, PT_EMAIL), 1, "ready")
    assert pt.post(f"/api/encounters/{note_id}/cosign").status_code == 409
    admin = api_client(app, ADMIN_EMAIL)
    assert admin.put("/api/clinic/cosign", json={"assistant_cosign_from": None}).json()["assistant_cosign_from"] is None
    assert pt.put("/api/clinic/cosign", json={"assistant_cosign_from": "2026-01-01"}).status_code == 403
    refused = admin.put("/api/clinic/cosign", json={"assistant_cosign_from": "1999-01-01"})
    assert refused.status_code == 422
    assert refused.json()["problems"] == ["body.assistant_cosign_from: A date of service between 2000 and 2100."]
