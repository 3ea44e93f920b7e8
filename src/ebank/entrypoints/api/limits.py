"""The Bank API: transaction limits per channel, customer tier and currency."""

from __future__ import annotations

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response

from ebank.application import limits
from ebank.domain.access import Role
from ebank.domain.customers import Tier
from ebank.domain.limits import TransactionLimit
from ebank.entrypoints.api.deps import ActorDep, BankDep, CtxDep, route
from ebank.entrypoints.api.idempotency import IdempotencyKey, optional_request
from ebank.entrypoints.api.models_accounts import CURRENCY_CODE
from ebank.entrypoints.api.models_payments import ControlledOut, LimitIn, LimitOut
from ebank.entrypoints.api.staff_actions import WAITING, run_controlled

router = APIRouter(tags=["limits"])


@route(router, "GET", "/limits", roles=frozenset(Role), response_model=list[LimitOut])
def list_limits(actor: ActorDep, ctx: CtxDep) -> list[LimitOut]:
    """Every limit, for staff; a customer sees those of their own tier."""
    return [LimitOut.of(limit) for limit in limits.list_limits(ctx, actor)]


@route(
    router,
    "PUT",
    "/limits/{channel}/{tier}/{currency}",
    roles=limits.LIMIT_MAKERS,
    response_model=ControlledOut,
    responses=WAITING,
)
def put_limit(
    channel: str,
    tier: Tier,
    body: LimitIn,
    request: Request,
    actor: ActorDep,
    bank: BankDep,
    currency: str = Path(pattern=CURRENCY_CODE),
    key: IdempotencyKey = None,
) -> Response:
    """Set a limit (created if new). Made by head-office staff; as seeded, a change
    always waits for a checker (202 with the approval request)."""
    change = TransactionLimit(
        channel=channel,
        tier=tier,
        currency=currency,
        per_transaction_minor=body.per_transaction_minor,
        daily_amount_minor=body.daily_amount_minor,
        daily_count=body.daily_count,
    )
    idem = optional_request(actor, key, request, body)
    return run_controlled(
        bank.ctx,
        idem,
        lambda uow, now: limits.request_change(uow, now, actor, change),
        200,
    )
