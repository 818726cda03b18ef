"""Payers through the API: the catalog, parameters with their sources on a date, the clinic's dated
changes (type-checked, kept to the clinic), and an uploaded fee schedule pricing the clinic's notes.
(They change clinic A's settings for medical-mutual only, so other tests' notes are unaffected.)"""

from __future__ import annotations

from datetime import date

import pytest

from ptbill.storage.tables import PayerParameterRow
from tests.integration.api.world import A_USERS, B_USERS, World, new_patient, note

PAYER = "medical-mutual"


def test_the_payer_catalog(world: World) -> None:
    payers = world.client(A_USERS["therapist"]).get("/api/payers").json()
    ids = [p["id"] for p in payers]
    assert {"ca-medicare-south", "aetna", "commercial-default"} <= set(ids)
    assert next(p for p in payers if p["id"] == "ca-medicare")["type"] == "medicare"


def test_a_payer_shows_every_parameter_with_its_source_on_a_date(world: World) -> None:
    client = world.client(A_USERS["biller"])
    payer = client.get("/api/payers/ca-medicare-south", params={"date": "2026-03-02"}).json()
    assert payer["day"] == "2026-03-02"
    assert payer["parameters"]
    for parameter in payer["parameters"]:
        assert {"name", "value", "effective_from", "effective_to", "source", "confidence", "layer"} <= set(parameter)
        assert parameter["source"]
    assert client.get("/api/payers/no-such-payer").status_code == 404
    assert client.get("/api/payers/ca-medicare-south", params={"date": "2026-13-01"}).status_code == 422


def test_a_dated_change_needs_a_reference_and_the_shipped_type_and_stays_in_the_clinic(world: World) -> None:
    biller = world.client(A_USERS["biller"])
    url = f"/api/payers/{PAYER}/parameters/traction.minimum_minutes"
    change = {"value": 25, "effective_from": "2026-01-01", "reference": "contract 2026 §4 (test)"}
    assert biller.put(url, json={**change, "reference": ""}).status_code == 422
    assert biller.put(url, json={**change, "reference": "   "}).status_code == 422
    assert biller.put(url, json={**change, "value": "twenty"}).status_code == 422
    assert biller.put(url, json={**change, "value": None}).status_code == 422
    assert world.client(A_USERS["therapist"]).put(url, json=change).status_code == 403
    assert (
        biller.put(f"/api/payers/{PAYER}/parameters/severity.TRACTION_FORCE_MISSING", json={**change}).status_code
        == 422
    )

    saved = biller.put(url, json=change)
    assert saved.status_code == 200, saved.text
    assert saved.json()["confidence"] == "clinic"

    def minimum(email: str) -> dict[str, object]:
        payer = world.client(email).get(f"/api/payers/{PAYER}", params={"date": "2026-03-02"}).json()
        found: dict[str, object] = next(p for p in payer["parameters"] if p["name"] == "traction.minimum_minutes")
        return found

    mine = minimum(A_USERS["therapist"])
    assert (mine["value"], mine["source"], mine["layer"]) == (25, change["reference"], f"clinic:{world.clinic_a}")
    theirs = minimum(B_USERS["biller"])
    assert theirs["layer"] != f"clinic:{world.clinic_a}"
    assert theirs["source"] != change["reference"]

    document = note()
    document["coverage"]["payer"] = PAYER
    rules = {
        f["rule"]
        for f in world.client(A_USERS["therapist"]).post("/api/encounters/check", json=document).json()["findings"]
    }
    assert "TRACTION_BELOW_MIN_DURATION" in rules  # 18 minutes against the clinic's 25


@pytest.mark.parametrize(
    ("name", "value", "field", "message"),
    [
        ("units.method", "banana", "value", "units.method must be one of cms, per_code, got 'banana'"),
        ("traction.minimum_minutes", "twenty", "value", "traction.minimum_minutes must be a whole number"),
        ("traction.minimum_minutes", 100000, "value", "traction.minimum_minutes must be at most 1440"),
        ("therapy.kx_threshold", 2410.555, "value", "at most 2 decimal places"),
        ("coverage.covered_codes", ["9701"], "value", "'9701' is not a procedure code"),
        ("units.methd", "cms", "name", "no parameter is declared as 'units.methd'"),
        ("severity.NO_SUCH_RULE", "off", "name", "no check has the id NO_SUCH_RULE"),
    ],
)
def test_an_invalid_edit_is_refused_with_422_naming_the_field(
    world: World, name: str, value: object, field: str, message: str
) -> None:
    biller = world.client(A_USERS["biller"])
    change = {"value": value, "effective_from": "2026-01-01", "reference": "phone call 2026-02-03 (test)"}
    refused = biller.put(f"/api/payers/il-bcbs/parameters/{name}", json=change)
    assert refused.status_code == 422, refused.text
    assert refused.json()["field"] == field
    assert message in refused.json()["detail"]
    shown = biller.get("/api/payers/il-bcbs", params={"date": "2026-03-02"}).json()["parameters"]
    assert all(p["layer"] != f"clinic:{world.clinic_a}" for p in shown)  # nothing was saved


