"""The denial work item's forms (assign, note, status, follow-up) save before they redirect: the browser asks
for the page the redirect names as soon as the answer starts, so a change still waiting for the request's own
commit is missing from it (a note the biller just added, not on the page that says "Note added")."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from ptbill.storage.tables import DenialItemRow
from tests.integration.api.world import A_USERS, World, running_world
from tests.integration.page_forms import logged_in
from tests.integration.test_claim_page import csrf_of, denied_claim


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with running_world("sqlite", tmp_path_factory.mktemp("denial-item"), encounters=4, patients=2) as built:
        yield built


class Recorded:
    """The app, recording in one list when any session commits and when each answer starts."""

    def __init__(self, app: FastAPI) -> None:
        self.app, self.events = app, list[str]()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        async def sending(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                self.events.append(f"answer {message['status']}")
            await send(message)

        await self.app(scope, receive, sending)

    def committed(self, _session: Session) -> None:
        self.events.append("commit")


@pytest.fixture
def recorded(world: World) -> Iterator[Recorded]:
    app = Recorded(world.app)
    event.listen(Session, "after_commit", app.committed)
    yield app
    event.remove(Session, "after_commit", app.committed)


def test_each_change_to_a_work_item_is_saved_before_the_redirect_answers(world: World, recorded: Recorded) -> None:
    claim_id = denied_claim(world, "EFT-4410", "era-0410.835")
    biller = logged_in(world.app, A_USERS["biller"])
    assert biller.get("/denials").status_code == 200  # the worklist's first read makes the items
    with world.session() as session:
        item = session.scalar(select(DenialItemRow.id).where(DenialItemRow.claim_id == claim_id))
    assert item is not None
    page = biller.get(f"/denials/items/{item}")
    me = re.search(r'<option value="(\d+)"[^>]*>[^<]*\(me\)', page.text)
    assert me, "the assignee menu names the biller"
    client = TestClient(recorded, raise_server_exceptions=False)
    client.cookies = biller.cookies
    forms: list[tuple[str, dict[str, str]]] = [
        ("assign", {"assignee_id": me.group(1)}),
        ("notes", {"text": "Called the MAC: reference 55-1, they want the plan of care."}),
        ("follow-up", {"follow_up": "2026-05-01"}),
        ("status", {"status": "appealed"}),
    ]
    for path, form in forms:
        html = client.get(f"/denials/items/{item}").text
        status = re.search(r'name="expected_status" value="([^"]*)"', html)
        assert status, "the forms carry the status they were drawn at"
        fields = {**form, "csrf_token": csrf_of(html), "expected_status": status.group(1)}
        recorded.events.clear()
        answer = client.post(f"/denials/items/{item}/{path}", data=fields, follow_redirects=False)
        assert answer.status_code == 303, (path, answer.text[:300])
        assert "commit" in recorded.events, path
        assert recorded.events.index("commit") < recorded.events.index("answer 303"), (path, recorded.events)
    text = client.get(f"/denials/items/{item}").text
    assert "reference 55-1" in text
    assert "Appealed" in text
