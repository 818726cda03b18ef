"""Denied lines as work items: the worklist page, one item with its history, and the changes a biller makes."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from ptbill.api.schemas.common import Id, Money, NoNul

DenialStatus = Annotated[
    str,
    Field(
        pattern=r"^(new|in progress|appealed|corrected|written off|resolved)$",
        description="new, in progress, appealed, corrected, written off or resolved.",
    ),
]


class AppealPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    level: int = Field(description="The appeal level the next (or the filed) packet is for: 1 or 2.")
    name: str = Field(description="Medicare: redetermination (level 1), reconsideration (level 2); others: "
                      "first-level appeal, second-level appeal.")  # fmt: skip
    decided_by: str
    form: str | None = Field(description="The CMS form (CMS-20027, CMS-20033) for Medicare; null otherwise.")
    source: str = Field(description="Where the level and its deadline come from.")
    deadline: date | None = Field(description="The last day to file; null when the remittance has no date.")
    days: int | None
    counted_from: str
    assumed: bool = Field(description="The deadline is ptbill's assumed default: the payer's contract governs.")


class ReasonPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    reason: str = Field(description="Why the payer did not pay, in plain words.")
    next_action: str = Field(description="What to do next.")
    rules: tuple[str, ...] = Field(description="The ptbill checks that should have caught it before submission.")


class DenialPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    claim_id: int
    claim_payment_id: int = Field(description="The posted 835 answer the denial came from.")
    line_key: str = Field(description="line:<index in the answer>, or claim for a claim-level denial.")
    line_number: int | None = Field(description="The billed line it answers; null for the claim or when unmatched.")
    code: str | None
    carc_group: str | None = Field(description="CO, PR, OA or PI.")
    carc: str | None
    rarcs: tuple[str, ...]
    key: str = Field(description="The reason as billers say it, e.g. CO-16 / N443.")
    denied_amount: Money
    status: str
    assignee_id: int | None
    assignee_name: str | None
    follow_up: date | None
    appeal_level: int = Field(description="0 until an appeal is filed; then the level filed.")
    decision_date: date | None
    patient_control_number: str
    payer_id: str
    payer_name: str
    service_date: date
    remittance_date: date | None
    payer_claim_number: str | None
    reason: ReasonPublic
    appeal: AppealPublic
    created_at: datetime
    updated_at: datetime


class DenialListPublic(BaseModel):
    items: list[DenialPublic]
    total: int = Field(description="Items matching the filters, over all pages.")
    offset: int
    limit: int
    denied_total: Money
    by_status: dict[str, int] = Field(description="Counts per status under the other filters.")
    past_deadline: int
    due_soon: int = Field(description="Open items whose appeal is due within 14 days.")
    follow_up_due: int


class DenialEventPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    at: datetime | None
    user_name: str | None
    kind: str = Field(description="created, note, status, assign, follow-up or appeal.")
    text: str


class DenialDetailPublic(DenialPublic):
    patient_name: str
    rules_failing_now: tuple[str, ...] = Field(description="Of the checks that should have caught it, those the "
                                               "note still fails: fix the note before appealing.")  # fmt: skip
    events: list[DenialEventPublic]


class DenialUpdate(BaseModel):
    """Fields left out are not changed; ``assignee_id`` or ``follow_up`` null clears them."""

    model_config = ConfigDict(extra="forbid")

    expected_status: DenialStatus = Field(description="The status you saw: the change is refused (409) if it moved.")
    status: DenialStatus | None = None
    assignee_id: Id | None = Field(None, description="An active biller or admin of the clinic.")
    follow_up: date | None = None
    decision_date: date | None = Field(
        None, description="With status appealed on an appealed item: the previous level's decision date (next level)."
    )


class DenialNoteCreate(BaseModel):
    text: Annotated[str, NoNul] = Field(min_length=1, max_length=2000)
