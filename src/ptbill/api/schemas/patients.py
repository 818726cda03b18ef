"""Patients of the clinic, their insurance coverages, and the traction settings carried forward."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ptbill.api.schemas.common import MAX_ID, Money, NoNul

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
    middle_name: Annotated[str | None, Field(default=None, max_length=60), NoNul]
    address_line2: Annotated[str | None, Field(default=None, max_length=120), NoNul]
    phone: Annotated[str | None, Field(default=None, pattern=r"^[0-9]{10}$", description="Ten digits.")]
    email: Annotated[str | None, Field(default=None, max_length=200, pattern=r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$"), NoNul]


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
    middle_name: str | None
    address_line2: str | None
    phone: str | None
    email: str | None
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
    priority: Annotated[
        Literal[1, 2, 3] | None,
        Field(default=None, description="1 primary, 2 secondary, 3 tertiary; default the next free."),
    ]
    subscriber_first_name: Annotated[str | None, Field(default=None, max_length=60), NoNul]
    subscriber_last_name: Annotated[str | None, Field(default=None, max_length=60), NoNul]
    subscriber_birth_date: date | None = None
    deductible_remaining: Annotated[
        Decimal | None,
        Field(
            default=None, ge=0, le=Decimal("99999.99"), decimal_places=2, description="What is left of the deductible."
        ),
    ]
    coinsurance_percent: Annotated[
        Decimal | None,
        Field(default=None, ge=0, le=100, decimal_places=2, description="The patient's share, 0 to 100."),
    ]
    copay: Annotated[
        Decimal | None, Field(default=None, ge=0, le=Decimal("9999.99"), decimal_places=2, description="Per visit.")
    ]
    cost_sharing_as_of: Annotated[
        date | None, Field(default=None, description="The day the cost sharing was checked with the payer.")
    ]


class CostSharingUpdate(BaseModel):
    """The patient's cost sharing on a coverage, as the payer stated it on ``cost_sharing_as_of``."""

    deductible_remaining: Annotated[Decimal | None, Field(default=None, ge=0, le=Decimal("99999.99"), decimal_places=2)]
    coinsurance_percent: Annotated[Decimal | None, Field(default=None, ge=0, le=100, decimal_places=2)]
    copay: Annotated[Decimal | None, Field(default=None, ge=0, le=Decimal("9999.99"), decimal_places=2)]
    cost_sharing_as_of: date


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
    priority: int
    subscriber_first_name: str | None
    subscriber_last_name: str | None
    subscriber_birth_date: date | None
    deductible_remaining: Money | None
    coinsurance_percent: Money | None
    copay: Money | None
    cost_sharing_as_of: date | None
    created_at: datetime


class PriorAuthorizationCreate(BaseModel):
    """A prior authorization: visits or units approved from one day to another, for some codes (none: any)."""

    coverage_id: Annotated[
        int | None, Field(default=None, ge=1, le=MAX_ID, description="One of the patient's coverages.")
    ]
    number: Annotated[str, Field(min_length=1, max_length=50), NoNul]
    unit_kind: Literal["visits", "units"] = "visits"
    approved: int = Field(ge=1, le=10_000)
    valid_from: date
    valid_to: date
    codes: list[Annotated[str, Field(pattern=r"^[0-9A-Z][0-9]{3}[0-9A-Z]$")]] = Field(
        default_factory=list, max_length=20
    )


class PriorAuthorizationPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    patient_id: int
    coverage_id: int | None
    number: str
    unit_kind: str
    approved: int
    valid_from: date
    valid_to: date
    codes: list[str]
    used: int = Field(
        description="Signed and billed notes inside the dates (visits), or their billed units of the codes."
    )
    left: int
    created_at: datetime


NpiText = Annotated[str, Field(pattern=r"^[0-9]{10}$", description="An NPI with its check digit.")]


class PlanOfCareCreate(BaseModel):
    start_date: date
    end_date: date
    visits_per_week: int = Field(ge=1, le=7)
    duration_weeks: int = Field(ge=1, le=52)
    physician_name: Annotated[str, Field(min_length=1, max_length=120), NoNul]
    physician_npi: NpiText
    signed_on: date | None = None
    diagnoses: list[Annotated[str, Field(min_length=3, max_length=8), NoNul]] = Field(
        min_length=1, max_length=12, description="ICD-10-CM codes billable on the start date."
    )
    referring_provider_name: Annotated[str | None, Field(default=None, max_length=120), NoNul]
    referring_provider_npi: NpiText | None = None
    referral_date: date | None = None


class PlanOfCarePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    patient_id: int
    start_date: date
    end_date: date
    visits_per_week: int
    duration_weeks: int
    physician_name: str
    physician_npi: str
    signed_on: date | None
    diagnoses: list[str]
    referring_provider_name: str | None
    referring_provider_npi: str | None
    referral_date: date | None
    visits: int
    progress_due_at: int = Field(description="The visit by which the next progress report is due.")
    created_at: datetime


class PreviousTractionPublic(BaseModel):
    encounter_id: int
    date_of_service: date
    traction: dict[str, Any] = Field(description="The `traction` block of that note's 97012 service.")
