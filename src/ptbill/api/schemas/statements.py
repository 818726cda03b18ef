"""Statements' API bodies: a run asked for and read back, a statement, and the small-balance write-off."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, computed_field

from ptbill.api.schemas.common import Money, NoNul

AmountText = Annotated[str, Field(min_length=1, max_length=20, examples=["10.00"]), NoNul]


class StatementRunCreate(BaseModel):
    minimum: AmountText = Field("10.00", description="State every patient who owes more than this.")


class StatementPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    patient_id: int
    patient_name: str
    chart_number: str
    run_id: int | None = Field(description="The run that made it; null when printed from the ledger.")
    statement_date: date
    amount_due: Money
    oldest_due: date | None = Field(description="The day the oldest amount on it became due.")
    reminder_level: int = Field(description="0 a first statement; 1, 2, 3: 30, 60, 90 days past due (final notice).")
    reminder: str
    created_at: datetime

    @computed_field(description="Where its PDF is.")  # type: ignore[prop-decorator]
    @property
    def pdf(self) -> str:
        return f"/api/statements/{self.id}.pdf"


class StatementRunPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    run_date: date
    threshold: Money
    count: int
    total: Money
    created_at: datetime
    statements: list[StatementPublic]


class SmallBalanceWriteOffCreate(BaseModel):
    under: AmountText = Field(description="Write off every patient balance above 0 and below this.")
    reason_text: Annotated[str, Field(min_length=1, max_length=500), NoNul]


class SmallBalanceWriteOffPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    patients: int
    visits: int
    total: Money
