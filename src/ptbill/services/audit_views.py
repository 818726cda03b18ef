"""The admin's views of the clinic's activity: the audit log filtered by user, entity, action and dates (and
its CSV), and the live sessions with their devices, one of which an admin can end."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from ptbill.services.access import Actor, NotFoundError, require_role
from ptbill.services.audit import AuditEntry, audit
from ptbill.services.records import copy_of
from ptbill.services.sessions import digest
from ptbill.storage.tables import AuditRow, UserRow, UserSessionRow

PAGE_SIZE = 200
EARLIEST, LATEST = date(1, 1, 2), date(9999, 12, 30)
CSV_LIMIT = 50_000


@dataclass(frozen=True, slots=True)
class AuditFilter:
    """What the audit log page asks for; empty values filter nothing. Dates are days in the clinic's zone."""

    user_id: int | None = None
    entity: str = ""
    entity_id: str = ""
    action: str = ""
    from_day: date | None = None
    to_day: date | None = None


@dataclass(frozen=True, slots=True)
class AuditLine:
    entry: AuditEntry
    user_name: str | None


@dataclass(frozen=True, slots=True)
class LiveSession:
    id: int
    user_id: int
    user_name: str
    role: str
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    user_agent: str | None
    address: str | None
    current: bool  # the session the admin is looking from (not offered for revoking)


def _day_start(day: date, zone: str) -> datetime:
    return datetime.combine(day, time(), ZoneInfo(zone)).astimezone(UTC)


def audit_lines(
    session: Session, actor: Actor, wanted: AuditFilter, zone: str, limit: int = PAGE_SIZE
) -> list[AuditLine]:
    """The clinic's audit rows, newest first, as filtered (only the admin reads the whole log)."""
    require_role(actor, {"admin"})
    return _lines(session, actor.clinic_id, wanted, zone, limit)


def record_history(session: Session, actor: Actor, entity: str, entity_id: int, limit: int = 200) -> list[AuditLine]:
    """One record's audit rows, newest first, for a page that shows the record (the caller has checked that
    the actor may read it; the whole log stays the admin's)."""
    return _lines(session, actor.clinic_id, AuditFilter(entity=entity, entity_id=str(entity_id)), "UTC", limit)


def _lines(session: Session, clinic_id: int, wanted: AuditFilter, zone: str, limit: int) -> list[AuditLine]:
    # Columns, not rows: a record's history runs to 200 lines, and ORM rows cost as much again as the query.
    columns = [getattr(AuditRow, f.name) for f in fields(AuditEntry)]
    query = (
        select(*columns, UserRow.name.label("user_name"))
        .outerjoin(UserRow, UserRow.id == AuditRow.user_id)
        .where(AuditRow.clinic_id == clinic_id)
    )
    if wanted.user_id is not None:
        query = query.where(AuditRow.user_id == wanted.user_id)
    if wanted.entity:
        query = query.where(AuditRow.entity == wanted.entity)
    if wanted.entity_id:
        query = query.where(AuditRow.entity_id == wanted.entity_id)
    if wanted.action:
        query = query.where(AuditRow.action == wanted.action)
    # Days at the calendar's ends filter nothing (their midnight in a zone far from UTC is off the calendar).
    if wanted.from_day is not None and wanted.from_day > EARLIEST:
        query = query.where(AuditRow.at >= _day_start(wanted.from_day, zone))
    if wanted.to_day is not None and wanted.to_day < LATEST:
        query = query.where(AuditRow.at < _day_start(wanted.to_day + timedelta(days=1), zone))
    rows = session.execute(query.order_by(AuditRow.id.desc()).limit(limit))
    return [AuditLine(AuditEntry(*row[:-1]), row[-1]) for row in rows]


def audit_choices(session: Session, actor: Actor) -> tuple[list[str], list[str]]:
    """The actions and entities the clinic's log holds, for the filter's lists."""
    require_role(actor, {"admin"})
    mine = AuditRow.clinic_id == actor.clinic_id
    actions = session.scalars(select(AuditRow.action).where(mine).distinct().order_by(AuditRow.action))
    entities = session.scalars(select(AuditRow.entity).where(mine).distinct().order_by(AuditRow.entity))
    return list(actions), list(entities)


def audit_csv(session: Session, actor: Actor, wanted: AuditFilter, zone: str) -> str:
    """The filtered log as CSV (times in ISO 8601 with the clinic's offset); the export itself is audited."""
    lines = audit_lines(session, actor, wanted, zone, CSV_LIMIT)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["id", "at", "user_id", "user", "action", "entity", "entity_id", "detail"])
    for line in lines:
        e = line.entry
        at = (e.at if e.at.tzinfo else e.at.replace(tzinfo=UTC)).astimezone(ZoneInfo(zone))
        cells = [e.id, at.isoformat(timespec="seconds"), e.user_id, line.user_name, e.action, e.entity, e.entity_id]
        writer.writerow([_safe_cell(str(c)) if c is not None else "" for c in [*cells, e.detail]])
    audit(session, actor, "export", "audit_log", None, f"{len(lines)} rows")
    return out.getvalue()


def _safe_cell(text: str) -> str:
    """A cell a spreadsheet will not run as a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def live_sessions(session: Session, actor: Actor, now: datetime, own_token: str | None) -> list[LiveSession]:
    """The clinic's sessions that still work: who, since when, last seen, from which device."""
    require_role(actor, {"admin"})
    rows = session.execute(
        select(UserSessionRow, UserRow.name, UserRow.role)
        .join(UserRow, UserRow.id == UserSessionRow.user_id)
        .where(
            UserSessionRow.clinic_id == actor.clinic_id,
            UserSessionRow.revoked_at.is_(None),
            UserSessionRow.expires_at > now,
            UserRow.active,
        )
        .order_by(UserSessionRow.last_seen_at.desc(), UserSessionRow.id.desc())
    )
    own = digest(own_token) if own_token else None
    return [
        copy_of(LiveSession, row, user_name=name, role=role, current=row.token_hash == own) for row, name, role in rows
    ]


def revoke_session(session: Session, actor: Actor, session_id: int, now: datetime) -> None:
    """An admin ends one session of their clinic (a lost laptop): its next request goes to the login."""
    require_role(actor, {"admin"})
    row = session.get(UserSessionRow, session_id)
    if row is None or row.clinic_id != actor.clinic_id:
        raise NotFoundError(f"session {session_id} not found")
    if row.revoked_at is None:
        row.revoked_at = now
        audit(session, actor, "revoke", "session", str(row.id), f"user {row.user_id}")
