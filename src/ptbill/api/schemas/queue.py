"""The biller's work queue: signed notes not yet billed, by verdict, each with the findings why; filtered and
paged, with the counts of every tab under the same filters."""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, Field

from ptbill.api.schemas.claims import ClaimPublic
from ptbill.api.schemas.encounters import EncounterSummaryPublic, FindingPublic


class QueueItemPublic(BaseModel):
    encounter: EncounterSummaryPublic
    reasons: list[FindingPublic] = Field(description="The latest check's errors and warnings.")
    patient_name: str = Field(default="", description="Last, first, from the patient's record.")
    expected_payment: Decimal | None = Field(default=None, description="The latest check's lines summed.")


class QueuePublic(BaseModel):
    ready: list[QueueItemPublic] = Field(
        description="Signed, nothing to fix: bill them (this page, when `tab` is ready)."
    )
    needs_attention: list[QueueItemPublic] = Field(description="Signed with warnings: read the reasons first.")
    blocked: list[QueueItemPublic] = Field(description="Signed with errors the therapist must fix before billing.")
    tab: str = Field(description="The tab paged; the other tabs' lists are empty, their sizes in `counts`.")
    page: int
    per_page: int
    pages: int
    total: int = Field(description="Notes in `tab` matching the filters.")
    counts: dict[str, int] = Field(description="Notes per tab matching the filters.")
    totals: dict[str, Decimal] = Field(description="Expected payment per tab matching the filters.")


class QueueClaimsCreate(BaseModel):
    """Claims for every note of a tab matching the filters, the query run again when the request arrives."""

    tab: str = Field(default="ready", description="ready or needs_attention")
    payer: str | None = None
    therapist: str | None = Field(default=None, description="A user id, ASCII digits.")
    date_from: str | None = Field(default=None, description="YYYY-MM-DD")
    date_to: str | None = Field(default=None, description="YYYY-MM-DD")
    rule: str | None = None
    min: str | None = Field(default=None, description="Expected payment at least, dollars.")
    max: str | None = Field(default=None, description="Expected payment at most, dollars.")
    seen: int | None = Field(default=None, ge=0, description="How many the caller was shown as matching.")


class SkippedPublic(BaseModel):
    encounter_id: int
    reason: str


class QueueClaimsPublic(BaseModel):
    built: list[ClaimPublic]
    skipped: list[SkippedPublic] = Field(description="Notes whose state changed since: billed, or now blocked.")
    matched: int = Field(description="Notes the filters matched when the request arrived.")
    seen: int | None
