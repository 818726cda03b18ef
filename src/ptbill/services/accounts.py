"""A user's access: logging in (within the login limits) and out, changing one's own password, and an
admin turning an account off or on. Built on the server-side sessions, the login limits and the
password rules; every step is audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from ptbill.domain.errors import PtbillError
from ptbill.domain.vocabulary import Role
from ptbill.services import login_limits, sessions, two_factor
from ptbill.services.access import Actor, ConflictError, NotFoundError, hash_password, password_matches, require_role
from ptbill.services.audit import audit
from ptbill.services.passwords import PasswordRefusedError, require_acceptable
from ptbill.services.users import authenticate
from ptbill.storage.tables import UserRow


@dataclass(frozen=True, slots=True)
class Login:
    actor: Actor
    token: str  # the session cookie's value, and the API's bearer token
    expires_at: datetime


class LoginLockedError(PtbillError):
    """Too many wrong passwords for the account or from the address: no password is checked until ``until``."""

    def __init__(self, until: datetime) -> None:
        super().__init__(login_limits.LOCKED_MESSAGE)
        self.until = until


@dataclass(frozen=True, slots=True)
class Client:
    """Where a login comes from: kept with the session, and the key of the per-address limit."""

    address: str | None
    user_agent: str | None = None


@dataclass(frozen=True, slots=True)
class SecondFactorNeeded:
    """The password was right and the user has a second factor: the login ends with ``finish_login``."""

    user_id: int


def log_in(
    session: Session, email: str, password: str, now: datetime, client: Client
) -> Login | SecondFactorNeeded | None:
    """A new session for the right password, None for a wrong one; LoginLockedError past the limits.
    A user with two-factor authentication gets no session yet: SecondFactorNeeded says whose code to ask.

    The caller commits in every case: a failed attempt is kept (audit log, login limits)."""
    until = login_limits.locked_until(session, email, client.address, now)
    if until is not None:
        raise LoginLockedError(until)
    actor = authenticate(session, email, password)
    if actor is None:
        login_limits.record_failure(session, email, client.address, now)
        return None
    user = session.get(UserRow, actor.user_id)
    if user is not None and two_factor.is_enrolled(user):
        return SecondFactorNeeded(actor.user_id)
    return _open(session, actor, now, client)


def finish_login(session: Session, user_id: int, code: str, now: datetime, client: Client) -> Login:
    """The session of a login whose password was right, once the second-factor code is right too
    (SecondFactorError otherwise; the caller commits either way, so a wrong code is counted)."""
    actor = two_factor.check_second_factor(session, user_id, code, now, client.address)
    return _open(session, actor, now, client)


def _open(session: Session, actor: Actor, now: datetime, client: Client) -> Login:
    token = sessions.open_session(session, actor, now, user_agent=client.user_agent, address=client.address)
    return Login(actor, token, now + sessions.SESSION_LIFETIME)


def log_out(session: Session, actor: Actor, token: str, now: datetime) -> None:
    """End this session: its cookie and its bearer token stop working on the next request."""
    sessions.revoke(session, token, now)
    audit(session, actor, "logout", "user", str(actor.user_id))


def change_password(
    session: Session, actor: Actor, current: str, new: str, now: datetime, client: Client, token: str
) -> None:
    """The user's own new password, after the current one; their other sessions end, this one stays."""
    user = session.get(UserRow, actor.user_id)
    if user is None:
        raise NotFoundError(f"user {actor.user_id} not found")
    until = login_limits.locked_until(session, user.email, client.address, now)
    if until is not None:
        raise LoginLockedError(until)
    if not password_matches(user, current):
        # A wrong current password is a guess like a wrong login: it counts toward the same limit.
        login_limits.record_failure(session, user.email, client.address, now)
        audit(session, actor, "login_failed", "user", str(user.id), "wrong current password")
        raise PasswordRefusedError("the current password is not right", "current_password")
    require_acceptable(new, user.email, "new_password")
    user.password_hash = hash_password(new)
    user.password_must_change = False
    sessions.revoke_all(session, user.id, now, keep_token=token)
    audit(session, actor, "update", "user", str(user.id), "password changed")


def set_active(session: Session, actor: Actor, user_id: int, active: bool, now: datetime) -> UserRow:
    """An admin turns an account of their clinic off (every session of it ends at once) or back on."""
    require_role(actor, {Role.ADMIN})
    user = session.get(UserRow, user_id)
    if user is None or user.clinic_id != actor.clinic_id:
        raise NotFoundError(f"user {user_id} not found")
    if user.id == actor.user_id and not active:
        raise ConflictError("an admin cannot deactivate their own account; another admin can")
    user.active = active
    if not active:
        sessions.revoke_all(session, user.id, now)
    audit(session, actor, "update", "user", str(user.id), "activated" if active else "deactivated")
    return user
