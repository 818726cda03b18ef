"""The biller's side through the API: the work queue, claims from signed notes, the 837P that pyx12
accepts (one claim alone and as a batch), the paper form, FHIR, and sending a batch."""

from __future__ import annotations

import threading

from sqlalchemy import select

from ptbill.services import access
from ptbill.storage.tables import ClaimRow, UserRow
from tests.integration.api.world import A_USERS, World, new_patient, note
from tests.integration.test_posting import answer
from tests.pyx12_check import pyx12_errors


def signed_encounter(world: World) -> int:
    therapist = world.client(A_USERS["therapist"])
    created = therapist.post("/api/encounters", json={"patient_id": new_patient(therapist), "document": note()})
    assert created.status_code == 201, created.text
    encounter_id: int = created.json()["id"]
    assert therapist.post(f"/api/encounters/{encounter_id}/sign").status_code == 200
    return encounter_id


def test_the_biller_builds_a_claim_and_sends_an_837p_pyx12_accepts(world: World) -> None:
    encounter_id = signed_encounter(world)
    biller = world.client(A_USERS["biller"])
    queue = biller.get("/api/queue").json()
    ready = {item["encounter"]["id"]: item for item in queue["ready"]}
    assert encounter_id in ready
    assert ready[encounter_id]["reasons"] == []
    assert set(queue) >= {"ready", "needs_attention", "blocked"}  # paging and counts are added beside them

    assert (
        world.client(A_USERS["therapist"]).post("/api/claims", json={"encounter_ids": [encounter_id]}).status_code
        == 403
    )
    built = biller.post("/api/claims", json={"encounter_ids": [encounter_id, encounter_id]})
    assert built.status_code == 201, built.text
    [claim] = built.json()
    assert [line["code"] for line in claim["lines"]] == ["97012", "97110", "97140"]
    assert claim["total_charge"].count(".") == 1
    assert len(claim["total_charge"].split(".")[1]) == 2  # money: a string with two decimals
    assert biller.post("/api/claims", json={"encounter_ids": [encounter_id]}).status_code == 409  # billed
    assert encounter_id not in [i["encounter"]["id"] for i in biller.get("/api/queue").json()["ready"]]
    assert biller.get(f"/api/claims/{claim['id']}").json() == claim

    alone = biller.get(f"/api/claims/{claim['id']}/837p")
    assert alone.status_code == 200
    assert alone.headers["content-type"].startswith("text/plain")
    assert alone.text.startswith("ISA*")
    assert pyx12_errors(alone.text) == []

    batch = biller.post("/api/batches", json={"claim_ids": [claim["id"]]})
    assert batch.status_code == 201, batch.text
    batch_id = batch.json()["id"]
    assert batch.json()["claim_count"] == 1
    assert biller.post("/api/batches", json={"claim_ids": [claim["id"]]}).status_code == 409  # already batched
    x12 = biller.get(f"/api/batches/{batch_id}/837p")
    assert x12.status_code == 200
    assert pyx12_errors(x12.text) == []
    assert "attachment" in x12.headers["content-disposition"]
    assert batch_id in [b["id"] for b in biller.get("/api/batches").json()]

    sent = biller.post(f"/api/batches/{batch_id}/submitted")
    assert sent.status_code == 200
    assert sent.json()["submitted_at"]
    assert biller.post(f"/api/batches/{batch_id}/submitted").status_code == 409
    assert biller.get(f"/api/claims/{claim['id']}").json()["status"] == "submitted"


def test_marking_a_batch_the_payer_answered_submitted_is_409_and_changes_nothing(world: World) -> None:
    biller = world.client(A_USERS["biller"])
    built = biller.post("/api/claims", json={"encounter_ids": [signed_encounter(world), signed_encounter(world)]})
    claim_ids = [claim["id"] for claim in built.json()]
    batch = biller.post("/api/batches", json={"claim_ids": claim_ids}).json()
    with world.session() as session, session.begin():
        user = session.scalar(select(UserRow).where(UserRow.email == A_USERS["biller"]))
        assert user is not None
        actor = access.Actor(user.id, user.clinic_id, user.role, user.name)
        claims = [session.get(ClaimRow, claim_id) for claim_id in claim_ids]
        answer(session, actor, *claims)  # type: ignore[arg-type]
    before = [biller.get(f"/api/claims/{claim_id}").json()["status"] for claim_id in claim_ids]
    assert before == ["paid", "denied"]

    refused = biller.post(f"/api/batches/{batch['id']}/submitted")
    assert refused.status_code == 409
    assert refused.json()["detail"] == (
        f"batch {batch['id']} cannot be marked submitted: its claims cannot become submitted "
        f"(denied: {claim_ids[1]}; paid: {claim_ids[0]}); nothing was changed"
    )
    assert [biller.get(f"/api/claims/{claim_id}").json()["status"] for claim_id in claim_ids] == before
    assert biller.get(f"/api/batches/{batch['id']}").json()["submitted_at"] is None


