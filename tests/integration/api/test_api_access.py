"""Sessions and logins (issue 9, item 10): logout and deactivation end access on the very next request,
wrong passwords lock an account or an address until an admin clears it or the window moves on, the
password rules, changing one's password, and no patient data left in caches."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select, update

from ptbill.server import create_app
from ptbill.services import login_limits
from ptbill.services.sessions import SESSION_LIFETIME, system_clock
from ptbill.services.web_sessions import SESSION_COOKIE
from ptbill.storage.tables import AuditRow, UserRow
from tests.integration.api.world import A_USERS, B_USERS, PASSWORD, ApiClient, World, new_patient

GOOD_PASSWORD = "quiet-lumbar-harbor-42"


def fresh_address() -> tuple[str, int]:
    """A client address of its own, so no other test's failed logins count against it."""
    return (f"client-{uuid.uuid4().hex[:12]}", 50000)


def new_user(world: World, role: str = "therapist") -> tuple[int, str]:
    """A user of clinic A made by its admin for this test alone; returns the id and the email."""
    email = f"u-{uuid.uuid4().hex[:10]}@harbor.example"
    body = {"email": email, "name": "Sam Test", "role": role, "password": GOOD_PASSWORD}
    created = world.client(A_USERS["admin"]).post("/api/users", json=body)
    assert created.status_code == 201, created.text
    return created.json()["id"], email


