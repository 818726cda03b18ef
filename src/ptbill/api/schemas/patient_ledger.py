"""The patient ledger's API bodies: the ledger read back, a payment and a refund recorded."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from ptbill.api.schemas.common import Id, Money, NoNul

AmountText = Annotated[str, Field(min_length=1, max_length=20, examples=["25.00"]), NoNul]
Reference = Annotated[str | None, Field(max_length=40), NoNul]


class LedgerEntryPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    day: date
    kind: str = Field(
        description="charge, payer_payment, adjustment, prior_payer, denied, transfer, transfer_in, write_off, "
        "write_off_unused, patient_payment, applied, returned, refund or provider_adjustment."
    )
    amount: Money
    source: str = Field(description="835, user or statement.")
    party: str = Field(description='"payer 1", "payer 2" ... or "patient".')
    text: str
    claim_id: int | None = Field(description="The visit's first claim; null for money not yet a visit's.")
    line_number: int | None
    record: str = Field(description='The row that holds it, e.g. "claim_payment 7".')
    audit_id: int | None = Field(description="The audit row that recorded it.")
    group: str | None
    reason: str | None


class VisitBalancePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    claim_id: int
    claim_ids: list[int]
    service_date: date
    payers: list[str]
    charge: Money
    insurance_paid: Money
    insurance_adjusted: Money
    insurance_open: Money
    patient_paid: Money
    patient_written_off: Money
    patient_owes: Money
    due_since: date | None
    days_due: int | None


class PatientLedgerPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    patient_id: int
    chart_number: str
    owed: Money
    credit: Money
    received: Money
    applied: Money
    refunded: Money
    visits: list[VisitBalancePublic]
    entries: list[LedgerEntryPublic]


class PaymentCreate(BaseModel):
    amount: AmountText
    method: Annotated[str, Field(max_length=10, description="cash, check or card (a reference only)."), NoNul]
    reference: Reference = Field(None, description="A check's number (digits); a card receipt's reference.")
    received_on: date | None = Field(None, description="Default: today.")
    claim_ids: Annotated[list[Id] | None, Field(max_length=100)] = Field(
        None, description="The visits to pay, in order; default: the oldest open first."
    )
    source: Annotated[str, Field(max_length=10), NoNul] = Field("user", description="user, or statement.")


class RefundCreate(BaseModel):
    amount: AmountText
    method: Annotated[str, Field(max_length=10, description="cash, check or card."), NoNul]
    reference: Reference = None
    refunded_on: date | None = Field(None, description="Default: today.")
    reason: Annotated[str | None, Field(max_length=200), NoNul] = None


class AppliedPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    claim_id: int
    amount: Money


class PaymentResultPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    amount: Money
    applied: list[AppliedPublic]
    credit: Money
