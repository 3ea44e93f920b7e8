"""The Bank API: account freeze and unfreeze (under dual control).

A frozen account takes credits but pays nothing out (只收不付). As seeded, both actions
always wait for a checker: the answer is 202 with the approval request, and the account
changes when a supervisor approves it. An ``Idempotency-Key`` is honoured if sent.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ebank.application import controlled_actions
from ebank.entrypoints.api.deps import ActorDep, BankDep, route
from ebank.entrypoints.api.idempotency import IdempotencyKey, optional_request
from ebank.entrypoints.api.models_payments import ControlledOut, StatusChangeIn
from ebank.entrypoints.api.staff_actions import WAITING, run_controlled

router = APIRouter(tags=["accounts"])


def _change(
    number: str,
    body: StatusChangeIn,
    request: Request,
    actor: ActorDep,
    bank: BankDep,
    key: str | None,
    *,
    freeze: bool,
) -> Response:
    idem = optional_request(actor, key, request, body)
    return run_controlled(
        bank.ctx,
        idem,
        lambda uow, now: controlled_actions.change_status(
            uow, now, actor, number, freeze=freeze, reason=body.reason
        ),
        200,
    )


@route(
    router,
    "POST",
    "/accounts/{number}/freeze",
    roles=controlled_actions.STATUS_MAKERS,
    response_model=ControlledOut,
    responses=WAITING,
)
def freeze_account(
    number: str,
    body: StatusChangeIn,
    request: Request,
    actor: ActorDep,
    bank: BankDep,
    key: IdempotencyKey = None,
) -> Response:
    """Freeze an account of your branch scope, for a stated reason (a court order, a
    suspected fraud): it still takes credits but pays nothing out."""
    return _change(number, body, request, actor, bank, key, freeze=True)


@route(
    router,
    "POST",
    "/accounts/{number}/unfreeze",
    roles=controlled_actions.STATUS_MAKERS,
    response_model=ControlledOut,
    responses=WAITING,
)
def unfreeze_account(
    number: str,
    body: StatusChangeIn,
    request: Request,
    actor: ActorDep,
    bank: BankDep,
    key: IdempotencyKey = None,
) -> Response:
    """Lift a freeze, for a stated reason."""
    return _change(number, body, request, actor, bank, key, freeze=False)
