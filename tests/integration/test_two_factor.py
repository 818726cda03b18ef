"""Two-step login (TOTP, RFC 6238) on the pages and the API: enrolment with a first code and recovery
codes shown once, the code step of the login, a replayed code refused, a recovery code working once,
wrong codes counted toward the login limit, a clinic requiring it of admins and billers, and an admin
turning it off for a lost phone."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyotp
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from ptbill.server import create_app
from ptbill.services import two_factor
from ptbill.services.access import Actor
from ptbill.services.demo_data import DEMO_PASSWORD, seed_demo
from ptbill.settings import Settings
from ptbill.storage.session import make_engine, session_factory, transaction
from ptbill.storage.tables import AuditRow, UserRow
from tests.demo_day import DEMO_TODAY
from tests.hostile import HOSTILE_TEXT
from tests.integration.api.world import fresh_database

BILLER = "biller@harbor.example"
ADMIN = "admin@harbor.example"


class Clock:
    """The server's clock, moved by the test: codes change every 30 seconds."""

    def __init__(self) -> None:
        self.now = datetime(2026, 12, 4, 15, 0, 5, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def clinic(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[FastAPI, Clock]]:
    with fresh_database(request.param, tmp_path) as url:
        engine = make_engine(url)
        with transaction(session_factory(engine)) as session:
            seed_demo(session, encounters=2, patients=1, today=DEMO_TODAY)
        engine.dispose()
        clock = Clock()
        app = create_app(Settings(url, tmp_path, "totp-" + "t" * 32, secure_cookies=False), clock=clock)
        yield app, clock
        app.state.ptbill.sessions.kw["bind"].dispose()


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, "the form carries a CSRF token"
    return found.group(1)


def _password_step(client: TestClient, email: str) -> str:
    """Log in with the password; the place the login goes next."""
    form = client.get("/login")
    answer = client.post(
        "/login",
        data={"email": email, "password": DEMO_PASSWORD, "csrf_token": _csrf(form.text)},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    return answer.headers["location"]


def _code_step(client: TestClient, code: str) -> tuple[int, str]:
    form = client.get("/login/code")
    assert form.status_code == 200, "the code step is shown after the right password"
    answer = client.post("/login/code", data={"code": code, "csrf_token": _csrf(form.text)}, follow_redirects=False)
    return answer.status_code, answer.headers.get("location", answer.text)


def _enrol(client: TestClient, clock: Clock) -> tuple[pyotp.TOTP, list[str]]:
    page = client.get("/account/two-factor")
    client.post("/account/two-factor/start", data={"csrf_token": _csrf(page.text)})
    page = client.get("/account/two-factor")
    assert "<svg" in page.text, "a QR code to scan"
    key = re.search(r'<code class="secret">([A-Z2-7 ]+)</code>', page.text)
    assert key, "the key to type, for an app that cannot scan"
    totp = pyotp.TOTP(key.group(1).replace(" ", ""))
    wrong = client.post("/account/two-factor/confirm", data={"code": "000000", "csrf_token": _csrf(page.text)})
    assert wrong.status_code == 422
    confirmed = client.post(
        "/account/two-factor/confirm", data={"code": totp.at(clock.now), "csrf_token": _csrf(page.text)}
    )
    assert confirmed.status_code == 200
    codes = re.findall(r"<li><code>([0-9a-f]{5}-[0-9a-f]{5})</code></li>", confirmed.text)
    assert len(codes) == two_factor.RECOVERY_CODES
    assert "not shown again" in confirmed.text
    return totp, codes


def test_enrol_then_log_in_with_a_code_a_replay_is_refused_and_a_recovery_code_works_once(
    clinic: tuple[FastAPI, Clock],
) -> None:
    app, clock = clinic
    client = TestClient(app)
    assert _password_step(client, BILLER) == "/queue", "without a second factor the password is enough"
    totp, recovery = _enrol(client, clock)
    assert client.get("/account/two-factor").text.count("unused recovery code") == 1
    client.post("/logout", data={"csrf_token": _csrf(client.get("/queue").text)})

    # The password alone now opens no session.
    browser = TestClient(app)
    assert _password_step(browser, BILLER).startswith("/login/code")
    assert browser.get("/queue", follow_redirects=False).status_code == 303, "no page before the code"
    clock.now += timedelta(seconds=30)
    code = totp.at(clock.now)
    assert _code_step(browser, code) == (303, "/queue")
    assert browser.get("/queue").status_code == 200

    # The same code again, in the same 30 seconds, is refused: a code works once.
    other = TestClient(app)
    _password_step(other, BILLER)
    status, page = _code_step(other, code)
    assert status == 401
    assert "already used" in page

    # A recovery code works once, and only once.
    assert _code_step(other, recovery[0]) == (303, "/queue")
    again = TestClient(app)
    _password_step(again, BILLER)
    assert _code_step(again, recovery[0])[0] == 401
    with app.state.ptbill.sessions() as session:
        notes = [row.detail for row in session.scalars(select(AuditRow).where(AuditRow.action == "login"))]
    assert any("authenticator code" in (n or "") for n in notes)
    assert any("recovery code (9 left)" in (n or "") for n in notes)


def test_wrong_codes_count_toward_the_login_limit(clinic: tuple[FastAPI, Clock]) -> None:
    app, clock = clinic
    client = TestClient(app)
    _password_step(client, BILLER)
    totp, _codes = _enrol(client, clock)
    guesser = TestClient(app)
    _password_step(guesser, BILLER)
    statuses = [_code_step(guesser, f"{n:06d}")[0] for n in range(12)]
    assert statuses[0] == 401
    clock.now += timedelta(seconds=30)
    status, page = _code_step(guesser, totp.at(clock.now))
    assert status == 401, "after ten wrong codes even the right one waits for the lockout to end"
    assert "Too many failed logins" in page


def test_a_clinic_requiring_two_step_login_of_billers_sends_them_to_set_it_up(clinic: tuple[FastAPI, Clock]) -> None:
    app, clock = clinic
    with app.state.ptbill.sessions() as session:
        admin = session.scalar(select(UserRow).where(UserRow.email == ADMIN))
        assert admin is not None
        actor = Actor(admin.id, admin.clinic_id, admin.role, admin.name)
        assert two_factor.require_for_roles(session, actor, ["biller", "admin"]) == ["admin", "biller"]
        session.commit()
    client = TestClient(app)
    _password_step(client, BILLER)
    for page in ("/queue", "/denials", "/payers"):
        answer = client.get(page, follow_redirects=False)
        assert answer.headers["location"] == "/account/two-factor", f"{page} waits for two-step login"
    assert "requires two-step login for your role" in client.get("/account/two-factor").text
    api = TestClient(app).post("/api/session", json={"email": BILLER, "password": DEMO_PASSWORD})
    assert api.status_code == 403, "no API session either until it is set up"
    _enrol(client, clock)
    assert client.get("/queue").status_code == 200
    therapist = TestClient(app)
    assert _password_step(therapist, "therapist1@harbor.example") == "/notes", "other roles are not asked"


def test_the_api_asks_for_the_code_and_an_admin_turns_it_off_for_a_lost_phone(clinic: tuple[FastAPI, Clock]) -> None:
    app, clock = clinic
    client = TestClient(app)
    _password_step(client, BILLER)
    totp, _codes = _enrol(client, clock)
    api = TestClient(app)
    without = api.post("/api/session", json={"email": BILLER, "password": DEMO_PASSWORD})
    assert without.status_code == 401
    assert without.json()["second_factor_required"] is True
    clock.now += timedelta(seconds=30)
    answer = api.post("/api/session", json={"email": BILLER, "password": DEMO_PASSWORD, "code": totp.at(clock.now)})
    assert answer.status_code == 200
    assert answer.json()["token"]

    with app.state.ptbill.sessions() as session:
        admin = session.scalar(select(UserRow).where(UserRow.email == ADMIN))
        biller = session.scalar(select(UserRow).where(UserRow.email == BILLER))
        assert admin is not None
        assert biller is not None
        two_factor.turn_off(session, Actor(admin.id, admin.clinic_id, admin.role, admin.name), biller.id)
        session.commit()
    assert _password_step(TestClient(app), BILLER) == "/queue", "off: the password is enough again"


def test_a_pending_login_is_signed_and_short_lived() -> None:
    now = datetime(2026, 12, 4, 15, 0, tzinfo=UTC)
    value = two_factor.pending_login("k" * 40, 7, now)
    assert two_factor.pending_user("k" * 40, value, now + timedelta(minutes=4)) == 7
    assert two_factor.pending_user("k" * 40, value, now + timedelta(minutes=6)) is None, "expired"
    assert two_factor.pending_user("j" * 40, value, now) is None, "another server's secret"
    forged = value.replace("7.", "8.", 1)
    assert two_factor.pending_user("k" * 40, forged, now) is None, "another user's id"
    assert two_factor.pending_user("k" * 40, "٣.٣.x.y", now) is None


def test_hostile_codes_on_the_code_step_and_the_set_up_are_refused_never_a_server_error(
    clinic: tuple[FastAPI, Clock],
) -> None:
    app, clock = clinic
    values = [*HOSTILE_TEXT[:: max(1, len(HOSTILE_TEXT) // 15)], "a\x00b", "x" * 10_000, "²³⁴⁵⁶⁷", "١٢٣٤٥٦"]
    client = TestClient(app, raise_server_exceptions=False)
    _password_step(client, BILLER)
    page = client.get("/account/two-factor")
    client.post("/account/two-factor/start", data={"csrf_token": _csrf(page.text)})
    page = client.get("/account/two-factor")
    for value in values:
        answer = client.post("/account/two-factor/confirm", data={"code": value, "csrf_token": _csrf(page.text)})
        assert answer.status_code == 422, f"confirm code={value[:30]!r} answered {answer.status_code}"
    _enrol(client, clock)
    guesser = TestClient(app, raise_server_exceptions=False)
    _password_step(guesser, BILLER)
    for value in values[:9]:  # below the login limit, so each is judged on its own
        assert _code_step(guesser, value)[0] == 401, f"code={value[:30]!r}"
