"""The first-run set-up page: on an empty database, the person holding the token `ptbill serve` printed
creates the clinic and its first admin in the browser; fields are checked and named, what was typed is
kept, nothing is written when anything is refused, and the token works once."""

from __future__ import annotations

import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from ptbill.server import create_app
from ptbill.services.clinic_setup import SETUP_TOKEN_FILE, issue_setup_token
from ptbill.settings import Settings
from ptbill.storage.session import make_engine, session_factory
from ptbill.storage.tables import AuditRow, ClinicRow, UserRow
from tests.hostile import HOSTILE_TEXT
from tests.integration.api.world import fresh_database

PASSWORD = "granite-harbor-lantern-42"
GOOD = {
    "clinic_name": "Cedar Ridge Physical Therapy",
    "npi": "1245319599",
    "tax_id": "12-3456789",
    "address_line1": "100 Main St",
    "city": "Portland",
    "state": "or",
    "zip": "97201",
    "admin_name": "Robin Admin",
    "admin_email": "robin@cedar.example",
    "password": PASSWORD,
    "password_again": PASSWORD,
}


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    with fresh_database(request.param, tmp_path) as url:
        yield url, tmp_path


@pytest.fixture
def clients() -> Iterator[list[TestClient]]:
    """The test clients a test opens; their database connections are closed after it."""
    opened: list[TestClient] = []
    yield opened
    for client in opened:
        client.app.state.ptbill.sessions.kw["bind"].dispose()  # type: ignore[attr-defined]


def _client(url: str, data_dir: Path, opened: list[TestClient]) -> TestClient:
    client = TestClient(create_app(Settings(url, data_dir, "setup-" + "s" * 32, secure_cookies=False)))
    opened.append(client)
    return client


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, "the set-up form carries a CSRF token"
    return found.group(1)


def _post(client: TestClient, token: str, /, **changes: str) -> tuple[int, str]:
    form = client.get("/setup")
    response = client.post(
        "/setup", data={**GOOD, "token": token, **changes, "csrf_token": _csrf(form.text)}, follow_redirects=False
    )
    return response.status_code, response.text if response.status_code != 303 else response.headers["location"]


def _counts(url: str) -> tuple[int, int]:
    engine = make_engine(url)
    try:
        with session_factory(engine)() as session:
            return (
                int(session.scalar(select(func.count()).select_from(ClinicRow)) or 0),
                int(session.scalar(select(func.count()).select_from(UserRow)) or 0),
            )
    finally:
        engine.dispose()


