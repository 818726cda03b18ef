"""Notes (encounter format 1), the engine's check of them, and their stored versions and history."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ptbill.api.schemas.audit import AuditEventPublic
from ptbill.api.schemas.common import Id, NoNul

# The note of docs/encounter-format.md, shown in the API docs.
EXAMPLE_NOTE: dict[str, Any] = {
    "id": "enc-1001",
    "date_of_service": "2026-03-02",
    "place_of_service": "11",
    "billing_provider": {
        "name": "Harbor Physical Therapy",
        "npi": "1245319599",
        "tax_id": "954512345",
        "address": {"line1": "120 Harbor Way", "city": "Santa Barbara", "state": "CA", "zip": "93109"},
    },
    "rendering_provider": {"name": "Dana Reyes", "npi": "1093817462", "credential": "PT"},
    "supervising_provider": None,
    "referring_provider": {"name": "Alan Cho", "npi": "1528060639"},
    "patient": {
        "id": "pt-77",
        "first_name": "Maria",
        "last_name": "Lopez",
        "birth_date": "1958-07-14",
        "sex": "F",
        "address": {"line1": "9 Oak St", "city": "Goleta", "state": "CA", "zip": "93117"},
    },
    "coverage": {
        "payer": "ca-medicare-south",
        "member_id": "1EG4TE5MK73",
        "group_number": None,
        "relationship": "self",
        "authorization": {
            "number": "A-5531",
            "visits_approved": 12,
            "visits_used": 4,
            "valid_from": "2026-02-20",
            "valid_to": "2026-05-20",
        },
        "therapy_charges_ytd": 1850.00,
    },
    "plan_of_care": {
        "start_date": "2026-02-20",
        "certified_date": "2026-02-25",
        "end_date": "2026-05-20",
        "frequency_per_week": 2,
        "visit_number": 5,
        "visits_since_progress_report": 4,
    },
    "diagnoses": ["M51.16", "M54.16"],
    "services": [
        {
            "code": "97012",
            "modifiers": ["GP"],
            "diagnosis_pointers": [1, 2],
            "start_time": "09:02",
            "end_time": "09:20",
            "traction": {
                "body_region": "lumbar",
                "device_type": "motorized_table",
                "device_name": "Chattanooga Triton DTS",
                "mode": "intermittent",
                "force_lbs": 65,
                "force_changes": [{"at_minute": 8, "force_lbs": 70, "reason": "tolerated well, progressed"}],
                "angle_deg": 15,
                "hold_seconds": 60,
                "rest_seconds": 20,
                "patient_position": "supine, hips and knees flexed 90 degrees",
                "monitoring_checks": ["09:08", "09:15"],
            },
            "patient_response": "Radicular pain L leg 6/10 -> 3/10 after session; no adverse response.",
            "clinical_justification": "L5 radiculopathy from L4-5 disc herniation; traction to unload the nerve root.",
        },
        {"code": "97110", "modifiers": ["GP"], "diagnosis_pointers": [1], "minutes": 23},
        {"code": "97140", "modifiers": ["GP"], "diagnosis_pointers": [1], "minutes": 10},
    ],
    "total_treatment_minutes": 51,
}

# Kept a free JSON object on purpose: the engine validates the note and names every bad field itself
# (422 with `problems`), which a schema here would pre-empt with less helpful messages.
Document = Annotated[
    dict[str, Any],
    Field(description="The note in encounter format 1 (docs/encounter-format.md).", examples=[EXAMPLE_NOTE]),
]
Verdict = Literal["ready", "needs_attention", "blocked"]


class FindingPublic(BaseModel):
    rule: str = Field(description="A stable rule id (docs/rules.md).")
    severity: Literal["error", "warning", "info"]
    service: int | None = Field(description="0-based index into the note's services; null: the whole note.")
    message: str
    fix: str
    reference: str = Field(description="The public rule or payer policy the finding rests on.")
    field: str | None = Field(default=None, description="The field concerned, e.g. services[0].traction.force_lbs.")
    services: list[int] = Field(
        default=[], description="Every service the finding concerns: one problem of several lines is reported once."
    )
    detail: str | None = Field(default=None, description="For the biller: technical detail a therapist need not read.")


class PlannedLinePublic(BaseModel):
    code: str
    modifiers: list[str]
    units: int
    diagnosis_pointers: list[int]
    expected_payment: float | None = Field(
        default=None, description="US dollars as a JSON number, as the check output of the spec has it."
    )
    payment_basis: str | None = Field(default=None, description="Which fee schedule or rate gave the amount.")
    payment_is_estimate: bool = Field(
        default=False, description="True when the year's RVUs are not installed and another year's were used."
    )


class CheckPublic(BaseModel):
    """The check output of docs/encounter-format.md (the CLI's `--json`), plus the rule-set version."""

    encounter: str = Field(description="The note's own `id`.")
    verdict: Verdict
    findings: list[FindingPublic]
    claim_lines: list[PlannedLinePublic]
    ruleset_version: str


class StoredCheckPublic(BaseModel):
    """The check kept with one saved version of a note."""

    model_config = ConfigDict(from_attributes=True)

    encounter_version: int
    ruleset_version: str
    verdict: Verdict
    findings: list[FindingPublic]
    claim_lines: list[PlannedLinePublic]
    checked_at: datetime


class EncounterCreate(BaseModel):
    patient_id: Id
    document: Document


class EncounterUpdate(BaseModel):
    document: Document


class EncounterSummaryPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    patient_id: int
    external_id: str = Field(description="The note's own `id`.")
    date_of_service: date
    payer_id: str
    status: str = Field(description="draft, signed or billed")
    version: int
    verdict: str | None = Field(description="ready, needs_attention or blocked, from the latest check")
    therapist_user_id: int | None
    signed_by_user_id: int | None
    signed_at: datetime | None
    updated_at: datetime
    cosigned_by_user_id: int | None = Field(None, description="The therapist who co-signed an assistant's note.")
    cosigned_by_name: str | None = None
    cosigned_at: datetime | None = None
    cosigned_version: int | None = Field(None, description="The signed version co-signed.")


class EncounterPublic(EncounterSummaryPublic):
    document: dict[str, Any]
    check: StoredCheckPublic | None = Field(description="The check of the latest saved version.")


class EncounterHistoryPublic(BaseModel):
    encounter: EncounterSummaryPublic
    checks: list[StoredCheckPublic] = Field(description="One per save, oldest first.")
    events: list[AuditEventPublic] = Field(description="Every audited read and change of the note, oldest first.")


class AddendumCreate(BaseModel):
    reason: Annotated[str, Field(min_length=1, max_length=400, description="Why the signed note is corrected."), NoNul]
    text: Annotated[str, Field(min_length=1, max_length=8000, description="What is added or corrected."), NoNul]


class AddendumPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    encounter_id: int
    sequence: int = Field(description="1 for the note's first addendum, then 2, ...")
    encounter_version: int = Field(description="The signed version of the note it amends.")
    author_user_id: int | None
    author_name: str
    reason: str
    text: str
    created_at: datetime
