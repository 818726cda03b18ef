"""Patients of the clinic, their insurance coverages, and the traction settings carried forward."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ptbill.api.schemas.common import NoNul

Sex = Literal["F", "M", "U"]


class PatientCreate(BaseModel):
    chart_number: Annotated[str, Field(min_length=1, max_length=40, description="Unique in the clinic."), NoNul]
    first_name: Annotated[str, Field(min_length=1, max_length=60), NoNul]
    last_name: Annotated[str, Field(min_length=1, max_length=60), NoNul]
    birth_date: date
    sex: Sex
    address_line1: Annotated[str | None, Field(default=None, max_length=120), NoNul]
    city: Annotated[str | None, Field(default=None, max_length=60), NoNul]
    state: Annotated[str | None, Field(default=None, pattern=r"^[A-Z]{2}$")]
    zip: Annotated[str | None, Field(default=None, pattern=r"^[0-9]{5}(-[0-9]{4})?$")]


class PatientPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    chart_number: str
    first_name: str
    last_name: str
    birth_date: date
    sex: str
    address_line1: str | None
    city: str | None
    state: str | None
    zip: str | None
    created_at: datetime


class Authorization(BaseModel):
    """A prior authorization as the payer gave it (encounter format 1's coverage.authorization)."""

    number: Annotated[str, Field(min_length=1, max_length=50), NoNul]
    visits_approved: int = Field(ge=0, le=10_000)
    visits_used: int = Field(ge=0, le=10_000, description="Visits used before the next one.")
    valid_from: date
    valid_to: date


class CoverageCreate(BaseModel):
    payer_id: Annotated[str, Field(min_length=1, max_length=60, description="An id from GET /api/payers."), NoNul]
    member_id: Annotated[str, Field(min_length=1, max_length=80), NoNul]
    group_number: Annotated[str | None, Field(default=None, max_length=50), NoNul]
    relationship_to_insured: Literal["self", "spouse", "child", "other"] = "self"
    authorization: Authorization | None = None


class CoveragePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    patient_id: int
    payer_id: str
    member_id: str
    group_number: str | None
    relationship_to_insured: str
    authorization: dict[str, Any] | None
    active: bool
    created_at: datetime


class PreviousTractionPublic(BaseModel):
    encounter_id: int
    date_of_service: date
    traction: dict[str, Any] = Field(description="The `traction` block of that note's 97012 service.")
