"""Cost estimates before treatment: the body that prepares one and the stored estimate."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from ptbill.api.schemas.common import MAX_ID, Money, NoNul


class EstimateLine(BaseModel):
    code: Annotated[str, Field(pattern=r"^[A-Za-z0-9]{5}$", description="CPT or HCPCS code.")]
    modifiers: list[Annotated[str, Field(pattern=r"^[A-Za-z0-9]{2}$")]] = Field(default_factory=list, max_length=4)
    units: int = Field(default=1, ge=1, le=24, description="Units each visit.")
    not_covered: bool = Field(default=False, description="Priced at the clinic's self-pay price list.")


class EstimateCreate(BaseModel):
    coverage_id: Annotated[
        int | None, Field(default=None, ge=1, le=MAX_ID, description="One of the patient's coverages; none: self-pay.")
    ]
    plan_of_care_id: Annotated[int | None, Field(default=None, ge=1, le=MAX_ID)]
    first_visit: date | None = Field(default=None, description="Default: the plan's first day, else today.")
    visits: int | None = Field(default=None, ge=1, le=120, description="Default: the plan's visits, else 1.")
    diagnoses: list[Annotated[str, Field(min_length=3, max_length=8), NoNul]] = Field(
        default_factory=list, max_length=12
    )
    lines: list[EstimateLine] = Field(min_length=1, max_length=6)


class EstimatePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    patient_id: int
    coverage_id: int | None
    plan_of_care_id: int | None
    payer_id: str | None
    self_pay: bool
    first_visit: date
    visits: int
    allowed_total: Money
    patient_total: Money
    document: dict[str, Any] = Field(description="Lines with their basis, the cost sharing and the visit arithmetic.")
    created_at: datetime
    pdf: str = ""
