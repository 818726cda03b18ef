"""The API takes ASCII digits only and bounded numbers: other-script digits and huge integers in a note,
a patient or a user are a 422 naming the field, never a 500 and never stored."""

from __future__ import annotations

import json

import pytest

from tests.integration.api.world import A_USERS, World, note


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"place_of_service": "١١"}, "place_of_service"),
        ({"date_of_service": "2026-03-0²"}, "date_of_service"),
        ({"total_treatment_minutes": "５１"}, "total_treatment_minutes"),
    ],
)
def test_a_note_with_other_script_digits_is_a_422_naming_the_field(
    world: World, change: dict[str, str], field: str
) -> None:
    response = world.client(A_USERS["therapist"]).post("/api/encounters/check", json=note(**change))
    assert response.status_code == 422
    assert any(p.startswith(f"{field}: ") for p in response.json()["problems"]), response.json()


def test_a_tax_id_in_arabic_indic_digits_is_a_422(world: World) -> None:
    document = note()
    document["billing_provider"]["tax_id"] = "٩٥٤٥١٢٣٤٥"
    response = world.client(A_USERS["therapist"]).post("/api/encounters/check", json=document)
    assert response.status_code == 422
    assert any(p.startswith("billing_provider.tax_id: ") for p in response.json()["problems"])


def test_a_5000_digit_integer_is_refused_not_a_500(world: World) -> None:
    body = json.dumps(note(total_treatment_minutes=51)).replace(": 51", ": " + "9" * 5000)
    response = world.client(A_USERS["therapist"]).post(
        "/api/encounters/check", content=body, headers={"Content-Type": "application/json"}
    )
    assert 400 <= response.status_code < 500


def test_a_patient_zip_and_a_user_npi_in_other_digits_are_refused(world: World) -> None:
    patient = {"chart_number": "D-1", "first_name": "Ann", "last_name": "Lee", "birth_date": "1958-07-14", "sex": "F"}
    client = world.client(A_USERS["therapist"])
    assert client.post("/api/patients", json={**patient, "zip": "9310٣"}).status_code == 422
    user = {"email": "d@harbor.example", "name": "D", "role": "therapist", "password": "a-long-password-1"}
    admin = world.client(A_USERS["admin"])
    assert admin.post("/api/users", json={**user, "credential": "PT", "npi": "114455667١"}).status_code == 422


def test_a_nul_in_a_patient_email_is_refused_naming_the_field_not_a_500(world: World) -> None:
    # Found by schemathesis on PostgreSQL, whose text cannot hold NUL: the email pattern let it through.
    patient = {"chart_number": "D-2", "first_name": "Ann", "last_name": "Lee", "birth_date": "1958-07-14", "sex": "F"}
    response = world.client(A_USERS["therapist"]).post("/api/patients", json={**patient, "email": "a\x00b@x.example"})
    assert response.status_code == 422
    assert any("email" in problem for problem in response.json()["problems"]), response.json()
