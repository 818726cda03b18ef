"""A claim as a FHIR R4 professional Claim resource (fhir.resources R4B models, same Claim elements as R4).

Source: FHIR R4 Claim (hl7.org/fhir/R4/claim.html) with the HL7 terminology code systems named
below; the parties travel as contained resources, identified by NPI.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, TypeVar

from fhir.resources.R4B.claim import Claim as FhirClaim
from pydantic import BaseModel, ValidationError

from ptbill.domain.claim import Claim, ClaimFrequency, ClaimParty, ClaimPayer, Person, PostalAddress, ServiceLine
from ptbill.domain.errors import PtbillError
from ptbill.domain.identifiers import is_ascii_digits

CLAIM_TYPE_SYSTEM = "http://terminology.hl7.org/CodeSystem/claim-type"
PRIORITY_SYSTEM = "http://terminology.hl7.org/CodeSystem/processpriority"
NPI_SYSTEM = "http://hl7.org/fhir/sid/us-npi"
TIN_SYSTEM = "urn:oid:2.16.840.1.113883.4.4"  # US IRS taxpayer identification number
ICD10CM_SYSTEM = "http://hl7.org/fhir/sid/icd-10-cm"
CPT_SYSTEM = "http://www.ama-assn.org/go/cpt"
HCPCS_SYSTEM = "http://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets"  # HCPCS Level II (THO)
POS_SYSTEM = "https://www.cms.gov/Medicare/Coding/place-of-service-codes/Place_of_Service_Code_Set"
DIAGNOSIS_TYPE_SYSTEM = "http://terminology.hl7.org/CodeSystem/ex-diagnosistype"
CARE_TEAM_ROLE_SYSTEM = "http://terminology.hl7.org/CodeSystem/claimcareteamrole"
RELATED_CLAIM_SYSTEM = "http://terminology.hl7.org/CodeSystem/ex-relatedclaimrelationship"
SUBSCRIBER_RELATIONSHIP_SYSTEM = "http://terminology.hl7.org/CodeSystem/subscriber-relationship"
COVERAGE_CLASS_SYSTEM = "http://terminology.hl7.org/CodeSystem/coverage-class"
IDENTIFIER_TYPE_SYSTEM = "http://terminology.hl7.org/CodeSystem/v2-0203"
# ptbill's own identifier namespaces; a deployment may swap in the clinic's or clearinghouse's URIs.
CLAIM_ID_SYSTEM = "urn:ptbill:patient-control-number"  # CLM01 / CMS-1500 item 26
PAYER_ID_SYSTEM = "urn:ptbill:payer-identifier"  # the clearinghouse payer id (2010BB NM109)
PAYER_CLAIM_NUMBER_SYSTEM = "urn:ptbill:payer-claim-number"  # the payer's own number for a claim (CLP07)
CURRENCY = "USD"

_SEX = {"F": "female", "M": "male"}
_RELATIONSHIPS = {"self", "spouse", "child", "other"}
_FREQUENCY_TEXT = {
    ClaimFrequency.REPLACEMENT: "replaces the prior claim (frequency code 7)",
    ClaimFrequency.VOID: "voids the prior claim (frequency code 8)",
}
_HCPCS_LEVEL_II = re.compile(r"^[A-V][0-9]{4}$")
_FHIR_ID = re.compile(r"[^A-Za-z0-9\-.]")
_CENTS = Decimal("0.01")

Json = dict[str, Any]


def _coding(system: str, code: str, display: str | None = None) -> Json:
    coding: Json = {"system": system, "code": code}
    if display:
        coding["display"] = display
    return coding


def _concept(system: str, code: str, display: str | None = None, text: str | None = None) -> Json:
    concept: Json = {"coding": [_coding(system, code, display)]}
    if text:
        concept["text"] = text
    return concept


def _money(amount: Decimal) -> Json:
    return {"value": amount, "currency": CURRENCY}


def _procedure_system(code: str) -> str:
    """CPT for five-character AMA codes (97012, 0123T); HCPCS Level II for a letter and four digits (G0283)."""
    return HCPCS_SYSTEM if _HCPCS_LEVEL_II.match(code) else CPT_SYSTEM


def _modifier_system(modifier: str) -> str:
    """Two-digit modifiers (59, 25) are CPT's; letter modifiers (GP, KX, CQ, XU) are HCPCS Level II."""
    return CPT_SYSTEM if is_ascii_digits(modifier) else HCPCS_SYSTEM


def _icd10(code: str) -> str:
    """The dotted form FHIR's ICD-10-CM system uses: M5116 → M51.16."""
    code = code.replace(".", "").upper()
    return code if len(code) <= 3 else f"{code[:3]}.{code[3:]}"


