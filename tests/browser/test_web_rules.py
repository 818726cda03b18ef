"""Rules of the pages that need no browser: CSRF refusals, the redirect to login, cookie flags, HTML
errors for pages but JSON under /api, and the note form ↔ encounter format 1 builder.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ptbill.claims.trading import TEST_TRADING, TradingConfig
from ptbill.server import create_app
from ptbill.services import batches as batches_service
from ptbill.services import billing, users
from ptbill.services import queue as queue_service
from ptbill.services.demo_data import DEMO_PASSWORD, seed_demo
from ptbill.settings import Settings
from ptbill.storage.session import make_engine, session_factory, transaction
from ptbill.storage.tables import ClaimBatchRow, ClaimRow
from ptbill.web import note_form
from tests.browser.live_app import VISIT, VISIT_CHOICES, VISIT_RADIOS
from tests.demo_day import DEMO_TODAY
from tests.integration.test_posting import answer
from tests.migrated import migrate

T = note_form.T


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    directory = tmp_path_factory.mktemp("web-rules")
    url = f"sqlite:///{directory / 'ptbill.sqlite3'}"
    migrate(url)
    with transaction(session_factory(make_engine(url))) as session:
        seed_demo(session, encounters=20, patients=10, today=DEMO_TODAY)
    return url, directory


def _client(database: tuple[str, Path], secure: bool = False) -> TestClient:
    url, directory = database
    app = create_app(Settings(url, directory, "web-rules-secret-" + "y" * 32, secure_cookies=secure))
    return TestClient(app, base_url="https://testserver" if secure else "http://testserver")


@pytest.fixture
def client(database: tuple[str, Path]) -> Iterator[TestClient]:
    with _client(database) as client:
        yield client


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "the form carries no CSRF token"
    return match.group(1)


def _log_in(client: TestClient, email: str = "biller@harbor.example") -> Any:
    token = _csrf(client.get("/login").text)
    return client.post(
        "/login",
        data={"email": email, "password": DEMO_PASSWORD, "csrf_token": token, "next": "/"},
        follow_redirects=False,
    )


def test_a_page_without_a_session_redirects_to_the_login_form(client: TestClient) -> None:
    response = client.get("/queue?tab=blocked", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/queue%3Ftab%3Dblocked"


def test_an_unknown_user_is_sent_back_to_the_login_form(client: TestClient) -> None:
    token = _csrf(client.get("/login").text)
    response = client.post("/login", data={"email": "nobody@harbor.example", "password": "x", "csrf_token": token})
    assert response.status_code == 401
    assert "match an active account" in response.text
    assert "ptbill_session" not in response.cookies


def test_the_session_cookie_is_httponly_and_samesite_lax_and_secure_when_configured(database: tuple[str, Path]) -> None:
    for secure in (False, True):
        with _client(database, secure) as client:
            cookie = _log_in(client).headers["set-cookie"]
            assert cookie.startswith("ptbill_session=")
            assert "HttpOnly" in cookie
            assert "SameSite=lax" in cookie
            assert ("Secure" in cookie) is secure


@pytest.mark.parametrize(
    "path",
    [
        "/logout",
        "/notes/check",
        "/notes",
        "/queue/claims",
        "/batches",
        "/payers/aetna/parameters",
        "/batches/1/submitted",
        "/account/password",
        "/account/two-factor/start",
        "/account/two-factor/confirm",
    ],
)
def test_every_post_form_is_refused_without_its_csrf_token(client: TestClient, path: str) -> None:
    _log_in(client)
    for sent in ({}, {"csrf_token": "0" * 64}):
        response = client.post(path, data={"name": "x", **sent}, follow_redirects=False)
        assert response.status_code == 403, path
        assert "Not allowed" in response.text


def test_the_login_form_itself_needs_its_csrf_token(client: TestClient) -> None:
    response = client.post("/login", data={"email": "biller@harbor.example", "password": DEMO_PASSWORD})
    assert response.status_code == 403
    assert client.post("/login/code", data={"code": "123456"}).status_code == 403, "and so does its code step"
    assert client.post("/setup", data={"token": "x"}).status_code == 403, "and the first-run form"


def test_pages_get_html_errors_while_the_api_keeps_json(client: TestClient) -> None:
    _log_in(client)
    page = client.get("/notes/999999")
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["cache-control"] == "no-store"
    api = client.get("/api/no-such-route")
    assert api.status_code == 404
    assert api.headers["content-type"].startswith("application/json")


def test_a_payer_change_needs_a_source_and_keeps_what_was_typed(client: TestClient) -> None:
    _log_in(client)
    token = _csrf(client.get("/payers/aetna").text)
    data = {"csrf_token": token, "name": "traction.minimum_minutes", "value": "12", "effective_from": "2026-12-01"}
    refused = client.post("/payers/aetna/parameters", data={**data, "reference": " "})
    assert refused.status_code == 422
    assert "where the new value comes from" in refused.text
    assert 'value="traction.minimum_minutes"' in refused.text
    saved = client.post("/payers/aetna/parameters", data={**data, "reference": "Aetna bulletin 2026-11"})
    assert saved.status_code == 200
    assert "Saved: traction.minimum_minutes is 12 from Dec 1, 2026" in saved.text


def _field_message(html: str, field_id: str) -> str:
    """The error text the page shows right after the field's own input, tied to it by aria-describedby."""
    match = re.search(
        rf'<input id="{field_id}"[^>]*aria-invalid="true"[^>]*aria-describedby="{field_id}-error"[^>]*>\s*'
        rf'<p class="field-error" id="{field_id}-error"[^>]*>([^<]*)</p>',
        html,
    )
    assert match, f"no message beside #{field_id}"
    return match.group(1)


