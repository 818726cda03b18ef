"""The note page keeps what was typed as a draft (SQLite and PostgreSQL, the app in process): autosave stores it,
the page fills the form with it again, the notes list links to it, and discarding it is one click. Every save
commits the form as the draft first, so a check that raises or a save the database refuses (a 500) leaves the
draft, and the page restores it; a save that goes through removes it. A signed note takes no draft."""

from __future__ import annotations

import html as html_text
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text, update

from ptbill.server import create_app
from ptbill.services import notes as notes_service
from ptbill.services.demo_data import seed_demo
from ptbill.settings import Settings
from ptbill.storage.session import make_engine, session_factory, transaction
from ptbill.storage.tables import AuditRow, EncounterRow, NoteDraftRow
from tests.demo_day import DEMO_TODAY
from tests.integration.api.world import fresh_database
from tests.integration.page_forms import Form, forms_of, logged_in
from tests.integration.test_note_form_refusals import TYPED

THERAPIST = "therapist1@harbor.example"
PATIENT = 3


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def app(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    directory: Path = tmp_path_factory.mktemp(f"drafts-page-{request.param}")
    with fresh_database(request.param, directory) as url:
        engine = make_engine(url)
        with transaction(session_factory(engine)) as session:
            seed_demo(session, encounters=12, patients=6, today=DEMO_TODAY)
        engine.dispose()
        app = create_app(Settings(url, directory, "drafts-page-" + "z" * 32, secure_cookies=False))
        yield app
        app.state.ptbill.sessions.kw["bind"].dispose()


@pytest.fixture
def therapist(app: FastAPI) -> TestClient:
    return logged_in(app, THERAPIST)


def _note_form(page: str) -> Form:
    return next(
        form
        for form in forms_of(page)
        if form.method == "post" and (form.action == "/notes" or re.fullmatch(r"/notes/\d+", form.action))
    )


def _shown(page: str) -> dict[str, str]:
    return {name: values[0] if values else "" for name, values in _note_form(page).fields.items()}


def _typed(client: TestClient, day: str) -> dict[str, str]:
    """A new note's page for the patient on ``day``, and the visit typed into it."""
    page = client.get(f"/notes/new?patient_id={PATIENT}&date_of_service={day}")
    assert page.status_code == 200
    shown = _shown(page.text)
    assert shown["draft_key"] == f"new-{PATIENT}-{day}"
    return {**shown, **TYPED, "date_of_service": day, "action": "save"}


def _draft(app: FastAPI, key: str) -> NoteDraftRow | None:
    with app.state.ptbill.sessions() as session:
        return session.scalar(select(NoteDraftRow).where(NoteDraftRow.draft_key == key))


def _notes_of_day(app: FastAPI, day: str) -> int:
    with app.state.ptbill.sessions() as session:
        return (
            session.scalar(
                select(func.count())
                .select_from(EncounterRow)
                .where(EncounterRow.patient_id == PATIENT, EncounterRow.date_of_service == date.fromisoformat(day))
            )
            or 0
        )


def _unescaped(page: Any) -> str:
    return html_text.unescape(page.text)


def test_autosave_keeps_the_form_the_page_restores_it_and_discard_throws_it_away(
    app: FastAPI, therapist: TestClient
) -> None:
    day = "2026-11-16"
    typed = _typed(therapist, day)
    key = typed["draft_key"]
    answer = therapist.post("/notes/drafts", data=typed)
    assert answer.status_code == 200, answer.text
    row = _draft(app, key)
    assert row is not None
    moment = row.saved_at if row.saved_at.tzinfo else row.saved_at.replace(tzinfo=ZoneInfo("UTC"))
    assert answer.json()["saved"] == f"{moment.astimezone(ZoneInfo('America/Los_Angeles')):%H:%M}"  # the clinic's
    assert row.form["services[0].traction.force_lbs"] == "65"
    assert "csrf_token" not in row.form

    again = therapist.get(f"/notes/new?patient_id={PATIENT}&date_of_service={day}")
    shown = _unescaped(again)
    assert "were restored." in shown
    assert "Discard them" in shown
    assert f"Draft saved {answer.json()['saved']}" in shown
    for name, value in typed.items():
        if name not in ("action", "csrf_token"):
            assert _shown(again.text).get(name) == value, name

    listed = _unescaped(therapist.get("/notes"))
    assert "Unsaved changes" in listed
    assert f'href="/notes/new?patient_id={PATIENT}&date_of_service={day}"' in listed
    assert _unescaped(logged_in(app, "therapist2@harbor.example").get("/notes")).count("Unsaved changes") == 0

    discarded = therapist.post(
        "/notes/drafts/discard", data={"csrf_token": typed["csrf_token"], "draft_key": key}, follow_redirects=False
    )
    assert discarded.status_code == 303
    assert discarded.headers["location"] == f"/notes/new?patient_id={PATIENT}&date_of_service={day}&draft=discarded"
    assert _draft(app, key) is None
    fresh = therapist.get(discarded.headers["location"])
    assert "The unsaved changes were discarded." in _unescaped(fresh)
    assert _shown(fresh.text).get("services[0].patient_response", "") == ""
    with app.state.ptbill.sessions() as session:
        actions = session.scalars(
            select(AuditRow.action).where(AuditRow.entity == "note_draft", AuditRow.entity_id == str(row.id))
        ).all()
    assert actions == ["create", "restore", "discard"]


def test_a_save_whose_check_raises_leaves_the_draft(
    app: FastAPI, therapist: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    day = "2026-11-17"
    typed = _typed(therapist, day)

    def broken_check(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("a rule crashed")

    monkeypatch.setattr(notes_service, "check_for_clinic", broken_check)
    failed = therapist.post("/notes", data=typed, follow_redirects=False)
    assert failed.status_code == 500
    monkeypatch.undo()
    row = _draft(app, typed["draft_key"])
    assert row is not None
    assert row.form["services[0].patient_response"] == TYPED["services[0].patient_response"]
    assert _notes_of_day(app, day) == 0
    restored = therapist.get(f"/notes/new?patient_id={PATIENT}&date_of_service={day}")
    assert "were restored." in _unescaped(restored)
    assert _shown(restored.text)["services[0].clinical_justification"] == TYPED["services[0].clinical_justification"]

    saved = therapist.post("/notes", data={**_shown(restored.text), "action": "save"}, follow_redirects=False)
    assert saved.status_code == 303, saved.text[:400]
    assert _draft(app, typed["draft_key"]) is None  # the note holds it now
    assert _notes_of_day(app, day) == 1
    with app.state.ptbill.sessions() as session:
        consumed = session.scalars(
            select(AuditRow.detail).where(AuditRow.entity == "note_draft", AuditRow.action == "consume")
        ).all()
    note_id = saved.headers["location"].split("/")[2].split("?")[0]
    assert any(detail and detail.endswith(f"saved as note {note_id} v1") for detail in consumed)


def _refuse_checks(app: FastAPI, on: bool) -> None:
    """A trigger that makes the database refuse every check row: a save that fails inside its transaction."""
    with app.state.ptbill.sessions() as session:
        if session.get_bind().dialect.name == "sqlite":
            session.execute(
                text(
                    "CREATE TRIGGER refuse_checks BEFORE INSERT ON encounter_checks "
                    "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"
                )
                if on
                else text("DROP TRIGGER refuse_checks")
            )
        elif on:
            session.execute(
                text(
                    "CREATE FUNCTION refuse_checks() RETURNS trigger LANGUAGE plpgsql AS "
                    "$$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$"
                )
            )
            session.execute(
                text(
                    "CREATE TRIGGER refuse_checks BEFORE INSERT ON encounter_checks "
                    "FOR EACH ROW EXECUTE FUNCTION refuse_checks()"
                )
            )
        else:
            session.execute(text("DROP TRIGGER refuse_checks ON encounter_checks"))
            session.execute(text("DROP FUNCTION refuse_checks()"))
        session.commit()


def test_a_save_the_database_refuses_leaves_the_draft_of_a_stored_note(app: FastAPI, therapist: TestClient) -> None:
    day = "2026-11-18"
    first = therapist.post("/notes", data=_typed(therapist, day), follow_redirects=False)
    assert first.status_code == 303
    note_id = int(first.headers["location"].split("/")[2].split("?")[0])
    page = therapist.get(f"/notes/{note_id}")
    changed = {**_shown(page.text), "services[0].patient_response": "Leg pain 1/10 after.", "action": "save"}
    assert changed["draft_key"] == f"note-{note_id}"

    _refuse_checks(app, True)
    try:
        failed = therapist.post(f"/notes/{note_id}", data=changed, follow_redirects=False)
    finally:
        _refuse_checks(app, False)
    assert failed.status_code == 500
    with app.state.ptbill.sessions() as session:
        note = session.get(EncounterRow, note_id)
        assert note is not None
        assert note.version == 1  # the save was rolled back whole
    row = _draft(app, f"note-{note_id}")
    assert row is not None
    assert row.encounter_id == note_id
    assert row.form["services[0].patient_response"] == "Leg pain 1/10 after."

    reopened = therapist.get(f"/notes/{note_id}")
    assert "were restored." in _unescaped(reopened)
    assert _shown(reopened.text)["services[0].patient_response"] == "Leg pain 1/10 after."
    saved = therapist.post(
        f"/notes/{note_id}", data={**_shown(reopened.text), "action": "save"}, follow_redirects=False
    )
    assert saved.status_code == 303
    assert _draft(app, f"note-{note_id}") is None


def test_a_draft_older_than_the_note_is_offered_and_a_signed_note_takes_none(
    app: FastAPI, therapist: TestClient
) -> None:
    day = "2026-11-19"
    first = therapist.post("/notes", data=_typed(therapist, day), follow_redirects=False)
    note_id = int(first.headers["location"].split("/")[2].split("?")[0])
    fields = _shown(therapist.get(f"/notes/{note_id}").text)
    assert therapist.post("/notes/drafts", data={**fields, "assessment": "Typed, not saved."}).status_code == 200
    with app.state.ptbill.sessions() as session:  # someone saved the note after that typing
        draft = session.scalars(select(NoteDraftRow).where(NoteDraftRow.draft_key == f"note-{note_id}")).one()
        later = draft.saved_at.replace(year=draft.saved_at.year + 1)
        session.execute(update(EncounterRow).where(EncounterRow.id == note_id).values(updated_at=later))
        session.commit()
    offered = therapist.get(f"/notes/{note_id}")
    assert "You have unsaved changes from" in _unescaped(offered)
    assert _shown(offered.text).get("assessment", "") == ""  # offered, not filled in
    restored = therapist.get(f"/notes/{note_id}?draft=restore")
    assert _shown(restored.text)["assessment"] == "Typed, not saved."

    with app.state.ptbill.sessions() as session:  # signed elsewhere, the draft still on file
        session.execute(update(EncounterRow).where(EncounterRow.id == note_id).values(status="signed"))
        session.commit()
    beside = _unescaped(therapist.get(f"/notes/{note_id}"))
    assert "the note was signed since" in beside
    assert "Typed, not saved." in beside  # listed for an addendum, not filled into the signed note
    assert 'data-autosave="off"' in beside
    refused = therapist.post("/notes/drafts", data={**fields, "assessment": "After signing."})
    assert refused.status_code == 409
    assert "addendum" in refused.json()["detail"]
    kept = _draft(app, f"note-{note_id}")
    assert kept is not None
    assert kept.form["assessment"] == "Typed, not saved."  # unchanged by the refused autosave
    biller = logged_in(app, "biller@harbor.example")
    token = re.search(r'name="csrf_token" value="([^"]+)"', biller.get("/notes").text)
    assert token is not None
    new_key = f"new-{PATIENT}-2026-11-20"
    refused = biller.post("/notes/drafts", data={**fields, "csrf_token": token.group(1), "draft_key": new_key})
    assert refused.status_code == 403  # billers read notes; they do not write them
    assert _draft(app, new_key) is None
