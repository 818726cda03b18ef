"""A claim's history (timeline, payments with adjustments, balance by party, write-offs) and the bodies of
the claim's actions: a corrected claim, a void, a write-off, a reopening request, returning the note."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from ptbill.api.schemas.claims import BalancePublic
from ptbill.api.schemas.common import Id, Money, NoNul

Text1000 = Annotated[str, Field(min_length=1, max_length=1000), NoNul]


class TimelineEventPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    kind: str = Field(
        description="created, batched, submitted, accepted, rejected, pended, finalized, noted (999, 277CA, 277), "
        "asked (a 276 sent), answered (an 835), corrected, voided, written_off"
    )
    label: str
    at: datetime | None = Field(description="When it happened (UTC).")
    day: date | None = Field(description="For an 835 answer: the payment date.")
    detail: str


class AdjustmentPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    group: str = Field(description="CAS group code: CO, PR, OA, PI, CR.")
    code: str = Field(description="CARC.")
    amount: Money
    text: str = Field(description="The CARC's text.")
    group_text: str


class RemarkPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str = Field(description="RARC.")
    text: str


class PaidLinePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    line_number: int | None = Field(description="The billed line it answered; None when it matched none.")
    code: str
    modifiers: list[str]
    charge: Money
    paid: Money
    adjustments: list[AdjustmentPublic]
    remarks: list[RemarkPublic]


class PaymentPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    remittance_id: int
    source_name: str = Field(description="The 835 file it was posted from.")
    payer_name: str
    trace_number: str = Field(description="The check or EFT number (TRN02).")
    payment_date: date | None
    posted_at: datetime
    payer_claim_number: str | None
    status_code: str = Field(description="CLP02.")
    outcome: str = Field(
        description="paid, partially paid, partially paid, some denied, denied, processed to deductible, reversed."
    )
    charge: Money
    paid: Money
    patient_responsibility: Money
    adjustments: list[AdjustmentPublic] = Field(description="Claim-level adjustments.")
    remarks: list[RemarkPublic]
    lines: list[PaidLinePublic]


class OpenBalancePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    payer: Money = Field(description="Still open with the payer: denied or not answered yet, less write-offs.")
    patient: Money = Field(description="Still open with the patient (group PR), less write-offs.")
    write_offs: Money = Field(description="What the clinic wrote off.")
    total: Money


class WriteOffPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    claim_id: int
    line_number: int | None
    amount: Money
    reason_code: str
    reason: str
    reason_text: str | None
    created_at: datetime


class ClaimHistoryPublic(BaseModel):
    claim_id: int
    status: str
    frequency: str
    corrects_claim_id: int | None
    corrected_by: list[int] = Field(description="Claims that correct (7) or void (8) this one.")
    timeline: list[TimelineEventPublic]
    payments: list[PaymentPublic]
    balance: BalancePublic = Field(description="The payer's answers by party (zeros until an 835 answers).")
    open: OpenBalancePublic
    write_offs: list[WriteOffPublic]
    replacement_refusal: str | None = Field(description="Why this payer takes no 7/8 claims (a reopening instead).")
    correction_blocked: str | None = Field(description="Why no corrected claim or void can be made now.")


class CorrectionCreate(BaseModel):
    payer_claim_number: Annotated[str | None, Field(max_length=50), NoNul] = Field(
        None, description="REF*F8; default: the number the payer's 835 gave."
    )


class WriteOffCreate(BaseModel):
    amount: Annotated[str, Field(min_length=1, max_length=20, examples=["12.50"]), NoNul]
    reason_code: Annotated[str, Field(max_length=30), NoNul] = Field(
        description="small_balance, timely_filing, not_medically_necessary, contractual, bad_debt or other."
    )
    reason_text: Annotated[str | None, Field(max_length=500), NoNul] = Field(None, description="Required for other.")
    line_number: Annotated[int | None, Field(ge=1, le=999)] = None


class ReturnCreate(BaseModel):
    message: Text1000


class ReturnPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    encounter_id: int
    claim_id: int | None
    message: str
    returned_at: datetime
    resolved_at: datetime | None
    back_to_draft: bool = Field(description="The note was signed, not billed: it went back to draft.")


class ReopeningCreate(BaseModel):
    change: Text1000 = Field(description="What the payer should change.")
    reason: Text1000 = Field(description="Why.")


class ReopeningPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    claim_id: int
    change_text: str
    reason_text: str
    created_at: datetime
    pdf: str = Field(description="Where to download the request as a PDF.")


__all__ = ["Id"]
