"""Two-factor authentication: a time-based one-time code (TOTP, RFC 6238: six digits, 30-second steps,
SHA-1, as every authenticator app reads it) after the password, or a one-time recovery code.

- A user enrols by scanning the secret (QR code or typed), then proves it with a first code; only then
  is the second factor in force and ten recovery codes are shown, once. Only their SHA-256 is kept.
- A code is accepted one step early or late (clock drift) and only once: a replayed code is refused.
- A wrong code counts toward the login limits like a wrong password.
- A clinic can require a second factor of some roles (admins and billers, say): such a user who has
  not enrolled yet can only enrol until they do.
- An admin can turn a user's second factor off (a lost phone); the user then enrols again.

Between the password and the code, the browser holds a short-lived signed "pending login" value naming
the user; nothing about the password is kept.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import pyotp
import segno
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ptbill.domain.errors import PtbillError
from ptbill.domain.identifiers import is_ascii_digits
from ptbill.services import login_limits
from ptbill.services.access import Actor, ConflictError, NotFoundError, require_role
from ptbill.services.audit import audit
from ptbill.storage.tables import ClinicRow, RecoveryCodeRow, UserRow

ISSUER = "ptbill"
STEP_SECONDS = 30
RECOVERY_CODES = 10
PENDING_LIFETIME = timedelta(minutes=5)  # from the right password to the code
ROLES_THAT_CAN_BE_REQUIRED = ("admin", "biller", "therapist", "pta")


class SecondFactorError(PtbillError):
    """A code that is wrong, used before, or asked of a user who has no second factor."""


@dataclass(frozen=True, slots=True)
class Enrolment:
    """What the enrolment page shows: the secret, typed or scanned, as an otpauth:// address and its QR code."""

    secret: str
    uri: str
    qr_svg: str  # an SVG document drawing the address

    @property
    def grouped(self) -> str:
        return " ".join(self.secret[i : i + 4] for i in range(0, len(self.secret), 4))


def _user(session: Session, actor: Actor, user_id: int) -> UserRow:
    user = session.get(UserRow, user_id)
    if user is None or user.clinic_id != actor.clinic_id:
        raise NotFoundError(f"user {user_id} not found")
    return user


