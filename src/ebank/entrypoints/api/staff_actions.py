"""The Bank API: the staff's money actions under dual control: transfers between
accounts of their branch, manual adjustments against the branch's suspense account, fee
waivers from the branch's fee income, and cash paid out at the counter.

Each answers 201 with the result when it ran at once, or 202 with the pending approval
request when a dual-control rule makes it wait for a checker (see ``/approvals``).
"""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ebank.application import controlled_actions, idempotency
from ebank.application.approvals import ApprovalOutcome
from ebank.application.context import Context
from ebank.application.idempotency import IdempotentRequest
from ebank.application.idempotency import Response as KeptResponse
from ebank.application.ports import UnitOfWork
from ebank.domain.access import Actor
from ebank.domain.money import Currency, Money
from ebank.entrypoints.api.deps import ActorDep, BankDep, route
from ebank.entrypoints.api.idempotency import IdempotencyKey, idempotent_request, send
from ebank.entrypoints.api.models_payments import (
    AdjustmentIn,
    ApprovalOut,
    CashWithdrawalIn,
    ControlledOut,
    FeeWaiverIn,
    StaffTransferIn,
)

router = APIRouter(tags=["staff actions"])

ControlledWork = Callable[[UnitOfWork, int], ApprovalOutcome]
WAITING = {202: {"model": ControlledOut, "description": "Waiting for a checker's approval"}}


def controlled_out(outcome: ApprovalOutcome) -> ControlledOut:
    if outcome.approval is not None:
        return ControlledOut(status="pending_approval", approval=ApprovalOut.of(outcome.approval))
    return ControlledOut(status="done", result=dict(outcome.result or {}))


def run_controlled(
    ctx: Context, idem: IdempotentRequest | None, work: ControlledWork, done_status: int
) -> Response:
    """Run a controlled action in one unit of work (keeping its response under the
    idempotency key, if any): ``done_status`` when it ran, 202 when it waits."""

    def respond(outcome: ApprovalOutcome) -> KeptResponse:
        status = 202 if outcome.waiting else done_status
        return KeptResponse(status, controlled_out(outcome).model_dump_json())

    done = idempotency.run_once(ctx, idem, lambda uow: work(uow, ctx.clock.now_us()), respond)
    return send(done)


def _money(amount_minor: int, currency: str) -> Money:
    return Money(amount_minor, Currency.of(currency))


def _transfer_id(actor: Actor, idem: IdempotentRequest) -> UUID:
    return idempotency.transfer_id(actor.user_id, idem.key, 0)


@route(
    router,
    "POST",
    "/staff/transfers",
    roles=controlled_actions.MONEY_MAKERS,
    response_model=ControlledOut,
    status_code=201,
    responses=WAITING,
)
def staff_transfer(
    body: StaffTransferIn,
    request: Request,
    actor: ActorDep,
    bank: BankDep,
    key: IdempotencyKey = None,
) -> Response:
    """Move money between two customer accounts of your branch scope (on a customer's
    written order). Above the rule's threshold it waits for a checker."""
    idem = idempotent_request(actor, key, request, body)
    order = controlled_actions.StaffMove(
        body.debit_account,
        body.credit_account,
        _money(body.amount_minor, body.currency),
        body.reference,
    )
    return run_controlled(
        bank.ctx,
        idem,
        lambda uow, now: controlled_actions.staff_transfer(
            uow, now, actor, order, _transfer_id(actor, idem)
        ),
        201,
    )


@route(
    router,
    "POST",
    "/staff/adjustments",
    roles=controlled_actions.MONEY_MAKERS,
    response_model=ControlledOut,
    status_code=201,
    responses=WAITING,
)
def manual_adjustment(
    body: AdjustmentIn, request: Request, actor: ActorDep, bank: BankDep, key: IdempotencyKey = None
) -> Response:
    """Correct a customer account against the branch's suspense account (always under
    dual control as seeded): ``credit`` pays into the account, ``debit`` takes out."""
    idem = idempotent_request(actor, key, request, body)
    amount = _money(body.amount_minor, body.currency)
    return run_controlled(
        bank.ctx,
        idem,
        lambda uow, now: controlled_actions.manual_adjustment(
            uow,
            now,
            actor,
            body.account_number,
            amount,
            credit_customer=body.direction == "credit",
            reference=body.reference,
            transfer_id=_transfer_id(actor, idem),
        ),
        201,
    )


@route(
    router,
    "POST",
    "/staff/fee-waivers",
    roles=controlled_actions.MONEY_MAKERS,
    response_model=ControlledOut,
    status_code=201,
    responses=WAITING,
)
def fee_waiver(
    body: FeeWaiverIn, request: Request, actor: ActorDep, bank: BankDep, key: IdempotencyKey = None
) -> Response:
    """Refund a fee to a customer account from the branch's fee income."""
    idem = idempotent_request(actor, key, request, body)
    amount = _money(body.amount_minor, body.currency)
    return run_controlled(
        bank.ctx,
        idem,
        lambda uow, now: controlled_actions.fee_waiver(
            uow,
            now,
            actor,
            body.account_number,
            amount,
            reference=body.reference,
            transfer_id=_transfer_id(actor, idem),
        ),
        201,
    )


@route(
    router,
    "POST",
    "/staff/cash-withdrawals",
    roles=controlled_actions.MONEY_MAKERS,
    response_model=ControlledOut,
    status_code=201,
    responses=WAITING,
)
def cash_withdrawal(
    body: CashWithdrawalIn,
    request: Request,
    actor: ActorDep,
    bank: BankDep,
    key: IdempotencyKey = None,
) -> Response:
    """Pay cash out of a customer account at your counter (your branch's cash). Above
    the rule's threshold, hand the cash over only once a supervisor has approved."""
    idem = idempotent_request(actor, key, request, body)
    amount = _money(body.amount_minor, body.currency)
    return run_controlled(
        bank.ctx,
        idem,
        lambda uow, now: controlled_actions.cash_withdrawal(
            uow,
            now,
            actor,
            body.account_number,
            amount,
            reference=body.reference,
            transfer_id=_transfer_id(actor, idem),
        ),
        201,
    )