def log_in(client: ApiClient, email: str, password: str = GOOD_PASSWORD) -> dict[str, str]:
    response = client.post("/api/session", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    body: dict[str, str] = response.json()
    return body


def bearer(world: World, token: str) -> ApiClient:
    return ApiClient(world.app, headers={"Authorization": f"Bearer {token}"})


def audit_actions(world: World, user_id: int) -> list[str]:
    with world.session() as session:
        rows = session.scalars(
            select(AuditRow.action).where(AuditRow.entity == "user", AuditRow.entity_id == str(user_id))
        )
        return list(rows)


def details(world: World, user_id: int) -> list[str | None]:
    with world.session() as session:
        rows = session.scalars(
            select(AuditRow.detail).where(AuditRow.entity == "user", AuditRow.entity_id == str(user_id))
        )
        return list(rows)


# logout and deactivation -------------------------------------------------------------------------


def test_logging_out_ends_the_cookie_and_the_bearer_token_at_once(world: World) -> None:
    _, email = new_user(world)
    browser = world.client()
    session = log_in(browser, email)
    cookie = browser.cookies[SESSION_COOKIE]
    assert cookie == session["token"]  # one session: the cookie and the bearer token are the same
    integration = bearer(world, session["token"])
    assert integration.get("/api/me").status_code == 200

    assert browser.delete("/api/session", headers={"X-CSRF-Token": session["csrf_token"]}).status_code == 204

    assert integration.get("/api/me").status_code == 401
    replayed = world.client()
    replayed.cookies.set(SESSION_COOKIE, cookie)
    assert replayed.get("/api/patients").status_code == 401
    assert replayed.get("/notes", follow_redirects=False).headers["location"].startswith("/login")


def test_logging_out_of_the_pages_ends_the_session_cookie_at_once(world: World) -> None:
    _, email = new_user(world)
    browser = world.client()
    login_page = browser.get("/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', login_page.text)
    assert csrf
    form = {"email": email, "password": GOOD_PASSWORD, "csrf_token": csrf.group(1), "next": "/"}
    assert browser.post("/login", data=form, follow_redirects=False).status_code == 303
    cookie = browser.cookies[SESSION_COOKIE]
    notes = browser.get("/notes")
    assert notes.status_code == 200
    page_csrf = re.search(r'name="csrf_token" value="([^"]+)"', notes.text)
    assert page_csrf
    assert browser.post("/logout", data={"csrf_token": page_csrf.group(1)}, follow_redirects=False).status_code == 303

    replayed = world.client()
    replayed.cookies.set(SESSION_COOKIE, cookie)
    assert replayed.get("/notes", follow_redirects=False).headers["location"].startswith("/login")
    assert bearer(world, cookie).get("/api/me").status_code == 401


def test_deactivating_a_user_refuses_their_next_request_and_their_logins(world: World) -> None:
    user_id, email = new_user(world)
    token = log_in(world.client(), email)["token"]
    client = bearer(world, token)
    assert client.get("/api/me").status_code == 200
    admin = world.client(A_USERS["admin"])

    assert world.client(A_USERS["biller"]).patch(f"/api/users/{user_id}", json={"active": False}).status_code == 403
    changed = admin.patch(f"/api/users/{user_id}", json={"active": False})
    assert changed.status_code == 200, changed.text
    assert changed.json()["active"] is False

    assert client.get("/api/me").status_code == 401
    assert world.client().post("/api/session", json={"email": email, "password": GOOD_PASSWORD}).status_code == 401
    assert "deactivated" in details(world, user_id)

    assert admin.patch(f"/api/users/{user_id}", json={"active": True}).status_code == 200
    assert client.get("/api/me").status_code == 401  # its sessions stay ended
    assert log_in(world.client(), email)["user"]["id"] == user_id


def test_a_user_made_inactive_in_the_database_is_refused_on_the_next_request(world: World) -> None:
    """No cache of who a user is stands between the database and the next request."""
    user_id, email = new_user(world)
    client = bearer(world, log_in(world.client(), email)["token"])
    assert client.get("/api/me").status_code == 200
    with world.session() as session:
        session.execute(update(UserRow).where(UserRow.id == user_id).values(active=False))
        session.commit()
    assert client.get("/api/me").status_code == 401


def test_an_admin_cannot_deactivate_themselves_nor_another_clinics_user(world: World) -> None:
    admin = world.client(A_USERS["admin"])
    me = admin.get("/api/me").json()["id"]
    refused = admin.patch(f"/api/users/{me}", json={"active": False})
    assert refused.status_code == 409
    assert "own account" in refused.json()["detail"]
    with world.session() as session:
        b_user = session.scalars(select(UserRow.id).where(UserRow.email == B_USERS["therapist"])).one()
    assert admin.patch(f"/api/users/{b_user}", json={"active": False}).status_code == 404


# login limits ------------------------------------------------------------------------------------


@dataclass
class MovableClock:
    now: datetime

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock_app(world: World) -> Iterator[tuple[ApiClient, MovableClock, tuple[str, int]]]:
    """The world's database served by an app whose clock the test moves, from an address of its own."""
    clock = MovableClock(system_clock())
    app = create_app(world.app.state.ptbill.settings, clock=clock)
    address = fresh_address()
    try:
        yield ApiClient(app, client=address), clock, address
    finally:
        app.state.ptbill.sessions.kw["bind"].dispose()


def test_wrong_passwords_lock_the_account_until_an_admin_clears_it(
    world: World, clock_app: tuple[ApiClient, MovableClock, tuple[str, int]]
) -> None:
    client, _, _ = clock_app
    user_id, email = new_user(world)
    answers = [
        client.post("/api/session", json={"email": email, "password": f"wrong-guess-{n}"}).status_code
        for n in range(400)
    ]
    assert answers[: login_limits.ACCOUNT_LIMIT] == [401] * login_limits.ACCOUNT_LIMIT
    assert set(answers[login_limits.ACCOUNT_LIMIT :]) == {429}
    locked = client.post("/api/session", json={"email": email, "password": GOOD_PASSWORD})
    assert locked.status_code == 429  # the right password too
    assert "admin" in locked.json()["detail"]
    assert int(locked.headers["Retry-After"]) > 0
    assert audit_actions(world, user_id).count("lockout") == 1

    # An email with no account answers exactly alike: the lockout does not reveal which accounts exist.
    ghost = f"nobody-{uuid.uuid4().hex[:8]}@harbor.example"
    ghost_answers = [
        client.post("/api/session", json={"email": ghost, "password": "wrong"})
        for _ in range(login_limits.ACCOUNT_LIMIT + 1)
    ]
    assert [a.status_code for a in ghost_answers] == [401] * login_limits.ACCOUNT_LIMIT + [429]
    assert ghost_answers[-1].json() == locked.json()

    assert world.client(A_USERS["biller"]).post(f"/api/users/{user_id}/unlock").status_code == 403
    assert world.client(B_USERS["admin"]).post(f"/api/users/{user_id}/unlock").status_code == 404
    assert world.client(A_USERS["admin"]).post(f"/api/users/{user_id}/unlock").status_code == 204
    assert client.post("/api/session", json={"email": email, "password": GOOD_PASSWORD}).status_code == 200
    assert "unlock" in audit_actions(world, user_id)


def test_the_login_page_says_the_account_is_locked_without_saying_it_exists(world: World) -> None:
    page = ApiClient(world.app, client=fresh_address())
    _, email = new_user(world)
    for _ in range(login_limits.ACCOUNT_LIMIT):
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.get("/login").text)
        assert csrf
        wrong = {"email": email, "password": "wrong", "csrf_token": csrf.group(1)}
        assert page.post("/login", data=wrong).status_code == 401
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.get("/login").text)
    assert csrf
    right = page.post("/login", data={"email": email, "password": GOOD_PASSWORD, "csrf_token": csrf.group(1)})
    assert right.status_code == 429
    assert "Too many failed logins" in right.text
    assert SESSION_COOKIE not in page.cookies


def test_an_account_lockout_ends_by_itself_when_the_window_has_passed(
    world: World, clock_app: tuple[ApiClient, MovableClock, tuple[str, int]]
) -> None:
    client, clock, _ = clock_app
    _, email = new_user(world)
    for _ in range(login_limits.ACCOUNT_LIMIT):
        assert client.post("/api/session", json={"email": email, "password": "wrong"}).status_code == 401
    assert client.post("/api/session", json={"email": email, "password": GOOD_PASSWORD}).status_code == 429
    clock.now += login_limits.WINDOW - timedelta(seconds=5)
    assert client.post("/api/session", json={"email": email, "password": GOOD_PASSWORD}).status_code == 429
    clock.now += timedelta(seconds=10)
    assert client.post("/api/session", json={"email": email, "password": GOOD_PASSWORD}).status_code == 200


