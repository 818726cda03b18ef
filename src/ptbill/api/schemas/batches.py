"""837P batches of claims, as built and as sent to the clearinghouse."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from ptbill.api.schemas.common import Id


class BatchCreate(BaseModel):
    claim_ids: list[Id] = Field(min_length=1, max_length=1000, description="Claims not yet in a batch.")
    confirm_late: bool = Field(
        default=False, description="Send claims past their payer's filing limit anyway (TIMELY_FILING_LIMIT)."
    )


class BatchPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    format: str = Field(description="837p")
    interchange_control_number: int | None = Field(description="ISA13 of the batch's first interchange.")
    claim_count: int
    created_by_user_id: int | None
    created_at: datetime
    submitted_at: datetime | None
