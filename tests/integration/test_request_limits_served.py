"""Request bodies of 200 MB against the app as it is served: uvicorn in its own process on a loopback
socket, the body streamed from a real client, the time to the answer and the server's peak memory measured.

Without a session every route refuses such a body within a second, whether it declares its length or
comes chunked; with a session it is cut off at the JSON limit, and an upload at the upload limit. The
server's peak resident memory (VmHWM) may not grow by more than 50 MB over the whole run.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from ptbill.services import access
from ptbill.services.demo_data import seed_demo
from ptbill.services.sessions import open_session, system_clock
from ptbill.storage.session import make_engine, session_factory, transaction
from ptbill.storage.tables import UserRow
from tests.demo_day import DEMO_TODAY
from tests.integration.served import served_app
from tests.migrated import migrate

BODY_BYTES = 200 * 1024 * 1024
CHUNK = b"7" * (64 * 1024)
SECRET = "request-limits-test-secret-" + "x" * 24
MAX_GROWTH_KB = 50 * 1024
THERAPIST, BILLER = "therapist1@harbor.example", "biller@harbor.example"
BOUNDARY = "limit-test"


@dataclass
class Served:
    base: str
    pid: int
    tokens: dict[str, str]  # email -> bearer token

    def peak_kb(self) -> int:
        """The server process's peak resident memory so far (VmHWM), in kB."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
        raise AssertionError("no VmHWM in /proc")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    directory = tmp_path_factory.mktemp("served")
    url = f"sqlite:///{directory / 'ptbill.sqlite3'}"
    migrate(url)
    engine = make_engine(url)
    with transaction(session_factory(engine)) as session:
        seed_demo(session, encounters=4, patients=2, today=DEMO_TODAY)
        users: dict[str, int] = dict(session.execute(select(UserRow.email, UserRow.id)).all())
        tokens = {}
        for email, user_id in users.items():
            actor = access.actor_for(session, user_id)
            assert actor is not None
            tokens[email] = open_session(session, actor, system_clock())
    engine.dispose()
    with served_app(url, directory, SECRET) as app:
        yield Served(app.base, app.process.pid, tokens)


@pytest.fixture(scope="module")
def baseline_kb(served: Served) -> int:
    """The server's peak memory once it has answered a page and a check (templates, rules loaded)."""
    headers = {"Authorization": f"Bearer {served.tokens[THERAPIST]}"}
    httpx.post(f"{served.base}/api/encounters/check", json={"id": "warm-up"}, headers=headers, timeout=30)
    httpx.get(f"{served.base}/login", timeout=30)
    return served.peak_kb()


def _body(multipart: bool) -> Iterator[bytes]:
    """200 MB; as a file in a well-formed multipart form when asked, so the form parser spools it."""
    if multipart:
        yield (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="fees.csv"\r\n'
            "Content-Type: text/csv\r\n\r\n"
        ).encode()
    for _ in range(BODY_BYTES // len(CHUNK)):
        yield CHUNK


def _post(
    url: str, content_type: str, declared: bool, headers: dict[str, str] | None = None, method: str = "POST"
) -> tuple[float, int, str]:
    """Stream about 200 MB to ``url``; the seconds until the answer, its status and its text."""
    sent = {"Content-Type": content_type, **(headers or {})}
    if declared:
        sent["Content-Length"] = str(BODY_BYTES)  # else httpx sends it chunked, with no length at all
    started = time.perf_counter()
    body = _body(content_type.startswith("multipart/"))
    response = httpx.request(method, url, content=body, headers=sent, timeout=60)
    return time.perf_counter() - started, response.status_code, response.text


ROUTES = [
    ("/api/encounters/check", "application/json"),
    ("/api/session", "application/json"),
    ("/api/payers/aetna/fee-schedule", f"multipart/form-data; boundary={BOUNDARY}"),
    ("/login", "application/x-www-form-urlencoded"),
    ("/notes", "application/x-www-form-urlencoded"),
    ("/no-such-page", "application/octet-stream"),
]


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "chunked"])
@pytest.mark.parametrize(("path", "content_type"), ROUTES)
def test_a_200_mb_body_without_a_session_is_refused_within_a_second(
    served: Served, baseline_kb: int, path: str, content_type: str, declared: bool
) -> None:
    seconds, status, text = _post(served.base + path, content_type, declared)
    assert status == 413, text[:300]
    assert "64 KiB" in text
    assert "without logging in" in text
    assert seconds < 1.0
    assert served.peak_kb() - baseline_kb <= MAX_GROWTH_KB


SIGNED_IN = [  # who sends, how, where, and the limit the refusal names
    (THERAPIST, "POST", "/api/encounters/check", "application/json", "a request body may be at most 1 MiB"),
    (
        BILLER,
        "PUT",
        "/api/payers/aetna/fee-schedule",
        f"multipart/form-data; boundary={BOUNDARY}",
        "an upload may be at most 32 MiB",
    ),
]


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "chunked"])
@pytest.mark.parametrize(("email", "method", "path", "content_type", "refusal"), SIGNED_IN, ids=["json", "upload"])
def test_a_200_mb_body_with_a_session_is_cut_off_at_its_kinds_limit(
    served: Served,
    baseline_kb: int,
    email: str,
    method: str,
    path: str,
    content_type: str,
    refusal: str,
    declared: bool,
) -> None:
    headers = {"Authorization": f"Bearer {served.tokens[email]}"}
    seconds, status, text = _post(served.base + path, content_type, declared, headers, method)
    assert status == 413, text[:300]
    assert refusal in text
    assert seconds < 2.0  # an upload's first 32 MiB are read and spooled before the cut
    assert served.peak_kb() - baseline_kb <= MAX_GROWTH_KB
