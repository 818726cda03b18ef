"""A payer's remittance advice: one payment (or notice) and what it says about each claim and line.

Meanings follow the HIPAA 835 Health Care Claim Payment/Advice guide (005010X221A1); names here are
domain words, the X12 element ids live in ``remittance/x12_835``. Money is ``Decimal`` as sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

ZERO = Decimal("0")


class PaymentHandling(StrEnum):
    """Whether money moves with this remittance, and how."""

    PAYMENT_WITH_ADVICE = "C"  # payment accompanies the remittance advice
    PAYMENT_ONLY = "D"  # make payment only
    NOTIFICATION_ONLY = "H"  # notification only: no money moves
    ADVICE_ONLY = "I"  # remittance information only (money travels separately)
    PRENOTIFICATION = "P"  # prenotification of future transfers
    SPLIT_PAYMENT_AND_ADVICE = "U"
    HANDLER_OPTION_TO_SPLIT = "X"


class CreditDebit(StrEnum):
    CREDIT = "C"  # money to the provider
    DEBIT = "D"  # money taken from the provider's account


class PaymentMethod(StrEnum):
    ACH = "ACH"  # automated clearing house transfer (EFT)
    BANK_OPTION = "BOP"  # the financial institution chooses
    CHECK = "CHK"
    WIRE = "FWT"  # federal reserve funds/wire transfer
    NO_PAYMENT = "NON"  # no money moves (all denied, or offsets)


class ClaimStatus(StrEnum):
    """How the payer processed the claim."""

    PRIMARY = "1"
    SECONDARY = "2"
    TERTIARY = "3"
    DENIED = "4"
    PRIMARY_FORWARDED = "19"  # processed as primary and sent on to another payer
    SECONDARY_FORWARDED = "20"
    TERTIARY_FORWARDED = "21"
    REVERSAL = "22"  # reversal of an earlier payment: amounts are negated
    NOT_OUR_CLAIM = "23"  # not this payer's claim; forwarded to another payer
    PREDETERMINATION_ONLY = "25"  # predetermination pricing only, no payment

    @property
    def label(self) -> str:
        return _STATUS_LABELS[self]


FORWARDED = frozenset({ClaimStatus.PRIMARY_FORWARDED, ClaimStatus.SECONDARY_FORWARDED, ClaimStatus.TERTIARY_FORWARDED})

_STATUS_LABELS = {
    ClaimStatus.PRIMARY: "processed as primary",
    ClaimStatus.SECONDARY: "processed as secondary",
    ClaimStatus.TERTIARY: "processed as tertiary",
    ClaimStatus.DENIED: "denied",
    ClaimStatus.PRIMARY_FORWARDED: "processed as primary, forwarded to another payer",
    ClaimStatus.SECONDARY_FORWARDED: "processed as secondary, forwarded to another payer",
    ClaimStatus.TERTIARY_FORWARDED: "processed as tertiary, forwarded to another payer",
    ClaimStatus.REVERSAL: "reversal of a previous payment",
    ClaimStatus.NOT_OUR_CLAIM: "not our claim, forwarded to another payer",
    ClaimStatus.PREDETERMINATION_ONLY: "predetermination pricing only, no payment",
}


class AdjustmentGroup(StrEnum):
    """Who carries an adjustment (claim adjustment group codes)."""

    CONTRACTUAL = "CO"  # the provider: may not bill the patient
    CORRECTION = "CR"  # corrections and reversals
    OTHER = "OA"
    PAYER_INITIATED = "PI"
    PATIENT = "PR"  # the patient owes it (deductible, coinsurance, non-covered with notice)


# Provider-level adjustment reasons most seen by outpatient clinics (X12 code list of the 835's
# provider adjustment reason; the full list is longer and any code is kept as sent).
PROVIDER_ADJUSTMENT_REASONS = {
    "50": "late charge",
    "51": "interest penalty charge",
    "72": "authorized return (provider refund adjustment)",
    "90": "early payment allowance",
    "AP": "acceleration of benefits",
    "B2": "rebate",
    "B3": "recovery allowance",
    "CS": "adjustment",
    "CV": "capital passthrough",
    "E3": "withholding",
    "FB": "forwarding balance",
    "IR": "internal revenue service withholding",
    "IS": "interim settlement",
    "J1": "nonreimbursable",
    "L3": "penalty",
    "L6": "interest owed",
    "LE": "levy",
    "PI": "periodic interim payment",
    "WO": "overpayment recovery",
    "WU": "unspecified recovery",
}


@dataclass(frozen=True, slots=True)
class Adjustment:
    """Why part of a charge was not paid: the group (who carries it), the reason code (CARC), the amount."""

    group: AdjustmentGroup
    reason: str  # claim adjustment reason code (CARC), e.g. "45", "197", "A1"
    amount: Decimal  # positive reduces payment; negative (e.g. in reversals) increases it
    quantity: Decimal | None = None

    @property
    def code(self) -> str:
        """The usual written form, e.g. ``CO-45``."""
        return f"{self.group.value}-{self.reason}"


@dataclass(frozen=True, slots=True)
class PatientName:
    last_name: str
    first_name: str | None = None
    middle_name: str | None = None
    member_id: str | None = None  # the payer's id for the patient


@dataclass(frozen=True, slots=True)
class ServicePayment:
    """One adjudicated service line."""

    code_qualifier: str  # "HC" for CPT/HCPCS, "AD" for dental, "NU" for revenue codes ...
    procedure_code: str
    modifiers: tuple[str, ...]
    charge: Decimal
    paid: Decimal
    units_paid: Decimal = Decimal("1")  # the guide: absent means one
    revenue_code: str | None = None
    description: str | None = None
    original_code_qualifier: str | None = None  # set when the payer paid a different code than billed
    original_procedure_code: str | None = None
    original_modifiers: tuple[str, ...] = ()
    original_units: Decimal | None = None
    service_start: date | None = None
    service_end: date | None = None
    line_control_number: str | None = None  # our line item control number, echoed back
    adjustments: tuple[Adjustment, ...] = ()
    remark_codes: tuple[str, ...] = ()  # RARCs on the line
    allowed_amount: Decimal | None = None

    @property
    def service_date(self) -> date | None:
        """The date of service when the line covers one day."""
        if self.service_end is None or self.service_end == self.service_start:
            return self.service_start
        return None

    @property
    def adjustment_total(self) -> Decimal:
        return sum((a.amount for a in self.adjustments), ZERO)

    @property
    def billed_code(self) -> str:
        """The code as we billed it: the original when the payer substituted one, else the paid code."""
        return self.original_procedure_code or self.procedure_code


@dataclass(frozen=True, slots=True)
class ClaimPayment:
    """The payer's decision on one claim."""

    patient_control_number: str  # our claim id, echoed back
    status: ClaimStatus
    charge: Decimal
    paid: Decimal
    patient_responsibility: Decimal | None = None
    filing_indicator: str | None = None  # claim filing indicator: MB Medicare Part B, CI commercial ...
    payer_claim_control_number: str | None = None  # the payer's own number for the claim
    facility_code: str | None = None  # place of service (professional) or bill type (institutional)
    frequency: str | None = None  # claim frequency: 1 original, 7 replacement, 8 void
    adjustments: tuple[Adjustment, ...] = ()  # claim-level
    remark_codes: tuple[str, ...] = ()  # claim-level RARCs (outpatient or inpatient adjudication)
    patient: PatientName | None = None
    rendering_provider_npi: str | None = None
    service_start: date | None = None
    service_end: date | None = None
    received_date: date | None = None
    service_lines: tuple[ServicePayment, ...] = ()
    crossover_carrier: str | None = None  # the payer this one forwarded the claim to (a Medicare crossover)

    @property
    def forwarded(self) -> bool:
        """The payer processed the claim and sent it on to the next payer itself (a crossover)."""
        return self.status in FORWARDED

    @property
    def is_reversal(self) -> bool:
        return self.status is ClaimStatus.REVERSAL

    @property
    def is_denied(self) -> bool:
        return self.status is ClaimStatus.DENIED

    @property
    def all_adjustments(self) -> tuple[Adjustment, ...]:
        """Claim-level adjustments, then each line's."""
        return self.adjustments + tuple(a for line in self.service_lines for a in line.adjustments)

    @property
    def adjustment_total(self) -> Decimal:
        return sum((a.amount for a in self.all_adjustments), ZERO)


