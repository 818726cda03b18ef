"""The reports as the API hands them out: the list, and one run with its rows and totals."""

from __future__ import annotations

from pydantic import BaseModel, Field

Cell = str | int | float | None  # money and dates as strings ("14.64", "2026-03-02"), counts and shares as numbers


class ReportInfoPublic(BaseModel):
    name: str = Field(description="The report's name: /api/reports/{name}, `ptbill report NAME`.")
    title: str
    question: str = Field(description="What the report answers, in one line.")
    parameters: list[str] = Field(description="The query parameters it reads (from, to, payer, therapist, ...).")
    columns: list[str] = Field(description="Its CSV columns, the keys of each row.")


class ReportPublic(BaseModel):
    name: str
    title: str
    columns: list[str]
    parameters: dict[str, str] = Field(description="The parameters the report was run with (defaults left out).")
    rows: list[dict[str, Cell]] = Field(description="One object per row, keyed by column.")
    totals: dict[str, Cell] = Field(description="The sum of each money and count column over the rows.")
    notes: list[str]
