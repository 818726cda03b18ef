"""The app's closed word lists: who a user is, what kind of payer a plan is, and which program a claim is
filed under. Compared as enums, stored as their values; a value outside the list is refused where it is read.

The statuses of notes, claims and batches are in ``domain.status``.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    THERAPIST = "therapist"
    PTA = "pta"
    BILLER = "biller"
    ADMIN = "admin"


ROLES = tuple(Role)
CLINICIANS = frozenset({Role.THERAPIST, Role.PTA})  # they write notes
SIGNERS = frozenset({Role.THERAPIST, Role.PTA})  # they sign them
BILLERS = frozenset({Role.BILLER, Role.ADMIN})  # they build, send and post claims


class PayerType(StrEnum):
    """The baseline a payer's parameters fall back to (``reference_data/baseline/<type>/``)."""

    MEDICARE = "medicare"
    MEDICAID = "medicaid"
    COMMERCIAL = "commercial"
    WORKERS_COMP = "workers_comp"
    VA_CCN = "va_ccn"


class ClaimFilingIndicator(StrEnum):
    """The program a claim is filed under: the X12 claim filing indicator code list (005010X222A1),
    which also decides the CMS-1500's item 1 box. Each payer's value is the dated parameter
    ``claims.filing_indicator``, whose default comes from its payer type."""

    OTHER_NON_FEDERAL = "11"
    PPO = "12"
    POS = "13"
    EPO = "14"
    INDEMNITY = "15"
    HMO_MEDICARE_RISK = "16"
    DENTAL_MAINTENANCE = "17"
    AUTOMOBILE_MEDICAL = "AM"
    BLUE_CROSS_BLUE_SHIELD = "BL"
    CHAMPUS = "CH"  # TRICARE
    COMMERCIAL = "CI"
    DISABILITY = "DS"
    FEDERAL_EMPLOYEES = "FI"
    HMO = "HM"
    LIABILITY_MEDICAL = "LM"
    MEDICARE_PART_A = "MA"
    MEDICARE_PART_B = "MB"
    MEDICAID = "MC"
    OTHER_FEDERAL = "OF"
    TITLE_V = "TV"
    VETERANS_AFFAIRS = "VA"
    WORKERS_COMP = "WC"
    MUTUALLY_DEFINED = "ZZ"

    @property
    def is_medicare(self) -> bool:
        return self in (ClaimFilingIndicator.MEDICARE_PART_A, ClaimFilingIndicator.MEDICARE_PART_B)
