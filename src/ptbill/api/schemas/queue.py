"""The biller's work queue: signed notes not yet billed, by verdict, each with the findings why."""

from __future__ import annotations

from pydantic import BaseModel, Field

from ptbill.api.schemas.encounters import EncounterSummaryPublic, FindingPublic


class QueueItemPublic(BaseModel):
    encounter: EncounterSummaryPublic
    reasons: list[FindingPublic] = Field(description="The latest check's errors and warnings.")


class QueuePublic(BaseModel):
    ready: list[QueueItemPublic] = Field(description="Signed, nothing to fix: bill them.")
    needs_attention: list[QueueItemPublic] = Field(description="Signed with warnings: read the reasons first.")
    blocked: list[QueueItemPublic] = Field(description="Errors the therapist must fix before the note is billed.")