def test_one_address_guessing_across_accounts_is_locked_out(
    world: World, clock_app: tuple[ApiClient, MovableClock, tuple[str, int]]
) -> None:
    client, clock, (address, _) = clock_app
    _, email = new_user(world)
    # All but the last guess are counted directly (each wrong login spends an argon2 hash, ~0.4 s here).
    with world.session() as session:
        for n in range(login_limits.ADDRESS_LIMIT - 1):
            login_limits.record_failure(session, f"spray-{n}@harbor.example", address, clock.now)
        session.commit()
    last_guess = {"email": "spray-last@harbor.example", "password": "wrong"}
    assert client.post("/api/session", json=last_guess).status_code == 401
    assert client.post("/api/session", json={"email": email, "password": GOOD_PASSWORD}).status_code == 429
    elsewhere = ApiClient(world.app, client=fresh_address())
    assert elsewhere.post("/api/session", json={"email": email, "password": GOOD_PASSWORD}).status_code == 200


def test_sessions_end_after_a_working_day(
    world: World, clock_app: tuple[ApiClient, MovableClock, tuple[str, int]]
) -> None:
    client, clock, _ = clock_app
    _, email = new_user(world)
    token = log_in(client, email)["token"]
    headers = {"Authorization": f"Bearer {token}"}
    clock.now += SESSION_LIFETIME - timedelta(minutes=1)
    assert client.get("/api/me", headers=headers).status_code == 200
    clock.now += timedelta(minutes=2)
    assert client.get("/api/me", headers=headers).status_code == 401


# passwords ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "rule"),
    [
        ("short-pw-1", "at least 12 characters"),
        ("password1234", "common passwords"),
        ("Iloveyou2026!", "common passwords"),
        ("{email}", "email"),
        ("my-{local}-password", "email"),
        ("abcabcabcabc", "repeated"),
        ("123456789012", "run"),
    ],
)
def test_a_weak_password_is_refused_naming_the_rule(world: World, password: str, rule: str) -> None:
    email = f"weak{uuid.uuid4().hex[:6]}@harbor.example"
    password = password.format(email=email, local=email.split("@", maxsplit=1)[0])
    body = {"email": email, "name": "Weak Pw", "role": "biller", "password": password}
    refused = world.client(A_USERS["admin"]).post("/api/users", json=body)
    assert refused.status_code == 422, refused.text
    [problem] = refused.json()["problems"]
    assert problem.startswith("body.password: ")
    assert rule in problem
    assert world.client().post("/api/session", json={"email": email, "password": password}).status_code == 401


def test_a_user_changes_their_password_and_their_other_sessions_end(world: World) -> None:
    user_id, email = new_user(world)
    here = bearer(world, log_in(world.client(), email)["token"])
    elsewhere = bearer(world, log_in(world.client(), email)["token"])
    new_password = "cervical-angle-fifteen"

    wrong = here.put("/api/me/password", json={"current_password": "not-it", "new_password": new_password})
    assert wrong.status_code == 422
    assert wrong.json()["problems"] == ["body.current_password: the current password is not right"]
    weak = here.put("/api/me/password", json={"current_password": GOOD_PASSWORD, "new_password": "qwerty123456"})
    assert weak.status_code == 422
    assert "common passwords" in weak.json()["problems"][0]
    assert weak.json()["problems"][0].startswith("body.new_password: ")

    changed = here.put("/api/me/password", json={"current_password": GOOD_PASSWORD, "new_password": new_password})
    assert changed.status_code == 204, changed.text
    assert here.get("/api/me").status_code == 200  # this session stays
    assert elsewhere.get("/api/me").status_code == 401  # the others end
    assert world.client().post("/api/session", json={"email": email, "password": GOOD_PASSWORD}).status_code == 401
    assert log_in(world.client(), email, new_password)["user"]["id"] == user_id
    assert "password changed" in details(world, user_id)


def test_the_demo_password_follows_the_rules(world: World) -> None:
    from ptbill.services.passwords import password_problem

    for email in [*A_USERS.values(), *B_USERS.values()]:
        assert password_problem(PASSWORD, email) is None


# caches ------------------------------------------------------------------------------------------


def test_answers_with_patient_data_are_never_stored_by_caches(world: World) -> None:
    therapist = world.client(A_USERS["therapist"])
    patient = new_patient(therapist)
    for response in (
        therapist.get("/api/patients"),
        therapist.get(f"/api/patients/{patient}"),
        therapist.get("/api/encounters"),
        therapist.get("/api/patients/999999999"),  # errors too
        world.client().get("/api/me"),
    ):
        assert response.headers.get("cache-control") == "no-store", response.request.url
    page = world.client()
    page.cookies.set(SESSION_COOKIE, world.tokens[A_USERS["therapist"]])
    assert page.get("/notes").headers["cache-control"] == "no-store"
    assert "no-store" not in world.client().get("/static/app.css").headers.get("cache-control", "")
