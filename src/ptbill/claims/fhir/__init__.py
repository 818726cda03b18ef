"""Claims as FHIR R4 resources: the professional Claim, built and validated with fhir.resources (R4B models).

Source: FHIR R4 Claim resource and the HL7 terminology code systems.
"""

from __future__ import annotations

from ptbill.claims.fhir.claim import (
    FhirClaimError,
    claim_to_fhir,
    claim_to_fhir_dict,
    claim_to_fhir_json,
    claims_to_fhir_json,
)

__all__ = ["FhirClaimError", "claim_to_fhir", "claim_to_fhir_dict", "claim_to_fhir_json", "claims_to_fhir_json"]