def _address(address: PostalAddress | None, use: str) -> list[Json] | None:
    if address is None:
        return None
    lines = [address.line1] + ([address.line2] if address.line2 else [])
    return [
        {
            "use": use,
            "line": lines,
            "city": address.city,
            "state": address.state,
            "postalCode": address.zip,
            "country": "US",
        }
    ]


def _person(resource_id: str, person: Person) -> Json:
    return {
        "resourceType": "Patient",
        "id": resource_id,
        "name": [{"family": person.last_name, "given": [person.first_name]}],
        "gender": _SEX.get(person.sex.upper(), "unknown"),
        "birthDate": person.birth_date,
        "address": _address(person.address, "home"),
    }


def _npi(npi: str) -> Json:
    return {"system": NPI_SYSTEM, "value": npi}


def _party(resource_id: str, party: ClaimParty) -> Json:
    """A person (Practitioner) when a first name is recorded, else an Organization; identified by NPI."""
    identifiers = [_npi(party.npi)]
    if party.tax_id:
        identifiers.append(
            {
                "type": _concept(IDENTIFIER_TYPE_SYSTEM, "TAX", "Tax ID number"),
                "system": TIN_SYSTEM,
                "value": party.tax_id.replace("-", ""),
            }
        )
    if party.first_name:
        return {
            "resourceType": "Practitioner",
            "id": resource_id,
            "identifier": identifiers,
            "name": [{"family": party.last_name_or_organization, "given": [party.first_name]}],
            "address": _address(party.address, "work"),
        }
    return {
        "resourceType": "Organization",
        "id": resource_id,
        "identifier": identifiers,
        "name": party.last_name_or_organization,
        "address": _address(party.address, "work"),
    }


def _insurer(payer: ClaimPayer) -> Json:
    return {
        "resourceType": "Organization",
        "id": "insurer",
        "identifier": [{"system": PAYER_ID_SYSTEM, "value": payer.payer_identifier}],
        "name": payer.name,
        "address": _address(payer.address, "work"),
    }


def _coverage(claim: Claim) -> Json:
    relationship = claim.relationship if claim.relationship in _RELATIONSHIPS else "other"
    coverage: Json = {
        "resourceType": "Coverage",
        "id": "coverage",
        "status": "active",
        "identifier": [
            {
                "type": _concept(IDENTIFIER_TYPE_SYSTEM, "MB", "Member Number"),
                "system": f"{PAYER_ID_SYSTEM}:{claim.payer.payer_identifier}:member",
                "value": claim.member_id,
            }
        ],
        "subscriberId": claim.member_id,
        "beneficiary": {"reference": "#patient"},
        "relationship": _concept(SUBSCRIBER_RELATIONSHIP_SYSTEM, relationship),
        "payor": [{"reference": "#insurer"}],
    }
    if relationship != "self":
        coverage["subscriber"] = {"reference": "#subscriber"}
    if claim.group_number:
        coverage["class"] = [{"type": _concept(COVERAGE_CLASS_SYSTEM, "group"), "value": claim.group_number}]
    return coverage


def _fhir_id(text: str) -> str:
    """A FHIR id (letters, digits, '-' and '.', at most 64) made from ptbill's claim id."""
    return (_FHIR_ID.sub("-", text) or "claim")[:64]


def _item(line: ServiceLine, care_team_sequence: int) -> Json:
    unit_price = (line.charge / line.units).quantize(_CENTS, rounding=ROUND_HALF_UP) if line.units else line.charge
    return {
        "sequence": line.line_number,
        "careTeamSequence": [care_team_sequence],
        "diagnosisSequence": list(line.diagnosis_pointers),
        "productOrService": {"coding": [_coding(_procedure_system(line.code), line.code)]},
        "modifier": [{"coding": [_coding(_modifier_system(m), m)]} for m in line.modifiers] or None,
        "servicedDate": line.service_date,
        "locationCodeableConcept": _concept(POS_SYSTEM, line.place_of_service),
        "quantity": {"value": line.units},
        "unitPrice": _money(unit_price),
        "net": _money(line.charge),  # the line's charge as billed (24F / SV102)
    }


