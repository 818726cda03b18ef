"""Notes through the API: the check answers with the spec's JSON, malformed notes get one problem line
per field, and a note goes draft -> fixed -> signed with every version's check and audit trail kept."""

from __future__ import annotations

from typing import Any

from tests.integration.api.world import A_USERS, World, new_patient, note


def test_the_check_answers_with_the_spec_json(world: World) -> None:
    document = note()
    document["services"][0]["traction"]["force_lbs"] = None
    response = world.client(A_USERS["therapist"]).post("/api/encounters/check", json=document)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"encounter", "verdict", "findings", "claim_lines", "ruleset_version"}
    assert body["encounter"] == document["id"]
    assert body["verdict"] == "blocked"
    finding = next(f for f in body["findings"] if f["rule"] == "TRACTION_FORCE_MISSING")
    assert {"rule", "severity", "service", "message", "fix", "reference"} <= set(finding)
    assert (finding["severity"], finding["service"]) == ("error", 0)
    assert all(isinstance(f["service"], int | None) for f in body["findings"])
    line = body["claim_lines"][0]
    assert {"code", "modifiers", "units", "diagnosis_pointers", "expected_payment"} <= set(line)
    assert line["code"] == "97012"
    assert isinstance(line["expected_payment"], float)  # a JSON number, as the spec's check output has it


def test_the_check_saves_nothing(world: World) -> None:
    client = world.client(A_USERS["therapist"])
    before = len(client.get("/api/encounters").json())
    assert client.post("/api/encounters/check", json=note()).json()["verdict"] == "ready"
    assert len(client.get("/api/encounters").json()) == before


def test_a_malformed_note_gets_422_with_one_line_per_field(world: World) -> None:
    client = world.client(A_USERS["therapist"])
    document = note(date_of_service="2026-02-30")
    document["patient"]["sex"] = "X"
    for response in (
        client.post("/api/encounters/check", json=document),
        client.post("/api/encounters", json={"patient_id": new_patient(client), "document": document}),
    ):
        assert response.status_code == 422
        problems = response.json()["problems"]
        assert len(problems) == 2, problems
        assert problems[0] == 'date_of_service: not a date: "2026-02-30"'
        assert problems[1].startswith("patient.sex: ")


def test_a_malformed_request_gets_the_same_shape(world: World) -> None:
    client = world.client(A_USERS["therapist"])
    response = client.post("/api/encounters", json={"document": note()})
    assert response.status_code == 422
    assert response.json()["problems"] == ["body.patient_id: Field required"]
    assert client.post("/api/encounters/check", json=[1, 2]).status_code == 422
    assert (
        client.post(
            "/api/encounters/check", content=b"{not json", headers={"Content-Type": "application/json"}
        ).status_code
        == 422
    )
    assert client.get("/api/encounters/0").status_code == 422
    assert client.get(f"/api/encounters/{2**64}").status_code == 422


def test_a_note_id_too_long_for_a_claim_is_refused_on_save(world: World) -> None:
    client = world.client(A_USERS["therapist"])
    response = client.post("/api/encounters", json={"patient_id": new_patient(client), "document": note(id="x" * 39)})
    assert response.status_code == 422
    assert response.json()["problems"] == ["id: at most 38 characters, got 39"]


def test_create_fix_sign_round_trip(world: World) -> None:
    client = world.client(A_USERS["therapist"])
    patient_id = new_patient(client)
    document = note()
    document["services"][0]["traction"]["force_lbs"] = None
    created = client.post("/api/encounters", json={"patient_id": patient_id, "document": document})
    assert created.status_code == 201, created.text
    encounter: dict[str, Any] = created.json()
    encounter_id = encounter["id"]
    assert (encounter["status"], encounter["version"], encounter["verdict"]) == ("draft", 1, "blocked")
    assert encounter["check"]["findings"][0]["rule"] == "TRACTION_FORCE_MISSING"
    assert encounter["check"]["ruleset_version"]

    duplicate = client.post("/api/encounters", json={"patient_id": patient_id, "document": document})
    assert duplicate.status_code == 409
    assert client.post(f"/api/encounters/{encounter_id}/sign").status_code == 409  # blocking findings

    document["services"][0]["traction"]["force_lbs"] = 65
    updated = client.put(f"/api/encounters/{encounter_id}", json={"document": document})
    assert updated.status_code == 200
    assert (updated.json()["version"], updated.json()["verdict"]) == (2, "ready")

    read = client.get(f"/api/encounters/{encounter_id}").json()
    assert read["document"] == document
    assert read["check"]["encounter_version"] == 2
    assert read["patient_id"] == patient_id

    assert world.client(A_USERS["biller"]).post(f"/api/encounters/{encounter_id}/sign").status_code == 403
    signed = client.post(f"/api/encounters/{encounter_id}/sign")
    assert signed.status_code == 200
    assert signed.json()["status"] == "signed"
    assert signed.json()["signed_at"]
    assert client.put(f"/api/encounters/{encounter_id}", json={"document": document}).status_code == 409
    assert client.post(f"/api/encounters/{encounter_id}/sign").status_code == 409

    history = client.get(f"/api/encounters/{encounter_id}/history").json()
    assert [c["verdict"] for c in history["checks"]] == ["blocked", "ready"]
    actions = [e["action"] for e in history["events"]]
    assert actions[0] == "create"
    assert {"update", "sign", "read"} <= set(actions)

    listed = client.get("/api/encounters", params={"status": "signed"}).json()
    assert encounter_id in [e["id"] for e in listed]
    assert all(e["status"] == "signed" for e in listed)

    carried = client.get(f"/api/patients/{patient_id}/previous-traction").json()
    assert carried["encounter_id"] == encounter_id
    assert carried["traction"]["force_lbs"] == 65
    earlier = client.get(f"/api/patients/{patient_id}/previous-traction", params={"before": "2026-03-02"})
    assert earlier.status_code == 200
    assert earlier.json() is None


