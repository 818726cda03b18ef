"""The clinic's user accounts (admin only)."""

from __future__ import annotations

from ptbill.api.deps import CurrentActor, SessionDep
from ptbill.api.routing import errors, resource_router
from ptbill.api.schemas.users import UserCreate, UserPublic
from ptbill.services import app as services

router = resource_router("/users", "users")


@router.get("", response_model=list[UserPublic], summary="List the clinic's users", responses=errors(401, 403))
def list_users(actor: CurrentActor, session: SessionDep) -> list[UserPublic]:
    return [UserPublic.model_validate(row) for row in services.list_users(session, actor)]


@router.post(
    "",
    status_code=201,
    response_model=UserPublic,
    summary="Create a user",
    description="The password is stored only as an argon2 hash. Emails are unique across the installation.",
    responses=errors(401, 403, 409, 422),
)
def create_user(body: UserCreate, actor: CurrentActor, session: SessionDep) -> UserPublic:
    data = body.model_dump(exclude={"password"})
    return UserPublic.model_validate(services.create_user(session, actor, data, body.password))
