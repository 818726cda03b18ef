"""The clinic's own settings: its billing identity, pay-to address, Medicare locality, time zone, claim and
statement defaults, trading partners and service locations. Each is checked as typed (the identity by
``ClinicIdentity``) and every change writes one audit row naming the fields changed (never their values)."""

from __future__ import annotations

import functools
import re
import zoneinfo
from dataclasses import dataclass, fields
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ptbill.domain.errors import PtbillError
from ptbill.domain.identifiers import is_ascii_digits, npi_is_valid
from ptbill.reference.catalog import default_catalog
from ptbill.services.access import Actor, InvalidChangeError, NotFoundError, require_role
from ptbill.services.audit import audit
from ptbill.services.clinic_setup import US_STATES, ClinicIdentity
from ptbill.services.records import copy_of
from ptbill.services.therapy_year import medicare_localities
from ptbill.storage.tables import ClinicRow, ServiceLocationRow
from ptbill.x12.charset import outside_x12

# The zone most of a state's people live in: a clinic that has not chosen one sees its state's.
STATE_ZONES = {
    **dict.fromkeys(("CT", "DE", "DC", "GA", "ME", "MD", "MA", "NH", "NJ", "NY", "NC", "OH"), "America/New_York"),
    **dict.fromkeys(("PA", "RI", "SC", "VT", "VA", "WV", "FL", "MI", "IN", "KY"), "America/New_York"),
    **dict.fromkeys(("AL", "AR", "IL", "IA", "LA", "MN", "MS", "MO", "OK", "WI", "TX", "KS"), "America/Chicago"),
    **dict.fromkeys(("NE", "SD", "ND", "TN"), "America/Chicago"),
    **dict.fromkeys(("CO", "MT", "NM", "UT", "WY", "ID"), "America/Denver"),
    "AZ": "America/Phoenix",
    **dict.fromkeys(("CA", "NV", "OR", "WA"), "America/Los_Angeles"),
    "AK": "America/Anchorage",
    "HI": "Pacific/Honolulu",
    "PR": "America/Puerto_Rico",
    "VI": "America/St_Thomas",
    "GU": "Pacific/Guam",
    "MP": "Pacific/Saipan",
    "AS": "Pacific/Pago_Pago",
}
DEFAULT_ZONE = "America/New_York"
TAXONOMY = re.compile(r"[0-9A-Z]{9}X")  # NUCC health care provider taxonomy code
DEFAULT_PLACE_OF_SERVICE = "11"  # office, as the note form starts
PLACES_OF_SERVICE = {
    "11": "Office",
    "12": "Home",
    "02": "Telehealth, not in the patient's home",
    "10": "Telehealth in the patient's home",
    "19": "Off-campus outpatient hospital",
    "22": "On-campus outpatient hospital",
    "31": "Skilled nursing facility",
    "32": "Nursing facility",
    "49": "Independent clinic",
}


class SettingsRefusedError(PtbillError):
    """The settings cannot be saved as typed: one message per field, keyed by the form's field name."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__("; ".join(f"{name}: {message}" for name, message in problems.items()))
        self.problems = problems


@dataclass(frozen=True, slots=True)
class Clinic(ClinicIdentity):
    """The billing provider a note's and a claim's header is copied from, as stored."""

    id: int
    medicare_locality: str | None
    taxonomy_code: str | None
    time_zone: str | None
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
    two_factor_roles: str | None
    created_at: datetime
    # The first date of service from which the clinic's state requires a therapist's co-signature of an
    # assistant's notes (services.cosign); None: it requires none.
    assistant_cosign_from: date | None = None

    @property
    def zone(self) -> str:
        """The IANA time zone every time is shown in: the chosen one, else the state's."""
        return self.time_zone or STATE_ZONES.get(self.state, DEFAULT_ZONE)


@dataclass(frozen=True, slots=True)
class ServiceLocation:
    id: int
    clinic_id: int
    name: str
    address_line1: str
    city: str
    state: str
    zip: str
    npi: str | None


# The settings form's fields beyond the identity (ClinicIdentity's, with "name" as on the form).
SETTING_FIELDS = (
    "taxonomy_code",
    "time_zone",
    "pay_to_address_line1",
    "pay_to_city",
    "pay_to_state",
    "pay_to_zip",
    "place_of_service",
    "statement_cycle_days",
    "statement_message",
    "submitter_id",
    "submitter_name",
    "receiver_id",
    "receiver_name",
    "contact_phone",
)
IDENTITY_FIELDS = tuple(f.name for f in fields(ClinicIdentity))
IDENTITY_PROBLEMS = {"address": "address_line1"}  # ClinicIdentity's problem names that differ from its fields


