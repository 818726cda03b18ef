"""A professional claim as the payer receives it: one per encounter, one line per code per day.

Field meanings follow the CMS-1500 (02/12) items and the X12 837P 005010X222A1 loops they map to
(Claims Processing Manual ch.26); names here are domain words, the X12 ids live in ``claims/x12_837p``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum

from ptbill.domain import claim_line
from ptbill.domain.remittance import Adjustment
from ptbill.domain.vocabulary import ClaimFilingIndicator

# What one claim line can carry, in the 837P (SV101-3..6, SV107) and on the CMS-1500 (24D, 24E). The pointers'
# limit is set in claim_line.py, which the checks import without this module's and remittance's classes.
MAX_MODIFIERS = 4
MAX_DIAGNOSIS_POINTERS = claim_line.MAX_DIAGNOSIS_POINTERS


class ClaimFrequency(StrEnum):
    """CLM05-3 / CMS-1500 item 22: what this claim does to earlier ones."""

    ORIGINAL = "1"
    REPLACEMENT = "7"
    VOID = "8"


@dataclass(frozen=True, slots=True)
class PostalAddress:
    line1: str
    city: str
    state: str
    zip: str
    line2: str | None = None


@dataclass(frozen=True, slots=True)
class ClaimParty:
    """A provider or organisation on the claim. ``first_name`` is None for an organisation."""

    last_name_or_organization: str
    npi: str
    first_name: str | None = None
    tax_id: str | None = None
    address: PostalAddress | None = None
    taxonomy: str | None = None  # NUCC provider taxonomy, e.g. 225100000X physical therapist


@dataclass(frozen=True, slots=True)
class Person:
    first_name: str
    last_name: str
    birth_date: date
    sex: str  # F, M or U
    address: PostalAddress | None = None


@dataclass(frozen=True, slots=True)
class ClaimPayer:
    id: str  # ptbill payer id
    name: str
    payer_identifier: str  # the id the clearinghouse knows the payer by (2010BB NM109)
    filing_indicator: ClaimFilingIndicator  # the program the claim is filed under (837P and CMS-1500 item 1)
    address: PostalAddress | None = None

    @property
    def is_medicare(self) -> bool:
        return self.filing_indicator.is_medicare


@dataclass(frozen=True, slots=True)
class ServiceLine:
    line_number: int
    code: str
    modifiers: tuple[str, ...]
    units: int
    charge: Decimal
    diagnosis_pointers: tuple[int, ...]
    service_date: date
    place_of_service: str
    expected_payment: Decimal | None = None
    description: str | None = None  # our own plain label, never the AMA descriptor


@dataclass(frozen=True, slots=True)
class InsuredName:
    """The other payer's insured as the 837P names them (2330A): a name only, no birth date or sex."""

    last_name: str
    first_name: str | None = None


@dataclass(frozen=True, slots=True)
class OtherPayerLine:
    """What an earlier payer decided on one of our lines (837P loop 2430, from its 835's service payment)."""

    line_number: int  # our line it answers
    code: str
    modifiers: tuple[str, ...]
    units: int
    paid: Decimal
    adjustments: tuple[Adjustment, ...]
    adjudicated: date
    patient_liability: Decimal  # what the patient still owes on the line after that payer


@dataclass(frozen=True, slots=True)
class OtherPayer:
    """An earlier payer in the patient's order of benefits, with its answer (837P loops 2320, 2330A, 2330B)."""

    sequence: str  # P primary, S secondary: its place in the order
    payer_name: str
    payer_identifier: str
    filing_indicator: ClaimFilingIndicator
    subscriber: InsuredName
    relationship: str  # self, spouse, child, other
    member_id: str
    group_number: str | None
    paid: Decimal
    adjudicated: date | None  # when that payer adjudicated the claim (2330B DTP*573; situational)
    patient_liability: Decimal  # what the patient still owes on the claim after that payer
    adjustments: tuple[Adjustment, ...] = ()  # claim-level
    payer_claim_number: str | None = None
    lines: tuple[OtherPayerLine, ...] = ()


@dataclass(frozen=True, slots=True)
class Claim:
    """Everything a clearinghouse or a paper form needs for one encounter's claim."""

    claim_id: str  # patient control number (CLM01), echoed back on the 835 as CLP01
    encounter_id: str
    payer: ClaimPayer
    billing_provider: ClaimParty
    rendering_provider: ClaimParty
    patient: Person
    subscriber: Person
    relationship: str  # self, spouse, child, other
    member_id: str
    group_number: str | None
    diagnoses: tuple[str, ...]  # ICD-10-CM without the dot, principal first
    lines: tuple[ServiceLine, ...]
    place_of_service: str
    service_date: date
    referring_provider: ClaimParty | None = None
    supervising_provider: ClaimParty | None = None
    prior_authorization: str | None = None
    frequency: ClaimFrequency = ClaimFrequency.ORIGINAL
    original_claim_number: str | None = None  # the payer's claim number, for replacements and voids
    patient_account: str | None = None
    created: date | None = None
    notes: tuple[str, ...] = field(default=())
    payer_sequence: str = "P"  # this payer's place in the order of benefits: P, S or T
    other_payers: tuple[OtherPayer, ...] = ()  # the earlier payers and their answers, primary first

    @property
    def total_charge(self) -> Decimal:
        return sum((line.charge for line in self.lines), Decimal("0.00"))