def _write_sign(world: World, payer: str) -> dict[str, object]:
    therapist = world.client(A_USERS["therapist"])
    document = note()
    document["coverage"]["payer"] = payer
    created = therapist.post("/api/encounters", json={"patient_id": new_patient(therapist), "document": document})
    assert created.status_code == 201, created.text
    encounter_id = created.json()["id"]
    signed = therapist.post(f"/api/encounters/{encounter_id}/sign")
    assert signed.status_code == 200, signed.text
    assert signed.json()["status"] == "signed"
    findings: dict[str, object] = {f["rule"]: f for f in created.json()["check"]["findings"]}
    return findings


def test_after_a_refused_edit_the_payers_notes_still_check_and_sign(world: World) -> None:
    biller = world.client(A_USERS["biller"])
    change = {"value": "banana", "effective_from": "2026-01-01", "reference": "phone call (test)"}
    assert biller.put("/api/payers/il-bcbs/parameters/units.method", json=change).status_code == 422
    document = note()
    document["coverage"]["payer"] = "il-bcbs"
    checked = world.client(A_USERS["therapist"]).post("/api/encounters/check", json=document)
    assert checked.status_code == 200
    assert checked.json()["verdict"] != "blocked"
    assert "PAYER_SETTING_INVALID" not in _write_sign(world, "il-bcbs")


def test_a_bad_value_already_stored_is_ignored_with_a_finding_and_the_note_still_signs(world: World) -> None:
    payer = "zurich-insurance-n-a"
    with world.session() as session:  # as an edit saved before values were checked would have left it
        session.add(
            PayerParameterRow(
                clinic_id=world.clinic_a,
                payer_id=payer,
                name="units.method",
                value="banana",
                effective_from=date(2026, 1, 1),
                reference="saved before the check (test)",
            )
        )
        session.commit()
    findings = _write_sign(world, payer)
    finding = findings["PAYER_SETTING_INVALID"]
    assert isinstance(finding, dict)
    assert finding["severity"] == "warning"
    assert "units.method" in finding["message"]
    assert "banana" in finding["message"]
    assert "must be one of cms, per_code" in finding["message"]
    lines = world.client(A_USERS["therapist"]).post(
        "/api/encounters/check", json={**note(), "coverage": {**note()["coverage"], "payer": payer}}
    )
    assert lines.status_code == 200
    assert {line["code"]: line["units"] for line in lines.json()["claim_lines"]}["97110"] >= 1
    shown = world.client(A_USERS["biller"]).get(f"/api/payers/{payer}", params={"date": "2026-03-02"}).json()
    method = next(p for p in shown["parameters"] if p["name"] == "units.method")
    assert (method["value"], method["layer"]) == ("cms", "baseline")  # the stored banana is not shown as in force


def test_an_uploaded_fee_schedule_prices_the_clinics_notes_only(world: World) -> None:
    biller = world.client(A_USERS["biller"])
    csv_text = (
        "code,modifiers,amount,effective_from,effective_to\n"
        "97012,,23.45,2026-01-01,\n"
        "97110,GP,31.00,2026-01-01,2026-12-31\n"
    )
    url = f"/api/payers/{PAYER}/fee-schedule"
    uploaded = biller.put(url, files={"file": ("mm-2026.csv", csv_text, "text/csv")})
    assert uploaded.status_code == 200, uploaded.text
    assert [(r["code"], r["amount"], r["source"]) for r in uploaded.json()["rows"]] == [
        ("97012", "23.45", "mm-2026.csv line 2"),
        ("97110", "31.00", "mm-2026.csv line 3"),
    ]
    assert biller.get(url).json() == uploaded.json()
    assert world.client(B_USERS["biller"]).get(url).json()["rows"] == []

    document = note()
    document["coverage"]["payer"] = PAYER

    def expected(email: str) -> dict[str, object]:
        lines = world.client(email).post("/api/encounters/check", json=document).json()["claim_lines"]
        found: dict[str, object] = next(line for line in lines if line["code"] == "97012")
        return found

    mine = expected(A_USERS["therapist"])
    assert mine["expected_payment"] == 23.45
    assert "mm-2026.csv line 2" in str(mine["payment_basis"])
    assert expected(B_USERS["therapist"])["expected_payment"] != 23.45

    bad = biller.put(url, files={"file": ("bad.csv", "code,amount,effective_from\n9701,1,2026-01-01\n", "text/csv")})
    assert bad.status_code == 422
    assert bad.json()["problems"] == ["bad.csv: line 2: field 'code': '9701' is not a 5-character CPT/HCPCS code"]
    assert biller.get(url).json() == uploaded.json()  # a refused upload changes nothing
    binary = biller.put(url, files={"file": ("x.csv", b"\xff\xfe\x00", "text/csv")})
    assert binary.status_code == 422
    assert (
        world.client(A_USERS["therapist"]).put(url, files={"file": ("x.csv", csv_text, "text/csv")}).status_code == 403
    )
