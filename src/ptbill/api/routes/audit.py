"""The clinic's audit log (admins and billers)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from ptbill.api.deps import CurrentActor, SessionDep
from ptbill.api.routing import errors, resource_router
from ptbill.api.schemas.audit import AuditEventPublic
from ptbill.services import audit as audit_service

router = resource_router("/audit", "audit")


@router.get(
    "",
    response_model=list[AuditEventPublic],
    summary="The clinic's audit log, newest first",
    responses=errors(401, 403, 422),
)
def read_audit_log(
    actor: CurrentActor, session: SessionDep, limit: Annotated[int, Query(ge=1, le=1000)] = 200
) -> list[AuditEventPublic]:
    return [AuditEventPublic.model_validate(row) for row in audit_service.audit_log(session, actor, limit)]