@functools.cache
def time_zones() -> tuple[str, ...]:
    """The IANA zones a clinic can choose (America/..., Pacific/..., not the legacy aliases)."""
    areas = ("America/", "Pacific/", "Atlantic/", "Europe/", "Asia/", "Africa/", "Australia/", "Indian/")
    return tuple(sorted(z for z in zoneinfo.available_timezones() if z.startswith(areas)))


def zone_is_known(name: str) -> bool:
    return name in time_zones()


def clinic_row(session: Session, actor: Actor) -> ClinicRow:
    clinic = session.get(ClinicRow, actor.clinic_id)
    if clinic is None:  # pragma: no cover - a user always belongs to a clinic
        raise NotFoundError("clinic not found")
    return clinic


def set_medicare_locality(session: Session, actor: Actor, key: str | None, day: date) -> Clinic:
    """The clinic's Medicare locality, chosen from the installed ones; None goes back to the ZIP-code guess."""
    require_role(actor, {"admin"})
    if key is not None and key not in dict(medicare_localities(default_catalog(), day)):
        raise InvalidChangeError("medicare_locality", f"{key!r} is not a Medicare locality of the installed schedule")
    clinic = clinic_row(session, actor)
    clinic.medicare_locality = key
    audit(session, actor, "update", "clinic", str(clinic.id), f"medicare_locality {key or 'from ZIP code'}")
    return copy_of(Clinic, clinic)


def get_clinic(session: Session, actor: Actor) -> Clinic:
    """The acting user's clinic."""
    return copy_of(Clinic, clinic_row(session, actor))


def clinic_zone(session: Session, clinic_id: int) -> str:
    """The time zone a clinic's pages show times in (read on every page, so one column query)."""
    row = session.execute(select(ClinicRow.time_zone, ClinicRow.state).where(ClinicRow.id == clinic_id)).first()
    if row is None:
        return DEFAULT_ZONE
    return zone_of(row.time_zone, row.state)


def zone_of(time_zone: str | None, state: str | None) -> str:
    """The clinic's chosen IANA zone, else its state's (``clinic_zone`` from the two columns)."""
    return time_zone or STATE_ZONES.get(state or "", DEFAULT_ZONE)


def _clean(value: str) -> str:
    return " ".join(value.split())


def _address_problems(prefix: str, line1: str, city: str, state: str, zip_code: str) -> dict[str, str]:
    found: dict[str, str] = {}
    if not 1 <= len(line1) <= 55:
        found[f"{prefix}address_line1"] = "The street address is required (at most 55 characters)."
    if not 1 <= len(city) <= 30:
        found[f"{prefix}city"] = "The city is required (at most 30 characters)."
    if state not in US_STATES:
        found[f"{prefix}state"] = f"{state!r} is not a U.S. state or territory code (two letters, e.g. OR)."
    if not (len(zip_code) in (5, 9) and is_ascii_digits(zip_code)):
        found[f"{prefix}zip"] = f"{zip_code!r} is not a ZIP code (5 or 9 digits)."
    return found


def _x12_id_problem(value: str, what: str) -> str | None:
    if not value:
        return None
    if len(value) > 15 or outside_x12(value) or not value.isascii() or " " in value.strip():
        return f"{what} is 1 to 15 letters or digits, as the clearinghouse gave it."
    return None


def _setting_problems(values: dict[str, str]) -> dict[str, str]:
    """One message per refused setting field (the identity is ClinicIdentity's)."""
    found: dict[str, str] = {}
    taxonomy = values["taxonomy_code"]
    if taxonomy and not TAXONOMY.fullmatch(taxonomy):
        found["taxonomy_code"] = f"{taxonomy!r} is not a taxonomy code (10 characters ending in X, e.g. 225100000X)."
    zone = values["time_zone"]
    if zone and not zone_is_known(zone):
        found["time_zone"] = f"{zone!r} is not a time zone; choose one such as America/Los_Angeles."
    pay_to = [values[f"pay_to_{name}"] for name in ("address_line1", "city", "state", "zip")]
    if any(pay_to):
        found |= _address_problems("pay_to_", *pay_to)
    if values["place_of_service"] not in PLACES_OF_SERVICE:
        found["place_of_service"] = "Choose a place of service from the list."
    cycle = values["statement_cycle_days"]
    if cycle and not (is_ascii_digits(cycle) and len(cycle) <= 3 and 7 <= int(cycle) <= 120):
        found["statement_cycle_days"] = "Days between statements: a whole number from 7 to 120."
    if len(values["statement_message"]) > 200:
        found["statement_message"] = "At most 200 characters."
    for name, what in (("submitter_id", "The submitter id"), ("receiver_id", "The receiver id")):
        problem = _x12_id_problem(values[name], what)
        if problem:
            found[name] = problem
    for name in ("submitter_name", "receiver_name"):
        if len(values[name]) > 60 or outside_x12(values[name]):
            found[name] = "At most 60 letters, digits and spaces."
    phone = values["contact_phone"]
    if phone and not (len(phone) == 10 and is_ascii_digits(phone)):
        found["contact_phone"] = "A 10-digit phone number, digits only."
    return found


