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
    addresses = [("patient", claim.patient.address), ("subscriber", claim.subscriber.address)]
    addresses += [("payer", claim.payer.address)] + [(r, p.address) for r, p in _parties(claim) if p is not None]
    for role, address in addresses:
        if address is not None:
            yield f"the {role}'s state", address.state
            yield f"the {role}'s ZIP code", address.zip
    for number, code in enumerate(claim.diagnoses, start=1):
        yield f"diagnosis {number}", code
    for line in claim.lines:
        yield f"line {line.line_number}'s code", line.code
        yield f"line {line.line_number}'s place of service", line.place_of_service
        for modifier in line.modifiers:
            yield f"line {line.line_number}'s modifier", modifier


def _address_values(address: PostalAddress | None) -> tuple[str, ...]:
    return (address.line1, address.line2 or "", address.city, address.state, address.zip) if address else ()


def all_values(claim: Claim) -> list[str]:
    """The values of ``texts`` and ``identifiers`` without their labels, read directly: the writers check every
    claim of a batch, and this is several times faster than the labelled generators (a test keeps both equal)."""
    patient, subscriber, payer = claim.patient, claim.subscriber, claim.payer
    values = [
        *(claim.claim_id, claim.member_id, claim.group_number or "", claim.place_of_service),
        *(claim.prior_authorization or "", claim.original_claim_number or "", payer.name, payer.payer_identifier),
        *(patient.first_name, patient.last_name, *_address_values(patient.address)),
        *(subscriber.first_name, subscriber.last_name, *_address_values(subscriber.address)),
        *_address_values(payer.address),
        *claim.diagnoses,
    ]
    for _, party in _parties(claim):
        if party is not None:
            values += (party.last_name_or_organization, party.first_name or "", party.npi)
            values += _address_values(party.address)
    values.append(claim.billing_provider.tax_id or "")
    for line in claim.lines:
        values += (line.code, line.place_of_service, *line.modifiers)
    return values


def claim_text_problems(claim: Claim) -> list[str]:
    """One line per value of the claim that no claim format can carry; empty when all can."""
    if is_x12_identifier("".join(all_values(claim))):  # the usual case: one check over everything
        return []
    problems = []
    for what, value in texts(claim):
        missing = untransliterable(value)
        if missing:
            problems.append(f"{what} has characters with no X12 form: {describe(missing)}")
    for what, value in identifiers(claim):
        outside = outside_x12(value)
        if outside:
            problems.append(f"{what} has characters outside the X12 character set: {describe(outside)}")
    return problems
