"""Logging in: the credentials sent, and the user, CSRF token and bearer token sent back; a new password."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from ptbill.api.schemas.common import NoNul


class SessionCreate(BaseModel):
    email: Annotated[str, Field(min_length=3, max_length=200), NoNul]
    password: Annotated[str, Field(min_length=1, max_length=1000), NoNul]
    code: Annotated[
        str | None,
        Field(
            default=None,
            max_length=20,
            description="For an account with two-step login: the authenticator app's 6-digit code, or a recovery code.",
        ),
        NoNul,
    ] = None


class MePublic(BaseModel):
    """The logged-in user as the API sees them: who, in which clinic, with which role."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    clinic_id: int
    name: str
    role: str = Field(description="therapist, pta, biller or admin")


class SessionPublic(BaseModel):
    user: MePublic
    csrf_token: str = Field(description="Send as X-CSRF-Token on every write made with the session cookie.")
    token: str = Field(description="A bearer token for integrations: `Authorization: Bearer <token>`.")
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="Seconds the cookie and the token stay valid.")


class PasswordChange(BaseModel):
    current_password: Annotated[str, Field(min_length=1, max_length=1000), NoNul]
    new_password: Annotated[
        str, Field(max_length=1000, description="At least 12 characters; not a common password, not the email."), NoNul
    ]
