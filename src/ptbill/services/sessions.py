"""Server-side login sessions: a random token given to the browser (cookie) or the integration (bearer),
stored only as its SHA-256 digest with the user, times and device. Each request looks the token up in
one indexed query, so a logout or a deactivated user ends access on the very next request.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.orm import Session

from ptbill.domain.clock import SYSTEM_CLOCK
from ptbill.services.access import Actor
from ptbill.storage.tables import UserRow, UserSessionRow

Clock = Callable[[], datetime]
SESSION_LIFETIME = timedelta(hours=8)  # a working day; the cookie is also a browser-session cookie
# Last-seen times are for the sessions-and-devices list, not for security: writing them at most once a
# minute keeps a burst of live checks from turning every read into a write.
LAST_SEEN_EVERY = timedelta(minutes=1)
_USER_AGENT_LENGTH = 300
_ADDRESS_LENGTH = 64


def system_clock() -> datetime:
    """The wall clock for session expiry and login limits (real time even when the day is pinned); tests
    inject their own."""
    return SYSTEM_CLOCK.now()


def in_utc(moment: datetime) -> datetime:
    """SQLite hands stored times back without a zone: they were written in UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(
    session: Session, actor: Actor, now: datetime, *, user_agent: str | None = None, address: str | None = None
) -> str:
    """A new session for ``actor``; returns the token, which is never stored."""
    token = secrets.token_urlsafe(32)
    session.add(
        UserSessionRow(
            clinic_id=actor.clinic_id,
            user_id=actor.user_id,
            token_hash=digest(token),
            created_at=now,
            last_seen_at=now,
            expires_at=now + SESSION_LIFETIME,
            user_agent=(user_agent or None) and user_agent[:_USER_AGENT_LENGTH],
            address=(address or None) and address[:_ADDRESS_LENGTH],
        )
    )
    return token


def live_session_where(token: str, now: datetime) -> tuple[ColumnElement[bool], ...]:
    """The conditions of a live session of an active user (join ``UserRow`` on the session's user)."""
    return live_session_conditions(digest(token), now)


def live_session_conditions(token_hash: Any, now: Any) -> tuple[ColumnElement[bool], ...]:
    """The same conditions on the token's digest and the time given as values or as bound parameters (a
    statement built once, such as ``login_state``'s)."""
    return (
        UserSessionRow.token_hash == token_hash,
        UserSessionRow.revoked_at.is_(None),
        UserSessionRow.expires_at > now,
        UserRow.active.is_(True),
    )


def mark_seen(session: Session, session_id: int, last_seen: datetime, now: datetime) -> None:
    """Write the session's last-seen time, at most once every ``LAST_SEEN_EVERY``."""
    if now - in_utc(last_seen) >= LAST_SEEN_EVERY:
        # SKIP LOCKED: a concurrent request of the same session that is writing it already wins. Waiting for
        # its row lock here would block the event loop (the API's session dependency runs on it) while that
        # request's commit waits for the event loop: the whole server process would hang (bench/clinic_scale.py).
        unlocked = select(UserSessionRow.id).where(UserSessionRow.id == session_id).with_for_update(skip_locked=True)
        session.execute(update(UserSessionRow).where(UserSessionRow.id.in_(unlocked)).values(last_seen_at=now))


def session_is_live(session: Session, token: str, now: datetime) -> bool:
    """Whether the token is a live session of an active user; reads only (no last-seen write)."""
    found = session.scalar(
        select(UserSessionRow.id)
        .join(UserRow, UserRow.id == UserSessionRow.user_id)
        .where(*live_session_where(token, now))
    )
    return found is not None


def revoke(session: Session, token: str, now: datetime) -> None:
    session.execute(
        update(UserSessionRow)
        .where(UserSessionRow.token_hash == digest(token), UserSessionRow.revoked_at.is_(None))
        .values(revoked_at=now)
    )


def revoke_all(session: Session, user_id: int, now: datetime, *, keep_token: str | None = None) -> None:
    """End every session of the user (deactivation, a new password), but ``keep_token``'s if given."""
    query = update(UserSessionRow).where(UserSessionRow.user_id == user_id, UserSessionRow.revoked_at.is_(None))
    if keep_token is not None:
        query = query.where(UserSessionRow.token_hash != digest(keep_token))
    session.execute(query.values(revoked_at=now))
