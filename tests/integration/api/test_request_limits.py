"""Request body limits, in-process: JSON, forms and uploads each stop at their own limit, a request without
a session at a much smaller one, chunked bodies as well as declared ones; the refusal is a 413 with a
message, JSON under /api and a page elsewhere. A note itself stops at the reader's limit, named in the 422.

(The same limits against a served app, with 200 MB bodies, time and memory: test_request_limits_served.py.)
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ptbill.domain.encounter_json import MAX_NOTE_BYTES, TOO_LARGE
from ptbill.server import create_app
from ptbill.services.web_sessions import SESSION_COOKIE
from ptbill.settings import KIB, RequestLimits, Settings
from tests.integration.api.world import A_USERS, ApiClient, World, new_patient, note

SMALL = RequestLimits(json_bytes=8 * KIB, form_bytes=16 * KIB, upload_bytes=32 * KIB, anonymous_bytes=2 * KIB)


@pytest.fixture
def small(world: World, tmp_path: Path) -> Iterator[ApiClient]:
    """The world's database behind an app with small limits (same secret, so the world's tokens work)."""
    app = create_app(Settings(world.database_url, tmp_path, "test", secure_cookies=False, request_limits=SMALL))
    try:
        yield ApiClient(app)
    finally:
        app.state.ptbill.sessions.kw["bind"].dispose()


def bearer(world: World, role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {world.tokens[A_USERS[role]]}"}


def json_of(size: int) -> bytes:
    return b'{"id": "' + b"x" * (size - 10) + b'"}'


def csv_upload(size: int) -> dict[str, tuple[str, bytes, str]]:
    return {"file": ("fees.csv", b"code,amount,effective_from\n" + b"9" * size, "text/csv")}


def test_json_forms_and_uploads_each_stop_at_their_own_limit(world: World, small: ApiClient) -> None:
    therapist, biller = bearer(world, "therapist"), bearer(world, "biller")
    check = "/api/encounters/check"

    assert (
        small.post(
            check, content=json_of(7 * KIB), headers=therapist | {"Content-Type": "application/json"}
        ).status_code
        == 422
    )
    refused = small.post(check, content=json_of(9 * KIB), headers=therapist | {"Content-Type": "application/json"})
    assert refused.status_code == 413
    assert refused.json() == {"detail": "Too large: a request body may be at most 8 KiB."}

    small.cookies.set(SESSION_COOKIE, world.tokens[A_USERS["therapist"]])
    form = {"patient_id": "x", "services[0].clinical_justification": "y" * (12 * KIB)}
    assert small.post("/notes/check", data=form).status_code == 403  # past the limit, to the CSRF check
    form["services[0].clinical_justification"] = "y" * (20 * KIB)
    page = small.post("/notes/check", data=form)
    assert page.status_code == 413
    assert page.headers["content-type"].startswith("text/html")
    assert "a form may be at most 16 KiB" in page.text
    assert page.headers["cache-control"] == "no-store"  # still a page, with the pages' headers
    small.cookies.clear()

    fees = "/api/payers/medical-mutual/fee-schedule"
    assert small.put(fees, files=csv_upload(20 * KIB), headers=biller).status_code == 422  # read, then found bad
    upload = small.put(fees, files=csv_upload(40 * KIB), headers=biller)
    assert upload.status_code == 413
    assert upload.json()["detail"] == "Too large: an upload may be at most 32 KiB."


def test_without_a_session_any_body_stops_at_the_smaller_limit(world: World, small: ApiClient) -> None:
    login = {"email": A_USERS["therapist"], "password": "p" * (3 * KIB)}
    answer = small.post("/api/session", json=login)
    assert answer.status_code == 413
    assert answer.json()["detail"] == "Too large: a request body sent without logging in may be at most 2 KiB."

    forged_token = {"Authorization": "Bearer 7.x.y", "Content-Type": "application/json"}
    forged = small.post("/api/encounters/check", content=json_of(3 * KIB), headers=forged_token)
    assert forged.status_code == 413  # a token that does not verify is no session

    page = small.post("/login", data={"email": "x" * (3 * KIB), "password": "y"})
    assert page.status_code == 413
    assert "Log in first" in page.text
    assert "a form sent without logging in may be at most 2 KiB" in page.text

    assert small.post("/api/session", json={"email": A_USERS["therapist"], "password": "wrong"}).status_code == 401


def test_a_chunked_body_without_a_length_is_counted_as_it_streams(world: World, small: ApiClient) -> None:
    def chunks(count: int) -> Iterator[bytes]:
        yield b'{"id": "'
        for _ in range(count):
            yield b"x" * 1024
        yield b'"}'

    headers = bearer(world, "therapist") | {"Content-Type": "application/json"}
    refused = small.post("/api/encounters/check", content=chunks(12), headers=headers)
    assert refused.status_code == 413
    assert "8 KiB" in refused.json()["detail"]
    assert small.post("/api/encounters/check", content=chunks(4), headers=headers).status_code == 422
    anonymous = small.post("/no-such-page", content=chunks(4), headers={"Content-Type": "application/json"})
    assert anonymous.status_code == 413  # refused before any route, even one that does not exist


def test_a_note_over_the_note_limit_is_a_422_that_names_the_limit(world: World) -> None:
    therapist = world.client(A_USERS["therapist"])
    document = note()
    document["services"][0]["clinical_justification"] = "Radicular pain on sitting. " * (MAX_NOTE_BYTES // 20)
    checked = therapist.post("/api/encounters/check", json=document)
    assert checked.status_code == 422
    assert checked.json()["problems"] == [TOO_LARGE]
    saved = therapist.post("/api/encounters", json={"patient_id": new_patient(therapist), "document": document})
    assert saved.status_code == 422
    assert saved.json()["problems"] == [TOO_LARGE]
