"""835 files posted in the app, the payments (checks and EFTs) they carried, and unmatched claim payments."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from ptbill.api.schemas.common import Id, Money


class FileSummaryPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    remittances: int = Field(description="835 transactions (ST..SE) in the file.")
    claims_posted: int
    claims_matched: int = Field(description="Claim payments applied to one of the clinic's claims.")
    claims_already_posted: int = Field(description="Claim payments already on file (same payer and trace).")
    payments_total: Money = Field(description="Σ CLP04 of the claim payments posted.")
    adjustments_total: Money = Field(description="Σ CAS amounts of the claim payments posted.")
    patient_responsibility: Money
    denied: int
    reversals: int
    plb_total: Money = Field(description="Σ PLB amounts; positive reduces the payment (005010X221A1).")
    unmatched_claims: list[str] = Field(description="Patient control numbers (CLP01) that named no claim.")
    payment_ids: list[int] = Field(description="The payments (GET /api/payments/{payment_id}) the file posted to.")
    warnings: list[str]


class RemittanceFilePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    file_name: str
    sha256: str
    size_bytes: int
    uploaded_by: str | None
    uploaded_at: datetime
    outcome: str = Field(description="posted, or already_posted when every claim payment was on file.")
    summary: FileSummaryPublic


class UploadResultPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    file_name: str
    outcome: str = Field(description="posted, already_posted (the same file or its payments were on file) or refused.")
    reason: str | None = Field(description="Why refused: too_big, not_835, malformed, unbalanced or conflict.")
    message: str = Field(description="What happened, naming the segment or the amounts of a refusal.")
    problems: list[str]
    file: RemittanceFilePublic | None


class PaymentPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    payer_name: str
    payer_identifier: str
    payment_date: date | None
    method: str | None = Field(description="BPR04: CHK, ACH, NON ...")
    check_number: str | None = Field(description="TRN02: the check or EFT trace number.")
    total: Money = Field(description="BPR02.")
    claims_paid: Money = Field(description="Σ of its stored claim payments (CLP04).")
    plb_total: Money = Field(description="Σ of its provider-level adjustments (positive reduces the payment).")
    difference: Money = Field(description="total − (claims_paid − plb_total); 0.00 when it reconciles.")
    reconciled: bool
    claims: int
    remittance_file_id: int | None


class PaymentClaimPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    claim_payment_id: int
    claim_id: int | None = Field(description="The claim it was applied to; null when unmatched.")
    patient_control_number: str
    patient_name: str | None
    service_date: date | None
    status_code: str = Field(description="CLP02.")
    charge: Money
    paid: Money
    patient_responsibility: Money


class ProviderAdjustmentPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    reason_code: str = Field(description="PLB03-1, e.g. WO, FB, 72, L6.")
    reason: str
    reference_id: str | None = Field(description="PLB03-2.")
    amount: Money
    claim_id: int | None = Field(description="The claim the reference names, when it is one of the clinic's.")


class PaymentDetailPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    payment: PaymentPublic
    claims: list[PaymentClaimPublic]
    adjustments: list[ProviderAdjustmentPublic]


class UnmatchedPaymentPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int = Field(description="The claim payment's id (POST /api/claim-payments/{claim_payment_id}/match).")
    remittance_id: int
    payer_name: str
    payment_date: date | None
    check_number: str | None
    patient_control_number: str
    payer_claim_number: str | None
    status_code: str
    charge: Money
    paid: Money
    patient_responsibility: Money
    codes: list[str]


class MatchRequest(BaseModel):
    claim_id: Id = Field(description="The clinic's claim the payment belongs to.")


class MatchPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    claim_payment_id: int
    claim_id: int
    claim_status: str
    claim_paid_amount: Money
