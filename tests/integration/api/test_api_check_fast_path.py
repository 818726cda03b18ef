"""`POST /api/encounters/check` answers a JSON object sent as plain `application/json` without FastAPI's dependency
solving (`encounters._CheckRoute`); any other request goes FastAPI's way. A `+json` content type, which FastAPI
reads the same, takes FastAPI's way, so each request here is sent both ways and must get the same status, body
bytes and headers, and write the same audit rows (or none)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import func, select, update

from ptbill.storage.tables import AuditRow, UserRow
from tests.integration.api.world import A_USERS, PASSWORD, ApiClient, World, new_patient, note

FAST = "application/json"
DECLARED = "application/vnd.ptbill+json"  # read as JSON by FastAPI, not taken by the fast path
CHECK = "/api/encounters/check"
VARYING = {"date", "content-length"}


def audit_count(world: World) -> int:
    with world.session() as session:
        return int(session.scalar(select(func.count()).select_from(AuditRow)) or 0)


def answered(client: ApiClient, body: bytes, content_type: str, **headers: str) -> tuple[int, bytes, dict[str, str]]:
    response = client.post(CHECK, content=body, headers={"Content-Type": content_type, **headers})
    kept = {name: value for name, value in response.headers.items() if name not in VARYING}
    return response.status_code, response.content, kept


def both_ways(world: World, send: Callable[[str], tuple[int, bytes, dict[str, str]]]) -> tuple[Any, ...]:
    """The answer and audit rows written of ``send`` by the fast path, which must equal FastAPI's."""
    before = audit_count(world)
    fast = send(FAST)
    fast_audits = audit_count(world) - before
    declared = send(DECLARED)
    declared_audits = audit_count(world) - before - fast_audits
    assert fast == declared
    assert fast_audits == declared_audits
    return (*fast, fast_audits)


def test_a_note_is_answered_and_audited_alike(world: World) -> None:
    client = world.client(A_USERS["therapist"])
    chart_patient = new_patient(client)
    chart = client.get(f"/api/patients/{chart_patient}").json()["chart_number"]
    saved = note(patient={**note()["patient"], "id": chart})
    made = client.post("/api/encounters", json={"document": saved, "patient_id": chart_patient})
    assert made.status_code == 201, made.text
    checked = json.dumps(note(patient=saved["patient"])).encode()  # the same patient and day: its lines are read

    status, body, headers, audits = both_ways(world, lambda kind: answered(client, checked, kind))

    assert status == 200
    assert json.loads(body)["verdict"]
    assert headers["content-type"] == "application/json"
    assert headers["cache-control"] == "no-store"
    assert audits >= 1  # the same-day note read for the check


@pytest.mark.parametrize(
    ("body", "status", "detail"),
    [
        (b"[1, 2]", 422, "the request is not valid"),
        (b'{"id": ', 422, "the request is not valid"),
        (b"", 422, "the request is not valid"),
        (b'{"id": "x"}', 422, "the note does not follow encounter format 1"),
        (b'{"id": 1e999}', 422, "the request is not valid"),
    ],
    ids=["a list", "malformed JSON", "no body", "not a note", "infinity"],
)
def test_a_refused_body_is_worded_alike(world: World, body: bytes, status: int, detail: str) -> None:
    client = world.client(A_USERS["therapist"])
    got_status, got_body, _, audits = both_ways(world, lambda kind: answered(client, body, kind))
    assert (got_status, json.loads(got_body)["detail"]) == (status, detail)
    assert audits == 0


def test_without_a_live_session_it_is_401_alike(world: World) -> None:
    body = json.dumps(note()).encode()
    for client in (world.client(), ApiClient(world.app, headers={"Authorization": "Bearer not-a-token"})):
        status, answer, headers, _ = both_ways(world, lambda kind, c=client: answered(c, body, kind))
        assert (status, json.loads(answer)["detail"]) == (401, "log in first")
        assert headers["www-authenticate"] == "Bearer"


def test_a_cookie_check_needs_the_csrf_header_alike(world: World) -> None:
    client = world.client()
    csrf = client.post("/api/session", json={"email": A_USERS["biller"], "password": PASSWORD}).json()["csrf_token"]
    body = json.dumps(note()).encode()

    status, answer, _, _ = both_ways(world, lambda kind: answered(client, body, kind))
    assert status == 403
    assert "X-CSRF-Token" in json.loads(answer)["detail"]
    status, _, _, _ = both_ways(world, lambda kind: answered(client, body, kind, **{"X-CSRF-Token": "wrong"}))
    assert status == 403
    status, _, _, _ = both_ways(world, lambda kind: answered(client, body, kind, **{"X-CSRF-Token": csrf}))
    assert status == 200


@pytest.fixture
def temporary_password(world: World) -> Iterator[str]:
    """The PTA's account with a temporary password (an admin's reset), for one test."""
    email = A_USERS["pta"]
    with world.session() as session, session.begin():
        session.execute(update(UserRow).where(UserRow.email == email).values(password_must_change=True))
    try:
        yield email
    finally:
        with world.session() as session, session.begin():
            session.execute(update(UserRow).where(UserRow.email == email).values(password_must_change=False))


def test_a_temporary_password_is_refused_alike(world: World, temporary_password: str) -> None:
    client = world.client(temporary_password)
    body = json.dumps(note(id=f"tmp-{uuid.uuid4().hex[:8]}")).encode()
    status, answer, _, audits = both_ways(world, lambda kind: answered(client, body, kind))
    assert status == 403
    assert "temporary password" in json.loads(answer)["detail"]
    assert audits == 0


def test_plain_json_takes_the_fast_path_and_other_json_types_fastapis(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the tests above compare: the fast path calls deps._logged_in by its module name, FastAPI by the
    reference it kept when the route was declared."""
    from ptbill.api import deps

    calls: list[str] = []
    logged_in = deps._logged_in

    async def counted(*args: Any) -> Any:
        calls.append("fast")
        return await logged_in(*args)

    monkeypatch.setattr(deps, "_logged_in", counted)
    client = world.client(A_USERS["therapist"])
    body = json.dumps(note()).encode()
    assert answered(client, body, FAST)[0] == 200
    assert calls == ["fast"]
    assert answered(client, body, DECLARED)[0] == 200
    assert answered(client, body, "application/json; charset=UTF-8")[0] == 200
    assert calls == ["fast", "fast"]
