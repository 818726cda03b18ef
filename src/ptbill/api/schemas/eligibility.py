"""Eligibility: a patient's 271 answers (the latest per coverage and the history) and a 270 asked."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from ptbill.api.schemas.common import MAX_ID, Money


class EligibilityAnswerPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    patient_id: int | None
    coverage_id: int | None
    service_date: date = Field(description="The date of service the 270 asked about.")
    received_at: datetime
    received_on: date = Field(description="The day received, in the clinic's time zone.")
    source: str = Field(description="mailbox, cli, api, web or manual.")
    mailbox_file_id: int | None
    coverage_status: str = Field(description="active, inactive or unknown, from the 271's EB01.")
    plan_begin: date | None
    plan_end: date | None
    deductible_remaining: Money | None
    deductible_total: Money | None
    out_of_pocket_remaining: Money | None
    out_of_pocket_total: Money | None
    coinsurance_percent: Money | None = Field(description="20.00 for 20 % (the 271's EB08 0.2).")
    copay: Money | None
    visits_limit: int | None
    visits_used: int | None
    visits_remaining: int | None
    prior_auth_required: bool | None
    therapy_applied: Money | None = Field(
        description="Therapy amount applied this year toward Medicare's KX threshold, where the 271 carries it "
        "(not confirmed against the HETS companion guide)."
    )
    reasons: str | None = Field(description="The 271's own words: EB01, AAA reasons and follow-ups, MSG.")


class PatientEligibilityPublic(BaseModel):
    latest: list[EligibilityAnswerPublic] = Field(description="The newest answer of each coverage.")
    history: list[EligibilityAnswerPublic] = Field(description="Every answer, newest first.")


class EligibilityRequestCreate(BaseModel):
    coverage_id: Annotated[
        int | None, Field(default=None, ge=1, le=MAX_ID, description="Default: the primary active coverage.")
    ]
    date: Annotated[date | None, Field(default=None, description="The date of service asked; default today.")]
    send: bool = Field(default=True, description="Send through the clinic's mailbox (billers and admins).")


class EligibilityRequestPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    patient_id: int
    coverage_id: int
    service_date: date
    trace_number: str = Field(description="TRN02, echoed by the payer's 271.")
    interchange_control_number: int | None
    mailbox_file_id: int | None
    content: str = Field(description="The 270 as written (005010X279A1).")
