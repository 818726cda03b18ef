"""The FHIR R4 professional Claim: built through the fhir.resources model and read back from its JSON."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from fhir.resources.R4B.claim import Claim as FhirClaim

from ptbill.claims.fhir import FhirClaimError, claim_to_fhir, claim_to_fhir_json, claims_to_fhir_json
from ptbill.claims.fhir.claim import (
    CLAIM_TYPE_SYSTEM,
    CPT_SYSTEM,
    HCPCS_SYSTEM,
    ICD10CM_SYSTEM,
    NPI_SYSTEM,
    PAYER_CLAIM_NUMBER_SYSTEM,
    POS_SYSTEM,
)
from ptbill.domain.claim import Claim, ClaimFrequency, ClaimParty, ClaimPayer, Person, PostalAddress, ServiceLine
from ptbill.domain.vocabulary import ClaimFilingIndicator

DAY = date(2026, 3, 2)
BILLING_NPI = "1245319599"
RENDERING_NPI = "1093817462"
REFERRING_NPI = "1528060639"


def lumbar_traction_claim(**changes: Any) -> Claim:
    """A clean Medicare visit: lumbar traction, exercise and manual therapy (synthetic people)."""
    patient = Person("Ava", "Testwell", date(1961, 4, 2), "F", PostalAddress("9 Oak St", "Goleta", "CA", "93117"))
    claim = Claim(
        claim_id="EX01-20260302",
        encounter_id="ex-01",
        payer=ClaimPayer(
            "ca-medicare-south", "Medicare Part B", "01182", filing_indicator=ClaimFilingIndicator.MEDICARE_PART_B
        ),
        billing_provider=ClaimParty(
            "Harbor Physical Therapy",
            BILLING_NPI,
            tax_id="95-4512345",
            address=PostalAddress("120 Harbor Way", "Santa Barbara", "CA", "93109"),
        ),
        rendering_provider=ClaimParty("Reyes", RENDERING_NPI, first_name="Dana"),
        patient=patient,
        subscriber=patient,
        relationship="self",
        member_id="1EG4TE5MK73",
        group_number=None,
        diagnoses=("M5116", "M5416"),
        lines=(
            ServiceLine(1, "97012", ("GP",), 1, Decimal("48.00"), (1, 2), DAY, "11"),
            ServiceLine(2, "97110", ("GP", "KX"), 2, Decimal("72.50"), (1,), DAY, "11"),
            ServiceLine(3, "97140", ("GP", "59"), 1, Decimal("66.00"), (2,), DAY, "11"),
        ),
        place_of_service="11",
        service_date=DAY,
        referring_provider=ClaimParty("Cho", REFERRING_NPI, first_name="Alan"),
        prior_authorization="A-5531",
        created=date(2026, 3, 3),
    )
    return replace(claim, **changes)


def round_trip(claim: Claim) -> FhirClaim:
    return FhirClaim.model_validate_json(claim_to_fhir_json(claim))


def codes(concept: Any) -> list[tuple[str, str]]:
    return [(c.system, c.code) for c in concept.coding]


def contained(resource: FhirClaim, reference: str) -> Any:
    (found,) = [r for r in resource.contained or [] if f"#{r.id}" == reference]
    return found


@pytest.fixture(scope="module")
def fhir_claim() -> FhirClaim:
    return round_trip(lumbar_traction_claim())


def test_it_is_an_active_professional_claim(fhir_claim: FhirClaim) -> None:
    assert fhir_claim.status == "active"
    assert fhir_claim.use == "claim"
    assert codes(fhir_claim.type) == [(CLAIM_TYPE_SYSTEM, "professional")]
    assert fhir_claim.created == date(2026, 3, 3)
    assert (fhir_claim.billablePeriod.start, fhir_claim.billablePeriod.end) == (DAY, DAY)
    assert [i.value for i in fhir_claim.identifier] == ["EX01-20260302"]
    assert fhir_claim.related is None


def test_lines_carry_codes_modifiers_units_charges_and_pointers(fhir_claim: FhirClaim) -> None:
    items = fhir_claim.item or []
    assert [codes(i.productOrService) for i in items] == [
        [(CPT_SYSTEM, "97012")],
        [(CPT_SYSTEM, "97110")],
        [(CPT_SYSTEM, "97140")],
    ]
    assert [[codes(m)[0] for m in i.modifier or []] for i in items] == [
        [(HCPCS_SYSTEM, "GP")],
        [(HCPCS_SYSTEM, "GP"), (HCPCS_SYSTEM, "KX")],
        [(HCPCS_SYSTEM, "GP"), (CPT_SYSTEM, "59")],
    ]
    assert [i.quantity.value for i in items] == [1, 2, 1]
    assert [i.net.value for i in items] == [Decimal("48.00"), Decimal("72.50"), Decimal("66.00")]
    assert [i.unitPrice.value for i in items] == [Decimal("48.00"), Decimal("36.25"), Decimal("66.00")]
    assert {i.net.currency for i in items} == {"USD"}
    assert [i.diagnosisSequence for i in items] == [[1, 2], [1], [2]]
    assert [i.sequence for i in items] == [1, 2, 3]
    assert {str(i.servicedDate) for i in items} == {"2026-03-02"}
    assert {codes(i.locationCodeableConcept)[0] for i in items} == {(POS_SYSTEM, "11")}
    assert fhir_claim.total.value == Decimal("186.50")
    assert fhir_claim.total.currency == "USD"


def test_diagnoses_are_dotted_icd10cm_in_order(fhir_claim: FhirClaim) -> None:
    diagnoses = fhir_claim.diagnosis or []
    assert [d.sequence for d in diagnoses] == [1, 2]
    assert [codes(d.diagnosisCodeableConcept) for d in diagnoses] == [
        [(ICD10CM_SYSTEM, "M51.16")],
        [(ICD10CM_SYSTEM, "M54.16")],
    ]
    assert diagnoses[0].type[0].coding[0].code == "principal"


def test_parties_are_identified_by_npi(fhir_claim: FhirClaim) -> None:
    assert fhir_claim.provider.identifier.system == NPI_SYSTEM
    assert fhir_claim.provider.identifier.value == BILLING_NPI
    billing = contained(fhir_claim, fhir_claim.provider.reference)
    assert billing.get_resource_type() == "Organization"
    assert (billing.identifier[0].system, billing.identifier[0].value) == (NPI_SYSTEM, BILLING_NPI)
    assert billing.identifier[1].value == "954512345"
    team = {t.role.text: contained(fhir_claim, t.provider.reference) for t in fhir_claim.careTeam or []}
    assert team["rendering provider"].identifier[0].value == RENDERING_NPI
    assert team["referring provider (837P 2310A)"].identifier[0].value == REFERRING_NPI
    assert all(i.careTeamSequence == [1] for i in fhir_claim.item or [])
    patient = contained(fhir_claim, fhir_claim.patient.reference)
    assert (patient.name[0].family, str(patient.birthDate), patient.gender) == ("Testwell", "1961-04-02", "female")


def test_insurance_is_focal_with_member_id_and_authorization(fhir_claim: FhirClaim) -> None:
    (insurance,) = fhir_claim.insurance
    assert insurance.focal is True
    assert insurance.preAuthRef == ["A-5531"]
    coverage = contained(fhir_claim, insurance.coverage.reference)
    assert coverage.subscriberId == "1EG4TE5MK73"
    assert coverage.identifier[0].value == "1EG4TE5MK73"
    assert coverage.relationship.coding[0].code == "self"
    assert contained(fhir_claim, coverage.payor[0].reference).name == "Medicare Part B"


def test_a_void_carries_its_related_original_claim() -> None:
    void = round_trip(lumbar_traction_claim(frequency=ClaimFrequency.VOID, original_claim_number="26061000123456"))
    (related,) = void.related
    assert (related.reference.system, related.reference.value) == (PAYER_CLAIM_NUMBER_SYSTEM, "26061000123456")
    assert related.relationship.coding[0].code == "prior"
    assert "frequency code 8" in related.relationship.text
    replacement = round_trip(lumbar_traction_claim(frequency=ClaimFrequency.REPLACEMENT, original_claim_number="A1"))
    assert "frequency code 7" in replacement.related[0].relationship.text


def test_a_spouse_subscriber_and_group_travel_on_the_coverage() -> None:
    spouse = Person("Sam", "Testwell", date(1958, 9, 14), "M")
    resource = round_trip(
        lumbar_traction_claim(
            payer=ClaimPayer(
                "pacific-blue", "Pacific Blue PPO", "PB001", filing_indicator=ClaimFilingIndicator.COMMERCIAL
            ),
            subscriber=spouse,
            relationship="spouse",
            group_number="GRP-88120",
        )
    )
    coverage = contained(resource, resource.insurance[0].coverage.reference)
    assert coverage.relationship.coding[0].code == "spouse"
    assert coverage.class_fhir[0].value == "GRP-88120"
    assert contained(resource, coverage.subscriber.reference).name[0].given == ["Sam"]


def test_hcpcs_level_ii_codes_use_the_hcpcs_system() -> None:
    line = ServiceLine(1, "G0283", ("GP",), 1, Decimal("20.00"), (1,), DAY, "11")
    resource = claim_to_fhir(lumbar_traction_claim(lines=(line,)))
    assert codes(resource.item[0].productOrService) == [(HCPCS_SYSTEM, "G0283")]


def test_json_round_trips_unchanged() -> None:
    text = claim_to_fhir_json(lumbar_traction_claim())
    assert json.loads(round_trip(lumbar_traction_claim()).model_dump_json(exclude_none=True)) == json.loads(text)
    assert json.loads(text)["resourceType"] == "Claim"
    assert "null" not in text


def test_an_empty_address_line_is_left_out_not_sent_as_an_empty_string() -> None:
    patient = Person("Ava", "Testwell", date(1961, 4, 2), "F", PostalAddress("", "Goleta", "CA", "93117"))
    resource = json.loads(claim_to_fhir_json(lumbar_traction_claim(patient=patient, subscriber=patient)))
    assert "" not in json.dumps(resource).split('"')[1::2]  # no empty string value anywhere
    assert resource["contained"][0]["address"][0]["city"] == "Goleta"


@pytest.mark.parametrize("many", [False, True])
def test_a_claim_the_fhir_model_refuses_is_a_typed_error_naming_the_element(many: bool) -> None:
    claim = lumbar_traction_claim(diagnoses=("M51\r\n16", "M5416"))  # a blocked note built anyway
    with pytest.raises(FhirClaimError, match=r"EX01-20260302: not valid FHIR R4: .*diagnosis\.0\.diagnosisCode"):
        claims_to_fhir_json([claim, claim] if many else [claim])
