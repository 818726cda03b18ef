"""Claim text: every name, address and identifier of the note must have a form in the X12 character set.

Accented Latin letters are transliterated when the claim is written (``x12.charset``: Muñoz-Peña →
MUNOZ-PENA), so they pass; other scripts (王芳, Иванова), control characters and other-script digits in
identifiers have no such form, and are refused here, before a claim is built, instead of being lost.
"""

from __future__ import annotations

from collections.abc import Iterator

from ptbill.domain.encounter import Address, Encounter
from ptbill.domain.finding import Severity
from ptbill.rules.context import CheckContext
from ptbill.rules.registry import Hit, rule
from ptbill.x12.charset import describe, is_x12_identifier, outside_x12, untransliterable

SECTION = "Claim text"


def _address(where: str, address: Address | None) -> Iterator[tuple[str, str | None]]:
    if address is not None:
        yield f"{where}.line1", address.line1
        yield f"{where}.line2", address.line2
        yield f"{where}.city", address.city


def _names_and_addresses(encounter: Encounter) -> Iterator[tuple[str, str | None]]:
    """(field, value) of the text the claim formats print, transliterated on the way."""
    patient = encounter.patient
    yield "patient.first_name", patient.first_name
    yield "patient.last_name", patient.last_name
    yield from _address("patient.address", patient.address)
    subscriber = encounter.coverage.subscriber
    if subscriber is not None:
        yield "coverage.subscriber.first_name", subscriber.first_name
        yield "coverage.subscriber.last_name", subscriber.last_name
        yield from _address("coverage.subscriber.address", subscriber.address)
    yield "billing_provider.name", encounter.billing_provider.name
    yield from _address("billing_provider.address", encounter.billing_provider.address)
    yield "rendering_provider.name", encounter.rendering_provider.name
    for role in ("supervising_provider", "referring_provider"):
        provider = getattr(encounter, role)
        if provider is not None:
            yield f"{role}.name", provider.name
    yield "coverage.group_number", encounter.coverage.group_number


def _texts(encounter: Encounter) -> list[str | None]:
    """Every value ``_names_and_addresses`` and ``_identifiers`` give, without naming the fields (a test keeps the
    lists alike): building the names costs more than testing the text, which is plain on most notes."""
    patient, coverage, billing = encounter.patient, encounter.coverage, encounter.billing_provider
    texts: list[str | None] = [patient.first_name, patient.last_name]
    for address in (patient.address, billing.address):
        if address is not None:
            texts += (address.line1, address.line2, address.city)
    subscriber = coverage.subscriber
    if subscriber is not None:
        texts += (subscriber.first_name, subscriber.last_name)
        address = subscriber.address
        if address is not None:
            texts += (address.line1, address.line2, address.city)
    texts += (billing.name, encounter.rendering_provider.name, coverage.group_number, encounter.id, coverage.member_id)
    for provider in (encounter.supervising_provider, encounter.referring_provider):
        if provider is not None:
            texts.append(provider.name)
    authorization = coverage.authorization
    if authorization is not None:
        texts.append(authorization.number)
    return texts


def _identifiers(encounter: Encounter) -> Iterator[tuple[str, str | None]]:
    """(field, value) of the identifiers the claim formats carry exactly as given."""
    yield "id", encounter.id
    yield "coverage.member_id", encounter.coverage.member_id
    authorization = encounter.coverage.authorization
    yield "coverage.authorization.number", authorization.number if authorization else None


@rule(
    "CLAIM_TEXT_NOT_TRANSLITERABLE",
    section=SECTION,
    severity=Severity.ERROR,
    source="ASC X12 005010X222A1 Health Care Claim: Professional (837P) Technical Report Type 3, "
    "Appendix B (Nomenclature), Basic Character Set and Extended Character Set (together: printable ASCII), "
    "https://x12.org/products/transaction-sets; NUCC 1500 Health Insurance Claim Form Reference Instruction "
    "Manual for form version 02/12, items 2, 4, 5 and 7 (names and addresses as on the patient's insurance "
    "card), https://www.nucc.org",
    fix="Write the name or address in Latin letters as it appears on the insurance card (accented letters may "
    "stay: the claim carries ñ as N and ễ as E); type identifiers again with the digits 0-9 and letters A-Z.",
)
def claim_text_not_transliterable(ctx: CheckContext) -> Iterator[Hit]:
    """A name, address or identifier has characters that no claim format can carry."""
    # Most notes are printable ASCII throughout: one test of all their text joined first (printable ASCII has
    # nothing to transliterate and nothing outside the set, and text is so when each of its parts is).
    if is_x12_identifier("".join(filter(None, _texts(ctx.encounter)))):
        return
    for field, value in _names_and_addresses(ctx.encounter):
        missing = untransliterable(value or "")
        if missing:
            yield Hit(
                f"{field} has characters with no form in the claim's character set: {describe(missing)}.",
                None,
                field,
            )
    for field, value in _identifiers(ctx.encounter):
        outside = outside_x12(value or "")
        if outside:
            yield Hit(f"{field} has characters outside the claim's character set: {describe(outside)}.", None, field)
