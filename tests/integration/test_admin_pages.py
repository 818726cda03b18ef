"""The admin pages: clinic settings, providers, users, audit log, sessions, reference data. Each refuses
other roles (403) and another clinic's records (404), keeps typed values beside a refusal (422), and
writes an audit row for every change."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import select

from ptbill.storage.tables import AuditRow, ClinicRow, ProviderRow, ServiceLocationRow, UserRow, UserSessionRow
from ptbill.web.routes import admin as admin_routes_module
from ptbill.web.routes import admin_people, admin_views
from tests.integration.api.world import A_USERS, B_USERS, World, running_world
from tests.integration.page_forms import forms_of, logged_in

ADMIN_PAGES = (
    "/admin/clinic",
    "/admin/providers",
    "/admin/users",
    "/admin/sessions",
    "/admin/audit",
    "/admin/reference",
)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with running_world("sqlite", tmp_path_factory.mktemp("admin-pages"), encounters=6, patients=3) as built:
        yield built


@pytest.fixture(scope="module")
def admin(world: World) -> TestClient:
    return logged_in(world.app, A_USERS["admin"])


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page carries no CSRF token"
    return found.group(1)


def settings_form(client: TestClient) -> dict[str, str]:
    page = client.get("/admin/clinic")
    assert page.status_code == 200
    form = next(f for f in forms_of(page.text) if f.action == "/admin/clinic")
    return {name: values[-1] if values else "" for name, values in form.fields.items()}


def audit_rows(world: World, entity: str) -> list[AuditRow]:
    with world.session() as session:
        return list(
            session.scalars(select(AuditRow).where(AuditRow.clinic_id == world.clinic_a, AuditRow.entity == entity))
        )


@pytest.mark.parametrize("page", ADMIN_PAGES)
def test_each_admin_page_opens_for_the_admin(admin: TestClient, page: str) -> None:
    response = admin.get(page)
    assert response.status_code == 200, response.text[:300]
    assert 'href="/admin"' in response.text  # the admin's nav link


def admin_routes() -> list[tuple[str, str]]:
    """Every admin page route (method, path with 1 for each record id), from the routers themselves."""
    return [
        (method, re.sub(r"{\w+}", "1", route.path))
        for router in (admin_routes_module.router, admin_people.router, admin_views.router)
        for route in router.routes
        if isinstance(route, APIRoute)
        for method in sorted(route.methods or ())
    ]


@pytest.mark.parametrize("role", ["therapist", "pta", "biller"])
def test_other_roles_get_403_on_every_admin_route(world: World, role: str) -> None:
    client = logged_in(world.app, A_USERS[role])
    home = client.get("/notes" if role != "biller" else "/queue")
    assert 'href="/admin"' not in home.text
    token = csrf_of(home.text)
    routes = admin_routes()
    assert len(routes) >= 17
    for method, path in routes:
        if path == "/admin":
            continue  # a redirect to /admin/clinic, which refuses
        response = client.get(path) if method == "GET" else client.post(path, data={"csrf_token": token})
        assert response.status_code == 403, (method, path, response.status_code)


def test_settings_are_saved_audited_with_field_names_only(world: World, admin: TestClient) -> None:
    form = settings_form(admin)
    form |= {"taxonomy_code": "225100000x", "time_zone": "America/Los_Angeles", "submitter_id": "HARBOR01"}
    saved = admin.post("/admin/clinic", data=form, follow_redirects=False)
    assert saved.status_code == 303, saved.text[:500]
    with world.session() as session:
        clinic = session.get(ClinicRow, world.clinic_a)
        assert clinic is not None
        assert (clinic.taxonomy_code, clinic.time_zone, clinic.submitter_id) == (
            "225100000X",
            "America/Los_Angeles",
            "HARBOR01",
        )
    details = [row.detail for row in audit_rows(world, "clinic")]
    assert any(d and "taxonomy_code" in d and "time_zone" in d for d in details)
    assert not any(d and "HARBOR01" in d for d in details)  # names of fields, never values


def test_a_refused_setting_is_422_with_the_message_beside_the_field_and_the_values_kept(
    world: World, admin: TestClient
) -> None:
    form = settings_form(admin) | {"npi": "1234567890", "zip": "9720", "city": "Typed City", "time_zone": "Mars/Base"}
    refused = admin.post("/admin/clinic", data=form)
    assert refused.status_code == 422
    assert re.search(r'id="npi-error">[^<]*not a valid NPI', refused.text)
    assert re.search(r'id="zip-error">[^<]*not a ZIP code', refused.text)
    assert 'id="time_zone-error"' in refused.text
    assert 'value="Typed City"' in refused.text
    with world.session() as session:
        clinic = session.get(ClinicRow, world.clinic_a)
        assert clinic is not None
        assert clinic.city != "Typed City"


def test_a_pta_must_name_a_supervising_pt_and_the_roster_is_audited(world: World, admin: TestClient) -> None:
    token = csrf_of(admin.get("/admin/providers").text)
    pt = {"csrf_token": token, "name": "Dana Reyes", "discipline": "PT", "npi": "1245319599"}
    pt |= {"credentials": "DPT", "licence_state": "OR", "licence_number": "PT-1234"}
    assert admin.post("/admin/providers", data=pt, follow_redirects=False).status_code == 303
    pta = pt | {"name": "Sam Ortiz", "discipline": "PTA", "npi": "1093817462", "licence_number": "PTA-77"}
    refused = admin.post("/admin/providers", data=pta)
    assert refused.status_code == 422
    assert re.search(r'id="supervisor_id-error">[^<]*must name their supervising PT', refused.text)
    assert 'value="Sam Ortiz"' in refused.text
    bad_npi = admin.post("/admin/providers", data=pta | {"npi": "1093817463"})
    assert re.search(r'id="npi-error">', bad_npi.text)
    with world.session() as session:
        dana = session.scalar(select(ProviderRow).where(ProviderRow.npi == "1245319599"))
        assert dana is not None
    assert (
        admin.post("/admin/providers", data=pta | {"supervisor_id": str(dana.id)}, follow_redirects=False).status_code
        == 303
    )
    assert len(audit_rows(world, "provider")) == 2
    # The supervisor stays on the roster while an assistant names them.
    kept = admin.post(f"/admin/providers/{dana.id}/active", data={"csrf_token": token, "active": "no"})
    assert kept.status_code == 409


def test_an_invited_user_gets_a_temporary_password_shown_once_and_can_log_in(world: World, admin: TestClient) -> None:
    token = csrf_of(admin.get("/admin/users").text)
    answer = admin.post(
        "/admin/users",
        data={"csrf_token": token, "name": "Bea Biller", "email": "bea@harbor.example", "role": "biller"},
    )
    assert answer.status_code == 200
    found = re.search(r'class="admin-secret">([^<]+)<', answer.text)
    assert found
    assert found.group(1) not in admin.get("/admin/users").text  # shown once
    client = TestClient(world.app)
    login = client.get("/login")
    logged = client.post(
        "/login",
        data={"email": "bea@harbor.example", "password": found.group(1), "csrf_token": csrf_of(login.text)},
        follow_redirects=False,
    )
    assert logged.status_code == 303
    # A temporary password opens nothing but choosing one's own, on the pages and through the API.
    for page in ("/queue", "/claims", "/patients"):
        assert client.get(page, follow_redirects=False).headers["location"] == "/account/password?required=1"
    api = TestClient(world.app)
    assert api.post("/api/session", json={"email": "bea@harbor.example", "password": found.group(1)}).status_code == 200
    refused = api.get("/api/patients")
    assert refused.status_code == 403
    assert "temporary password" in refused.json()["detail"]
    form = client.get("/account/password?required=1")
    assert "temporary password" in form.text
    changed = client.post(
        "/account/password",
        data={
            "csrf_token": csrf_of(form.text),
            "current_password": found.group(1),
            "new_password": "harbor-claims-desk-77",
            "new_password_again": "harbor-claims-desk-77",
        },
        follow_redirects=False,
    )
    assert changed.status_code == 303
    assert "Bea Biller" in client.get("/queue").text
    assert api.get("/api/patients").status_code == 401, "changing the password ended the other sessions"
    own = {"email": "bea@harbor.example", "password": "harbor-claims-desk-77"}
    assert api.post("/api/session", json=own).is_success
    assert api.get("/api/patients").status_code == 200, "the API works once the password is their own"


def test_an_invited_therapist_is_a_provider_of_the_roster_so_their_notes_carry_npi_and_credential(
    world: World, admin: TestClient
) -> None:
    token = csrf_of(admin.get("/admin/users").text)
    invite = {"csrf_token": token, "name": "Lee Park", "email": "lee.park@harbor.example", "role": "therapist"}
    refused = admin.post("/admin/users", data=invite)
    assert refused.status_code == 422
    assert re.search(r'id="provider_id-error">[^<]*choose them on the roster', refused.text)
    assert 'value="Lee Park"' in refused.text
    provider = {"csrf_token": token, "name": "Lee Park", "discipline": "PT", "npi": "1765432103"}
    provider |= {"licence_state": "OR", "licence_number": "PT-8812"}
    assert admin.post("/admin/providers", data=provider, follow_redirects=False).status_code == 303
    with world.session() as session:
        lee = session.scalar(select(ProviderRow).where(ProviderRow.npi == "1765432103"))
        assert lee is not None
    assert admin.post("/admin/users", data=invite | {"provider_id": str(lee.id)}).status_code == 200
    with world.session() as session:
        user = session.scalar(select(UserRow).where(UserRow.email == "lee.park@harbor.example"))
        assert user is not None
        assert (user.credential, user.npi) == ("PT", "1765432103")


def test_role_change_reset_deactivate_and_unlock_are_audited(world: World, admin: TestClient) -> None:
    token = csrf_of(admin.get("/admin/users").text)
    with world.session() as session:
        pta = session.scalar(select(UserRow).where(UserRow.email == A_USERS["pta"]))
        me = session.scalar(select(UserRow).where(UserRow.email == A_USERS["admin"]))
    assert pta is not None
    assert me is not None
    victim = logged_in(world.app, A_USERS["pta"])
    assert admin.post(f"/admin/users/{pta.id}/role", data={"csrf_token": token, "role": "therapist"}).status_code == 200
    reset = admin.post(f"/admin/users/{pta.id}/password", data={"csrf_token": token})
    assert reset.status_code == 200
    assert 'class="admin-secret"' in reset.text
    assert victim.get("/notes", follow_redirects=False).status_code == 303  # their sessions ended
    with world.session() as session:
        reset_user = session.get(UserRow, pta.id)
        assert reset_user is not None
        assert reset_user.password_must_change, "the reset password is temporary: the user chooses their own"
        reset_user.password_must_change = False  # the later tests log in as this user with the demo password
        session.commit()
    assert admin.post(f"/admin/users/{pta.id}/unlock", data={"csrf_token": token}).status_code == 200
    assert admin.post(f"/admin/users/{pta.id}/two-factor-off", data={"csrf_token": token}).status_code == 200
    assert admin.post(f"/admin/users/{pta.id}/active", data={"csrf_token": token, "active": "no"}).status_code == 200
    assert admin.post(f"/admin/users/{pta.id}/active", data={"csrf_token": token, "active": "yes"}).status_code == 200
    assert admin.post(f"/admin/users/{pta.id}/role", data={"csrf_token": token, "role": "pta"}).status_code == 200
    details = " | ".join(str(r.detail) for r in audit_rows(world, "user") if r.entity_id == str(pta.id))
    for said in ("role pta to therapist", "password reset by an admin", "deactivated", "activated", "turned off"):
        assert said in details
    assert "unlock" in {r.action for r in audit_rows(world, "user") if r.entity_id == str(pta.id)}
    # An admin keeps their own role and account.
    assert admin.post(f"/admin/users/{me.id}/role", data={"csrf_token": token, "role": "biller"}).status_code == 409
    assert admin.post(f"/admin/users/{me.id}/active", data={"csrf_token": token, "active": "no"}).status_code == 409


def test_two_step_login_can_be_required_of_roles(world: World, admin: TestClient) -> None:
    token = csrf_of(admin.get("/admin/users").text)
    saved = admin.post("/admin/users/two-factor-roles", data={"csrf_token": token, "roles": ["biller"]})
    assert saved.status_code == 200
    with world.session() as session:
        clinic = session.get(ClinicRow, world.clinic_a)
        assert clinic is not None
        assert clinic.two_factor_roles == "biller"
    admin.post("/admin/users/two-factor-roles", data={"csrf_token": token})
    assert admin.post("/admin/users/two-factor-roles", data={"csrf_token": token, "roles": ["king"]}).status_code == 422


def test_another_clinics_user_session_provider_and_location_are_404(world: World, admin: TestClient) -> None:
    token = csrf_of(admin.get("/admin/users").text)
    with world.session() as session:
        b_user = session.scalar(select(UserRow).where(UserRow.email == B_USERS["biller"]))
        b_session = session.scalar(select(UserSessionRow.id).where(UserSessionRow.clinic_id == world.clinic_b))
    assert b_user is not None
    assert b_session is not None
    for path, data in (
        (f"/admin/users/{b_user.id}/role", {"role": "admin"}),
        (f"/admin/users/{b_user.id}/password", {}),
        (f"/admin/users/{b_user.id}/active", {"active": "no"}),
        (f"/admin/users/{b_user.id}/two-factor-off", {}),
        (f"/admin/users/{b_user.id}/unlock", {}),
        (f"/admin/sessions/{b_session}/revoke", {}),
    ):
        assert admin.post(path, data={"csrf_token": token, **data}).status_code == 404, path
    b_admin = logged_in(world.app, B_USERS["admin"])
    b_token = csrf_of(b_admin.get("/admin/providers").text)
    tess = {"csrf_token": token, "name": "Tess Tenant", "discipline": "OT", "npi": "1111111112"}
    admin.post("/admin/providers", data=tess | {"licence_state": "OR", "licence_number": "OT-9"})
    place = {"csrf_token": token, "name": "Tenant Annex", "address_line1": "1 Main St", "city": "Bend"}
    admin.post("/admin/clinic/locations", data=place | {"state": "OR", "zip": "97701"})
    with world.session() as session:
        a_provider = session.scalar(select(ProviderRow.id).where(ProviderRow.npi == "1111111112"))
        a_place = session.scalar(select(ServiceLocationRow.id).where(ServiceLocationRow.name == "Tenant Annex"))
    assert a_provider is not None
    assert a_place is not None
    answer = b_admin.post(f"/admin/providers/{a_provider}/active", data={"csrf_token": b_token, "active": "no"})
    assert answer.status_code == 404
    answer = b_admin.post(f"/admin/clinic/locations/{a_place}/remove", data={"csrf_token": b_token})
    assert answer.status_code == 404
    assert "Tenant Annex" in admin.get("/admin/clinic").text
    for page in ADMIN_PAGES:
        text = b_admin.get(page).text
        assert A_USERS["therapist"] not in text, page
        assert "Tess Tenant" not in text, page
        assert "Tenant Annex" not in text, page


def test_the_audit_log_filters_and_exports_csv(world: World, admin: TestClient) -> None:
    with world.session() as session:
        me = session.scalar(select(UserRow.id).where(UserRow.email == A_USERS["admin"]))
    page = admin.get("/admin/audit", params={"user": str(me), "action": "login"})
    assert page.status_code == 200
    rows = re.findall(r"<tr>\s*<td class=\"nowrap\" data-label=\"When\">", page.text)
    assert rows, "the admin's logins are in the log"
    assert ">Login<" in page.text or "login" in page.text
    assert admin.get("/admin/audit", params={"from": "2026-02-30"}).status_code == 422
    exported = admin.get("/admin/audit.csv", params={"action": "login", "user": str(me)})
    assert exported.headers["content-type"].startswith("text/csv")
    table = list(csv.DictReader(io.StringIO(exported.text)))
    assert table
    assert {row["action"] for row in table} == {"login"}
    assert {row["user_id"] for row in table} == {str(me)}
    assert any(r.action == "export" for r in audit_rows(world, "audit_log"))
    empty = admin.get("/admin/audit", params={"from": "2000-01-01", "to": "2000-01-02"})
    assert "Nothing in the log matches" in empty.text


def test_an_admin_ends_another_session_but_not_their_own(world: World, admin: TestClient) -> None:
    victim = logged_in(world.app, A_USERS["biller"])
    page = admin.get("/admin/sessions")
    assert "This session" in page.text
    revokes = [f.action for f in forms_of(page.text) if f.action.endswith("/revoke")]
    with world.session() as session:
        biller = session.scalar(select(UserRow.id).where(UserRow.email == A_USERS["biller"]))
        theirs = session.scalars(
            select(UserSessionRow.id).where(UserSessionRow.user_id == biller, UserSessionRow.revoked_at.is_(None))
        ).all()
    for session_id in theirs:
        assert f"/admin/sessions/{session_id}/revoke" in revokes
        ended = admin.post(f"/admin/sessions/{session_id}/revoke", data={"csrf_token": csrf_of(page.text)})
        assert ended.status_code == 200
    assert victim.get("/queue", follow_redirects=False).status_code == 303
    assert len([r for r in audit_rows(world, "session") if r.action == "revoke"]) >= len(theirs)


def test_the_reference_page_lists_the_shipped_tables(admin: TestClient) -> None:
    page = admin.get("/admin/reference")
    assert "Medicare PFS" in page.text
    assert "ICD-10-CM" in page.text
    assert "NCCI PTP edits" in page.text


def test_the_payer_page_reads_in_plain_words_grouped_with_its_ids_and_limits(admin: TestClient) -> None:
    page = admin.get("/payers/ca-medicare")
    assert page.status_code == 200
    for said in ("EDI payer id", "Claim filing indicator", "Filing limit", "Appeal window", "120 days"):
        assert said in page.text, said
    for topic in ("Claims", "Appeals", "Denial reasons (CARC and RARC codes)", "Most units per day (MUE)"):
        assert f'{topic} <span class="count">' in page.text, topic
    values = re.findall(r'<td class="num value">([^<]*)</td>', page.text)
    assert values
    assert not [v for v in values if v.startswith(("{", "[", "&#34;", "&#123;", "&#91;"))]


def test_the_audit_filter_takes_the_calendars_ends_and_stray_characters(world: World, admin: TestClient) -> None:
    with world.session() as session:  # 14 hours ahead of UTC: the first day's midnight is before the calendar
        clinic = session.get(ClinicRow, world.clinic_a)
        assert clinic is not None
        clinic.time_zone = "Pacific/Kiritimati"
        session.commit()
    for params in (
        {"from": "0001-01-01", "to": "9999-12-31"},
        {"from": "9999-12-31"},
        {"to": "0001-01-01"},
        {"entity": "a\x00b", "entity_id": "\x00", "action": "x\x00"},
    ):
        assert admin.get("/admin/audit", params=params).status_code == 200, params
        assert admin.get("/admin/audit.csv", params=params).status_code == 200, params