def test_two_batch_requests_at_once_give_one_batch_and_a_409_naming_the_claims(world: World) -> None:
    claim_ids = [
        claim["id"]
        for claim in world.client(A_USERS["biller"])
        .post("/api/claims", json={"encounter_ids": [signed_encounter(world), signed_encounter(world)]})
        .json()
    ]
    barrier = threading.Barrier(2)
    answers: list[tuple[int, dict[str, object]]] = []

    def request() -> None:
        client = world.client(A_USERS["biller"])  # its own client, and so its own database connection
        barrier.wait()
        response = client.post("/api/batches", json={"claim_ids": claim_ids})
        answers.append((response.status_code, response.json()))

    threads = [threading.Thread(target=request) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(status for status, _ in answers) == [201, 409], answers
    made = next(body for status, body in answers if status == 201)
    refused = next(body for status, body in answers if status == 409)
    assert refused["detail"] == (
        f"claims {claim_ids[0]}, {claim_ids[1]} already in batch {made['id']}: a claim goes into one batch only; "
        "no batch was made"
    )


def test_a_claim_as_paper_form_and_as_fhir(world: World) -> None:
    biller = world.client(A_USERS["biller"])
    [claim] = biller.post("/api/claims", json={"encounter_ids": [signed_encounter(world)]}).json()
    pdf = biller.get(f"/api/claims/{claim['id']}/cms1500")
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    fhir = biller.get(f"/api/claims/{claim['id']}/fhir")
    assert fhir.status_code == 200
    assert fhir.headers["content-type"].startswith("application/fhir+json")
    assert fhir.json()["resourceType"] == "Claim"
    exports = [
        e["detail"]
        for e in biller.get("/api/audit").json()
        if e["action"] == "export" and e["entity_id"] == str(claim["id"])
    ]
    assert {"cms1500", "fhir"} <= set(exports)


def test_only_signed_notes_are_billed(world: World) -> None:
    therapist = world.client(A_USERS["therapist"])
    draft = therapist.post("/api/encounters", json={"patient_id": new_patient(therapist), "document": note()})
    response = world.client(A_USERS["biller"]).post("/api/claims", json={"encounter_ids": [draft.json()["id"]]})
    assert response.status_code == 409
    assert "signed" in response.json()["detail"]


def test_the_audit_log_is_for_admins_and_billers(world: World) -> None:
    assert world.client(A_USERS["therapist"]).get("/api/audit").status_code == 403
    events = world.client(A_USERS["admin"]).get("/api/audit", params={"limit": 5}).json()
    assert len(events) == 5
    assert events[0]["id"] > events[-1]["id"]


def test_users_are_managed_by_the_admin(world: World) -> None:
    admin = world.client(A_USERS["admin"])
    new = {
        "email": "New.PT@Harbor.example",
        "name": "New PT",
        "role": "therapist",
        "credential": "PT",
        "npi": "1144556671",
        "password": "a-long-password-1",
    }
    assert world.client(A_USERS["biller"]).post("/api/users", json=new).status_code == 403
    created = admin.post("/api/users", json=new)
    assert created.status_code == 201, created.text
    assert created.json()["email"] == "new.pt@harbor.example"
    assert "password" not in created.text
    assert "hash" not in created.text
    assert admin.post("/api/users", json=new).status_code == 409
    assert (
        admin.post("/api/users", json={**new, "email": "short@harbor.example", "password": "short"}).status_code == 422
    )
    login = world.client().post("/api/session", json={"email": new["email"], "password": new["password"]})
    assert login.status_code == 200
    assert created.json()["id"] in [u["id"] for u in admin.get("/api/users").json()]