def _digest(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def _normal(code: str) -> str:
    return "".join(code.split()).replace("-", "").lower()


def is_enrolled(user: UserRow) -> bool:
    return user.totp_enabled_at is not None and user.totp_secret is not None


def required_roles(clinic: ClinicRow) -> frozenset[str]:
    return frozenset(role for role in (clinic.two_factor_roles or "").split(",") if role)


def enrolment_due(session: Session, actor: Actor) -> bool:
    """True when the clinic requires a second factor of the user's role and they have none yet."""
    return first_step_due(session, actor) == "two_factor"


def first_step_due(session: Session, actor: Actor) -> str | None:
    """What the user must do before anything else, in one query per request: "password" (replace the
    temporary password an admin gave them), then "two_factor" (set up the second factor the clinic
    requires of their role); None when nothing is due."""
    row = session.execute(
        select(ClinicRow.two_factor_roles, UserRow.totp_enabled_at, UserRow.password_must_change)
        .join(UserRow, UserRow.clinic_id == ClinicRow.id)
        .where(UserRow.id == actor.user_id)
    ).first()
    if row is None:
        return None
    roles, enabled_at, must_change = row
    return first_step_of(actor.role, roles, enabled_at, must_change)


def first_step_of(role: str, required_of: str | None, enabled_at: datetime | None, must_change: bool) -> str | None:
    """``first_step_due`` from the columns it reads (``login_state`` reads them with the session)."""
    if must_change:
        return "password"
    if enabled_at is None and role in (required_of or "").split(","):
        return "two_factor"
    return None


def begin_enrolment(session: Session, actor: Actor) -> Enrolment:
    """A new secret for the user's own authenticator app; not in force until ``confirm_enrolment``."""
    user = _user(session, actor, actor.user_id)
    if is_enrolled(user):
        raise ConflictError("two-factor authentication is already on; turn it off first to enrol a new device")
    user.totp_secret = pyotp.random_base32()
    audit(session, actor, "update", "user", str(user.id), "two-factor enrolment started")
    return enrolment_of(user)


def enrolment_of(user: UserRow) -> Enrolment:
    if user.totp_secret is None:
        raise SecondFactorError("no enrolment is under way: start it again")
    uri = pyotp.TOTP(user.totp_secret).provisioning_uri(name=user.email, issuer_name=ISSUER)
    svg = segno.make(uri, error="m").svg_inline(scale=4, border=2, dark="#1b2733", light="#ffffff")
    return Enrolment(user.totp_secret, uri, svg)


def _step_of(secret: str, code: str, now: datetime) -> int | None:
    """The 30-second step whose code ``code`` is (this one, the one before or after), or None."""
    if len(code) != 6 or not is_ascii_digits(code):
        return None
    totp = pyotp.TOTP(secret)
    current = int(now.timestamp()) // STEP_SECONDS
    for step in (current, current - 1, current + 1):
        if hmac.compare_digest(totp.at(step * STEP_SECONDS), code):
            return step
    return None


def confirm_enrolment(session: Session, actor: Actor, code: str, now: datetime) -> list[str]:
    """The first code proves the app holds the secret: the second factor is on, and the recovery codes
    (returned here, shown once) replace any earlier ones."""
    user = _user(session, actor, actor.user_id)
    if user.totp_secret is None or is_enrolled(user):
        raise SecondFactorError("no enrolment is under way: start it again")
    step = _step_of(user.totp_secret, _normal(code), now)
    if step is None:
        raise SecondFactorError("that code is not the one the app shows now; check the phone's clock and try again")
    user.totp_enabled_at = now
    user.totp_last_step = step
    codes = _new_recovery_codes(session, user)
    audit(session, actor, "update", "user", str(user.id), "two-factor authentication turned on")
    return codes


def _new_recovery_codes(session: Session, user: UserRow) -> list[str]:
    session.execute(delete(RecoveryCodeRow).where(RecoveryCodeRow.user_id == user.id))  # earlier codes stop working
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = secrets.token_hex(5)  # 40 bits each, shown as xxxxx-xxxxx
        codes.append(f"{raw[:5]}-{raw[5:]}")
        session.add(RecoveryCodeRow(clinic_id=user.clinic_id, user_id=user.id, code_hash=_digest(raw)))
    return codes


def check_second_factor(session: Session, user_id: int, code: str, now: datetime, address: str | None) -> Actor:
    """The user behind a pending login, once their code (or an unused recovery code) is right.

    A wrong or replayed code counts toward the login limits and raises SecondFactorError; the caller
    commits either way."""
    user = session.scalar(select(UserRow).where(UserRow.id == user_id, UserRow.active).with_for_update())
    if user is None or not is_enrolled(user) or user.totp_secret is None:
        raise SecondFactorError("this login has no second factor waiting: log in again")
    until = login_limits.locked_until(session, user.email, address, now)
    if until is not None:
        raise SecondFactorError(login_limits.LOCKED_MESSAGE)
    actor = Actor(user.id, user.clinic_id, user.role, user.name)
    typed = _normal(code)
    step = _step_of(user.totp_secret, typed, now)
    if step is not None and step > (user.totp_last_step or -1):
        user.totp_last_step = step
        audit(session, actor, "login", "user", str(user.id), "second factor: authenticator code")
        return actor
    recovery = session.scalar(
        select(RecoveryCodeRow)
        .where(RecoveryCodeRow.user_id == user.id, RecoveryCodeRow.code_hash == _digest(typed))
        .where(RecoveryCodeRow.used_at.is_(None))
        .with_for_update()
    )
    if recovery is not None and step is None:
        recovery.used_at = now
        session.flush()
        left = _recovery_codes_left(session, user.id)
        audit(session, actor, "login", "user", str(user.id), f"second factor: recovery code ({left} left)")
        return actor
    login_limits.record_failure(session, user.email, address, now)
    audit(session, actor, "login_failed", "user", str(user.id), "wrong or reused second-factor code")
    reused = step is not None
    raise SecondFactorError(
        "that code was already used: wait for the next one" if reused else "that code is not right; try the next one"
    )


def _recovery_codes_left(session: Session, user_id: int) -> int:
    return len(
        session.scalars(
            select(RecoveryCodeRow.id).where(RecoveryCodeRow.user_id == user_id, RecoveryCodeRow.used_at.is_(None))
        ).all()
    )


@dataclass(frozen=True, slots=True)
class TwoFactorStatus:
    enrolled: bool  # the second factor is on
    required: bool  # the clinic requires one of the user's role
    enrolment: Enrolment | None  # an enrolment under way, to scan and confirm
    codes_left: int  # unused recovery codes


def status_of(session: Session, actor: Actor) -> TwoFactorStatus:
    user = _user(session, actor, actor.user_id)
    clinic = session.get(ClinicRow, actor.clinic_id)
    required = clinic is not None and actor.role in required_roles(clinic)
    enrolled = is_enrolled(user)
    enrolling = not enrolled and user.totp_secret is not None
    return TwoFactorStatus(
        enrolled,
        required,
        enrolment_of(user) if enrolling else None,
        _recovery_codes_left(session, user.id) if enrolled else 0,
    )


def turn_off(session: Session, actor: Actor, user_id: int) -> None:
    """An admin turns a user's second factor off (a lost phone): the user enrols again at the next login."""
    require_role(actor, {"admin"})
    user = _user(session, actor, user_id)
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    session.execute(delete(RecoveryCodeRow).where(RecoveryCodeRow.user_id == user.id))
    audit(session, actor, "update", "user", str(user.id), "two-factor authentication turned off by an admin")


def require_for_roles(session: Session, actor: Actor, roles: list[str]) -> list[str]:
    """The roles the clinic requires a second factor of (an empty list: none)."""
    require_role(actor, {"admin"})
    unknown = sorted(set(roles) - set(ROLES_THAT_CAN_BE_REQUIRED))
    if unknown:
        raise SecondFactorError(f"roles: {', '.join(unknown)} is not a role (admin, biller, therapist, pta)")
    chosen = [role for role in ROLES_THAT_CAN_BE_REQUIRED if role in roles]
    clinic = session.get(ClinicRow, actor.clinic_id)
    if clinic is None:
        raise NotFoundError(f"clinic {actor.clinic_id} not found")
    clinic.two_factor_roles = ",".join(chosen) or None
    audit(
        session, actor, "update", "clinic", str(clinic.id), f"second factor required of: {', '.join(chosen) or 'none'}"
    )
    return chosen


# The pending login: "user id . expiry (unix seconds) . nonce . HMAC-SHA256 of the three" under the app's secret.


def pending_login(secret_key: str, user_id: int, now: datetime) -> str:
    expires = int((now + PENDING_LIFETIME).timestamp())
    body = f"{user_id}.{expires}.{secrets.token_urlsafe(12)}"
    mac = hmac.new(secret_key.encode(), f"2fa:{body}".encode(), hashlib.sha256).hexdigest()
    return f"{body}.{mac}"


def pending_user(secret_key: str, value: str | None, now: datetime) -> int | None:
    """The user a pending login names, while it is genuine and fresh; None otherwise."""
    if not value or len(value) > 200 or not value.isascii():
        return None
    body, _, mac = value.rpartition(".")
    expected = hmac.new(secret_key.encode(), f"2fa:{body}".encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, mac):
        return None
    user_id, expires, _nonce = [*body.split("."), "", "", ""][:3]
    if not (is_ascii_digits(user_id) and is_ascii_digits(expires)) or int(expires) < now.timestamp():
        return None
    return int(user_id)
