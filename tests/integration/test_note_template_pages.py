"""Note templates on the pages (the real app, SQLite): a new note lists the templates of its diagnoses first and
learns what a template fills (empty inputs only); "Save as template" from a note shows what it keeps and saves
it; the templates page renames and deletes, keeping what was typed when it refuses; billers are not let in."""

from __future__ import annotations

import html as html_text
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from ptbill.server import create_app
from ptbill.services import patients, users
from ptbill.services.demo_data import DEMO_PASSWORD, seed_demo
from ptbill.settings import Settings
from ptbill.storage.session import make_engine, session_factory, transaction
from ptbill.storage.tables import EncounterRow, NoteTemplateRow, PatientRow, UserRow
from tests.demo_day import DEMO_TODAY
from tests.integration.page_forms import forms_of, logged_in
from tests.migrated import migrate

T = "services[0].traction."
THERAPIST = "therapist1@harbor.example"


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    directory: Path = tmp_path_factory.mktemp("template-pages")
    url = f"sqlite:///{directory / 'ptbill.sqlite3'}"
    migrate(url)
    engine = make_engine(url)
    with transaction(session_factory(engine)) as session:
        seed_demo(session, encounters=8, patients=4, today=DEMO_TODAY)
        admin = users.authenticate(session, "admin@harbor.example", DEMO_PASSWORD)
        assert admin is not None
        first_visit = {"chart_number": "HPT-9100", "first_name": "Ines", "last_name": "Okafor", "sex": "F"}
        made = patients.create_patient(session, admin, first_visit | {"birth_date": DEMO_TODAY.replace(year=1960)})
        patients.add_coverage(session, admin, made.id, {"payer_id": "ca-medicare-south", "member_id": "7QX2LM5KT83"})
    engine.dispose()
    app = create_app(Settings(url, directory, "template-pages-" + "t" * 32, secure_cookies=False))
    yield app
    app.state.ptbill.sessions.kw["bind"].dispose()


def new_patient(app: FastAPI) -> int:
    with app.state.ptbill.sessions() as session:
        found = session.scalar(select(PatientRow.id).where(PatientRow.chart_number == "HPT-9100"))
    assert found is not None
    return found


def note_form_fields(app: FastAPI, note_type: str) -> tuple[TestClient, dict[str, str]]:
    """A therapist's new note for the patient with no earlier visit: the client and the form as a browser sends it."""
    client = logged_in(app, THERAPIST)
    page = client.get(f"/notes/new?patient_id={new_patient(app)}&date_of_service={DEMO_TODAY}&note_type={note_type}")
    assert page.status_code == 200
    assert "data-template-picker" in page.text
    assert "Start from template" in page.text
    [form] = [f for f in forms_of(page.text) if f.action == "/notes"]
    fields = {name: values[-1] if values else "" for name, values in form.fields.items()}
    for radios in (T + "device_type", T + "mode"):  # no radio of these is checked: a browser sends neither
        assert f'name="{radios}" value="{fields.pop(radios)}" checked' not in page.text
    return client, fields


def test_a_new_note_lists_the_templates_of_its_diagnoses_first(app: FastAPI) -> None:
    client, fields = note_form_fields(app, "initial_evaluation")
    assert "template" in fields  # the choice travels with the note form (ignored by the check and the save)
    cervical = client.post("/notes/templates/choices", data=fields | {"diagnoses[0]": "M50.122"})
    assert cervical.status_code == 200
    listed = cervical.json()
    assert [(c["name"], c["why"]) for c in listed["matching"]] == [("Cervical radiculopathy", "M50.122")]
    assert {c["name"] for c in listed["other"]} >= {"Lumbar radiculopathy", "Lumbar spinal stenosis"}
    by_region = client.post("/notes/templates/choices", data=fields | {T + "body_region": "lumbar"}).json()
    assert [c["name"] for c in by_region["matching"]] == ["Lumbar radiculopathy", "Lumbar spinal stenosis"]
    assert {c["why"] for c in by_region["matching"]} == {"lumbar"}
    forged = client.post("/notes/templates/choices", data=fields | {"csrf_token": "forged"})
    assert forged.status_code == 403


def test_applying_answers_with_the_empty_inputs_only(app: FastAPI) -> None:
    client, fields = note_form_fields(app, "initial_evaluation")
    typed = fields | {T + "angle_deg": "5", "flowsheet[0].exercise": "Bird dog", "assessment": "My words."}
    answer = client.post("/notes/templates/apply", data=typed | {"template": "ptbill:lumbar-radiculopathy"})
    assert answer.status_code == 200
    result = answer.json()
    assert result["template"] == "Lumbar radiculopathy"
    values = result["values"]
    assert T + "angle_deg" not in values
    assert "assessment" not in values
    assert "flowsheet[0].exercise" not in values
    assert values[T + "device_type"] == "motorized_table"
    assert values["flowsheet[1].exercise"] == "Prone press-up"
    assert values["goals[0].description"].startswith("Sit ___ minutes")
    assert not any("force" in name or name.endswith(("start_time", "end_time", "patient_response")) for name in values)
    assert result["kept"] == 3
    daily = client.post(
        "/notes/templates/apply", data=fields | {"note_type": "daily_note", "template": "ptbill:lumbar-stenosis"}
    )
    assert daily.json()["left_out"] == [
        "goals, assessment and plan (an evaluation writes them)",
        "outcome measures (scored on evaluations and progress reports)",
    ]
    for unknown in ("ptbill:nope", "clinic:0", "clinic:99999999999999", "", "x" * 5000, "clinic:٣"):
        refused = client.post("/notes/templates/apply", data=fields | {"template": unknown})
        assert refused.status_code == 404, unknown


