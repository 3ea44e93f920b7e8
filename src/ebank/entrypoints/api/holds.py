"""The Bank API: holds (two-phase transfers): place, capture in part or whole, void."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ebank.application import holds
from ebank.application.holds import HOLD_ROLES, HoldOrder
from ebank.domain.access import PAYING_CUSTOMER_ROLES
from ebank.domain.errors import StepUpChallenge
from ebank.entrypoints.api.deps import ActorDep, BankDep, route
from ebank.entrypoints.api.idempotency import (
    IdempotencyKey,
    idempotent_request,
    keep,
    send,
    step_up_problem,
)
from ebank.entrypoints.api.models_payments import CaptureIn, HoldIn, TransferOut, VoidIn
from ebank.entrypoints.api.transfers import step_up_policy

router = APIRouter(tags=["holds"])

HOLDERS = HOLD_ROLES | PAYING_CUSTOMER_ROLES


@route(router, "POST", "/holds", roles=HOLDERS, response_model=TransferOut, status_code=201)
def place_hold(
    body: HoldIn, request: Request, actor: ActorDep, bank: BankDep, key: IdempotencyKey = None
) -> Response:
    """Reserve funds on an account until the hold is captured, voided or lapses.

    Staff hold accounts of their branch scope (a court order, a card authorisation);
    the money would go to ``credit_account``, by default the branch's suspense account.
    A customer places a pending payment from their own account to a payee (step-up and
    limits apply as to a transfer; ``timeout_s`` is required, at most 30 days)."""
    idem = idempotent_request(actor, key, request, body)
    order = HoldOrder(
        account_number=body.account_number,
        amount_minor=body.amount_minor,
        currency=body.currency,
        timeout_s=body.timeout_s,
        reference=body.reference,
        credit_number=body.credit_account,
        beneficiary_id=body.beneficiary_id,
    )
    try:
        done = holds.place(
            bank.ctx,
            actor,
            order,
            idem,
            keep(201, TransferOut.first),
            policy=step_up_policy(bank),
            step_up=body.step_up.proof() if body.step_up else None,
        )
    except StepUpChallenge as challenge:
        return step_up_problem(challenge, request)
    return send(done)


@route(
    router,
    "POST",
    "/holds/{hold_id}/capture",
    roles=HOLDERS,
    response_model=TransferOut,
    status_code=201,
)
def capture_hold(
    hold_id: UUID,
    body: CaptureIn,
    request: Request,
    actor: ActorDep,
    bank: BankDep,
    key: IdempotencyKey = None,
) -> Response:
    """Post all of a hold, or ``amount_minor`` of it (the rest is released)."""
    idem = idempotent_request(actor, key, request, body)
    done = holds.resolve(
        bank.ctx,
        actor,
        hold_id,
        idem,
        keep(201, TransferOut.first),
        capture=True,
        amount_minor=body.amount_minor or 0,
        reference=body.reference,
    )
    return send(done)


@route(
    router,
    "POST",
    "/holds/{hold_id}/void",
    roles=HOLDERS,
    response_model=TransferOut,
    status_code=201,
)
def void_hold(
    hold_id: UUID,
    request: Request,
    actor: ActorDep,
    bank: BankDep,
    key: IdempotencyKey = None,
    body: VoidIn | None = None,
) -> Response:
    """Release a hold: nothing is paid."""
    body = body or VoidIn()  # no body and an empty one are the same request
    idem = idempotent_request(actor, key, request, body)
    done = holds.resolve(
        bank.ctx,
        actor,
        hold_id,
        idem,
        keep(201, TransferOut.first),
        capture=False,
        reference=body.reference,
    )
    return send(done)
