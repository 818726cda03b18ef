"""What every request of a logged-in user decides on, read in one statement with the session itself: the user
of a live session (the conditions of ``sessions.live_session_where``), the step they must take before anything else
(``two_factor.first_step_due``) and their clinic's time zone (``clinic.clinic_zone``). The pages and the API
looked these up in two or three statements a request; nothing is cached, so a logout, a deactivation, a
temporary password or a clinic's new two-step rule still takes effect on the very next request.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from ptbill.services.access import Actor
from ptbill.services.clinic import zone_of
from ptbill.services.sessions import digest, live_session_conditions, mark_seen
from ptbill.services.two_factor import first_step_of
from ptbill.storage.tables import ClinicRow, UserRow, UserSessionRow


@dataclass(frozen=True, slots=True)
class Login:
    """A live session's user, the step due first ("password", "two_factor" or None) and the clinic's zone."""

    actor: Actor
    first_step: str | None
    zone: str


# The login's statement, built once (building it cost more than running it): a live session's conditions with
# the token's digest and the time as parameters.
_LOGIN = (
    select(
        UserSessionRow.id,
        UserSessionRow.last_seen_at,
        UserRow.id,
        UserRow.clinic_id,
        UserRow.role,
        UserRow.name,
        UserRow.password_must_change,
        UserRow.totp_enabled_at,
        ClinicRow.two_factor_roles,
        ClinicRow.time_zone,
        ClinicRow.state,
    )
    .join(UserRow, UserRow.id == UserSessionRow.user_id)
    .join(ClinicRow, ClinicRow.id == UserRow.clinic_id)
    .where(*live_session_conditions(bindparam("token_hash"), bindparam("now")))
)


def login_for_token(session: Session, token: str | None, now: datetime) -> Login | None:
    """The live session's login, or None (unknown, expired or revoked token, inactive user)."""
    if not token:
        return None
    if session.autoflush:
        session.flush()  # as session.execute would: pending changes are read (a request has none yet)
    # On the session's connection: the statement selects columns, so the ORM has nothing to add but its overhead.
    row = session.connection().execute(_LOGIN, {"token_hash": digest(token), "now": now}).first()
    if row is None:
        return None
    session_id, last_seen, user_id, clinic_id, role, name, must_change, enabled_at, required_of, zone, state = row
    mark_seen(session, session_id, last_seen, now)
    return Login(
        Actor(user_id, clinic_id, role, name),
        first_step_of(role, required_of, enabled_at, must_change),
        zone_of(zone, state),
    )
