"""The clinic's settings, service locations, providers roster and live sessions, as the admin's API shows them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from ptbill.api.schemas.common import NoNul

Text = Annotated[str, Field(max_length=200), NoNul]


class ClinicSettingsIn(BaseModel):
    """Every setting at once, as typed (empty text: not set); each is checked as the settings page checks it."""

    name: Text
    npi: Text
    tax_id: Text
    address_line1: Text
    city: Text
    state: Text
    zip: Text
    taxonomy_code: Text = ""
    time_zone: Text = Field(default="", description="IANA, e.g. America/Los_Angeles; empty: the state's.")
    medicare_locality: Text = Field(default="", description="MAC-locality key, e.g. 01112-75; empty: from the ZIP.")
    pay_to_address_line1: Text = ""
    pay_to_city: Text = ""
    pay_to_state: Text = ""
    pay_to_zip: Text = ""
    place_of_service: Text = "11"
    statement_cycle_days: Text = ""
    statement_message: Text = ""
    submitter_id: Text = ""
    submitter_name: Text = ""
    receiver_id: Text = ""
    receiver_name: Text = ""
    contact_phone: Text = ""


class ClinicPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    npi: str
    tax_id: str
    address_line1: str
    city: str
    state: str
    zip: str
    taxonomy_code: str | None
    time_zone: str | None
    zone: str = Field(description="The zone every time is shown in: time_zone, else the state's.")
    medicare_locality: str | None
    pay_to_address_line1: str | None
    pay_to_city: str | None
    pay_to_state: str | None
    pay_to_zip: str | None
    place_of_service: str | None
    statement_cycle_days: int | None
    statement_message: str | None
    submitter_id: str | None
    submitter_name: str | None
    receiver_id: str | None
    receiver_name: str | None
    contact_phone: str | None
    assistant_cosign_from: date | None = Field(
        None, description="From this date of service an assistant's notes wait for a therapist's co-signature."
    )


class LocationIn(BaseModel):
    name: Annotated[str, Field(max_length=60), NoNul]
    address_line1: Annotated[str, Field(max_length=120), NoNul]
    city: Annotated[str, Field(max_length=60), NoNul]
    state: Annotated[str, Field(max_length=2), NoNul]
    zip: Annotated[str, Field(max_length=10), NoNul]
    npi: Annotated[str, Field(max_length=10), NoNul] = ""


class LocationPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    address_line1: str
    city: str
    state: str
    zip: str
    npi: str | None


class ProviderIn(BaseModel):
    name: Annotated[str, Field(max_length=120), NoNul]
    discipline: Literal["PT", "PTA", "OT", "OTA", "SLP"]
    npi: Annotated[str, Field(max_length=10), NoNul]
    credentials: Annotated[str, Field(max_length=40), NoNul] = ""
    licence_state: Annotated[str, Field(max_length=2), NoNul]
    licence_number: Annotated[str, Field(max_length=30), NoNul]
    supervisor_id: Annotated[int | None, Field(ge=1, le=2**63 - 1)] = Field(
        default=None, description="Required of a PTA (a PT) and an OTA (an OT)."
    )


class ProviderActive(BaseModel):
    active: bool = Field(description="false takes the provider off the roster.")


class ProviderPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    discipline: str
    npi: str
    credentials: str | None
    licence_state: str
    licence_number: str
    supervisor_id: int | None
    active: bool


class LiveSessionPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    user_id: int
    user_name: str
    role: str
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    user_agent: str | None
    address: str | None
    current: bool
