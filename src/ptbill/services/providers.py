"""The clinic's providers roster: physical and occupational therapists and their assistants, and
speech-language pathologists, each with an individual (type 1) NPI, credentials and a state licence.
An assistant (PTA, OTA) names the supervising therapist of their discipline, as Medicare requires."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ptbill.domain.identifiers import bounded_int, npi_is_valid
from ptbill.services.access import Actor, NotFoundError, require_role
from ptbill.services.audit import audit
from ptbill.services.clinic import SettingsRefusedError
from ptbill.services.clinic_setup import US_STATES
from ptbill.services.records import copy_of
from ptbill.storage.tables import ProviderRow

DISCIPLINES = {
    "PT": "Physical therapist",
    "PTA": "Physical therapist assistant",
    "OT": "Occupational therapist",
    "OTA": "Occupational therapy assistant",
    "SLP": "Speech-language pathologist",
}
SUPERVISED_BY = {"PTA": "PT", "OTA": "OT"}  # an assistant's supervisor is a therapist of this discipline
FIELDS = ("name", "discipline", "npi", "credentials", "licence_state", "licence_number", "supervisor_id")


@dataclass(frozen=True, slots=True)
class Provider:
    id: int
    clinic_id: int
    name: str
    discipline: str
    npi: str
    credentials: str | None
    licence_state: str
    licence_number: str
    supervisor_id: int | None
    active: bool

    @property
    def discipline_name(self) -> str:
        return DISCIPLINES.get(self.discipline, self.discipline)


def list_providers(session: Session, actor: Actor) -> list[Provider]:
    rows = session.scalars(
        select(ProviderRow).where(ProviderRow.clinic_id == actor.clinic_id).order_by(ProviderRow.name, ProviderRow.id)
    )
    return [copy_of(Provider, row) for row in rows]


def _row(session: Session, actor: Actor, provider_id: int) -> ProviderRow:
    row = session.get(ProviderRow, provider_id)
    if row is None or row.clinic_id != actor.clinic_id:
        raise NotFoundError(f"provider {provider_id} not found")
    return row


def _checked(session: Session, actor: Actor, form: dict[str, str], editing: int | None) -> dict[str, object]:
    values = {name: " ".join(form.get(name, "").split()) for name in FIELDS}
    values["discipline"] = values["discipline"].upper()
    values["licence_state"] = values["licence_state"].upper()
    problems: dict[str, str] = {}
    if not 1 <= len(values["name"]) <= 120 or not values["name"].isprintable():
        problems["name"] = "The provider's name is required (at most 120 characters)."
    if values["discipline"] not in DISCIPLINES:
        problems["discipline"] = "Choose PT, PTA, OT, OTA or SLP."
    if not npi_is_valid(values["npi"]):
        problems["npi"] = f"{values['npi']!r} is not a valid NPI (10 digits with a correct check digit)."
    else:
        taken = session.scalar(
            select(ProviderRow.id).where(
                ProviderRow.clinic_id == actor.clinic_id,
                ProviderRow.npi == values["npi"],
                ProviderRow.id != (editing or 0),
            )
        )
        if taken is not None:
            problems["npi"] = "Another provider of the roster has this NPI."
    if len(values["credentials"]) > 40 or not values["credentials"].isprintable():
        problems["credentials"] = "At most 40 characters, e.g. DPT, OCS."
    if values["licence_state"] not in US_STATES:
        problems["licence_state"] = "The licensing state's two letters, e.g. OR."
    number = values["licence_number"]
    if not 1 <= len(number) <= 30 or not number.isascii() or not number.isprintable():
        problems["licence_number"] = "The state licence number is required (at most 30 letters and digits)."
    supervisor: int | None = None
    needed = SUPERVISED_BY.get(str(values["discipline"]))
    raw = values["supervisor_id"]
    if raw:
        chosen_id = bounded_int(raw, 12)
        chosen = session.get(ProviderRow, chosen_id) if chosen_id is not None else None
        if chosen is None or chosen.clinic_id != actor.clinic_id or not chosen.active or chosen.id == editing:
            problems["supervisor_id"] = "Choose a therapist of the roster."
        elif needed is None:
            problems["supervisor_id"] = "Only an assistant (PTA, OTA) names a supervising therapist."
        elif chosen.discipline != needed:
            problems["supervisor_id"] = f"A {values['discipline']} is supervised by a {needed}."
        else:
            supervisor = chosen.id
    elif needed is not None:
        problems["supervisor_id"] = f"A {values['discipline']} must name their supervising {needed}."
    if problems:
        raise SettingsRefusedError(problems)
    return {**values, "credentials": values["credentials"] or None, "supervisor_id": supervisor}


def add_provider(session: Session, actor: Actor, form: dict[str, str]) -> Provider:
    require_role(actor, {"admin"})
    row = ProviderRow(clinic_id=actor.clinic_id, active=True, **_checked(session, actor, form, None))
    session.add(row)
    session.flush()
    audit(session, actor, "create", "provider", str(row.id), f"discipline {row.discipline}")
    return copy_of(Provider, row)


def update_provider(session: Session, actor: Actor, provider_id: int, form: dict[str, str]) -> Provider:
    require_role(actor, {"admin"})
    row = _row(session, actor, provider_id)
    values = _checked(session, actor, form, row.id)
    changed = [name for name, value in values.items() if getattr(row, name) != value]
    for name in changed:
        setattr(row, name, values[name])
    if changed:
        audit(session, actor, "update", "provider", str(row.id), "changed: " + ", ".join(changed))
    return copy_of(Provider, row)


def set_provider_active(session: Session, actor: Actor, provider_id: int, active: bool) -> Provider:
    """Take a provider off the roster (or back): an assistant's supervisor must stay on it."""
    require_role(actor, {"admin"})
    row = _row(session, actor, provider_id)
    if not active:
        supervised = session.scalar(
            select(ProviderRow.id).where(ProviderRow.supervisor_id == row.id, ProviderRow.active).limit(1)
        )
        if supervised is not None:
            raise SettingsRefusedError(
                {"active": "An assistant on the roster names this therapist: change theirs first."}
            )
    row.active = active
    audit(session, actor, "update", "provider", str(row.id), "activated" if active else "deactivated")
    return copy_of(Provider, row)