def test_an_invalid_value_is_refused_beside_the_field_and_what_was_typed_stays(client: TestClient) -> None:
    _log_in(client)
    token = _csrf(client.get("/payers/cencal-health").text)
    data = {
        "csrf_token": token,
        "name": "units.method",
        "value": "banana",
        "effective_from": "2026-12-01",
        "reference": "call with CenCal 2026-11-20, ref 88123",
    }
    refused = client.post("/payers/cencal-health/parameters", data=data)
    assert refused.status_code == 422
    assert _field_message(refused.text, "p-value") == "units.method must be one of cms, per_code, got &#39;banana&#39;"
    for field in ("name", "value", "effective_from", "reference"):
        assert f'name="{field}"' in refused.text, field
        assert f'value="{data[field]}"' in refused.text, field
    assert "Saved:" not in refused.text

    unknown = client.post("/payers/cencal-health/parameters", data={**data, "name": "units.methd", "value": "cms"})
    assert unknown.status_code == 422
    assert "no parameter is declared as &#39;units.methd&#39;" in _field_message(unknown.text, "p-name")

    # The same payer still takes a valid value, typed as a person types it.
    saved = client.post("/payers/cencal-health/parameters", data={**data, "value": " per_code "})
    assert saved.status_code == 200
    assert "Saved: units.method is per_code from Dec 1, 2026" in saved.text
    codes = client.post(
        "/payers/cencal-health/parameters", data={**data, "name": "coverage.covered_codes", "value": "97110, 97140"}
    )
    assert codes.status_code == 200
    assert "Saved: coverage.covered_codes is [&#34;97110&#34;, &#34;97140&#34;]" in codes.text


def test_marking_a_batch_the_payer_answered_submitted_shows_why_and_changes_nothing(
    database: tuple[str, Path], client: TestClient
) -> None:
    url, _ = database
    with transaction(session_factory(make_engine(url))) as session:
        biller = users.authenticate(session, "biller@harbor.example", DEMO_PASSWORD)
        assert biller is not None
        ready = [row.id for row, _ in queue_service.work_queue(session, biller)["ready"][:2]]
        claims = billing.build_claims(session, biller, ready)
        batch_id = batches_service.create_batch(
            session, biller, [c.id for c in claims], TradingConfig(TEST_TRADING, {}), confirm_late=True
        ).id
        answer(session, biller, *claims)
        before = {c.id: session.get(ClaimRow, c.id).status for c in claims}  # type: ignore[union-attr]
    _log_in(client)
    token = _csrf(client.get(f"/batches/{batch_id}").text)
    response = client.post(
        f"/batches/{batch_id}/submitted", data={"csrf_token": token, "confirm_late": "1"}, follow_redirects=False
    )
    assert response.status_code == 409
    assert response.headers["content-type"].startswith("text/html")
    paid, denied = before
    assert (
        f"batch {batch_id} cannot be marked submitted: its claims cannot become submitted "
        f"(denied: {denied}; paid: {paid}); nothing was changed"
    ) in response.text
    with session_factory(make_engine(url))() as session:
        assert {claim_id: session.get(ClaimRow, claim_id).status for claim_id in before} == before  # type: ignore[union-attr]
        assert session.get(ClaimBatchRow, batch_id).submitted_at is None  # type: ignore[union-attr]


