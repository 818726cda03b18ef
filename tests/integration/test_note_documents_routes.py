"""The note and episode PDFs through the app: the pages' links and addresses (``/notes/{id}/note.pdf``,
``/patients/{id}/episode.pdf``, the contract the browser journey uses) and their API twins; another clinic gets
404, a bad ``evaluation`` is named, and every export is in the audit log."""

from __future__ import annotations

import html
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from ptbill.server import create_app
from ptbill.services.access import Actor
from ptbill.services.sessions import open_session, system_clock
from ptbill.services.web_sessions import SESSION_COOKIE
from ptbill.settings import Settings
from ptbill.storage.session import make_engine, session_factory, transaction
from ptbill.storage.tables import AuditRow
from tests.integration.note_documents_world import EpisodeWorld, episode_world, flat
from tests.integration.test_storage_services import make_clinic
from tests.migrated import migrate


@dataclass
class Served:
    app: FastAPI
    world: EpisodeWorld
    tokens: dict[str, str]  # therapist, biller, other (a therapist of another clinic) -> session token

    def page(self, who: str) -> TestClient:
        client = TestClient(self.app, raise_server_exceptions=False)
        client.cookies.set(SESSION_COOKIE, self.tokens[who])
        return client

    def api(self, who: str) -> TestClient:
        headers = {"Authorization": f"Bearer {self.tokens[who]}"}
        return TestClient(self.app, raise_server_exceptions=False, headers=headers)

    def exports(self) -> int:
        with self.app.state.ptbill.sessions() as session:
            return session.scalar(select(func.count()).where(AuditRow.action == "export")) or 0


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    directory: Path = tmp_path_factory.mktemp("note-documents")
    url = f"sqlite:///{directory / 'ptbill.sqlite3'}"
    migrate(url)
    engine = make_engine(url)
    with transaction(session_factory(engine)) as session:
        world = episode_world(session, "harbor")
        other, _, _ = make_clinic(session, "mesa")
        actors: dict[str, Actor] = {"therapist": world.therapist, "biller": world.biller, "other": other}
        tokens = {who: open_session(session, actor, system_clock()) for who, actor in actors.items()}
    engine.dispose()
    app = create_app(Settings(url, directory, "note-documents-" + "n" * 32, secure_cookies=False))
    yield Served(app, world, tokens)
    app.state.ptbill.sessions.kw["bind"].dispose()


def test_the_note_page_links_its_pdf_and_the_chart_links_the_episode(served: Served) -> None:
    world, client = served.world, served.page("therapist")
    note = client.get(f"/notes/{world.episode[0]}")
    assert note.status_code == 200
    assert f'href="/notes/{world.episode[0]}/note.pdf">Note PDF</a>' in note.text
    draft = client.get(f"/notes/{world.after[1]}")
    assert f'href="/notes/{world.after[1]}/note.pdf">Note PDF (marked DRAFT)</a>' in html.unescape(draft.text)
    chart = client.get(f"/patients/{world.patient_id}")
    assert chart.status_code == 200
    assert f'href="/patients/{world.patient_id}/episode.pdf"' in chart.text
    assert ">Episode PDF</a>" in chart.text


def test_the_pages_serve_the_note_and_episode_pdfs_and_audit_each_export(served: Served) -> None:
    world, client = served.world, served.page("biller")
    before = served.exports()
    note = client.get(f"/notes/{world.episode[0]}/note.pdf")
    assert note.status_code == 200
    assert note.headers["content-type"] == "application/pdf"
    assert note.headers["content-disposition"] == f'inline; filename="note-{world.episode[0]}.pdf"'
    assert "enc-eval · version 1+0" in flat(note.content)
    episode = client.get(f"/patients/{world.patient_id}/episode.pdf", params={"evaluation": world.episode[0]})
    assert episode.status_code == 200
    text = flat(episode.content)
    assert "enc-discharge · version" in text
    assert "enc-eval-2" not in text
    latest = flat(client.get(f"/patients/{world.patient_id}/episode.pdf").content)
    assert "enc-eval-2 · version" in latest
    assert "enc-after-draft" not in latest
    drafts = flat(client.get(f"/patients/{world.patient_id}/episode.pdf", params={"drafts": "true"}).content)
    assert "DRAFT, NOT SIGNED · Daily treatment note · 06/03/2026" in drafts
    # one note; an episode of 7 notes (the patient and each note); the latest twice (1 note, then 2)
    assert served.exports() - before == 1 + 8 + 2 + 3


def test_another_clinic_gets_404_and_a_bad_evaluation_is_named(served: Served) -> None:
    world, other = served.world, served.page("other")
    assert other.get(f"/notes/{world.episode[0]}/note.pdf").status_code == 404
    assert other.get(f"/patients/{world.patient_id}/episode.pdf").status_code == 404
    mine = served.page("therapist")
    wrong = mine.get(f"/patients/{world.patient_id}/episode.pdf", params={"evaluation": world.episode[3]})
    assert wrong.status_code == 400
    assert f"no episode of this patient begins with note {world.episode[3]}" in html.unescape(wrong.text)
    assert mine.get(f"/patients/{world.patient_id}/episode.pdf", params={"evaluation": "x"}).status_code == 422
    assert mine.get("/notes/not-a-note/note.pdf").status_code == 404


def test_the_api_serves_the_same_pdfs(served: Served) -> None:
    world, api = served.world, served.api("biller")
    note = api.get(f"/api/encounters/{world.episode[5]}/note.pdf")
    assert note.status_code == 200
    assert note.headers["content-type"] == "application/pdf"
    assert note.headers["cache-control"] == "no-store"
    assert "Progress report" in flat(note.content)
    episode = api.get(f"/api/patients/{world.patient_id}/episode.pdf", params={"evaluation": world.before[0]})
    assert episode.status_code == 200
    assert "enc-before · version" in flat(episode.content)
    wrong = api.get(f"/api/patients/{world.patient_id}/episode.pdf", params={"evaluation": world.episode[1]})
    assert wrong.status_code == 422
    assert wrong.json()["problems"] == [
        f"query.evaluation: no episode of this patient begins with note {world.episode[1]} (give its initial "
        "evaluation)"
    ]
    other = served.api("other")
    assert other.get(f"/api/encounters/{world.episode[5]}/note.pdf").status_code == 404
    assert other.get(f"/api/patients/{world.patient_id}/episode.pdf").status_code == 404
    assert api.get("/api/encounters/0/note.pdf").status_code == 422
