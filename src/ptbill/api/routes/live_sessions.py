"""The clinic's live sessions and devices (admin only), one of which can be ended."""

from __future__ import annotations

from fastapi import Request, Response

from ptbill.api.deps import CurrentActor, SessionDep, now_of
from ptbill.api.routing import PathId, errors, resource_router
from ptbill.api.schemas.clinic import LiveSessionPublic
from ptbill.services import audit_views
from ptbill.services.web_sessions import SESSION_COOKIE

router = resource_router("/sessions", "sessions")
SessionId = PathId


@router.get(
    "", response_model=list[LiveSessionPublic], summary="The clinic's live sessions", responses=errors(401, 403)
)
def list_sessions(actor: CurrentActor, session: SessionDep, request: Request) -> list[LiveSessionPublic]:
    token = request.headers.get("authorization", "").removeprefix("Bearer ").strip() or request.cookies.get(
        SESSION_COOKIE
    )
    rows = audit_views.live_sessions(session, actor, now_of(request), token)
    return [LiveSessionPublic.model_validate(row) for row in rows]


@router.delete(
    "/{session_id}",
    status_code=204,
    response_model=None,
    summary="End one session of the clinic",
    responses=errors(401, 403, 404),
)
def end_session(session_id: SessionId, actor: CurrentActor, session: SessionDep, request: Request) -> Response:
    audit_views.revoke_session(session, actor, session_id, now_of(request))
    return Response(status_code=204)