def test_save_as_template_shows_what_it_keeps_and_saves_it(app: FastAPI) -> None:
    client = logged_in(app, THERAPIST)
    with app.state.ptbill.sessions() as session:
        user = session.scalars(select(UserRow).where(UserRow.email == THERAPIST)).one()
        note = session.scalars(
            select(EncounterRow).where(EncounterRow.therapist_user_id == user.id).order_by(EncounterRow.id)
        ).first()
        assert note is not None
        patient = session.get(PatientRow, note.patient_id)
        assert patient is not None
        note_id, last_name = note.id, patient.last_name
    assert f'href="/notes/templates/new?note={note_id}"' in client.get(f"/notes/{note_id}").text
    page = client.get(f"/notes/templates/new?note={note_id}")
    assert page.status_code == 200
    shown = html_text.unescape(page.text)
    assert "What the template keeps" in shown
    assert "force set for each patient" in shown
    assert last_name not in shown  # the page is about the set-up, not the patient
    [form] = [f for f in forms_of(page.text) if f.action == "/notes/templates"]
    fields = {name: values[-1] for name, values in form.fields.items()}
    assert fields["note"] == str(note_id)
    assert fields["diagnoses"]  # suggested from the note's diagnoses

    blank = client.post("/notes/templates", data=fields | {"name": " ", "diagnoses": "M54.1, M5"})
    assert blank.status_code == 422
    refused = html_text.unescape(blank.text)
    assert "Name: required" in refused
    assert "Diagnoses: not an ICD-10-CM code or the start of one: M5" in refused
    assert 'value="M54.1, M5"' in refused  # what was typed is kept

    saved = client.post("/notes/templates", data=fields | {"name": "Harbor lumbar"}, follow_redirects=False)
    assert saved.status_code == 303
    assert saved.headers["location"].startswith("/notes/templates?done=saved#template-")
    listing = html_text.unescape(client.get(saved.headers["location"]).text)
    assert "Template saved." in listing
    assert "Harbor lumbar" in listing
    with app.state.ptbill.sessions() as session:
        row = session.scalars(select(NoteTemplateRow).where(NoteTemplateRow.name == "Harbor lumbar")).one()
        assert last_name not in json.dumps(row.content)
        assert "force_lbs" not in json.dumps(row.content)


def test_the_templates_page_renames_and_deletes_and_keeps_a_refused_name(app: FastAPI) -> None:
    client = logged_in(app, THERAPIST)
    with app.state.ptbill.sessions() as session:
        note_id = session.scalars(select(EncounterRow.id).order_by(EncounterRow.id)).first()
    for name in ("Keep me", "Rename me"):
        page = client.get(f"/notes/templates/new?note={note_id}")
        [form] = [f for f in forms_of(page.text) if f.action == "/notes/templates"]
        data = {key: values[-1] for key, values in form.fields.items()} | {"name": name}
        assert client.post("/notes/templates", data=data, follow_redirects=False).status_code == 303
    listing = client.get("/notes/templates")
    forms = {f.action: f for f in forms_of(listing.text)}
    with app.state.ptbill.sessions() as session:
        target = session.scalars(select(NoteTemplateRow.id).where(NoteTemplateRow.name == "Rename me")).one()
    rename = forms[f"/notes/templates/{target}/rename"]
    token = rename.fields["csrf_token"][0]
    clash = client.post(rename.action, data={"csrf_token": token, "name": "keep ME"})
    assert clash.status_code == 422
    assert "the clinic already has a template named &#39;keep ME&#39;" in clash.text
    assert 'value="keep ME"' in clash.text  # the name typed stays in its input
    done = client.post(rename.action, data={"csrf_token": token, "name": "Renamed"}, follow_redirects=False)
    assert done.status_code == 303
    assert "Renamed" in client.get("/notes/templates").text
    gone = client.post(f"/notes/templates/{target}/delete", data={"csrf_token": token}, follow_redirects=False)
    assert gone.status_code == 303
    assert "Renamed" not in client.get("/notes/templates").text
    assert client.post(f"/notes/templates/{target}/delete", data={"csrf_token": token}).status_code == 404


def test_a_biller_manages_no_templates_and_a_pta_only_reads_them(app: FastAPI) -> None:
    biller = logged_in(app, "biller@harbor.example")
    assert biller.get("/notes/templates").status_code == 403
    assert biller.get("/notes/templates/new?note=1").status_code == 403
    with app.state.ptbill.sessions() as session:
        pta = session.scalars(select(UserRow.email).where(UserRow.role == "pta")).first()
    if pta is None:
        pytest.skip("the demo clinic has no PTA")
    assistant = logged_in(app, pta)
    page = assistant.get("/notes/templates")
    assert page.status_code == 200
    assert not [f for f in forms_of(page.text) if f.action.endswith(("/rename", "/delete"))]
    assert assistant.get("/notes/templates/new?note=1").status_code == 403
