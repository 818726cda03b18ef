"""The clinic's own settings (its Medicare locality)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.orm import Session

from ptbill.reference.catalog import default_catalog
from ptbill.services.access import Actor, InvalidChangeError, NotFoundError, require_role
from ptbill.services.audit import audit
from ptbill.services.clinic_setup import ClinicIdentity
from ptbill.services.records import copy_of
from ptbill.services.therapy_year import medicare_localities
from ptbill.storage.tables import ClinicRow


@dataclass(frozen=True, slots=True)
class Clinic(ClinicIdentity):
    """The billing provider a note's and a claim's header is copied from, as stored."""

    id: int
    medicare_locality: str | None
    created_at: datetime


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
