"""The audit log: one append-only row for every read or change of patient data, and the log as billers read it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from ptbill.services.access import BILLERS, Actor, require_role
from ptbill.services.records import copy_of
from ptbill.storage.tables import AuditRow


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One line of the audit log: who read or changed what, when (ids and field names only)."""

    id: int
    clinic_id: int | None
    user_id: int | None
    action: str
    entity: str
    entity_id: str | None
    detail: str | None
    at: datetime


def audit(
    session: Session,
    actor: Actor | None,
    action: str,
    entity: str,
    entity_id: str | None,
    detail: str | None = None,
    *,
    clinic_id: int | None = None,
) -> None:
    """Append one audit record. ``detail`` holds ids and field names only, never PHI."""
    session.add(
        AuditRow(
            clinic_id=actor.clinic_id if actor else clinic_id,
            user_id=actor.user_id if actor else None,
            action=action,
            entity=entity,
            entity_id=entity_id,
            detail=detail,
        )
    )


@dataclass(slots=True)
class ReadAudits:
    """The audit rows of the reads one check makes on a note's behalf (no acting user), or one page makes for
    its ``user_id``, written together in one statement by ``write`` before the check or page returns."""

    clinic_id: int
    rows: list[dict[str, Any]] = field(default_factory=list)
    user_id: int | None = None

    def read(self, entity: str, entity_id: int | str | None, detail: str | None = None) -> None:
        row = {"clinic_id": self.clinic_id, "user_id": self.user_id, "action": "read", "entity": entity}
        self.rows.append({**row, "entity_id": None if entity_id is None else str(entity_id), "detail": detail})

    def write(self, session: Session) -> None:
        if self.rows:  # one INSERT with a VALUES list (a list of parameters would be split by its None values)
            session.execute(insert(AuditRow).values(self.rows))
            self.rows = []


def audit_log(session: Session, actor: Actor, limit: int = 200) -> list[AuditEntry]:
    require_role(actor, BILLERS | {"admin"})
    rows = session.scalars(
        select(AuditRow).where(AuditRow.clinic_id == actor.clinic_id).order_by(AuditRow.id.desc()).limit(limit)
    )
    return [copy_of(AuditEntry, row) for row in rows]
