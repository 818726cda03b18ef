"""The clinic's user accounts (admin only): create, turn off or on, change a role, reset a password, and
clear a login lockout."""

from __future__ import annotations

from fastapi import Request, Response

from ptbill.api.deps import CurrentActor, SessionDep, now_of
from ptbill.api.routing import PathId, errors, refused_password, resource_router
from ptbill.api.schemas.users import RoleChange, TemporaryPassword, UserCreate, UserPublic, UserUpdate
from ptbill.services import accounts, login_limits
from ptbill.services import users as users_service
from ptbill.services.passwords import PasswordRefusedError

router = resource_router("/users", "users")
UserId = PathId


@router.get("", response_model=list[UserPublic], summary="List the clinic's users", responses=errors(401, 403))
def list_users(actor: CurrentActor, session: SessionDep) -> list[UserPublic]:
    return [UserPublic.model_validate(row) for row in users_service.list_users(session, actor)]


@router.post(
    "",
    status_code=201,
    response_model=UserPublic,
    summary="Create a user",
    description="The password is stored only as an argon2 hash: at least 12 characters, not a common password, "
    "not containing the email. Emails are unique across the installation.",
    responses=errors(401, 403, 409, 422),
)
def create_user(body: UserCreate, actor: CurrentActor, session: SessionDep) -> UserPublic | Response:
    data = body.model_dump(exclude={"password"})
    try:
        return UserPublic.model_validate(users_service.create_user(session, actor, data, body.password))
    except PasswordRefusedError as refused:
        return refused_password(refused)


@router.patch(
    "/{user_id}",
    response_model=UserPublic,
    summary="Deactivate or reactivate a user",
    description="`active: false` ends every session and bearer token of the user at once; they cannot log in "
    "until an admin sets `active: true` again. An admin cannot deactivate their own account.",
    responses=errors(401, 403, 404, 409, 422),
)
def update_user(
    user_id: UserId, body: UserUpdate, actor: CurrentActor, session: SessionDep, request: Request
) -> UserPublic:
    return UserPublic.model_validate(accounts.set_active(session, actor, user_id, body.active, now_of(request)))


@router.post(
    "/{user_id}/unlock",
    status_code=204,
    response_model=None,
    summary="Clear a login lockout",
    description="Forgets the account's failed logins, so the user can log in again now (audited).",
    responses=errors(401, 403, 404),
)
def unlock_user(user_id: UserId, actor: CurrentActor, session: SessionDep) -> Response:
    login_limits.clear_lockout(session, actor, user_id)
    return Response(status_code=204)


@router.put(
    "/{user_id}/role",
    response_model=UserPublic,
    summary="Change a user's role",
    description="It applies from the user's next request. An admin cannot take their own admin role away.",
    responses=errors(401, 403, 404, 409, 422),
)
def change_role(user_id: UserId, body: RoleChange, actor: CurrentActor, session: SessionDep) -> UserPublic:
    return UserPublic.model_validate(users_service.change_role(session, actor, user_id, body.role))


@router.post(
    "/{user_id}/password-reset",
    response_model=TemporaryPassword,
    summary="Reset a user's password",
    description="A one-time temporary password, in this answer only (never stored but as its hash); every "
    "session of the user ends. An admin changes their own password with PUT /api/me/password.",
    responses=errors(401, 403, 404, 409),
)
def reset_password(user_id: UserId, actor: CurrentActor, session: SessionDep, request: Request) -> TemporaryPassword:
    return TemporaryPassword(temporary_password=users_service.reset_password(session, actor, user_id, now_of(request)))