def claim_to_fhir_dict(claim: Claim) -> Json:
    """The Claim resource as plain data, before validation (dates and Decimals not yet serialised)."""
    contained: list[Json] = [
        _person("patient", claim.patient),
        _insurer(claim.payer),
        _party("billing", claim.billing_provider),
        _party("rendering", claim.rendering_provider),
        _coverage(claim),
    ]
    if claim.relationship != "self":
        contained.append(_person("subscriber", claim.subscriber))
    care_team: list[Json] = [
        {
            "sequence": 1,
            "provider": {"reference": "#rendering"},
            "responsible": True,
            "role": _concept(CARE_TEAM_ROLE_SYSTEM, "primary", "Primary provider", "rendering provider"),
        }
    ]
    if claim.supervising_provider is not None:
        contained.append(_party("supervising", claim.supervising_provider))
        care_team.append(
            {
                "sequence": len(care_team) + 1,
                "provider": {"reference": "#supervising"},
                "role": _concept(CARE_TEAM_ROLE_SYSTEM, "supervisor", "Supervisor", "supervising provider"),
            }
        )
    if claim.referring_provider is not None:
        contained.append(_party("referring", claim.referring_provider))
        care_team.append(
            {
                "sequence": len(care_team) + 1,
                "provider": {"reference": "#referring"},
                "role": _concept(CARE_TEAM_ROLE_SYSTEM, "other", "Other", "referring provider (837P 2310A)"),
            }
        )
    dates = [line.service_date for line in claim.lines] or [claim.service_date]
    resource: Json = {
        "resourceType": "Claim",
        "id": _fhir_id(claim.claim_id),
        "contained": contained,
        "identifier": [{"system": CLAIM_ID_SYSTEM, "value": claim.claim_id}],
        "status": "active",
        "type": _concept(CLAIM_TYPE_SYSTEM, "professional", "Professional"),
        "use": "claim",
        "patient": {"reference": "#patient"},
        "billablePeriod": {"start": min(dates), "end": max(dates)},
        "created": claim.created or max(dates),
        "insurer": {"reference": "#insurer", "display": claim.payer.name},
        "provider": {"reference": "#billing", "identifier": _npi(claim.billing_provider.npi)},
        "priority": _concept(PRIORITY_SYSTEM, "normal"),
        "careTeam": care_team,
        "diagnosis": [
            {
                "sequence": sequence,
                "diagnosisCodeableConcept": {"coding": [_coding(ICD10CM_SYSTEM, _icd10(code))]},
                "type": [_concept(DIAGNOSIS_TYPE_SYSTEM, "principal")] if sequence == 1 else None,
            }
            for sequence, code in enumerate(claim.diagnoses, start=1)
        ],
        "insurance": [
            {
                "sequence": 1,
                "focal": True,
                "coverage": {"reference": "#coverage"},
                "preAuthRef": [claim.prior_authorization] if claim.prior_authorization else None,
            }
        ],
        "item": [_item(line, 1) for line in claim.lines],
        "total": _money(claim.total_charge),
    }
    if claim.frequency is not ClaimFrequency.ORIGINAL:
        related: Json = {
            "relationship": _concept(RELATED_CLAIM_SYSTEM, "prior", "Prior Claim", _FREQUENCY_TEXT[claim.frequency])
        }
        if claim.original_claim_number:
            related["reference"] = {"system": PAYER_CLAIM_NUMBER_SYSTEM, "value": claim.original_claim_number}
        resource["related"] = [related]
    cleaned: Json = _without_none(resource)
    return cleaned


def _without_none(value: Any) -> Any:
    """Drop None members and empty strings (FHIR allows no empty string) so absent elements are simply absent."""
    if isinstance(value, Mapping):
        return {k: _without_none(v) for k, v in value.items() if v is not None and v != ""}
    if isinstance(value, list):
        return [_without_none(v) for v in value if v != ""]
    return value


ModelT = TypeVar("ModelT", bound=BaseModel)


class FhirClaimError(PtbillError):
    """The claim breaks the FHIR R4 model (an element's pattern or cardinality); the message names each element."""


def _validated(model: type[ModelT], data: Json, claims: Sequence[Claim]) -> ModelT:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = [f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors(include_url=False)]
        named = ("claim " if len(claims) == 1 else "claims ") + ", ".join(claim.claim_id for claim in claims)
        raise FhirClaimError(f"{named}: not valid FHIR R4: " + "; ".join(problems)) from None


def claim_to_fhir(claim: Claim) -> FhirClaim:
    """The claim as a validated FHIR R4 (R4B model) Claim; FhirClaimError if it breaks the model."""
    return _validated(FhirClaim, claim_to_fhir_dict(claim), [claim])


def claim_to_fhir_json(claim: Claim, *, indent: int | None = None) -> str:
    """``claim_to_fhir(claim)`` as FHIR JSON, empty elements left out."""
    return claim_to_fhir(claim).model_dump_json(exclude_none=True, indent=indent)


def claims_to_fhir_json(claims: Sequence[Claim]) -> str:
    """One claim as a Claim resource; several as a FHIR Bundle of type collection."""
    if len(claims) == 1:
        return claim_to_fhir_json(claims[0], indent=2)
    from fhir.resources.R4B.bundle import Bundle

    bundle = _validated(
        Bundle,
        {
            "resourceType": "Bundle",
            "type": "collection",
            "entry": [{"resource": claim_to_fhir_dict(claim)} for claim in claims],
        },
        claims,
    )
    return bundle.model_dump_json(exclude_none=True, indent=2)
