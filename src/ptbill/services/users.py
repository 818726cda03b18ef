"""Clinic users: logging in by password, the admin's list of accounts, new accounts (invited with a one-time
temporary password), role changes and an admin's password reset."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ptbill.services import sessions
from ptbill.services.access import (
    ROLES,
    Actor,
    ConflictError,
    NotFoundError,
    hash_password,
    password_matches,
    require_role,
)
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


def _user_of_clinic(session: Session, actor: Actor, user_id: int) -> UserRow:
    user = session.get(UserRow, user_id)
    if user is None or user.clinic_id != actor.clinic_id:
        raise NotFoundError(f"user {user_id} not found")
    return user


def temporary_password() -> str:
    """A one-time password an admin hands over (shown once, never stored but as its hash): 4 groups of 5."""
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    return "-".join("".join(secrets.choice(alphabet) for _ in range(5)) for _ in range(4))


def invite_user(session: Session, actor: Actor, data: dict[str, Any]) -> tuple[User, str]:
    """A new account with a temporary password the admin passes on; the user changes it after logging in."""
    password = temporary_password()
    user = create_user(session, actor, data, password)
    row = session.get(UserRow, user.id)
    if row is not None:
        row.password_must_change = True  # a temporary password: the user chooses their own at first login
    return user, password


def change_role(session: Session, actor: Actor, user_id: int, role: str) -> User:
    """An admin gives a user of their clinic another role; it applies from the user's next request."""
    require_role(actor, {"admin"})
    if role not in ROLES:
        raise ConflictError(f"role must be one of {', '.join(ROLES)}")
    user = _user_of_clinic(session, actor, user_id)
    if user.id == actor.user_id and role != "admin":
        raise ConflictError("an admin cannot take their own admin role away; another admin can")
    if user.role != role:
        audit(session, actor, "update", "user", str(user.id), f"role {user.role} to {role}")
        user.role = role
    return copy_of(User, user)


def reset_password(session: Session, actor: Actor, user_id: int, now: datetime) -> str:
    """An admin sets a one-time temporary password for a user who forgot theirs; every session of the
    user ends. The password is returned to be shown once and is not kept."""
    require_role(actor, {"admin"})
    user = _user_of_clinic(session, actor, user_id)
    if user.id == actor.user_id:
        raise ConflictError("change your own password on your account page")
    password = temporary_password()
    user.password_hash = hash_password(password)
    user.password_must_change = True
    sessions.revoke_all(session, user.id, now)
    audit(session, actor, "update", "user", str(user.id), "password reset by an admin")
    return password
