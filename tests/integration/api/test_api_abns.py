"""A patient's ABNs through the API: prepared with bad fields named (422), read back with the prefilled cost,
signed once (409 the second time), downloaded as a PDF; a patient without Medicare gets none."""

from __future__ import annotations

from tests.integration.api.world import A_USERS, World, new_patient

MEDICARE = {"payer_id": "ca-medicare-south", "member_id": "1EG4TE5MK73"}


def test_an_abn_is_prepared_signed_once_and_downloaded(world: World) -> None:
    therapist = world.client(A_USERS["therapist"])
    biller = world.client(A_USERS["biller"])
    patient = new_patient(therapist)
    assert therapist.post(f"/api/patients/{patient}/coverages", json=MEDICARE).status_code == 201
    refused = therapist.post(
        f"/api/patients/{patient}/abns",
        json={"services": [{"code": "97-12"}, {"code": "97110", "estimated_cost": "12.345"}], "reason_kind": "other"},
    )
    assert refused.status_code == 422
    named = {line.split(":")[0] for line in refused.json()["problems"]}
    assert named == {"body.services[0].code", "body.services[1].estimated_cost", "body.reason_text"}
    assert therapist.get(f"/api/patients/{patient}/abns").json() == []  # nothing half-written

    body = {
        "services": [{"code": "97012", "label": "Traction for the low back"}, {"code": "97110"}],
        "reason_kind": "above_threshold",
    }
    made = therapist.post(f"/api/patients/{patient}/abns", json=body)
    assert made.status_code == 201, made.text
    abn = made.json()
    assert abn["services"][0]["label"] == "Traction for the low back"
    assert abn["services"][1]["estimated_cost"].count(".") == 1  # money as a string with two decimals
    assert float(abn["services"][1]["estimated_cost"]) > 0  # the Medicare amount, prefilled
    assert (abn["signed_on"], abn["option"]) == (None, None)

    url = f"/api/patients/{patient}/abns/{abn['id']}"
    signed = biller.post(f"{url}/signature", json={"signed_on": abn["given_on"], "option": 1})
    assert signed.status_code == 200, signed.text
    assert signed.json()["option"] == 1
    again = biller.post(f"{url}/signature", json={"signed_on": abn["given_on"], "option": 2})
    assert again.status_code == 409
    assert "never changed" in again.json()["detail"]
    pdf = biller.get(f"{url}.pdf")
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    [listed] = biller.get(f"/api/patients/{patient}/abns").json()
    assert (listed["id"], listed["option"]) == (abn["id"], 1)


def test_a_patient_without_medicare_gets_no_abn(world: World) -> None:
    therapist = world.client(A_USERS["therapist"])
    patient = new_patient(therapist)
    answer = therapist.post(
        f"/api/patients/{patient}/abns", json={"services": [{"code": "97110"}], "reason_kind": "maintenance"}
    )
    assert answer.status_code == 422
    assert any(line.startswith("body.patient: an ABN is for Original Medicare") for line in answer.json()["problems"])
