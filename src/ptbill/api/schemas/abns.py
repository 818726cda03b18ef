"""Advance Beneficiary Notices (form CMS-R-131) of a patient: prepared, signed once, downloaded as PDF."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from ptbill.api.schemas.common import Money, NoNul

ReasonKind = Literal["decompression", "above_threshold", "maintenance", "other"]


class AbnServiceCreate(BaseModel):
    code: Annotated[str, Field(min_length=1, max_length=10, description="Procedure code, e.g. 97012."), NoNul]
    label: Annotated[
        str | None,
        Field(default=None, max_length=120, description="The clinic's plain words; default: ptbill's short label."),
        NoNul,
    ]
    estimated_cost: Annotated[
        str | None,
        Field(
            default=None,
            max_length=12,
            description="Dollars and cents; default: one unit at the Medicare amount for the clinic's locality.",
        ),
        NoNul,
    ]


class AbnCreate(BaseModel):
    services: list[AbnServiceCreate] = Field(min_length=1, max_length=8)
    reason_kind: ReasonKind = Field(
        description="Why Medicare may not pay: decompression (NCD 160.16), above_threshold (therapy past the KX "
        "threshold that may not be necessary), maintenance, or other (then reason_text is required)."
    )
    reason_text: Annotated[
        str | None, Field(default=None, max_length=500, description="Box E in the patient's words."), NoNul
    ]
    additional_info: Annotated[str | None, Field(default=None, max_length=1000, description="Box H."), NoNul]
    given_on: date | None = Field(default=None, description="The day the notice is given; default: today.")


class AbnSignature(BaseModel):
    signed_on: date = Field(description="The day the patient signed (box J).")
    option: Literal[1, 2, 3] = Field(description="The option the patient checked (box G); the clinic never chooses.")


class AbnServicePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    label: str
    estimated_cost: Money


class AbnPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    patient_id: int
    form_version: str = Field(description="The CMS-R-131 version the notice is printed on.")
    reason_kind: str
    reason_text: str
    additional_info: str | None
    given_on: date
    signed_on: date | None
    option: int | None
    signature_recorded_at: datetime | None
    created_at: datetime
    services: list[AbnServicePublic]