def _identity_problems(identity: ClinicIdentity) -> dict[str, str]:
    found: dict[str, str] = {}
    for problem in identity.problems():
        name, _, message = problem.partition(": ")
        field = IDENTITY_PROBLEMS.get(name, name if name in IDENTITY_FIELDS else "name")
        found[field] = message[:1].upper() + message[1:] + "."
    return found


def update_settings(session: Session, actor: Actor, form: dict[str, str], day: date) -> Clinic:
    """Save the settings form: every field checked first, nothing saved when any is refused; one audit
    row lists the fields that changed."""
    require_role(actor, {"admin"})
    identity = ClinicIdentity(*(form.get(name, "") for name in IDENTITY_FIELDS)).cleaned()
    values = {name: _clean(form.get(name, "")) for name in SETTING_FIELDS}
    for name in ("pay_to_state", "taxonomy_code"):
        values[name] = values[name].upper()
    values["pay_to_zip"] = values["pay_to_zip"].replace("-", "")
    values["place_of_service"] = values["place_of_service"] or DEFAULT_PLACE_OF_SERVICE
    values["contact_phone"] = "".join(c for c in values["contact_phone"] if c not in "()-. ")
    locality = form.get("medicare_locality", "")
    problems = _identity_problems(identity) | _setting_problems(values)
    if locality and locality not in dict(medicare_localities(default_catalog(), day)):
        problems["medicare_locality"] = "Choose a locality of the installed fee schedule."
    clinic = clinic_row(session, actor)
    taken = session.scalar(select(ClinicRow.id).where(ClinicRow.npi == identity.npi, ClinicRow.id != clinic.id))
    if taken is not None and "npi" not in problems:
        problems["npi"] = f"Another clinic of this installation has NPI {identity.npi}."
    if problems:
        raise SettingsRefusedError(problems)
    new: dict[str, object] = {name: getattr(identity, name) for name in IDENTITY_FIELDS}
    new |= {name: value or None for name, value in values.items()}
    new["statement_cycle_days"] = int(values["statement_cycle_days"]) if values["statement_cycle_days"] else None
    new["medicare_locality"] = locality or None
    changed = [name for name, value in new.items() if getattr(clinic, name) != value]
    for name in changed:
        setattr(clinic, name, new[name])
    if changed:
        audit(session, actor, "update", "clinic", str(clinic.id), "changed: " + ", ".join(changed))
    return copy_of(Clinic, clinic)


def list_locations(session: Session, actor: Actor) -> list[ServiceLocation]:
    rows = session.scalars(
        select(ServiceLocationRow)
        .where(ServiceLocationRow.clinic_id == actor.clinic_id)
        .order_by(ServiceLocationRow.id)
    )
    return [copy_of(ServiceLocation, row) for row in rows]


def add_location(session: Session, actor: Actor, form: dict[str, str]) -> ServiceLocation:
    """A service location: its name, address and (when it has its own) NPI."""
    require_role(actor, {"admin"})
    values = {name: _clean(form.get(name, "")) for name in ("name", "address_line1", "city", "state", "zip", "npi")}
    values["state"] = values["state"].upper()
    values["zip"] = values["zip"].replace("-", "")
    problems = _address_problems("", values["address_line1"], values["city"], values["state"], values["zip"])
    if not 1 <= len(values["name"]) <= 60 or not values["name"].isprintable():
        problems["name"] = "The location's name is required (at most 60 characters)."
    if values["npi"] and not npi_is_valid(values["npi"]):
        problems["npi"] = f"{values['npi']!r} is not a valid NPI (10 digits with a correct check digit)."
    if problems:
        raise SettingsRefusedError(problems)
    row = ServiceLocationRow(clinic_id=actor.clinic_id, **{**values, "npi": values["npi"] or None})
    session.add(row)
    session.flush()
    audit(session, actor, "create", "service_location", str(row.id))
    return copy_of(ServiceLocation, row)


def remove_location(session: Session, actor: Actor, location_id: int) -> None:
    require_role(actor, {"admin"})
    row = session.get(ServiceLocationRow, location_id)
    if row is None or row.clinic_id != actor.clinic_id:
        raise NotFoundError(f"service location {location_id} not found")
    session.delete(row)
    audit(session, actor, "delete", "service_location", str(location_id))
