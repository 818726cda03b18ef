"""The note page's addenda: a signed note shows its addenda and a form to add one; a blank reason comes back
with the text kept and the field named; a biller reads addenda but is given no form."""

from __future__ import annotations

import html as html_text
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy import select

from ptbill.server import create_app
from ptbill.services.demo_data import seed_demo
from ptbill.settings import Settings
from ptbill.storage.session import make_engine, session_factory, transaction
from ptbill.storage.tables import AuditRow, EncounterRow, NoteAddendumRow, UserRow
from tests.demo_day import DEMO_TODAY
from tests.integration.page_forms import forms_of, logged_in
from tests.migrated import migrate


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    directory: Path = tmp_path_factory.mktemp("addenda-page")
    url = f"sqlite:///{directory / 'ptbill.sqlite3'}"
    migrate(url)
    engine = make_engine(url)
    with transaction(session_factory(engine)) as session:
        seed_demo(session, encounters=8, patients=4, today=DEMO_TODAY)
    engine.dispose()
    app = create_app(Settings(url, directory, "addenda-page-" + "z" * 32, secure_cookies=False))
    yield app
    app.state.ptbill.sessions.kw["bind"].dispose()


def signed_note_of(app: FastAPI, email: str) -> int:
    with app.state.ptbill.sessions() as session:
        user = session.scalars(select(UserRow).where(UserRow.email == email)).one()
        found = session.scalar(
            select(EncounterRow.id)
            .where(EncounterRow.therapist_user_id == user.id, EncounterRow.status != "draft")
            .order_by(EncounterRow.id)
        )
    assert found is not None
    return found


def test_a_therapist_adds_an_addendum_to_a_signed_note_from_its_page(app: FastAPI) -> None:
    email = "therapist1@harbor.example"
    client, note_id = logged_in(app, email), signed_note_of(app, email)
    page = client.get(f"/notes/{note_id}")
    assert page.status_code == 200
    assert "No addenda." in page.text
    [form] = [f for f in forms_of(page.text) if f.action == f"/notes/{note_id}/addenda"]
    token = form.fields["csrf_token"][0]

    blank = client.post(form.action, data={"csrf_token": token, "reason": " ", "text": "HEP reviewed, 3 exercises."})
    assert blank.status_code == 422
    assert "Reason: required" in html_text.unescape(blank.text)
    assert "HEP reviewed, 3 exercises." in html_text.unescape(blank.text)  # what was typed is kept

    done = client.post(
        form.action,
        data={"csrf_token": token, "reason": "Late entry", "text": "HEP reviewed, 3 exercises."},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert done.headers["location"] == f"/notes/{note_id}?outcome=amended#addenda"
    shown = html_text.unescape(client.get(done.headers["location"]).text)
    assert "Addendum added." in shown
    assert "Addendum 1" in shown
    assert "Late entry" in shown
    assert "HEP reviewed, 3 exercises." in shown
    with app.state.ptbill.sessions() as session:
        [row] = session.scalars(select(NoteAddendumRow).where(NoteAddendumRow.encounter_id == note_id)).all()
        assert row.reason == "Late entry"
        details = session.scalars(
            select(AuditRow.detail).where(AuditRow.action == "addendum", AuditRow.entity_id == str(note_id))
        ).all()
        assert details == [f"addendum 1 (id {row.id})"]


def test_a_biller_reads_the_addenda_without_a_form(app: FastAPI) -> None:
    note_id = signed_note_of(app, "therapist1@harbor.example")
    page = logged_in(app, "biller@harbor.example").get(f"/notes/{note_id}")
    assert page.status_code == 200
    assert 'id="addenda"' in page.text
    assert not [f for f in forms_of(page.text) if f.action.endswith("/addenda")]
