"""Providers on the claim: every NPI passes its check digit (CMS NPPES NPI standard), and an assistant's
visit names the supervising therapist where the payer does not enroll assistants.
"""

from __future__ import annotations

from collections.abc import Iterator

from ptbill.domain.encounter import ASSISTANT_OF
from ptbill.domain.finding import Severity
from ptbill.domain.identifiers import npi_is_valid
from ptbill.rules.context import CheckContext
from ptbill.rules.registry import Hit, rule
from ptbill.rules.sources import CFR_410_60_URL, NPI_RULE_URL, THERAPY_SERVICES_URL, bpm_15, cite

SECTION = "Coverage, authorization, plan of care"
CLAIM_SECTION = "Claim: providers, place, date, duplicates"


@rule(
    "NPI_INVALID",
    section=SECTION,
    severity=Severity.ERROR,
    source=cite(
        "45 CFR 162.406 and the CMS NPI check-digit standard (Luhn formula over the prefix 80840 and the first 9 "
        "digits)",
        NPI_RULE_URL,
    ),
    fix="Copy the NPI again from NPPES: it is 10 digits and the last one is a check digit.",
)
def npi_invalid(ctx: CheckContext) -> list[Hit]:
    """An NPI on the encounter fails its check digit."""
    encounter = ctx.encounter
    providers = (
        ("billing_provider", encounter.billing_provider),
        ("rendering_provider", encounter.rendering_provider),
        ("supervising_provider", encounter.supervising_provider),
        ("referring_provider", encounter.referring_provider),
    )
    hits = []  # a loop rather than a comprehension, which costs a function call of its own on Python 3.11
    for role, provider in providers:
        if provider is not None and not npi_is_valid(provider.npi):
            hits.append(
                Hit(f"The {role.replace('_', ' ')}'s NPI {provider.npi} is not a valid NPI.", None, f"{role}.npi")
            )
    return hits


@rule(
    "ASSISTANT_WITHOUT_SUPERVISOR",
    needs=("assistant",),
    section=CLAIM_SECTION,
    severity=Severity.ERROR,
    source=bpm_15("230.4", "an assistant's services are billed by the supervising therapist in private practice")
    + "; "
    + cite("42 CFR 410.60", CFR_410_60_URL)
    + "; "
    + cite("CMS: billing examples using CQ/CO modifiers (the therapist is rendering provider)", THERAPY_SERVICES_URL),
    fix="Record the supervising therapist (name and NPI) on the note: the claim names them as rendering provider, "
    "and the assistant's lines carry CQ (PTA) or CO (OTA).",
)
def assistant_without_supervisor(ctx: CheckContext) -> Iterator[Hit]:
    """A PTA's or OTA's visit has no supervising therapist of their discipline, for a payer that does not enroll
    assistants (Medicare)."""
    rendering = ctx.encounter.rendering_provider
    therapist = ASSISTANT_OF.get(rendering.credential)
    if therapist is None:
        return
    enrolled = ctx.snapshot.resolved("providers.assistants_enrolled")
    if enrolled is None or enrolled.flag:
        return
    supervisor = ctx.encounter.supervising_provider
    if supervisor is None:
        yield Hit(
            f"{rendering.name} is a {rendering.credential.value}, and {ctx.snapshot.payer.name} does not enroll "
            f"assistants: the visit must be billed under the supervising {therapist.value}, and none is recorded.",
            None,
            "supervising_provider.name",  # where the note form asks for the supervising therapist
            reference=enrolled.reference,
        )
    elif supervisor.credential is not None and supervisor.credential is not therapist:
        yield Hit(
            f"The supervising provider {supervisor.name} is recorded as {supervisor.credential.value}; a "
            f"{rendering.credential.value}'s visit is billed under a supervising {therapist.value}.",
            None,
            "supervising_provider.credential",
            reference=enrolled.reference,
        )
