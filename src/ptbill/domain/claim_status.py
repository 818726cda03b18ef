"""Claim status as values: the 277 answer to a 276 inquiry (005010X212), the 277CA claim acknowledgment
(005010X214), and the 276 inquiry itself.

Both 277s nest the same way (payer, receiver, provider, then each claim with its STC statuses); the
277CA's first category code says whether a claim entered the payer's system (A2, or A1 from a
clearinghouse) or was rejected (A3, A4, A6, A7, A8). Join key: the patient control number (837 CLM01),
which the 277CA carries in TRN02 and the 277 in REF*EJ.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from ptbill.domain.coded import Coded, Party

ACCEPTED_CATEGORIES = frozenset({"A0", "A1", "A2", "A5"})
REJECTED_CATEGORIES = frozenset({"A3", "A4", "A6", "A7", "A8"})


class Acknowledged(StrEnum):
    """What a 277CA says of one claim, from its first status category."""

    ACCEPTED = "accepted"
    REJECTED = "rejected"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class Status:
    """One STC (or one of its STC10/STC11 extra composites): category, status code, the entity it is about."""

    category: Coded  # STC01-1
    status: Coded | None  # STC01-2
    entity: Coded | None  # STC01-3
    effective: date | None = None  # STC02
    action: str | None = None  # STC03 (277CA: WQ accept, U reject)
    charge: Decimal | None = None  # STC04
    paid: Decimal | None = None  # STC05 (277)
    finalized: date | None = None  # STC06 adjudication finalized (277)
    remittance_date: date | None = None  # STC08 (277)
    check_or_eft: str | None = None  # STC09 remittance trace number (277)
    message: str | None = None  # STC12 free-form message


@dataclass(frozen=True, slots=True)
class LineStatus:
    """A service line's status (loop 2220D/E)."""

    procedure: str  # SVC01 as 'HC:97110' (qualifier:code:modifiers)
    charge: Decimal | None
    paid: Decimal | None
    units: Decimal | None
    line_control_number: str | None  # REF*FJ, the 837 REF*6R
    service_start: date | None
    service_end: date | None
    statuses: tuple[Status, ...]


@dataclass(frozen=True, slots=True)
class ClaimStatusEntry:
    """One claim of a 277 or 277CA (loop 2200D, or 2200E for a dependent)."""

    patient_control_number: str | None  # 277CA TRN02; 277 REF*EJ
    trace_number: str | None  # TRN02 (the 276's trace echoed, in a 277)
    payer_claim_number: str | None  # REF*1K
    clearinghouse_trace: str | None  # REF*D9
    patient: Party | None  # NM1*IL or NM1*QC
    provider: Party | None  # the 2100C provider above it
    service_start: date | None
    service_end: date | None
    statuses: tuple[Status, ...]
    lines: tuple[LineStatus, ...]

    @property
    def acknowledged(self) -> Acknowledged:
        category = self.statuses[0].category.code if self.statuses else ""
        if category in REJECTED_CATEGORIES:
            return Acknowledged.REJECTED
        if category in ACCEPTED_CATEGORIES:
            return Acknowledged.ACCEPTED
        return Acknowledged.OTHER


@dataclass(frozen=True, slots=True)
class LevelStatus:
    """A status above the claims: the submitter's batch or a provider's (2200B/2200C), with its counts."""

    level: str  # 'information receiver', 'provider'
    party: Party | None
    statuses: tuple[Status, ...]
    accepted_count: int | None = None  # QTY*90 / QTY*QA
    rejected_count: int | None = None  # QTY*AA / QTY*QC
    accepted_amount: Decimal | None = None  # AMT*YU
    rejected_amount: Decimal | None = None  # AMT*YY


@dataclass(frozen=True, slots=True)
class ClaimStatusReport:
    """One 277 or 277CA transaction set."""

    guide: str  # 005010X212 (claim status) or 005010X214 (claim acknowledgment)
    control_number: str
    reference: str | None  # BHT03
    created: date | None  # BHT04
    payer: Party | None  # 2100A: the payer (PR) or the clearinghouse (AY)
    levels: tuple[LevelStatus, ...]
    claims: tuple[ClaimStatusEntry, ...]
    problems: tuple[str, ...]

    @property
    def is_acknowledgment(self) -> bool:
        return self.guide.startswith("005010X214")


@dataclass(frozen=True, slots=True)
class ClaimInquiry:
    """One claim asked about in a 276 (loop 2200D/E), or to be written into one."""

    patient_control_number: str | None  # REF*EJ (a pharmacy claim has a prescription number instead)
    trace_number: str  # TRN02
    subscriber: Party  # NM1*IL with the member id
    service_start: date
    service_end: date
    charge: Decimal | None = None  # AMT*T3
    payer_claim_number: str | None = None  # REF*1K
    patient: Party | None = None  # NM1*QC when the patient is a dependent
    subscriber_birth_date: date | None = None
    patient_birth_date: date | None = None


@dataclass(frozen=True, slots=True)
class ClaimStatusRequest:
    """One 276 transaction set: who asks whom about which claims."""

    control_number: str
    reference: str | None  # BHT03
    created: date | None  # BHT04
    payer: Party | None  # 2100A
    receiver: Party | None  # 2100B
    provider: Party | None  # 2100C
    claims: tuple[ClaimInquiry, ...]
    problems: tuple[str, ...] = ()
