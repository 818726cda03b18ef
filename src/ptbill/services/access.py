"""Who is acting and what they may do: the Actor, the role sets, the errors every service raises, password hashing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.orm import Session

from ptbill.domain.errors import EncounterFormatError, PtbillError
from ptbill.domain.vocabulary import BILLERS, CLINICIANS, ROLES, SIGNERS
from ptbill.storage.session import DatabaseBusyError
from ptbill.storage.tables import UserRow

_hasher = PasswordHasher()


class NotFoundError(PtbillError):
    """The thing does not exist, or belongs to another clinic: both look the same from outside."""


class ForbiddenError(PtbillError):
    """The user's role may not do this."""


class ConflictError(PtbillError):
    """The request conflicts with the current state (signing a blocked note, editing a signed one)."""


class InvalidChangeError(PtbillError):
    """A payer change that cannot be saved; ``field`` names the form field (name, value or reference)."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(message)


@dataclass(frozen=True, slots=True)
class Actor:
    user_id: int
    clinic_id: int
    role: str
    name: str


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def password_matches(user: UserRow, password: str) -> bool:
    try:
        return _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def actor_for(session: Session, user_id: int) -> Actor | None:
    user = session.get(UserRow, user_id)
    if user is None or not user.active:
        return None
    return Actor(user.id, user.clinic_id, user.role, user.name)


T = TypeVar("T")


def owned_row(session: Session, actor: Actor, table: type[T], row_id: int, what: str) -> T:
    """The row of the acting user's clinic: one of another clinic looks the same as a missing one."""
    row = session.get(table, row_id)
    if row is None or getattr(row, "clinic_id", None) != actor.clinic_id:
        raise NotFoundError(f"{what} {row_id} not found")
    return row


def require_role(actor: Actor, roles: frozenset[str] | set[str]) -> None:
    if actor.role not in roles:
        raise ForbiddenError(f"a {actor.role} may not do this")


__all__ = [
    "BILLERS",
    "CLINICIANS",
    "ROLES",
    "SIGNERS",
    "Actor",
    "ConflictError",
    "DatabaseBusyError",
    "EncounterFormatError",
    "ForbiddenError",
    "InvalidChangeError",
    "NotFoundError",
    "actor_for",
    "hash_password",
    "owned_row",
    "password_matches",
    "require_role",
]
