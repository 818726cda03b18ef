"""Claims built from signed notes, with their lines and money (strings with two decimals), and each claim's
and line's balance by party from the payer's answers (``remittance.accounting``)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from ptbill.api.schemas.common import Id, Money


class ClaimCreate(BaseModel):
    encounter_ids: list[Id] = Field(min_length=1, max_length=500, description="Signed notes; one claim each.")


class BalancePublic(BaseModel):
    """Who carries the charge, by the 835's claim adjustment group codes."""

    model_config = ConfigDict(from_attributes=True)

    charge: Money
    payer_paid: Money = Field(description="What the payer paid.")
    patient: Money = Field(description="Group PR: what the patient owes (deductible + coinsurance + copay + other).")
    deductible: Money = Field(description="PR-1.")
    coinsurance: Money = Field(description="PR-2.")
    copay: Money = Field(description="PR-3.")
    patient_other: Money = Field(description="Any other PR amount (e.g. non-covered with a signed ABN).")
    written_off: Money = Field(description="What the clinic writes off: contractual + sequestration + other.")
    contractual: Money = Field(description="CO-45: above the allowed amount, not billable to the patient.")
    sequestration: Money = Field(description="CO-253.")
    other_adjustments: Money = Field(description="Adjustments that are not denials (MPPR, prior payer ...).")
    denied: Money = Field(description="Adjustments the payer denied: to correct or appeal.")
    allowed: Money = Field(description="What the payer allowed: payer paid + patient + sequestration.")


class LineAnswer(BaseModel):
    """A line's answers from the payer: its balance, and what they mean."""

    balance: BalancePublic
    outcome: str = Field(description="paid, underpaid, partly denied, denied or reversed.")
    underpaid: Money = Field(
        description="Expected allowed (or the payer's expected share) less what it allowed (paid)."
    )


class ClaimAnswer(LineAnswer):
    denied: bool = Field(description="The whole claim is denied: nothing paid, nothing on the patient.")
    denied_amount: Money


class ClaimLinePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    line_number: int
    code: str
    modifiers: list[str]
    units: int
    charge: Money
    expected_payment: Money | None
    paid_amount: Money
    diagnosis_pointers: list[int]
    answer: LineAnswer | None = Field(None, description="None until an 835 answers the line.")


class ClaimPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    encounter_id: int
    batch_id: int | None
    patient_control_number: str = Field(description="CLM01: the note's id.")
    payer_id: str
    status: str = Field(description="built, submitted, paid, partial, denied ...")
    frequency: str
    total_charge: Money
    expected_payment: Money | None
    paid_amount: Money
    patient_responsibility: Money
    service_date: date
    created_at: datetime
    submitted_at: datetime | None
    lines: list[ClaimLinePublic]
    answer: ClaimAnswer | None = Field(None, description="None until an 835 answers the claim.")
    note_version: str | None = Field(
        None, description='The note it was built from: "3+1" is signed version 3 with one addendum.'
    )
    note_hash: str | None = Field(None, description="sha256 of that note's document with its addenda.")


class TimelyFilingPublic(BaseModel):
    """A claim not yet sent whose payer's filing limit is near or past (TIMELY_FILING_LIMIT)."""

    model_config = ConfigDict(from_attributes=True)

    claim_id: int
    patient_control_number: str
    patient: str
    payer_id: str
    service_date: date
    batch_id: int | None
    limit: str = Field(description='The payer\'s limit from the date of service: "12 months", "90 days".')
    last_day: date = Field(description="The last day the payer accepts the claim.")
    days_left: int = Field(description="Negative: past the limit by that many days.")
    state: str = Field(description="near (inside the warning window) or late (past the last day).")
    reference: str
    confidence: str = Field(description="assumed: a default to check against the payer's contract.")