def test_an_empty_database_leads_to_the_set_up_page_and_the_token_creates_the_clinic(
    empty: tuple[str, Path], clients: list[TestClient]
) -> None:
    url, data_dir = empty
    client = _client(url, data_dir, clients)
    assert client.get("/", follow_redirects=True).url.path == "/setup", "every page leads to the set-up first"

    # Without the token printed by `ptbill serve`, nothing can be set up.
    status, page = _post(client, "guessed")
    assert status == 403
    assert "no set-up token is waiting" in page.lower()
    token = issue_setup_token(data_dir)
    assert (data_dir / SETUP_TOKEN_FILE).stat().st_mode & 0o077 == 0, "the token's digest is the owner's only"
    assert token not in (data_dir / SETUP_TOKEN_FILE).read_text(), "only its digest is kept"
    prefilled = client.get(f"/setup?token={token}")
    assert f'value="{token}"' in prefilled.text

    status, page = _post(client, "not-the-token")
    assert status == 403
    assert "not the one" in page
    assert 'value="Cedar Ridge Physical Therapy"' in page, "what was typed is kept"
    assert PASSWORD not in page, "a password is never sent back"

    # Each refused field is named beside itself; nothing is written and the token still works.
    status, page = _post(client, token, npi="1245319598", zip="٩٧٢٠١", state="XX")
    assert status == 422
    for field in ("npi", "zip", "state"):
        assert f'id="{field}-error"' in page, f"the message sits beside the {field} field"
    assert 'value="Cedar Ridge Physical Therapy"' in page
    assert 'value="robin@cedar.example"' in page
    status, page = _post(client, token, password_again="something-else-entirely")
    assert status == 422
    assert 'id="password_again-error"' in page
    status, page = _post(client, token, password="password1234", password_again="password1234")
    assert status == 422
    assert 'id="password-error"' in page
    assert _counts(url) == (0, 0)

    assert _post(client, token) == (303, "/login?setup=done")
    assert _counts(url) == (1, 1)
    assert not (data_dir / SETUP_TOKEN_FILE).exists(), "the token is spent"
    engine = make_engine(url)
    with session_factory(engine)() as session:
        clinic = session.scalars(select(ClinicRow)).one()
        assert (clinic.npi, clinic.tax_id, clinic.state) == ("1245319599", "123456789", "OR")
        actions = {(row.action, row.entity) for row in session.scalars(select(AuditRow))}
        assert {("create", "clinic"), ("create", "user")} <= actions
    engine.dispose()

    # The set-up page is gone; the admin logs in with the new account.
    assert client.get("/setup", follow_redirects=False).headers["location"] == "/login"
    assert _post(client, token)[0] in (303, 403), "a replayed form is turned away"
    assert _counts(url) == (1, 1), "a replayed form creates nothing"
    login = client.get("/login?setup=done")
    assert "Your clinic is set up" in login.text
    answer = client.post(
        "/login",
        data={"email": "robin@cedar.example", "password": PASSWORD, "csrf_token": _csrf(login.text)},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == "/queue"


def test_hostile_values_on_the_set_up_form_are_refused_by_name_never_a_server_error(
    empty: tuple[str, Path], clients: list[TestClient]
) -> None:
    """Each hostile value goes in with one field refused for sure (so nothing is created and the form comes
    back holding it): never a server error, and what was typed comes back escaped."""
    url, data_dir = empty
    client = _client(url, data_dir, clients)
    token = issue_setup_token(data_dir)
    fields = ("token", "clinic_name", "npi", "tax_id", "address_line1", "city", "state", "zip", "admin_name")
    for field in fields:
        spoiler = {"zip": "1"} if field != "zip" else {"npi": "1"}
        for value in [*HOSTILE_TEXT[:: max(1, len(HOSTILE_TEXT) // 12)], "<b>L>R</b>", "a\x00b", "x" * 10_000]:
            status, page = _post(client, token, **{field: value, **spoiler})
            assert status in (403, 422), f"{field}={value[:30]!r} answered {status}"
            assert "<b>L>R</b>" not in page, "typed text comes back escaped"
    for value in ("a\x01b@cedar.example", "robin@cedar.example" + "x" * 300, "nobody"):
        status, _page = _post(client, token, admin_email=value)
        assert status == 422, f"admin_email={value[:30]!r} answered {status}"
    assert _counts(url) == (0, 0)


def test_two_set_ups_at_the_same_moment_make_one_clinic(empty: tuple[str, Path], clients: list[TestClient]) -> None:
    url, data_dir = empty
    token = issue_setup_token(data_dir)
    pair = [_client(url, data_dir, clients) for _ in range(2)]
    forms = [(client, _csrf(client.get("/setup").text)) for client in pair]
    start = threading.Barrier(2)
    answers: list[int] = []

    def submit(client: TestClient, csrf: str, email: str) -> None:
        start.wait()
        data = {**GOOD, "admin_email": email, "token": token, "csrf_token": csrf}
        answers.append(client.post("/setup", data=data, follow_redirects=False).status_code)

    threads = [
        threading.Thread(target=submit, args=(client, csrf, f"admin{n}@cedar.example"))
        for n, (client, csrf) in enumerate(forms)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answers) == [303, 403] or answers == [303, 303], answers
    assert _counts(url) == (1, 1), "one clinic and one first admin, whoever won"


def test_serve_prints_the_set_up_address_with_a_token_on_an_empty_database_only(
    tmp_path: Path, clients: list[TestClient]
) -> None:
    from ptbill.cli.commands import _offer_first_run
    from tests.migrated import migrate

    url = f"sqlite:///{tmp_path / 'ptbill.sqlite3'}"
    migrate(url)
    settings = Settings(url, tmp_path, "serve-" + "s" * 32, secure_cookies=False)
    printed = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys;from ptbill.cli.commands import _offer_first_run as o;"
            "from ptbill.settings import Settings as S;from pathlib import Path as P;"
            f"o(S({url!r}, P({str(tmp_path)!r}), 'x'*40, secure_cookies=False), '127.0.0.1', 8000)",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    found = re.search(r"http://127\.0\.0\.1:8000/setup\?token=(\S+)", printed)
    assert found, printed
    assert (tmp_path / SETUP_TOKEN_FILE).exists()
    client = _client(url, tmp_path, clients)
    assert _post(client, found.group(1)) == (303, "/login?setup=done")
    _offer_first_run(settings, "127.0.0.1", 8000)
    assert not (tmp_path / SETUP_TOKEN_FILE).exists(), "a set-up database gets no token"
