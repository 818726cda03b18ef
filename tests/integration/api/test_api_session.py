"""Logging in through the API: the cookie's flags, CSRF on cookie writes, bearer tokens, logout,
and failed logins kept in the audit log."""

from __future__ import annotations

from sqlalchemy import select

from ptbill.services.web_sessions import SESSION_COOKIE
from ptbill.settings import Settings
from ptbill.storage.tables import AuditRow
from tests.integration.api.world import A_USERS, PASSWORD, ApiClient, World

PATIENT = {"first_name": "Ivy", "last_name": "Cookie", "birth_date": "1970-01-02", "sex": "F"}


def log_in(client: ApiClient, email: str) -> dict[str, object]:
    response = client.post("/api/session", json={"email": email, "password": PASSWORD})
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


def test_login_sets_an_httponly_lax_cookie_and_returns_the_user_and_tokens(world: World) -> None:
    client = world.client()
    response = client.post("/api/session", json={"email": A_USERS["therapist"].upper(), "password": PASSWORD})
    assert response.status_code == 200
    body = response.json()
    assert body["user"]["role"] == "therapist"
    assert body["user"]["clinic_id"] == world.clinic_a
    assert body["csrf_token"]
    assert body["token_type"] == "bearer"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    assert "HttpOnly" in cookie
    assert "samesite=lax" in cookie.lower()
    assert "Secure" not in cookie  # secure_cookies=False in these tests
    bearer = world.client()
    assert bearer.get("/api/me", headers={"Authorization": f"Bearer {body['token']}"}).json() == body["user"]


def test_the_cookie_is_secure_when_the_settings_say_so(world: World) -> None:
    from ptbill.server import create_app

    settings = world.app.state.ptbill.settings
    secure = create_app(Settings(settings.database_url, settings.data_dir, settings.secret_key, secure_cookies=True))
    try:
        response = ApiClient(secure).post("/api/session", json={"email": A_USERS["biller"], "password": PASSWORD})
        assert "Secure" in response.headers["set-cookie"]
    finally:
        secure.state.ptbill.sessions.kw["bind"].dispose()


def test_a_cookie_write_needs_the_csrf_header(world: World) -> None:
    client = world.client()
    csrf = log_in(client, A_USERS["therapist"])["csrf_token"]
    refused = client.post("/api/patients", json={**PATIENT, "chart_number": "CSRF-1"})
    assert refused.status_code == 403
    assert "X-CSRF-Token" in refused.json()["detail"]
    wrong = client.post("/api/patients", json={**PATIENT, "chart_number": "CSRF-1"}, headers={"X-CSRF-Token": "x"})
    assert wrong.status_code == 403
    assert client.get("/api/patients").status_code == 200  # reads need no token
    made = client.post("/api/patients", json={**PATIENT, "chart_number": "CSRF-1"}, headers={"X-CSRF-Token": csrf})
    assert made.status_code == 201, made.text


def test_a_bearer_token_needs_no_csrf_header(world: World) -> None:
    made = world.client(A_USERS["therapist"]).post("/api/patients", json={**PATIENT, "chart_number": "BEARER-1"})
    assert made.status_code == 201


def test_without_credentials_every_call_is_401(world: World) -> None:
    client = world.client()
    assert client.get("/api/me").status_code == 401
    assert client.get("/api/patients", headers={"Authorization": "Bearer forged"}).status_code == 401
    client.cookies.set(SESSION_COOKIE, "forged")
    assert client.get("/api/patients").status_code == 401


def test_a_wrong_password_is_401_and_stays_in_the_audit_log(world: World) -> None:
    response = world.client().post("/api/session", json={"email": A_USERS["admin"], "password": "wrong-password"})
    assert response.status_code == 401
    assert "set-cookie" not in response.headers
    with world.session() as session:
        last = session.scalars(select(AuditRow).order_by(AuditRow.id.desc()).limit(1)).one()
    assert (last.action, last.clinic_id) == ("login_failed", world.clinic_a)
    unknown = world.client().post("/api/session", json={"email": "nobody@example.com", "password": "x"})
    assert unknown.status_code == 401


def test_logout_clears_the_cookie(world: World) -> None:
    client = world.client()
    csrf = str(log_in(client, A_USERS["pta"])["csrf_token"])
    assert client.delete("/api/session").status_code == 403  # a cookie write without the CSRF header
    response = client.delete("/api/session", headers={"X-CSRF-Token": csrf})
    assert response.status_code == 204
    assert SESSION_COOKIE not in client.cookies
    assert client.get("/api/me").status_code == 401
