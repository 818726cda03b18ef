"""Claims built from signed notes, with their lines and money (strings with two decimals)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from ptbill.api.schemas.common import Id, Money


class ClaimCreate(BaseModel):
    encounter_ids: list[Id] = Field(min_length=1, max_length=500, description="Signed notes; one claim each.")


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
