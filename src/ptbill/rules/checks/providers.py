"""Provider identifiers on the claim: every NPI must pass its check digit (CMS NPPES NPI standard)."""

from __future__ import annotations

from collections.abc import Iterator

from ptbill.domain.finding import Severity
from ptbill.domain.identifiers import npi_is_valid
from ptbill.rules.context import CheckContext
from ptbill.rules.registry import Hit, rule

SECTION = "Coverage, authorization, plan of care"


@rule(
    "NPI_INVALID",
    section=SECTION,
    severity=Severity.ERROR,
    source="45 CFR 162.406 and the CMS NPI check-digit standard (Luhn formula over the prefix 80840 and the "
    "first 9 digits)",
    fix="Copy the NPI again from NPPES: it is 10 digits and the last one is a check digit.",
)
def npi_invalid(ctx: CheckContext) -> Iterator[Hit]:
    """An NPI on the encounter fails its check digit."""
    encounter = ctx.encounter
    providers = {
        "billing_provider": encounter.billing_provider,
        "rendering_provider": encounter.rendering_provider,
        "supervising_provider": encounter.supervising_provider,
        "referring_provider": encounter.referring_provider,
    }
    for role, provider in providers.items():
        if provider is not None and not npi_is_valid(provider.npi):
            yield Hit(
                f"The {role.replace('_', ' ')}'s NPI {provider.npi} is not a valid NPI.",
                None,
                f"{role}.npi",
            )
