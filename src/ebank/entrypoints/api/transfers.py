"""The Bank API: customers' transfers, linked batches and their step-up challenges."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ebank.application import payments
from ebank.application.payments import PaymentOrder
from ebank.bootstrap import Bank
from ebank.domain.access import PAYING_CUSTOMER_ROLES, Role
from ebank.domain.errors import InvalidInput, StepUpChallenge
from ebank.domain.step_up import StepUpPolicy
from ebank.entrypoints.api.deps import ActorDep, BankDep, route
from ebank.entrypoints.api.idempotency import (
    IdempotencyKey,
    idempotent_request,
    keep,
    send,
    step_up_problem,
)
from ebank.entrypoints.api.models_payments import (
    BatchIn,
    BatchOut,
    ChallengeIn,
    ChallengeOut,
    TransferIn,
    TransferLegIn,
    TransferOut,
)

router = APIRouter(tags=["transfers"])


def step_up_policy(bank: Bank) -> StepUpPolicy:
    return StepUpPolicy(bank.settings.step_up_threshold_minor, bank.settings.step_up_ttl_s)


def _challenge_orders(body: ChallengeIn) -> list[PaymentOrder]:
    single = (body.debit_account, body.amount_minor, body.currency)
    if body.transfers is not None:
        if any(v is not None for v in (*single, body.credit_account, body.beneficiary_id)):
            raise InvalidInput("give either one transfer's fields or transfers, not both")
        return [leg.order() for leg in body.transfers]
    if body.debit_account is None or body.amount_minor is None or body.currency is None:
        raise InvalidInput("debit_account, amount_minor and currency are required")
    leg = TransferLegIn(
        debit_account=body.debit_account,
        credit_account=body.credit_account,
        beneficiary_id=body.beneficiary_id,
        amount_minor=body.amount_minor,
        currency=body.currency,
    )
    return [leg.order()]


@route(
    router,
    "POST",
    "/transfers/challenges",
    roles=PAYING_CUSTOMER_ROLES,
    response_model=ChallengeOut,
    status_code=201,
)
def create_challenge(body: ChallengeIn, actor: ActorDep, bank: BankDep) -> ChallengeOut:
    """Ask for a step-up challenge bound to one payment (debit account, payee, amount,
    currency; or every transfer of a batch). Show its summary, read a code from the
    authenticator app, and send the payment with ``step_up: {challenge_id, otp}``."""
    challenge = payments.create_challenge(
        bank.ctx, actor, _challenge_orders(body), step_up_policy(bank)
    )
    return ChallengeOut.of(challenge)


@route(
    router,
    "POST",
    "/transfers",
    roles=PAYING_CUSTOMER_ROLES,
    response_model=TransferOut,
    status_code=201,
)
def create_transfer(
    body: TransferIn, request: Request, actor: ActorDep, bank: BankDep, key: IdempotencyKey = None
) -> Response:
    """Pay from one of your accounts to an account number or a saved payee.

    Above the step-up threshold, or to a payee that is neither your own account nor a
    saved beneficiary, the answer is ``step_up_required`` with a challenge: confirm it
    with a one-time code in ``step_up``. Limits per channel and tier apply."""
    idem = idempotent_request(actor, key, request, body)
    try:
        done = payments.pay(
            bank.ctx,
            actor,
            [body.order()],
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
    "/transfers/batch",
    roles=PAYING_CUSTOMER_ROLES,
    response_model=BatchOut,
    status_code=201,
)
def create_batch(
    body: BatchIn, request: Request, actor: ActorDep, bank: BankDep, key: IdempotencyKey = None
) -> Response:
    """A linked batch of up to 100 transfers in one currency: all are made or none is.
    Step-up and limits count the batch's total."""
    idem = idempotent_request(actor, key, request, body)
    try:
        done = payments.pay(
            bank.ctx,
            actor,
            [leg.order() for leg in body.transfers],
            idem,
            keep(201, BatchOut.of),
            policy=step_up_policy(bank),
            step_up=body.step_up.proof() if body.step_up else None,
        )
    except StepUpChallenge as challenge:
        return step_up_problem(challenge, request)
    return send(done)


@route(router, "GET", "/transfers/{transfer_id}", roles=frozenset(Role), response_model=TransferOut)
def get_transfer(transfer_id: UUID, actor: ActorDep, bank: BankDep) -> TransferOut:
    """One transfer, for the owner of one of its accounts or staff in their branch scope."""
    return TransferOut.first(payments.transfer_view(bank.ctx, actor, transfer_id))