# the note form ↔ encounter format 1 -------------------------------------------------------------


def _parties() -> note_form.NoteParties:
    clinic = SimpleNamespace(
        name="Harbor Physical Therapy (demo)",
        npi="1245319599",
        tax_id="954512345",
        address_line1="120 Harbor Way",
        city="Santa Barbara",
        state="CA",
        zip="93109",
    )
    patient = SimpleNamespace(
        chart_number="HPT-9001",
        first_name="Nora",
        last_name="Lindqvist",
        birth_date=date(1957, 5, 9),
        sex="F",
        address_line1=None,
        city=None,
        state=None,
        zip=None,
    )
    coverage = SimpleNamespace(
        payer_id="ca-medicare-south",
        member_id="5TQ8LM2KX41",
        group_number=None,
        relationship_to_insured="self",
        authorization=None,
    )
    provider = {"name": "Dana Reyes", "npi": "1093817462", "credential": "PT"}
    return note_form.NoteParties(clinic, provider, patient, coverage)  # type: ignore[arg-type]


def _visit_form() -> dict[str, str]:
    return {
        "id": "N20261124-ABC123",
        "date_of_service": "2026-11-24",
        T + "force_lbs": "65",
        **VISIT,
        **VISIT_CHOICES,
        **VISIT_RADIOS,
    }


def test_the_form_builds_format_1_with_the_header_from_the_rows() -> None:
    document = note_form.build_document(_visit_form(), _parties()).document
    assert document["billing_provider"]["npi"] == "1245319599"
    assert document["billing_provider"]["name"] == "Harbor Physical Therapy"
    assert document["rendering_provider"] == {"name": "Dana Reyes", "npi": "1093817462", "credential": "PT"}
    assert document["patient"]["id"] == "HPT-9001"
    assert document["coverage"]["payer"] == "ca-medicare-south"
    traction = document["services"][0]["traction"]
    assert traction["force_lbs"] == 65
    assert traction["monitoring_checks"] == ["09:08", "09:15"]
    assert document["services"][0]["diagnosis_pointers"] == [1, 2]
    assert document["services"][1] == {
        "code": "97110",
        "modifiers": ["GP"],
        "diagnosis_pointers": [1],
        "minutes": 23,
    }


def test_a_stored_note_shows_the_same_inputs_it_was_built_from() -> None:
    form = _visit_form()
    values, renames = note_form.form_values(note_form.build_document(form, _parties()).document)
    assert renames == {}
    for name, value in form.items():
        assert values.get(name, "") == value, name


def test_a_skipped_row_keeps_findings_beside_the_row_the_therapist_used() -> None:
    form = {**_visit_form(), "services[2].code": "97140", "services[2].minutes": "10"}
    form["services[1].code"] = ""
    built = note_form.build_document(form, _parties())
    assert [s["code"] for s in built.document["services"]] == ["97012", "97140"]
    assert built.form_field("services[1].minutes") == "services[2].minutes"
    assert built.form_field("services[10].minutes") == "services[10].minutes"


def test_text_that_is_not_a_number_reaches_the_format_check_as_typed() -> None:
    form = {**_visit_form(), T + "force_lbs": "sixty"}
    assert note_form.build_document(form, _parties()).document["services"][0]["traction"]["force_lbs"] == "sixty"


def test_a_finding_lands_on_its_input_or_the_nearest_enclosing_part() -> None:
    known = note_form.field_names(note_form.row_counts({}))
    assert note_form.place(T + "force_lbs", known) == T + "force_lbs"
    assert note_form.place("services[1].units", known) == "services[1]"
    assert note_form.place("coverage.authorization.visits_used", known) == "coverage"
    assert note_form.place(T + "monitoring_checks[1]", known) == T + "monitoring_checks"
    assert note_form.place("billing_provider.npi", known) == ""
    assert note_form.problem_fields(["services[0].start_time: not a clock time"]) == [
        {"field": "services[0].start_time", "message": "not a clock time"}
    ]
