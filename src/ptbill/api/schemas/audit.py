"""The audit log as the clinic's admin and billers read it: who read or changed what, when (ids only)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class AuditEventPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    user_id: int | None
    action: str = Field(description="read, create, update, sign, export, login, login_failed, logout ...")
    entity: str
    entity_id: str | None
    detail: str | None = Field(description="Ids and field names only, never patient data.")
    at: datetime
