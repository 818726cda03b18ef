"""Tenant isolation on every route: walk the OpenAPI document, call each route with clinic A's ids as
each user of clinic B, and expect 403 or 404 (and A's records untouched); list routes must show B none
of A's rows. A route this test does not classify fails it, so new routes cannot skip the check."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from ptbill.remittance.x12_835.writer import write_835
from ptbill.storage.tables import (
    AbnRow,
    AuditRow,
    AuthorizationRow,
    ClaimBatchRow,
    ClaimPaymentRow,
    ClaimRow,
    ClaimWriteOffRow,
    CoverageRow,
    DenialItemEventRow,
    DenialItemRow,
    EligibilityRequestRow,
    EncounterRow,
    EstimateRow,
    LoginFailureRow,
    NoteAddendumRow,
    NoteReturnRow,
    PatientPaymentRow,
    PatientRefundRow,
    PatientRow,
    PlanOfCareRow,
    ProviderRow,
    RemittanceFileRow,
    RemittanceRow,
    ReopeningRequestRow,
    ServiceLocationRow,
    StatementRow,
    StatementRunRow,
    UserRow,
    UserSessionRow,
)
from tests.integration.api.test_api_denials import deny_a_line
from tests.integration.api.world import A_USERS, B_USERS, ApiClient, World, new_patient, note
from tests.integration.test_posting import remittance_for

PATH_IDS = (
    "patient_id",
    "encounter_id",
    "claim_id",
    "batch_id",
    "user_id",
    "location_id",
    "provider_id",
    "session_id",
    "request_id",
    "remittance_file_id",
    "payment_id",
    "claim_payment_id",
    "denial_id",
    "abn_id",
    "estimate_id",
    "coverage_id",
    "statement_id",
)
# Routes that name no record of a clinic: the session, the user's identity, a stateless check, the catalog.
NOT_CLINIC_DATA = {
    ("post", "/api/session"),
    ("delete", "/api/session"),
    ("get", "/api/me"),
    ("put", "/api/me/password"),
    ("post", "/api/encounters/check"),
    ("post", "/api/encounters/check/batch"),  # the same check, many notes: each with the caller's clinic's values
    ("get", "/api/payers"),
    # These create in the caller's own clinic and take no id that could name another clinic's record.
    ("post", "/api/patients"),
    ("post", "/api/users"),
    ("post", "/api/providers"),
    ("post", "/api/clinic/locations"),
    # The caller's own clinic's settings: no id names another clinic.
    ("get", "/api/clinic"),
    ("put", "/api/clinic"),
    ("put", "/api/clinic/cosign"),
    # 835 files post to the caller's own clinic's claims only (services.posting filters by clinic).
    ("post", "/api/remittances"),
    # Bills the caller's own clinic's notes matching a filter: walked by the queue test at the end.
    ("post", "/api/queue/claims"),
    # The list of reports (the registry); each report's rows are checked by the reports test below.
    ("get", "/api/reports"),
    # The caller's clinic's unsent claims near their filing limit: checked by the timely filing test below.
    ("get", "/api/claims/timely-filing"),
    # Statement runs and the small-balance write-off act on the caller's own clinic's patients and take no id.
    ("post", "/api/statements/runs"),
    ("post", "/api/statements/small-balance-write-offs"),
}
QUEUE_TABS = ("ready", "needs_attention", "blocked")
REPORT_ROUTES = {("get", "/api/reports/{name}"), ("get", "/api/reports/{name}.csv")}
LIST_ROUTES: dict[str, Any] = {
    "/api/patients": PatientRow,
    "/api/encounters": EncounterRow,
    "/api/claims": ClaimRow,
    "/api/batches": ClaimBatchRow,
    "/api/users": UserRow,
    "/api/queue": EncounterRow,
    "/api/audit": AuditRow,
    "/api/providers": ProviderRow,
    "/api/clinic/locations": ServiceLocationRow,
    "/api/sessions": UserSessionRow,
    "/api/remittances": RemittanceFileRow,
    "/api/payments": RemittanceRow,
    "/api/remittances/unmatched": ClaimPaymentRow,
    "/api/denials": DenialItemRow,
    "/api/statements/runs": StatementRunRow,
}
COVERAGE = {"payer_id": "aetna", "member_id": "W123"}
AUTHORIZATION = {"number": "A-1", "approved": 10, "valid_from": "2026-01-01", "valid_to": "2026-03-31"}
MEDICARE = {"payer_id": "ca-medicare-south", "member_id": "1EG4TE5MK73"}
ABN = {"services": [{"code": "97110"}], "reason_kind": "maintenance"}
PLAN_OF_CARE = {
    "start_date": "2026-01-05",
    "end_date": "2026-04-04",
    "visits_per_week": 2,
    "duration_weeks": 12,
    "physician_name": "Dr. Ines Park",
    "physician_npi": "1245319599",
    "diagnoses": ["M54.16"],
}


def make_records(world: World, users: dict[str, str]) -> dict[str, int]:
    """One of each kind of record in a clinic: a patient, a draft and a signed note, a claim outside any
    batch, and a batch not yet sent."""
    therapist, biller = world.client(users["therapist"]), world.client(users["biller"])
    patient = new_patient(therapist)
    ids = {"patient_id": patient}
    assert therapist.post(f"/api/patients/{patient}/coverages", json=MEDICARE).status_code == 201
    abn = therapist.post(f"/api/patients/{patient}/abns", json=ABN)
    assert abn.status_code == 201, abn.text
    ids["abn_id"] = abn.json()["id"]
    for name in ("draft", "signed", "billed", "batched", "denied"):
        response = therapist.post("/api/encounters", json={"patient_id": patient, "document": note()})
        assert response.status_code == 201, response.text
        ids[name] = response.json()["id"]
        if name != "draft":
            assert therapist.post(f"/api/encounters/{ids[name]}/sign").status_code == 200
    [claim] = biller.post("/api/claims", json={"encounter_ids": [ids["billed"]]}).json()
    [batched] = biller.post("/api/claims", json={"encounter_ids": [ids["batched"]]}).json()
    batch = biller.post("/api/batches", json={"claim_ids": [batched["id"]]}).json()
    ids.update(encounter_id=ids["draft"], claim_id=claim["id"], batch_id=batch["id"])
    [denied] = biller.post("/api/claims", json={"encounter_ids": [ids["denied"]]}).json()
    ids["denial_id"] = deny_a_line(world, users["biller"], denied["id"])
    admin = world.client(users["admin"])
    pt = {"name": "Roster PT", "discipline": "PT", "npi": "1245319599", "licence_state": "OR", "licence_number": "1"}
    provider = admin.post("/api/providers", json=pt)
    assert provider.status_code == 201, provider.text
    place = {"name": "Annex", "address_line1": "1 Main St", "city": "Bend", "state": "OR", "zip": "97701"}
    location = admin.post("/api/clinic/locations", json=place)
    assert location.status_code == 201, location.text
    ids.update(provider_id=provider.json()["id"], location_id=location.json()["id"])
    coverage = biller.post(f"/api/patients/{patient}/coverages", json=COVERAGE)
    assert coverage.status_code == 201, coverage.text
    ids["coverage_id"] = coverage.json()["id"]
    ids.update(remittance_ids(world, biller, claim))
    with world.session() as session:
        user = session.scalars(select(UserRow).where(UserRow.email == users["therapist"])).one()
        ids["user_id"] = user.id
        ids["session_id"] = session.scalars(select(UserSessionRow.id).where(UserSessionRow.user_id == user.id)).first()
        # A failed login on record, which another clinic's "unlock" must leave in place.
        session.add(LoginFailureRow(account=user.email, address="192.0.2.7", at=datetime.now(UTC)))
        # A reopening request on the claim, whose PDF another clinic must not download.
        request = ReopeningRequestRow(
            clinic_id=user.clinic_id, claim_id=ids["claim_id"], change_text="units", reason_text="clerical"
        )
        session.add(request)
        session.flush()
        ids["request_id"] = request.id
        # A cost estimate of the patient, whose PDF another clinic must not download.
        estimate = EstimateRow(
            clinic_id=user.clinic_id,
            patient_id=patient,
            self_pay=True,
            first_visit=datetime(2026, 3, 9, tzinfo=UTC).date(),
            visits=1,
            document={},
            allowed_total=0,
            patient_total=0,
            pdf=b"%PDF-1.4 estimate of clinic A",
        )
        session.add(estimate)
        session.flush()
        ids["estimate_id"] = estimate.id
        # A statement run with the patient's statement, whose PDF another clinic must not download.
        day = datetime(2026, 3, 9, tzinfo=UTC).date()
        run = StatementRunRow(clinic_id=user.clinic_id, run_date=day, threshold=0, count=1, total=0)
        session.add(run)
        session.flush()
        statement = StatementRow(
            clinic_id=user.clinic_id,
            patient_id=patient,
            run_id=run.id,
            statement_date=day,
            amount_due=0,
            reminder_level=0,
            pdf=b"%PDF-1.4 statement of clinic A",
        )
        session.add(statement)
        session.flush()
        ids["statement_id"] = statement.id
        session.commit()
    return ids


def remittance_ids(world: World, biller: ApiClient, claim: dict[str, Any]) -> dict[str, int]:
    """An 835 posted in the clinic: one payment for its claim and one that matched no claim."""
    with world.session() as session:
        row = session.get(ClaimRow, claim["id"])
        assert row is not None
        paid = remittance_for(row, trace=f"EFT-T{claim['id']}")
        stray = dataclasses.replace(paid.claims[0], patient_control_number=f"NO-SUCH-{claim['id']}")
        text = write_835(
            dataclasses.replace(paid, claims=(*paid.claims, stray), payment_amount=2 * paid.payment_amount)
        )
    [posted] = biller.post("/api/remittances", files=[("files", ("era.835", text.encode(), "text/plain"))]).json()
    assert posted["outcome"] == "posted", posted
    [stray_payment] = biller.get("/api/remittances/unmatched").json()
    return {
        "remittance_file_id": posted["file"]["id"],
        "payment_id": posted["file"]["summary"]["payment_ids"][0],
        "claim_payment_id": stray_payment["id"],
    }


def state_of(world: World, a: dict[str, int]) -> tuple[Any, ...]:
    """What a leaked write would change in clinic A."""
    with world.session() as session:
        draft = session.get(EncounterRow, a["draft"])
        signed = session.get(EncounterRow, a["signed"])
        claim = session.get(ClaimRow, a["claim_id"])
        batch = session.get(ClaimBatchRow, a["batch_id"])
        denial = session.get(DenialItemRow, a["denial_id"])
        assert denial is not None
        notes = session.scalar(select(func.count()).where(DenialItemEventRow.item_id == a["denial_id"]))
        coverages = session.scalars(select(CoverageRow.id).where(CoverageRow.patient_id == a["patient_id"])).all()
        authorizations = session.scalars(
            select(AuthorizationRow.id).where(AuthorizationRow.patient_id == a["patient_id"])
        ).all()
        plans = session.scalars(select(PlanOfCareRow.id).where(PlanOfCareRow.patient_id == a["patient_id"])).all()
        patient_money = [
            session.scalar(select(func.count()).select_from(table).where(table.patient_id == a["patient_id"]))
            for table in (PatientPaymentRow, PatientRefundRow)
        ]
        abns = session.execute(
            select(AbnRow.id, AbnRow.signed_on, AbnRow.option).where(AbnRow.patient_id == a["patient_id"])
        ).all()
        estimates = session.scalars(select(EstimateRow.id).where(EstimateRow.patient_id == a["patient_id"])).all()
        asked = session.scalars(
            select(EligibilityRequestRow.id).where(EligibilityRequestRow.patient_id == a["patient_id"])
        ).all()
        sharing = session.scalars(select(CoverageRow.copay).where(CoverageRow.patient_id == a["patient_id"])).all()
        assert draft is not None
        assert signed is not None
        assert claim is not None
        assert batch is not None
        user = session.get(UserRow, a["user_id"])
        assert user is not None
        failures = session.scalar(select(func.count()).where(LoginFailureRow.account == user.email))
        claim_actions = [
            session.scalar(select(func.count()).select_from(table).where(table.claim_id == a["claim_id"]))
            for table in (ClaimWriteOffRow, NoteReturnRow, ReopeningRequestRow)
        ]
        claim_actions.append(session.scalar(select(func.count()).where(ClaimRow.corrects_claim_id == a["claim_id"])))
        claim_actions.append(session.scalar(select(func.count()).select_from(NoteAddendumRow)))
        provider = session.get(ProviderRow, a["provider_id"])
        assert provider is not None
        login = session.get(UserSessionRow, a["session_id"])
        assert login is not None
        stray = session.get(ClaimPaymentRow, a["claim_payment_id"])
        assert stray is not None
        return (
            stray.claim_id,
            claim.paid_amount,
            provider.active,
            session.get(ServiceLocationRow, a["location_id"]) is not None,
            login.revoked_at,
            user.role,
            user.password_hash,
            draft.version,
            draft.status,
            signed.status,
            claim.batch_id,
            batch.submitted_at,
            len(coverages),
            len(authorizations),
            len(plans),
            patient_money,
            sorted(tuple(row) for row in abns),
            len(estimates),
            len(asked),
            sharing,
            user.active,
            failures,
            claim_actions,
            (denial.status, denial.assignee_id, denial.follow_up, denial.appeal_level, notes),
        )


def body_for(method: str, path: str, a: dict[str, int]) -> dict[str, Any] | None:
    if (method, path) == ("post", "/api/encounters"):
        return {"patient_id": a["patient_id"], "document": note()}
    if (method, path) == ("put", "/api/encounters/{encounter_id}"):
        return {"document": note()}
    if (method, path) == ("post", "/api/patients/{patient_id}/coverages"):
        return COVERAGE
    if (method, path) == ("post", "/api/patients/{patient_id}/authorizations"):
        return AUTHORIZATION
    if (method, path) == ("post", "/api/patients/{patient_id}/plans-of-care"):
        return PLAN_OF_CARE
    if (method, path) == ("post", "/api/patients/{patient_id}/abns"):
        return ABN
    if (method, path) == ("post", "/api/patients/{patient_id}/abns/{abn_id}/signature"):
        return {"signed_on": "2026-03-02", "option": 1}
    if (method, path) == ("put", "/api/patients/{patient_id}/coverages/{coverage_id}/cost-sharing"):
        return {"copay": "99.00", "cost_sharing_as_of": "2026-03-01"}
    if (method, path) == ("post", "/api/patients/{patient_id}/eligibility"):
        return {"coverage_id": a["coverage_id"], "send": True}
    if (method, path) == ("post", "/api/patients/{patient_id}/estimates"):
        return {"lines": [{"code": "97012", "not_covered": True}]}
    if (method, path) == ("post", "/api/claims"):
        return {"encounter_ids": [a["signed"]]}
    if (method, path) == ("post", "/api/batches"):
        return {"claim_ids": [a["claim_id"]]}
    if (method, path) == ("post", "/api/patients/{patient_id}/payments"):
        return {"amount": "5.00", "method": "cash"}
    if (method, path) == ("post", "/api/patients/{patient_id}/refunds"):
        return {"amount": "1.00", "method": "check", "reference": "1001"}
    if (method, path) == ("post", "/api/claims/{claim_id}/write-offs"):
        return {"amount": "1.00", "reason_code": "small_balance"}
    if (method, path) in (
        ("post", "/api/claims/{claim_id}/return-note"),
        ("post", "/api/encounters/{encounter_id}/return"),
    ):
        return {"message": "Please check the units."}
    if (method, path) == ("post", "/api/encounters/{encounter_id}/addenda"):
        return {"reason": "from another clinic", "text": "leaked"}
    if (method, path) == ("post", "/api/claims/{claim_id}/reopening-requests"):
        return {"change": "Line 1 units", "reason": "Clerical error"}
    if (method, path) == ("patch", "/api/denials/{denial_id}"):
        return {"expected_status": "new", "status": "resolved"}
    if (method, path) == ("post", "/api/denials/{denial_id}/notes"):
        return {"text": "from another clinic"}
    if (method, path) == ("patch", "/api/users/{user_id}"):
        return {"active": False}
    if (method, path) == ("put", "/api/users/{user_id}/role"):
        return {"role": "admin"}
    if (method, path) == ("patch", "/api/providers/{provider_id}"):
        return {"active": False}
    if (method, path) == ("post", "/api/claim-payments/{claim_payment_id}/match"):
        return {"claim_id": a["claim_id"]}
    return None


@pytest.fixture(scope="module")
def records(world: World) -> tuple[dict[str, int], dict[str, int]]:
    return make_records(world, A_USERS), make_records(world, B_USERS)


def test_every_route_refuses_clinic_a_ids_to_clinic_b(world: World, records: tuple[dict[str, int], Any]) -> None:
    a, _ = records
    schema = world.client().get("/api/openapi.json").json()
    before = state_of(world, a)
    unclassified, walked = [], 0
    for path, operations in schema["paths"].items():
        if not path.startswith("/api/"):
            continue
        for method in operations:
            body = body_for(method, path, a)
            if any(f"{{{name}}}" in path for name in PATH_IDS) or body is not None:
                url = path
                for name in PATH_IDS:
                    url = url.replace(f"{{{name}}}", str(a[name]))
                for email in B_USERS.values():
                    response = world.client(email).request(method.upper(), url, json=body)
                    assert response.status_code in (403, 404), (email, method, url, response.status_code, response.text)
                walked += 1
            elif (
                "{payer_id}" in path
                or (method == "get" and path in LIST_ROUTES)
                or (method, path) in NOT_CLINIC_DATA | REPORT_ROUTES
            ):
                continue  # checked by the tests below
            else:
                unclassified.append(f"{method.upper()} {path}")
    assert unclassified == [], "classify these routes in the tenancy test"
    assert walked >= 15
    assert state_of(world, a) == before


@pytest.mark.parametrize("route", sorted(LIST_ROUTES))
def test_list_routes_show_only_the_users_clinic(world: World, records: Any, route: str) -> None:
    table = LIST_ROUTES[route]
    a_ids = world.ids_of(table, world.clinic_a)
    b_ids = world.ids_of(table, world.clinic_b)
    a_users = world.ids_of(UserRow, world.clinic_a)
    seen_by_someone = False
    for email in B_USERS.values():
        response = world.client(email).get(route)
        if response.status_code == 403:
            continue
        assert response.status_code == 200
        body = response.json()
        if route == "/api/queue":  # one tab a page: every tab's first page
            pages = [world.client(email).get(route, params={"tab": tab}).json() for tab in QUEUE_TABS]
            rows = [item["encounter"] for page in pages for item in page[page["tab"]]]
        elif route == "/api/denials":
            rows = body["items"]
        else:
            rows = body
        ids = {row["id"] for row in rows}
        assert not ids & a_ids, f"{route} shows clinic A's rows to {email}"
        assert ids <= b_ids
        assert not {row.get("user_id") for row in rows} & a_users
        seen_by_someone = seen_by_someone or bool(ids)
    assert seen_by_someone, f"no user of clinic B saw any row of {route}: the check proved nothing"


def test_payer_settings_and_fee_schedules_stay_in_their_clinic(world: World, records: Any) -> None:
    payer, name = "umr-wausau", "traction.minimum_minutes"
    a_biller, b_biller = world.client(A_USERS["biller"]), world.client(B_USERS["biller"])
    change = {"value": 30, "effective_from": "2026-01-01", "reference": "clinic A contract"}
    assert a_biller.put(f"/api/payers/{payer}/parameters/{name}", json=change).status_code == 200
    csv_text = "code,amount,effective_from\n97012,19.99,2026-01-01\n"
    a_file = {"file": ("a.csv", csv_text, "text/csv")}
    assert a_biller.put(f"/api/payers/{payer}/fee-schedule", files=a_file).status_code == 200

    def layers(client: ApiClient) -> dict[str, Any]:
        payer_json = client.get(f"/api/payers/{payer}", params={"date": "2026-03-02"}).json()
        return {p["name"]: p for p in payer_json["parameters"]}

    assert all(p["layer"] != f"clinic:{world.clinic_a}" for p in layers(b_biller).values())
    assert b_biller.get(f"/api/payers/{payer}/fee-schedule").json()["rows"] == []

    # B's own changes land in B and leave A's alone.
    b_change = {**change, "value": 10, "reference": "clinic B contract"}
    assert b_biller.put(f"/api/payers/{payer}/parameters/{name}", json=b_change).status_code == 200
    b_file = {"file": ("b.csv", "code,amount,effective_from\n97012,5.00,2026-01-01\n", "text/csv")}
    assert b_biller.put(f"/api/payers/{payer}/fee-schedule", files=b_file).status_code == 200
    assert layers(a_biller)[name]["value"] == 30
    assert layers(b_biller)[name]["value"] == 10
    assert [r["amount"] for r in a_biller.get(f"/api/payers/{payer}/fee-schedule").json()["rows"]] == ["19.99"]


def test_billing_the_queue_by_filter_bills_only_the_callers_clinic(world: World, records: Any) -> None:
    a, _ = records
    before = state_of(world, a)
    with world.session() as session:
        a_therapist = session.get(UserRow, a["user_id"])
        assert a_therapist is not None
    b_biller = world.client(B_USERS["biller"])
    # Clinic A's therapist as the filter: clinic B's queue has none of their notes.
    named = b_biller.post("/api/queue/claims", json={"therapist": str(a_therapist.id), "tab": "ready"})
    assert named.status_code == 201, named.text
    assert named.json()["built"] == []
    assert named.json()["matched"] == 0
    listed = b_biller.get("/api/queue", params={"therapist": str(a_therapist.id)}).json()
    assert sum(listed["counts"].values()) == 0
    for tab in ("ready", "needs_attention"):
        response = b_biller.post("/api/queue/claims", json={"tab": tab})
        assert response.status_code == 201, response.text
        built = {claim["encounter_id"] for claim in response.json()["built"]}
        assert built <= world.ids_of(EncounterRow, world.clinic_b)
    assert state_of(world, a) == before


def test_every_report_shows_only_the_users_clinic(world: World, records: Any) -> None:
    a, _b = records
    a_biller, b_biller = world.client(A_USERS["biller"]), world.client(B_USERS["biller"])
    b_before = b_biller.get("/api/reports/ar-aging", params={"party": "all"}).json()
    assert a_biller.post(f"/api/batches/{a['batch_id']}/submitted").status_code == 200  # A's claim is now in A/R
    a_aging = a_biller.get("/api/reports/ar-aging").json()
    assert a_aging["totals"]["claims"] >= 1
    names = [r["name"] for r in b_biller.get("/api/reports").json()]
    assert {"ar-aging", "days-in-ar", "net-collection", "clean-claims", "productivity"} <= set(names)
    with world.session() as session:
        a_therapists = set(session.scalars(select(UserRow.name).where(UserRow.clinic_id == world.clinic_a)))
        b_visits = session.scalar(
            select(func.count()).where(
                EncounterRow.clinic_id == world.clinic_b, EncounterRow.status.in_(("signed", "billed"))
            )
        )
    for name in names:
        response = b_biller.get(f"/api/reports/{name}")
        assert response.status_code == 200, (name, response.text)
        text = response.text + b_biller.get(f"/api/reports/{name}.csv").text
        assert not any(t in text for t in a_therapists if t), f"{name} names a therapist of clinic A"
    # A's claim entering A/R leaves B's A/R as it was.
    assert b_biller.get("/api/reports/ar-aging", params={"party": "all"}).json() == b_before
    assert b_biller.get("/api/reports/productivity").json()["totals"]["visits"] == b_visits
    assert world.client(B_USERS["therapist"]).get("/api/reports/ar-aging").status_code == 403
    bad = b_biller.get("/api/reports/ar-aging", params={"as_of": "2026-02-30", "party": "nobody"})
    assert bad.status_code == 422
    assert any(line.startswith("query.as_of") for line in bad.json()["problems"])
    assert any(line.startswith("query.party") for line in bad.json()["problems"])
    assert b_biller.get("/api/reports/no-such-report").status_code == 404


def test_the_timely_filing_worklist_shows_only_the_users_clinic(world: World, records: Any) -> None:
    a, _ = records
    therapist, biller = world.client(A_USERS["therapist"]), world.client(A_USERS["biller"])
    signed = therapist.post("/api/encounters", json={"patient_id": a["patient_id"], "document": note()}).json()["id"]
    assert therapist.post(f"/api/encounters/{signed}/sign").status_code == 200
    [claim] = biller.post("/api/claims", json={"encounter_ids": [signed]}).json()
    with world.session() as session:  # clinic A's unsent claim, dated long enough ago to be past its limit
        row = session.get(ClaimRow, claim["id"])
        assert row is not None
        row.service_date = date(2025, 1, 6)
        session.commit()
    mine = biller.get("/api/claims/timely-filing")
    assert mine.status_code == 200
    assert claim["id"] in {found["claim_id"] for found in mine.json()}
    for email in B_USERS.values():
        response = world.client(email).get("/api/claims/timely-filing")
        assert response.status_code in (200, 403)
        if response.status_code == 200:
            assert claim["id"] not in {found["claim_id"] for found in response.json()}
