"""The Bank API: administration of users (served under the auth router)."""

from __future__ import annotations

from typing import Annotated, Self

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from ebank.application import credentials, identity, sessions
from ebank.domain.access import Role, UserKind
from ebank.entrypoints.api.deps import ActorDep, CtxDep, route

router = APIRouter(tags=["users"])

ADMIN = {Role.ADMIN}
USER_MAKERS = {Role.ADMIN, Role.SUPERVISOR, Role.TELLER}


class UserOut(BaseModel):
    user_id: int
    username: str
    kind: UserKind
    role: Role
    display_name: str
    customer_id: int | None
    branch_code: str | None
    language: str
    status: str
    totp_enrolled: bool
    locked_until_us: int = Field(description="0, or when a lockout ends")
    created_at_us: int

    @classmethod
    def of(cls, user: identity.UserView) -> Self:
        return cls(
            user_id=user.user_id,
            username=user.username,
            kind=user.kind,
            role=user.role,
            display_name=user.display_name,
            customer_id=user.customer_id,
            branch_code=user.branch_code,
            language=user.language,
            status=user.status,
            totp_enrolled=user.totp_enrolled,
            locked_until_us=user.locked_until_us,
            created_at_us=user.created_at_us,
        )


class UserIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=3, max_length=64)
    password: str = Field(
        min_length=1, max_length=256, description="Initial password; the user enrols 2FA"
    )
    kind: UserKind
    role: Role
    display_name: str = Field(min_length=1, max_length=200)
    customer_number: str | None = Field(default=None, max_length=16, description="Customers")
    branch_code: str | None = Field(default=None, min_length=4, max_length=4, description="Staff")
    language: str = Field(default="zh-CN", pattern=r"^(zh-CN|en)$")


@route(router, "POST", "/users", roles=USER_MAKERS, response_model=UserOut, status_code=201)
def create_user(body: UserIn, ctx: CtxDep, actor: ActorDep) -> UserOut:
    """Create a user. An admin creates staff; tellers, supervisors and admins create
    customer users for customers of their branch. The new user signs in with the
    password and must first enrol an authenticator app."""
    customer_id = (
        credentials.customer_id_for(ctx, body.customer_number) if body.customer_number else None
    )
    view = identity.create_user(
        ctx,
        username=body.username,
        password=body.password,
        kind=body.kind,
        role=body.role,
        display_name=body.display_name,
        customer_id=customer_id,
        branch_code=body.branch_code,
        language=body.language,
        actor=actor,
    )
    return UserOut.of(view)


class UsersPage(BaseModel):
    users: list[UserOut]
    next_after_id: int | None = Field(description="Pass as after_id for the next page")


@route(router, "GET", "/users", roles=USER_MAKERS, response_model=UsersPage)
def list_users(
    ctx: CtxDep,
    actor: ActorDep,
    kind: UserKind | None = None,
    after_id: Annotated[int | None, Query(ge=0)] = None,
    limit: Annotated[int, Query(ge=1, le=credentials.MAX_USERS_PAGE)] = 50,
) -> UsersPage:
    """Users in your branch scope, by id (tellers and supervisors: customer users)."""
    found = credentials.list_users(ctx, actor, kind=kind, after_id=after_id, limit=limit)
    return UsersPage(
        users=[UserOut.of(u) for u in found],
        next_after_id=found[-1].user_id if len(found) == limit else None,
    )


@route(router, "POST", "/users/{user_id}/unlock", roles=ADMIN, response_model=UserOut)
def unlock_user(user_id: int, ctx: CtxDep, actor: ActorDep) -> UserOut:
    """Lift a lockout."""
    return UserOut.of(credentials.unlock_user(ctx, actor, user_id))


class RevokedOut(BaseModel):
    sessions_ended: int


@route(router, "POST", "/users/{user_id}/revoke-sessions", roles=ADMIN, response_model=RevokedOut)
def revoke_sessions(user_id: int, ctx: CtxDep, actor: ActorDep) -> RevokedOut:
    """End every session of a user."""
    return RevokedOut(sessions_ended=sessions.revoke_user_sessions(ctx, actor, user_id))
