"""Eligibility as values: the 271 answer (005010X279A1) per member, and the 270 inquiry.

A benefit is one EB with what follows it (HSD, DTP, MSG, AAA, the 2120 entity). EB08 is a fraction
(0.2 = 20 %); EB06 23 is the calendar year's amount and 29 what remains. The therapy amount applied
toward Medicare's KX threshold has no confirmed place in the public TR3 samples: ptbill reads it from a
benefit for physical therapy, physical medicine or speech therapy (PT, AE, AF) whose period is year to
date (EB06 24) and that carries an amount, and says where it came from; staff should confirm it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from ptbill.domain.coded import Coded, Party

ACTIVE_CODES = frozenset({"1", "2", "3", "4", "5"})
INACTIVE_CODES = frozenset({"6", "7", "8"})
THERAPY_SERVICE_TYPES = frozenset({"PT", "AE", "AF"})
YEAR_TO_DATE = "24"


class Coverage(StrEnum):
    ACTIVE = "active"
    INACTIVE = "inactive"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Rejection:
    """An AAA: the payer could not answer (or not for this part), why, and what to do next."""

    where: str  # 'payer', 'provider', 'subscriber', 'dependent', 'benefit'
    valid_request: bool | None  # AAA01
    reason: Coded  # AAA03
    follow_up: Coded | None  # AAA04


@dataclass(frozen=True, slots=True)
class Dated:
    """A DTP: what the date is (346 plan begin ...) and the day or range."""

    kind: Coded
    start: date
    end: date


@dataclass(frozen=True, slots=True)
class Delivery:
    """An HSD: so many visits (or days ...) per period."""

    quantity_kind: Coded | None  # HSD01, VS visits
    quantity: Decimal | None  # HSD02
    period: Coded | None  # HSD05
    periods: Decimal | None  # HSD06


@dataclass(frozen=True, slots=True)
class Benefit:
    """One EB and what belongs to it."""

    info: Coded  # EB01
    coverage_level: Coded | None  # EB02
    service_types: tuple[Coded, ...]  # EB03
    insurance_type: str | None  # EB04
    plan: str | None  # EB05
    period: Coded | None  # EB06
    amount: Decimal | None  # EB07
    percent: Decimal | None  # EB08, a fraction
    quantity_kind: Coded | None  # EB09
    quantity: Decimal | None  # EB10
    authorization_required: bool | None  # EB11 Y/N
    in_network: bool | None  # EB12 Y/N (U, W: None)
    procedure: str | None  # EB13
    delivery: tuple[Delivery, ...] = ()
    dates: tuple[Dated, ...] = ()
    messages: tuple[str, ...] = ()
    rejections: tuple[Rejection, ...] = ()
    related: tuple[Party, ...] = ()  # the 2120 loop's entities (a PCP, another payer)

    def covers(self, *codes: str) -> bool:
        return any(s.code in codes for s in self.service_types)

    @property
    def visits(self) -> Decimal | None:
        """The number of visits this benefit states: EB09 VS with EB10, or an HSD in visits."""
        if self.quantity_kind is not None and self.quantity_kind.code == "VS":
            return self.quantity
        for pattern in self.delivery:
            if pattern.quantity_kind is not None and pattern.quantity_kind.code == "VS":
                return pattern.quantity
        return None


@dataclass(frozen=True, slots=True)
class MemberEligibility:
    """The answer for one subscriber (2000C) or dependent (2000D)."""

    member: Party
    is_dependent: bool
    subscriber: Party | None
    birth_date: date | None
    gender: str | None
    trace_number: str | None  # TRN02 (the 270's TRN*1 echoed)
    dates: tuple[Dated, ...]
    benefits: tuple[Benefit, ...]
    rejections: tuple[Rejection, ...]

    @property
    def coverage(self) -> Coverage:
        codes = {b.info.code for b in self.benefits}
        if codes & ACTIVE_CODES:
            return Coverage.ACTIVE
        if codes & INACTIVE_CODES:
            return Coverage.INACTIVE
        return Coverage.UNKNOWN

    def date(self, qualifier: str) -> Dated | None:
        return next((d for d in self.dates if d.kind.code == qualifier), None)

    def of_kind(self, code: str) -> tuple[Benefit, ...]:
        """The benefits of one EB01: B copay, A coinsurance, C deductible, G out of pocket, F limitations."""
        return tuple(b for b in self.benefits if b.info.code == code)

    @property
    def visit_limits(self) -> tuple[Benefit, ...]:
        return tuple(b for b in self.benefits if b.visits is not None)

    @property
    def prior_authorization_required(self) -> bool | None:
        """EB11 of the therapy benefits (PT, AE), else of any benefit; None when no benefit says."""
        said = [b for b in self.benefits if b.authorization_required is not None]
        therapy = [b for b in said if b.covers("PT", "AE")]
        chosen = therapy or said
        return any(b.authorization_required for b in chosen) if chosen else None

    @property
    def therapy_amount_applied(self) -> Benefit | None:
        """The benefit stating the therapy amount used this year (see the module's note), if any."""
        for benefit in self.benefits:
            if (
                benefit.period is not None
                and benefit.period.code == YEAR_TO_DATE
                and benefit.amount is not None
                and {s.code for s in benefit.service_types} & THERAPY_SERVICE_TYPES
            ):
                return benefit
        return None


@dataclass(frozen=True, slots=True)
class EligibilityResponse:
    """One 271 transaction set."""

    guide: str
    control_number: str
    reference: str | None  # BHT03
    created: date | None  # BHT04
    payer: Party | None
    provider: Party | None
    rejections: tuple[Rejection, ...]  # the payer's or the provider's level: nobody was looked up
    members: tuple[MemberEligibility, ...]
    problems: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class EligibilityInquiry:
    """One member asked about in a 270, or to be written into one. ``patient`` is set for a dependent."""

    subscriber: Party  # NM1*IL with the member id
    trace_number: str  # TRN*1
    service_date: date  # DTP*291
    service_types: tuple[str, ...] = ("30", "PT")
    subscriber_birth_date: date | None = None
    patient: Party | None = None
    patient_birth_date: date | None = None


@dataclass(frozen=True, slots=True)
class EligibilityRequest:
    """One 270 transaction set."""

    control_number: str
    reference: str | None
    created: date | None
    payer: Party | None
    provider: Party | None
    inquiries: tuple[EligibilityInquiry, ...]
    problems: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class EligibilityOnFile:
    """What the app hands the checks about the note's coverage: the latest 271 answer on file (None: none yet),
    the days since it of the patient's other visits, and whether a prior authorization is on file for the day.
    The checks only see one when the clinic verifies eligibility in ptbill (it has asked or recorded one)."""

    received_on: date | None = None  # the day the latest answer came, in the clinic's zone
    asked_for: date | None = None  # the date of service the 270 asked about
    status: str = Coverage.UNKNOWN.value
    plan_begin: date | None = None
    plan_end: date | None = None
    reasons: str = ""  # the 271's words: EB01, AAA reasons and follow-up, MSG
    visits_remaining: int | None = None
    visits_after: int = 0  # the patient's other visits dated after the answer and before this one
    prior_auth_required: bool | None = None
    authorization_on_file: bool = False
    answer_id: int | None = None  # the stored answer, for the finding's reference

    @property
    def on_file(self) -> bool:
        return self.received_on is not None
