"""A batch check's answer: one entry per note, in the order sent."""

from __future__ import annotations

from pydantic import BaseModel, Field

from ptbill.api.schemas.encounters import CheckPublic


class BatchCheckEntryPublic(BaseModel):
    index: int = Field(description="The note's place in the request, from 0.")
    check: CheckPublic | None = Field(description="The check output of the spec, or null for a malformed note.")
    problems: list[str] = Field(
        description="For a malformed note, one line per field (`<field>: <problem>`); empty otherwise."
    )