def test_patients_and_coverages(world: World) -> None:
    client = world.client(A_USERS["therapist"])
    patient_id = new_patient(client)
    patient = client.get(f"/api/patients/{patient_id}").json()
    duplicate = client.post(
        "/api/patients",
        json={k: patient[k] for k in ("chart_number", "first_name", "last_name", "birth_date", "sex")},
    )
    assert duplicate.status_code == 409
    coverage = {
        "payer_id": "ca-medicare-south",
        "member_id": "1EG4TE5MK73",
        "authorization": {
            "number": "A-1",
            "visits_approved": 12,
            "visits_used": 0,
            "valid_from": "2026-01-01",
            "valid_to": "2026-06-30",
        },
    }
    added = client.post(f"/api/patients/{patient_id}/coverages", json=coverage)
    assert added.status_code == 201, added.text
    assert added.json()["authorization"]["valid_to"] == "2026-06-30"
    unknown = client.post(f"/api/patients/{patient_id}/coverages", json={**coverage, "payer_id": "no-such-payer"})
    assert unknown.status_code == 409
    listed = client.get(f"/api/patients/{patient_id}/coverages").json()
    assert [c["payer_id"] for c in listed] == ["ca-medicare-south"]
    assert patient_id in [p["id"] for p in client.get("/api/patients").json()]


def test_nan_and_infinite_numbers_are_refused_not_stored(world: World) -> None:
    client = world.client(A_USERS["therapist"])
    body = '{"patient_id": %d, "document": {"id": "inf-1", "total_treatment_minutes": %s}}'
    for number in ("NaN", "Infinity", "-Infinity", "1e400"):
        response = client.post(
            "/api/encounters",
            content=body % (new_patient(client), number),
            headers={"Content-Type": "application/json"},
        )
        assert response.status_code == 422
        assert response.json()["problems"] == [f"body: {number} is not a finite number"]


def test_a_signed_note_is_corrected_by_an_addendum_and_its_claim_says_which_version(world: World) -> None:
    therapist, biller = world.client(A_USERS["therapist"]), world.client(A_USERS["biller"])
    made = therapist.post("/api/encounters", json={"patient_id": new_patient(therapist), "document": note()}).json()
    url = f"/api/encounters/{made['id']}/addenda"
    assert therapist.post(url, json={"reason": "Late entry", "text": "HEP reviewed"}).status_code == 409  # a draft
    assert therapist.post(f"/api/encounters/{made['id']}/sign").status_code == 200
    assert therapist.put(f"/api/encounters/{made['id']}", json={"document": note()}).status_code == 409
    blank = therapist.post(url, json={"reason": " ", "text": "HEP reviewed"})
    assert blank.status_code == 422
    assert blank.json()["problems"] == ["body.reason: required"]
    assert biller.post(url, json={"reason": "Late entry", "text": "HEP reviewed"}).status_code == 403
    added = therapist.post(url, json={"reason": "Late entry", "text": "Home program reviewed."})
    assert added.status_code == 201, added.text
    assert {k: added.json()[k] for k in ("sequence", "encounter_version", "reason")} == {
        "sequence": 1,
        "encounter_version": 1,
        "reason": "Late entry",
    }
    assert [a["text"] for a in biller.get(url).json()] == ["Home program reviewed."]
    [claim] = biller.post("/api/claims", json={"encounter_ids": [made["id"]]}).json()
    assert claim["note_version"] == "1+1"
    assert len(claim["note_hash"]) == 64
