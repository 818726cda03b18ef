"""The text of a Claim that reaches the 837P and the CMS-1500, and whether each value can be written there.

Names and addresses are transliterated to the X12 character set (``x12.charset``); identifiers and
codes are sent as they are, so they must already be printable ASCII. Both writers refuse a claim
with one reason per value that cannot be written, before any byte is produced.
"""

from __future__ import annotations

from collections.abc import Iterator

from ptbill.domain.claim import Claim, ClaimParty, Person, PostalAddress
from ptbill.x12.charset import describe, is_x12_identifier, outside_x12, untransliterable


def _address(owner: str, address: PostalAddress | None) -> Iterator[tuple[str, str]]:
    if address is not None:
        yield f"the {owner}'s address line 1", address.line1
        yield f"the {owner}'s address line 2", address.line2 or ""
        yield f"the {owner}'s city", address.city


def _person(role: str, person: Person) -> Iterator[tuple[str, str]]:
    yield f"the {role}'s first name", person.first_name
    yield f"the {role}'s last name", person.last_name
    yield from _address(role, person.address)


def _party(role: str, party: ClaimParty | None) -> Iterator[tuple[str, str]]:
    if party is not None:
        yield f"the {role}'s name", party.last_name_or_organization
        yield f"the {role}'s first name", party.first_name or ""
        yield from _address(role, party.address)


def _parties(claim: Claim) -> tuple[tuple[str, ClaimParty | None], ...]:
    return (
        ("billing provider", claim.billing_provider),
        ("rendering provider", claim.rendering_provider),
        ("referring provider", claim.referring_provider),
        ("supervising provider", claim.supervising_provider),
    )


def texts(claim: Claim) -> Iterator[tuple[str, str]]:
    """(what it is, value) for every name and address the formats print, transliterated on the way."""
    yield from _person("patient", claim.patient)
    yield from _person("subscriber", claim.subscriber)
    for role, party in _parties(claim):
        yield from _party(role, party)
    yield "the payer's name", claim.payer.name
    yield from _address("payer", claim.payer.address)
    yield "the group number", claim.group_number or ""


def identifiers(claim: Claim) -> Iterator[tuple[str, str]]:
    """(what it is, value) for every identifier and code the formats carry as given."""
    yield "the claim id", claim.claim_id
    yield "the member id", claim.member_id
    yield "the payer id", claim.payer.payer_identifier
    yield "the prior authorization number", claim.prior_authorization or ""
    yield "the original claim number", claim.original_claim_number or ""
    yield "the place of service", claim.place_of_service
    yield "the billing provider's tax id", claim.billing_provider.tax_id or ""
    for role, party in _parties(claim):
        if party is not None:
            yield f"the {role}'s NPI", party.npi
    addressed = (("patient", claim.patient), ("subscriber", claim.subscriber), *_parties(claim))
    for role, holder in addressed:
        if holder is not None and holder.address is not None:
            yield f"the {role}'s state", holder.address.state
            yield f"the {role}'s ZIP code", holder.address.zip
    for number, code in enumerate(claim.diagnoses, start=1):
        yield f"diagnosis {number}", code
    for line in claim.lines:
        yield f"line {line.line_number}'s code", line.code
        yield f"line {line.line_number}'s place of service", line.place_of_service
        for modifier in line.modifiers:
            yield f"line {line.line_number}'s modifier", modifier


def claim_text_problems(claim: Claim) -> list[str]:
    """One line per value of the claim that no claim format can carry; empty when all can."""
    names, codes = list(texts(claim)), list(identifiers(claim))
    if is_x12_identifier("".join(value for _, value in names + codes)):  # the usual case: one check for all
        return []
    problems = []
    for what, value in names:
        missing = untransliterable(value)
        if missing:
            problems.append(f"{what} has characters with no X12 form: {describe(missing)}")
    for what, value in codes:
        outside = outside_x12(value)
        if outside:
            problems.append(f"{what} has characters outside the X12 character set: {describe(outside)}")
    return problems
