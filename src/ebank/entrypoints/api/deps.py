"""What the API's endpoints are handed: the bank, the authenticated actor, and the
guard that declares (in the OpenAPI document too) which roles may call an endpoint."""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Iterable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ebank.application import identity
from ebank.application.context import Context
from ebank.bootstrap import Bank
from ebank.domain.access import Actor, Role, require_role
from ebank.domain.errors import TokenInvalid
from ebank.entrypoints.api import ratelimit
from ebank.entrypoints.api.problems import PROBLEM_RESPONSES

bearer = HTTPBearer(auto_error=False, description="An access token from /api/v1/auth/login")


def get_bank(request: Request) -> Bank:
    bank: Bank = request.app.state.bank
    return bank


def get_ctx(request: Request) -> Context:
    return get_bank(request).ctx


def client_address(request: Request) -> str:
    return request.client.host if request.client else ""


def current_actor(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Actor:
    """The signed-in caller; any missing, unknown, expired or revoked token answers 401."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise TokenInvalid("send an access token: Authorization: Bearer <token>")
    # Only endpoints marked with ``allows_enrolment_session`` accept a session that
    # signed in without a second factor (it may only enrol one).
    endpoint = request.scope.get("endpoint")
    actor = identity.actor_for_token(
        get_ctx(request),
        credentials.credentials,
        client_address(request),
        allow_enrol=getattr(endpoint, ENROLMENT_MARK, False),
    )
    request.state.actor = actor
    ratelimit.hit_user(request, actor.user_id)
    return actor


ENROLMENT_MARK = "allows_enrolment_session"


def allows_enrolment_session(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Mark an endpoint that a session of scope ``enrol`` may call."""
    setattr(fn, ENROLMENT_MARK, True)
    return fn


# Dependencies that do no I/O are coroutines: FastAPI runs them on the event loop
# instead of handing each to a worker thread (a thread hop per dependency per request).
async def _bank_dependency(request: Request) -> Bank:
    return get_bank(request)


async def _ctx_dependency(request: Request) -> Context:
    return get_ctx(request)


CtxDep = Annotated[Context, Depends(_ctx_dependency)]
BankDep = Annotated[Bank, Depends(_bank_dependency)]
ActorDep = Annotated[Actor, Depends(current_actor)]


def _role_guard(roles: frozenset[Role]) -> Callable[[Actor], Coroutine[Any, Any, None]]:
    async def guard(actor: ActorDep) -> None:
        require_role(actor, roles)

    return guard


def route(
    router: APIRouter,
    method: str,
    path: str,
    *,
    roles: Iterable[Role] | None,
    **kwargs: Any,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register an endpoint with the roles that may call it (``None``: no sign-in).

    The roles are enforced before the endpoint runs and are stated in the operation's
    description and in its ``x-roles`` extension of the OpenAPI document.
    """

    def register(fn: Callable[..., Any]) -> Callable[..., Any]:
        allowed = frozenset(roles) if roles is not None else None
        names = sorted(r.value for r in allowed) if allowed is not None else ["anyone"]
        description = (kwargs.pop("description", None) or fn.__doc__ or "").strip()
        description += f"\n\nMay be called by: {', '.join(names)}."
        extra = dict(kwargs.pop("openapi_extra", None) or {})
        extra["x-roles"] = names
        responses = {**PROBLEM_RESPONSES, **(kwargs.pop("responses", None) or {})}
        dependencies = list(kwargs.pop("dependencies", None) or [])
        if allowed is not None:
            dependencies.append(Depends(_role_guard(allowed)))
        router.add_api_route(
            path,
            fn,
            methods=[method],
            description=description,
            openapi_extra=extra,
            responses=responses,
            dependencies=dependencies,
            **kwargs,
        )
        return fn

    return register
