"""Clinic users: logging in by password, the admin's list of accounts, new accounts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ptbill.services.access import ROLES, Actor, ConflictError, hash_password, password_matches, require_role
from ptbill.services.audit import audit
from ptbill.services.passwords import require_acceptable
from ptbill.services.records import copy_of
from ptbill.storage.tables import UserRow


@dataclass(frozen=True, slots=True)
class User:
    """An account as the admin's pages and the API show it (never its password hash)."""

    id: int
    clinic_id: int
    email: str
    name: str
    role: str
    credential: str | None
    npi: str | None
    active: bool
    created_at: datetime


def authenticate(session: Session, email: str, password: str) -> Actor | None:
    user = session.scalar(select(UserRow).where(UserRow.email == email.strip().lower(), UserRow.active))
    if user is None:
        hash_password(password)  # spend the same time whether or not the account exists
        return None
    if not password_matches(user, password):
        audit(session, None, "login_failed", "user", str(user.id), clinic_id=user.clinic_id)
        return None
    actor = Actor(user.id, user.clinic_id, user.role, user.name)
    audit(session, actor, "login", "user", str(user.id))
    return actor


def list_users(session: Session, actor: Actor) -> list[User]:
    require_role(actor, {"admin"})
    rows = session.scalars(select(UserRow).where(UserRow.clinic_id == actor.clinic_id).order_by(UserRow.id))
    return [copy_of(User, row) for row in rows]


def create_user(session: Session, actor: Actor, data: dict[str, Any], password: str) -> User:
    """A new account in the admin's clinic; the password is kept only as an argon2 hash."""
    require_role(actor, {"admin"})
    if data.get("role") not in ROLES:
        raise ConflictError(f"role must be one of {', '.join(ROLES)}")
    email = str(data.get("email", "")).strip().lower()
    if session.scalar(select(UserRow.id).where(UserRow.email == email)) is not None:
        raise ConflictError(f"{email} already has an account")
    require_acceptable(password, email)
    row = UserRow(clinic_id=actor.clinic_id, **{**data, "email": email}, password_hash=hash_password(password))
    session.add(row)
    session.flush()
    audit(session, actor, "create", "user", str(row.id), f"role {row.role}")
    return copy_of(User, row)


def current_user(session: Session, actor: Actor) -> User | None:
    """The acting user's own account (a clinician's name, NPI and credential for the notes they write)."""
    row = session.get(UserRow, actor.user_id)
    return None if row is None or row.clinic_id != actor.clinic_id else copy_of(User, row)
