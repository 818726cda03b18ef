"""The admin's API: clinic settings (422 naming each refused field), the providers roster, role changes,
password resets and live sessions; other roles are refused with 403."""

from __future__ import annotations

from sqlalchemy import select

from ptbill.storage.tables import AuditRow
from tests.integration.api.world import A_USERS, PASSWORD, ApiClient, World


def test_other_roles_are_refused_every_admin_route(world: World) -> None:
    for role in ("therapist", "pta", "biller"):
        client = world.client(A_USERS[role])
        assert client.get("/api/clinic").status_code == 403
        assert client.get("/api/providers").status_code == 403
        assert client.get("/api/clinic/locations").status_code == 403
        assert client.get("/api/sessions").status_code == 403
        pt = {"name": "X", "discipline": "PT", "npi": "1245319599", "licence_state": "OR", "licence_number": "1"}
        assert client.post("/api/providers", json=pt).status_code == 403
        assert client.post("/api/users/1/password-reset").status_code == 403


def test_settings_are_checked_field_by_field_and_saved_whole(world: World) -> None:
    admin = world.client(A_USERS["admin"])
    clinic = admin.get("/api/clinic").json()
    body = {k: v or "" for k, v in clinic.items() if k not in ("id", "zone")}
    body["statement_cycle_days"] = ""
    refused = admin.put("/api/clinic", json=body | {"tax_id": "12", "time_zone": "Moon/Base"})
    assert refused.status_code == 422
    problems = refused.json()["problems"]
    assert any(p.startswith("body.tax_id:") for p in problems)
    assert any(p.startswith("body.time_zone:") for p in problems)
    saved = admin.put("/api/clinic", json=body | {"time_zone": "America/Chicago", "taxonomy_code": "225100000X"})
    assert saved.status_code == 200, saved.text
    assert saved.json()["zone"] == "America/Chicago"
    with world.session() as session:
        changes = session.scalars(
            select(AuditRow.detail).where(AuditRow.clinic_id == world.clinic_a, AuditRow.entity == "clinic")
        ).all()
    assert any(detail and "time_zone" in detail for detail in changes)


def test_an_ota_needs_an_ot_of_the_roster(world: World) -> None:
    admin = world.client(A_USERS["admin"])
    ot = {"name": "Olive Ot", "discipline": "OT", "npi": "1222222220", "licence_state": "OR", "licence_number": "OT-3"}
    made = admin.post("/api/providers", json=ot)
    assert made.status_code == 201, made.text
    ota = ot | {"name": "Otto Ota", "discipline": "OTA", "npi": "1333333338", "licence_number": "OTA-4"}
    refused = admin.post("/api/providers", json=ota)
    assert refused.status_code == 422
    assert any(p.startswith("body.supervisor_id:") for p in refused.json()["problems"])
    assert admin.post("/api/providers", json=ota | {"supervisor_id": made.json()["id"]}).status_code == 201


def test_a_reset_password_works_once_given_and_ends_the_users_sessions(world: World) -> None:
    admin = world.client(A_USERS["admin"])
    new = {"email": "reset-me@harbor.example", "name": "Rita Reset", "role": "pta", "password": PASSWORD}
    made = admin.post("/api/users", json=new)
    assert made.status_code == 201, made.text
    user_id = made.json()["id"]
    first = world.client().post("/api/session", json={"email": new["email"], "password": PASSWORD})
    token = first.json()["token"]
    assert admin.put(f"/api/users/{user_id}/role", json={"role": "therapist"}).json()["role"] == "therapist"
    reset = admin.post(f"/api/users/{user_id}/password-reset")
    assert reset.status_code == 200
    temporary = reset.json()["temporary_password"]
    assert ApiClient(world.app, headers={"Authorization": f"Bearer {token}"}).get("/api/me").status_code == 401
    login = world.client().post("/api/session", json={"email": new["email"], "password": temporary})
    assert login.status_code in (200, 201), login.text
    listed = admin.get("/api/sessions").json()
    assert any(row["current"] for row in listed)
    theirs = [row["id"] for row in listed if row["user_id"] == user_id]
    assert theirs
    assert admin.delete(f"/api/sessions/{theirs[0]}").status_code == 204
    assert theirs[0] not in {row["id"] for row in admin.get("/api/sessions").json()}