@dataclass(frozen=True, slots=True)
class ProviderAdjustment:
    """A provider-level adjustment: money taken back or added outside any one claim.

    A positive amount reduces the payment (an overpayment recovered, a levy); a negative one
    increases it (interest paid, a passthrough).
    """

    provider_id: str
    fiscal_period_end: date | None
    reason_code: str  # e.g. WO overpayment recovery, L6 interest owed, FB forwarding balance, 72, CS
    reference_id: str | None
    amount: Decimal

    @property
    def reason(self) -> str:
        return PROVIDER_ADJUSTMENT_REASONS.get(self.reason_code, f"provider adjustment {self.reason_code}")


@dataclass(frozen=True, slots=True)
class Remittance:
    """One remittance advice: the payment, the claims it pays or denies, and provider-level adjustments."""

    payer_name: str | None
    payer_id: str | None
    payee_name: str | None
    payee_npi: str | None
    payee_tax_id: str | None
    handling: PaymentHandling | None
    payment_amount: Decimal
    credit_debit: CreditDebit | None
    payment_method: PaymentMethod | None
    payment_date: date | None  # check issue or EFT effective date
    trace_number: str | None  # check or EFT trace number: matches the deposit
    originating_company_id: str | None
    production_date: date | None  # when the payer produced the advice
    claims: tuple[ClaimPayment, ...]
    provider_adjustments: tuple[ProviderAdjustment, ...] = ()
    control_number: str | None = None  # the transaction's own control number
    interchange_control_number: str | None = None
    warnings: tuple[str, ...] = ()  # what did not conform but could still be read

    @property
    def claims_paid(self) -> Decimal:
        return sum((c.paid for c in self.claims), ZERO)

    @property
    def provider_adjustment_total(self) -> Decimal:
        return sum((p.amount for p in self.provider_adjustments), ZERO)
