"""The logged-in user, and their own password."""

from __future__ import annotations

from fastapi import Request, Response

from ptbill.api.deps import CurrentActor, CurrentLogin, SessionDep, client_of, now_of
from ptbill.api.routing import errors, locked_out, refused_password, resource_router
from ptbill.api.schemas.session import MePublic, PasswordChange
from ptbill.services import accounts
from ptbill.services.passwords import PasswordRefusedError

router = resource_router("/me", "session")


@router.get("", response_model=MePublic, summary="Who is logged in", responses=errors(401))
def read_me(actor: CurrentActor) -> MePublic:
    return MePublic(id=actor.user_id, clinic_id=actor.clinic_id, name=actor.name, role=actor.role)


@router.put(
    "/password",
    status_code=204,
    response_model=None,
    summary="Change my password",
    description="Needs the current password. The new one has at least 12 characters, is not a common password "
    "and does not contain the email. The user's other sessions end; this one stays. A wrong current password "
    "counts toward the login limit.",
    responses=errors(401, 403, 422, 429),
)
def change_my_password(body: PasswordChange, login: CurrentLogin, session: SessionDep, request: Request) -> Response:
    now = now_of(request)
    try:
        accounts.change_password(
            session, login.actor, body.current_password, body.new_password, now, client_of(request), login.token
        )
    except PasswordRefusedError as refused:
        return refused_password(refused)
    except accounts.LoginLockedError as locked:
        return locked_out(locked, now)
    return Response(status_code=204)
