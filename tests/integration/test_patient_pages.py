"""The patient pages without a browser: search as you type, registration with a message beside each field
and the duplicate warning, coverages in order, authorizations with used and left, plans of care with
validated NPIs and ICD-10-CM codes, the chart (audited once per view), role checks and another clinic's
patient answered 404."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from ptbill.storage.tables import AuditRow, EncounterRow, PatientRow
from tests.integration.api.world import A_USERS, B_USERS, World, running_world
from tests.integration.page_forms import forms_of, logged_in

REGISTRATION = {
    "first_name": "Odalys",
    "last_name": "Quennell",
    "birth_date": "1951-03-09",
    "sex": "F",
    "phone": "(503) 555-0142",
    "email": "odalys@example.com",
    "address_line1": "12 Harbor Way",
    "city": "Portland",
    "state": "OR",
    "zip": "97201",
}
MEDICARE = {
    "priority": "1",
    "payer_id": "medicare-service-center",
    "member_id": "1EG4TE5MK73",
    "relationship_to_insured": "self",
}
SECONDARY = {
    "priority": "2",
    "payer_id": "aetna",
    "member_id": "W200300",
    "group_number": "G-77",
    "relationship_to_insured": "spouse",
    "subscriber_first_name": "Emil",
    "subscriber_last_name": "Quennell",
    "subscriber_birth_date": "1949-11-02",
}
PLAN = {
    "start_date": "2026-01-05",
    "end_date": "2026-04-04",
    "visits_per_week": "2",
    "duration_weeks": "12",
    "physician_name": "Dr. Ines Park",
    "physician_npi": "1245319599",
    "signed_on": "2026-01-08",
    "diagnoses": "M54.16, M51.26",
    "referring_provider_name": "Dr. Ines Park",
    "referring_provider_npi": "1245319599",
    "referral_date": "2026-01-02",
}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with running_world("sqlite", tmp_path_factory.mktemp("patient-pages")) as built:
        yield built


@pytest.fixture(scope="module")
def clients(world: World) -> dict[str, TestClient]:
    return {role: logged_in(world.app, email) for role, email in A_USERS.items()} | {
        "other_clinic": logged_in(world.app, B_USERS["admin"])
    }


def csrf(client: TestClient, url: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get(url).text)
    assert found, url
    return found.group(1)


def post(client: TestClient, url: str, form_url: str, data: dict[str, Any]) -> Any:
    return client.post(url, data={**data, "csrf_token": csrf(client, form_url)}, follow_redirects=False)


@pytest.fixture(scope="module")
def patient(clients: dict[str, TestClient]) -> int:
    admin = clients["admin"]
    answer = post(admin, "/patients", "/patients/new", REGISTRATION)
    assert answer.status_code == 303, answer.text
    return int(answer.headers["location"].split("/")[2].split("?")[0])


def test_a_refused_registration_names_each_field_and_keeps_what_was_typed(clients: dict[str, TestClient]) -> None:
    typed = {**REGISTRATION, "birth_date": "1951-02-30", "zip": "9720", "phone": "555-٣٣٣-0142", "first_name": ""}
    answer = post(clients["admin"], "/patients", "/patients/new", typed)
    page = answer.text
    assert answer.status_code == 422
    assert 'id="f-birth_date-error">not a date on the calendar' in page
    assert 'id="f-zip-error">5 digits' in page
    assert 'id="f-phone-error">10 digits' in page
    assert 'id="f-first_name-error">required' in page
    assert 'value="1951-02-30"' in page
    assert 'value="555-٣٣٣-0142"' in page
    assert 'value="Quennell"' in page


def test_the_same_name_and_birth_date_warns_and_registers_only_when_confirmed(
    world: World, clients: dict[str, TestClient], patient: int
) -> None:
    admin = clients["admin"]
    same = {**REGISTRATION, "first_name": "odalys", "phone": ""}
    warned = post(admin, "/patients", "/patients/new", same)
    assert warned.status_code == 409
    assert f'href="/patients/{patient}"' in warned.text
    assert 'name="confirm_duplicate"' in warned.text
    confirmed = post(admin, "/patients", "/patients/new", {**same, "confirm_duplicate": "yes"})
    assert confirmed.status_code == 303
    with world.session() as session:
        named = session.scalar(select(func.count()).where(PatientRow.last_name == "Quennell"))
    assert named == 2


def test_search_finds_by_three_letters_birth_date_and_chart_only_in_the_clinic(
    clients: dict[str, TestClient], patient: int
) -> None:
    def ids(client: TestClient, q: str) -> set[int]:
        answer = client.get("/patients/search", params={"q": q})
        assert answer.status_code == 200
        return {p["id"] for p in answer.json()["patients"]}

    therapist = clients["therapist"]
    assert patient in ids(therapist, "Que")
    assert patient in ids(therapist, "quennell, od")
    assert patient in ids(therapist, "1951-03-09")
    assert patient in ids(therapist, "03/09/1951")
    chart = therapist.get(f"/patients/{patient}").text
    number = re.search(r"Chart (P[0-9]+)", chart)
    assert number
    assert patient in ids(therapist, number.group(1))
    assert patient not in ids(therapist, "1951-03-10")
    assert ids(therapist, "%") == set()
    assert ids(clients["other_clinic"], "Que") == set()
    # The note's patient field: without script, the search narrows the list of the first step.
    picker = therapist.get("/notes/new", params={"q": "Quen"}).text
    assert f'<option value="{patient}"' in picker
    options = re.findall(r'<option value="[0-9]+"[^>]*>([^<]+)', picker)
    assert options
    assert all(text.startswith("Quennell, ") for text in options)


def test_coverages_in_order_with_the_subscriber_when_not_self(clients: dict[str, TestClient], patient: int) -> None:
    biller = clients["biller"]
    form = f"/patients/{patient}/coverages/new"
    assert post(biller, f"/patients/{patient}/coverages", form, MEDICARE).status_code == 303
    again = post(biller, f"/patients/{patient}/coverages", form, {**MEDICARE, "member_id": "X"})
    assert again.status_code == 422
    assert "already has a primary coverage" in again.text
    missing = post(biller, f"/patients/{patient}/coverages", form, {**SECONDARY, "subscriber_birth_date": ""})
    assert missing.status_code == 422
    assert 'id="f-subscriber_birth_date-error">required' in missing.text
    assert post(biller, f"/patients/{patient}/coverages", form, SECONDARY).status_code == 303
    chart = biller.get(f"/patients/{patient}").text
    assert chart.index("Primary") < chart.index("Secondary")
    assert "Emil Quennell (spouse, born Nov 2, 1949)" in chart


def test_a_plan_of_care_checks_npis_and_diagnoses_and_only_clinicians_set_one(
    clients: dict[str, TestClient], patient: int
) -> None:
    therapist = clients["therapist"]
    url, form = f"/patients/{patient}/plans-of-care", f"/patients/{patient}/plans-of-care/new"
    wrong = post(therapist, url, form, {**PLAN, "physician_npi": "1245319598", "diagnoses": "M54.16, Q99.99"})
    assert wrong.status_code == 422
    assert 'id="f-physician_npi-error">not an NPI' in wrong.text
    assert "not billable ICD-10-CM codes on the first day: Q99.99" in wrong.text
    assert post(therapist, url, form, PLAN).status_code == 303
    assert clients["biller"].get(form).status_code == 403
    assert (
        clients["biller"].post(url, data={**PLAN, "csrf_token": csrf(clients["biller"], "/patients")}).status_code
        == 403
    )
    chart = therapist.get(f"/patients/{patient}").text
    assert "2× a week for 12 weeks" in chart
    assert "due by visit 10" in chart
    assert "M54.16" in chart


def test_an_authorization_counts_the_signed_notes_inside_its_dates(
    world: World, clients: dict[str, TestClient]
) -> None:
    """A demo patient with signed notes: used is the count of them inside the dates (the first is left out),
    left the rest; by units, the units their checks billed of the codes covered."""
    with world.session() as session:
        notes = session.scalars(
            select(EncounterRow).where(EncounterRow.clinic_id == world.clinic_a, EncounterRow.status != "draft")
        ).all()
        patient = notes[0].patient_id
        mine = sorted((n for n in notes if n.patient_id == patient), key=lambda n: n.date_of_service)
        units = sum(
            int(line["units"]) for n in mine[1:] for line in n.checks[-1].claim_lines if line["code"] == "97012"
        )
    days = [n.date_of_service for n in mine][1:]
    assert days, "the demo patient has one signed note only"
    assert units > 0
    biller = clients["biller"]
    data = {
        "number": "AUTH-1",
        "unit_kind": "visits",
        "approved": "12",
        "valid_from": days[0].isoformat(),
        "valid_to": days[-1].isoformat(),
        "codes": "",
    }
    form = f"/patients/{patient}/authorizations/new"
    bad = post(biller, f"/patients/{patient}/authorizations", form, {**data, "approved": "١٢", "codes": "9701"})
    assert bad.status_code == 422
    assert 'id="f-approved-error">a whole number' in bad.text
    assert 'id="f-codes-error">CPT or HCPCS codes' in bad.text
    assert post(biller, f"/patients/{patient}/authorizations", form, data).status_code == 303
    chart = biller.get(f"/patients/{patient}").text
    row = re.search(r"AUTH-1</td>.*?</tr>", chart, re.S)
    assert row
    cells = re.findall(r'<td[^>]* class="num">(?:<strong>)?([^<]+)', row.group(0))
    assert cells == ["12 visits", str(len(days)), str(12 - len(days))]
    # Every note of the patient is linked from the chart.
    for note in mine:
        assert f'href="/notes/{note.id}"' in chart
    by_units = {**data, "unit_kind": "units", "approved": str(units + 4), "codes": ["97012"]}
    made = world.client(A_USERS["biller"]).post(f"/api/patients/{patient}/authorizations", json=by_units)
    assert made.status_code == 201, made.text
    listed = world.client(A_USERS["biller"]).get(f"/api/patients/{patient}/authorizations").json()
    assert [(a["used"], a["left"]) for a in listed if a["unit_kind"] == "units"] == [(units, 4)]


def test_the_chart_is_audited_once_per_view(world: World, clients: dict[str, TestClient], patient: int) -> None:
    def views() -> int:
        with world.session() as session:
            return (
                session.scalar(
                    select(func.count()).where(AuditRow.entity == "patient_chart", AuditRow.entity_id == str(patient))
                )
                or 0
            )

    before = views()
    assert clients["pta"].get(f"/patients/{patient}").status_code == 200
    assert views() == before + 1


@pytest.mark.parametrize(
    "path", ["", "/coverages/new", "/authorizations/new", "/plans-of-care/new"], ids=["chart", "cov", "auth", "plan"]
)
def test_another_clinics_patient_is_not_found(clients: dict[str, TestClient], patient: int, path: str) -> None:
    other = clients["other_clinic"]
    assert other.get(f"/patients/{patient}{path}").status_code == 404
    if path:
        action = f"/patients/{patient}{path.removesuffix('/new')}"
        assert other.post(action, data={"csrf_token": csrf(other, "/patients")}).status_code == 404


# Who may open each patient page: every role reads and registers; authorizations are the front desk's,
# therapists' and billers'; a plan of care only a therapist's (or an admin's). Another clinic: 404.
ROLES_OF_PAGES: dict[str, set[str]] = {
    "/patients": {"therapist", "pta", "biller", "admin"},
    "/patients/search?q=a": {"therapist", "pta", "biller", "admin"},
    "/patients/new": {"therapist", "pta", "biller", "admin"},
    "/patients/{id}": {"therapist", "pta", "biller", "admin"},
    "/patients/{id}/coverages/new": {"therapist", "pta", "biller", "admin"},
    "/patients/{id}/authorizations/new": {"therapist", "biller", "admin"},
    "/patients/{id}/plans-of-care/new": {"therapist", "admin"},
}


def test_every_patient_page_route_is_in_the_role_table() -> None:
    from fastapi.routing import APIRoute

    from ptbill.web.routes.patients import router

    pages = {r.path for r in router.routes if isinstance(r, APIRoute) and "GET" in (r.methods or set())}
    table = {path.split("?")[0].replace("{id}", "{patient_id}") for path in ROLES_OF_PAGES}
    assert pages == table


@pytest.mark.parametrize("path", sorted(ROLES_OF_PAGES))
def test_each_role_opens_only_the_patient_pages_it_may(clients: dict[str, TestClient], patient: int, path: str) -> None:
    url = path.replace("{id}", str(patient))
    for role in A_USERS:
        expected = 200 if role in ROLES_OF_PAGES[path] else 403
        assert clients[role].get(url).status_code == expected, (role, url)
    if "{id}" in path:
        assert clients["other_clinic"].get(url).status_code == 404


def test_the_notes_live_check_reads_the_patient_without_an_audit_row_per_keystroke(
    world: World, clients: dict[str, TestClient], patient: int
) -> None:
    def reads() -> int:
        with world.session() as session:
            found = select(func.count()).where(AuditRow.entity == "patient", AuditRow.entity_id == str(patient))
            return session.scalar(found) or 0

    therapist = clients["therapist"]
    before = reads()
    page = therapist.get("/notes/new", params={"patient_id": patient, "date_of_service": "2026-03-02"})
    assert page.status_code == 200
    opened = reads()
    assert opened > before  # the page view is audited
    [note] = [form for form in forms_of(page.text) if form.action == "/notes"]
    for minutes in ("1", "12", "15"):
        fields = {**note.fields, "services[0].minutes": [minutes]}
        assert therapist.post("/notes/check", data=fields).status_code == 200
    assert reads() == opened


def test_an_estimate_is_prepared_listed_and_downloaded_from_the_chart(
    world: World, clients: dict[str, TestClient], patient: int
) -> None:
    biller = clients["biller"]
    prices = "code,modifiers,amount,effective_from,effective_to\n97012,,55.00,2026-01-01,\n97110,,65.00,2026-01-01,\n"
    upload = world.client(A_USERS["biller"]).put(
        "/api/payers/self-pay/fee-schedule", files={"file": ("self-pay.csv", prices.encode(), "text/csv")}
    )
    assert upload.status_code == 200, upload.text
    form = f"/patients/{patient}/estimates/new"
    assert 'name="code_0"' in biller.get(form).text
    refused = post(biller, f"/patients/{patient}/estimates", form, {"first_visit": "2026-03-09", "code_0": "9701"})
    assert refused.status_code == 422
    assert 'id="f-code_0-error">a CPT or HCPCS code' in refused.text
    fields = {"coverage_id": "", "first_visit": "2026-03-09", "visits": "4", "code_0": "97012", "units_0": "1"}
    fields |= {"code_1": "97110", "units_1": "2"}
    made = post(biller, f"/patients/{patient}/estimates", form, fields)
    assert made.status_code == 303, made.text
    chart = biller.get(f"/patients/{patient}").text
    assert "Self-pay (good-faith estimate)" in chart
    assert "$740.00" in chart  # (55.00 + 2 x 65.00) x 4 visits
    [link] = re.findall(rf'href="(/patients/{patient}/estimates/[0-9]+\.pdf)"', chart)
    pdf = biller.get(link)
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert clients["other_clinic"].get(link).status_code == 404
    assert clients["other_clinic"].get(f"/patients/{patient}/estimates/new").status_code == 404


def test_a_coverages_cost_sharing_is_entered_on_its_own_form(clients: dict[str, TestClient], patient: int) -> None:
    biller = clients["biller"]
    chart = biller.get(f"/patients/{patient}").text
    [link] = re.findall(rf'href="(/patients/{patient}/coverages/[0-9]+/cost-sharing)"', chart)[:1]
    refused = post(biller, link, link, {"coinsurance_percent": "120", "cost_sharing_as_of": "2026-03-01"})
    assert refused.status_code == 422
    assert 'id="f-coinsurance_percent-error">an amount from 0 to 100' in refused.text
    saved = post(
        biller,
        link,
        link,
        {"deductible_remaining": "$1,250.00", "coinsurance_percent": "20", "cost_sharing_as_of": "2026-03-01"},
    )
    assert saved.status_code == 303
    chart = biller.get(f"/patients/{patient}").text
    assert "deductible left $1,250.00" in chart
    assert "coinsurance 20 %" in chart
    assert clients["other_clinic"].get(link).status_code == 404
