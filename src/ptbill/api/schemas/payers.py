"""Payers of the catalog, their parameters in force on a date, the clinic's dated changes, fee schedules."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from ptbill.api.schemas.common import Money, NoNul


class PayerPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    type: str = Field(description="medicare, medicaid, commercial, workers_comp or va_ccn")
    notes: str


class ParameterPublic(BaseModel):
    name: str
    value: Any = Field(description="Any JSON value; its type is the one the rules read.")
    effective_from: date | None
    effective_to: date | None = Field(description="Exclusive: the first day the value no longer applies.")
    source: str = Field(description="The document the value rests on (or the clinic's reference).")
    confidence: str = Field(description="cms, cms-quoted, secondary, derived, payer, clinic or assumed")
    layer: str = Field(description="Which layer gave the value: the clinic's, the payer's or a baseline.")
    description: str


class PayerDetailPublic(PayerPublic):
    day: date = Field(description="The day the parameters are in force on.")
    parameters: list[ParameterPublic]


class ParameterUpdate(BaseModel):
    value: Any = Field(description="The new value: the same JSON type as the shipped one.")
    effective_from: date
    reference: Annotated[
        str,
        Field(min_length=1, max_length=2000, description="Where it comes from: contract, bulletin, call with date."),
        NoNul,
    ]


class ParameterChangePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    payer_id: str
    name: str
    value: Any
    effective_from: date
    reference: str
    confidence: str
    changed_by_user_id: int | None
    changed_at: datetime


class FeeScheduleRowPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    modifiers: str = Field(description="Space-separated; the row applies to lines that carry all of them.")
    amount: Money = Field(description="Per unit, in US dollars (a string with two decimals).")
    effective_from: date
    effective_to: date | None = Field(description="Inclusive: the last day the amount applies.")
    source: str


class FeeSchedulePublic(BaseModel):
    payer_id: str
    rows: list[FeeScheduleRowPublic]
