"""Login rate limits: wrong passwords are counted per account (the email typed) and per client address
in a sliding window kept in the database, so every worker process sees the same count. At the limit,
logins are refused, the right password included, until the window has moved on or an admin clears
the account. Unknown emails are counted and locked the same way, so no answer tells whether an
account exists.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import InstrumentedAttribute

from ptbill.domain.vocabulary import Role
from ptbill.services.access import Actor, NotFoundError, require_role
from ptbill.services.audit import audit
from ptbill.services.sessions import in_utc
from ptbill.storage.tables import LoginFailureRow, UserRow

WINDOW = timedelta(minutes=15)
ACCOUNT_LIMIT = 10  # wrong passwords for one account in the window
# A clinic's staff often share one address; guessing across many accounts from one address stops here.
ADDRESS_LIMIT = 50
_ADDRESS_LENGTH = 64
LOCKED_MESSAGE = (
    "Too many failed logins for this account or from this address. Try again later, or ask your clinic's admin "
    "to clear the lockout."
)


def account_key(email: str) -> str:
    return email.strip().lower()[:200]


def _address_key(address: str | None) -> str:
    return (address or "unknown")[:_ADDRESS_LENGTH]


def _lock_ends(
    session: Session, column: InstrumentedAttribute[str], value: str, limit: int, now: datetime
) -> datetime | None:
    """When the limit-th latest failure in the window leaves it, if there are that many."""
    at = session.scalar(
        select(LoginFailureRow.at)
        .where(column == value, LoginFailureRow.at > now - WINDOW)
        .order_by(LoginFailureRow.at.desc())
        .offset(limit - 1)
        .limit(1)
    )
    return None if at is None else in_utc(at) + WINDOW


def locked_until(session: Session, email: str, address: str | None, now: datetime) -> datetime | None:
    """The time logins for ``email`` from ``address`` open again, or None when they are open now."""
    ends = [
        _lock_ends(session, LoginFailureRow.account, account_key(email), ACCOUNT_LIMIT, now),
        _lock_ends(session, LoginFailureRow.address, _address_key(address), ADDRESS_LIMIT, now),
    ]
    return max((end for end in ends if end is not None), default=None)


def _failures_in_window(session: Session, column: InstrumentedAttribute[str], value: str, now: datetime) -> int:
    count = session.scalar(
        select(func.count()).select_from(LoginFailureRow).where(column == value, LoginFailureRow.at > now - WINDOW)
    )
    return int(count or 0)


def record_failure(session: Session, email: str, address: str | None, now: datetime) -> None:
    """Count one wrong password; the failure that reaches a limit writes a lockout to the audit log."""
    account, place = account_key(email), _address_key(address)
    session.add(LoginFailureRow(account=account, address=place, at=now))
    session.flush()
    if _failures_in_window(session, LoginFailureRow.account, account, now) == ACCOUNT_LIMIT:
        user = session.scalar(select(UserRow).where(UserRow.email == account))
        detail = f"{ACCOUNT_LIMIT} failed logins in {WINDOW.seconds // 60} minutes"
        if user is not None:  # a lockout of an email with no account has nobody to tell
            audit(session, None, "lockout", "user", str(user.id), detail, clinic_id=user.clinic_id)
    if _failures_in_window(session, LoginFailureRow.address, place, now) == ADDRESS_LIMIT:
        detail = f"{ADDRESS_LIMIT} failed logins in {WINDOW.seconds // 60} minutes"
        audit(session, None, "lockout", "address", place, detail)


def clear_lockout(session: Session, actor: Actor, user_id: int) -> None:
    """An admin lets a locked-out user of their clinic log in again now."""
    require_role(actor, {Role.ADMIN})
    user = session.get(UserRow, user_id)
    if user is None or user.clinic_id != actor.clinic_id:
        raise NotFoundError(f"user {user_id} not found")
    forget_failures(session, user, actor)


def forget_failures(session: Session, user: UserRow, actor: Actor | None) -> None:
    """Clear the account's failed logins; ``actor`` None is the installation's operator (the command line)."""
    session.execute(delete(LoginFailureRow).where(LoginFailureRow.account == user.email))
    detail = "failed logins cleared" + ("" if actor else " from the command line")
    audit(session, actor, "unlock", "user", str(user.id), detail, clinic_id=user.clinic_id)
