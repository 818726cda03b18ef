"""Clinic user accounts, listed, created, deactivated and reactivated by the clinic's admin."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from ptbill.api.schemas.common import NoNul

Role = Literal["therapist", "pta", "biller", "admin"]
Credential = Literal["PT", "PTA", "OT", "OTA", "DC", "MD", "DO", "NP", "PA"]


class UserCreate(BaseModel):
    email: Annotated[str, Field(max_length=200, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$"), NoNul]
    name: Annotated[str, Field(min_length=1, max_length=120), NoNul]
    role: Role
    credential: Credential | None = Field(default=None, description="For clinicians: as on their license.")
    npi: Annotated[str | None, Field(default=None, pattern=r"^[0-9]{10}$", description="For clinicians.")]
    password: Annotated[
        str, Field(max_length=1000, description="At least 12 characters; not a common password, not the email."), NoNul
    ]


class UserUpdate(BaseModel):
    active: bool = Field(description="false deactivates the user and ends their sessions at once.")


class UserPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    clinic_id: int
    email: str
    name: str
    role: str
    credential: str | None
    npi: str | None
    active: bool
    created_at: datetime


class RoleChange(BaseModel):
    role: Role


class TemporaryPassword(BaseModel):
    temporary_password: str = Field(description="Shown once: give it to the user, who changes it after logging in.")
