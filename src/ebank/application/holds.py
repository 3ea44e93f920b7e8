"""Holds: funds reserved on an account by a pending (two-phase) transfer, later captured
in part or whole, or voided; or left to expire.

Staff (tellers, supervisors, operations) place holds on accounts of their branch scope:
a court order, a card authorisation, a cheque awaiting clearing. Unless another account
is named, the hold's money would go to the branch's suspense account. A customer places
a hold only as a pending payment from their own account, which is a payment like any
other (step-up, limits) that waits to be captured; a customer may capture or void their
own pending payments, never a hold the bank placed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from uuid import UUID

from ebank.application import audit, idempotency, payments
from ebank.application.context import Context
from ebank.application.idempotency import Done, IdempotentRequest, Response
from ebank.application.ledger import post_within
from ebank.application.payments import PaymentOrder, PaymentResult, StepUpProof
from ebank.application.ports import UnitOfWork
from ebank.application.visibility import account_for, check_branch
from ebank.domain.access import PAYING_CUSTOMER_ROLES, Actor, Role, require_role
from ebank.domain.accounts import Account, GlKind
from ebank.domain.codes import TxCode
from ebank.domain.errors import AccountNotFound, InvalidInput, TransferNotFound
from ebank.domain.step_up import StepUpPolicy
from ebank.domain.transfers import JournalEntry, Transfer, TransferKind

HOLD_ROLES = frozenset({Role.TELLER, Role.SUPERVISOR, Role.OPERATIONS})
MAX_CUSTOMER_HOLD_S = 30 * 24 * 3600


@dataclass(frozen=True, slots=True)
class HoldOrder:
    account_number: str
    amount_minor: int
    currency: str
    timeout_s: int = 0  # 0: no expiry (staff only)
    reference: str = ""
    credit_number: str | None = None
    beneficiary_id: int | None = None


def place(
    ctx: Context,
    actor: Actor,
    order: HoldOrder,
    request: IdempotentRequest,
    respond: Callable[[PaymentResult], Response],
    *,
    policy: StepUpPolicy,
    step_up: StepUpProof | None = None,
) -> Done[PaymentResult]:
    """Place a hold once for ``request``'s idempotency key."""
    if actor.is_customer:
        if not 0 < order.timeout_s <= MAX_CUSTOMER_HOLD_S:
            raise InvalidInput(f"a pending payment expires within 1 to {MAX_CUSTOMER_HOLD_S} s")
        payment = PaymentOrder(
            debit_number=order.account_number,
            amount_minor=order.amount_minor,
            currency=order.currency,
            credit_number=order.credit_number,
            beneficiary_id=order.beneficiary_id,
            reference=order.reference,
        )
        return payments.pay(
            ctx,
            actor,
            [payment],
            request,
            respond,
            policy=policy,
            step_up=step_up,
            kind=TransferKind.PENDING,
            timeout_s=order.timeout_s,
        )
    require_role(actor, HOLD_ROLES)
    if order.beneficiary_id is not None:
        raise InvalidInput("staff name the receiving account by its number")

    def work(uow: UnitOfWork) -> PaymentResult:
        debit = account_for(uow, actor, order.account_number)
        if debit.gl_kind is not None:
            raise AccountNotFound(f"{debit.number} is an internal account")
        credit = _hold_credit(uow, debit, order)
        transfer = Transfer(
            id=idempotency.transfer_id(actor.user_id, request.key, 0),
            debit_account_id=debit.id,
            credit_account_id=credit.id,
            amount_minor=order.amount_minor,
            currency=order.currency,
            kind=TransferKind.PENDING,
            timeout_s=order.timeout_s,
            code=TxCode.HOLD,
            channel=payments.API_CHANNEL,
            reference=order.reference,
        )
        return _post(
            ctx,
            uow,
            actor,
            transfer,
            "hold.place",
            {debit.id: debit.number, credit.id: credit.number},
        )

    return idempotency.run_once(ctx, request, work, respond)


def _hold_credit(uow: UnitOfWork, debit: Account, order: HoldOrder) -> Account:
    if order.credit_number is None:
        suspense = uow.accounts.gl_account(debit.branch_code, GlKind.SUSPENSE, order.currency)
        if suspense is None:
            raise AccountNotFound(f"branch {debit.branch_code} has no {order.currency} suspense")
        return suspense
    credit = uow.accounts.by_number(order.credit_number)
    if credit is None:
        raise AccountNotFound(f"no account {order.credit_number}")
    return credit


def _post(
    ctx: Context,
    uow: UnitOfWork,
    actor: Actor,
    transfer: Transfer,
    action: str,
    numbers: dict[int, str],
) -> PaymentResult:
    now_us = ctx.clock.now_us()
    outcome = post_within(uow, [transfer], now_us)
    refused = payments.refusal(outcome)
    if refused is not None:
        raise refused
    entry = payments.entries_of(uow, [transfer])[0]
    audit.record(
        uow,
        actor=actor,
        action=action,
        target=f"transfer:{transfer.pending_id or transfer.id}",
        details={
            "transfer_id": str(transfer.id),
            "amount_minor": entry.amount_minor,
            "currency": entry.currency,
        },
        now_us=now_us,
    )
    return PaymentResult(entries=[entry], numbers=numbers, replayed=outcome.replayed[0])


def _visible_hold(uow: UnitOfWork, actor: Actor, hold_id: UUID) -> tuple[JournalEntry, Account]:
    """The hold and its debit account, if ``actor`` may resolve it; as not found
    otherwise (a customer never learns of another's holds, nor of the bank's)."""
    hold = uow.journal.entry(hold_id)
    debit = uow.accounts.get(hold.debit_account_id) if hold is not None else None
    if hold is None or debit is None or hold.kind is not TransferKind.PENDING:
        raise TransferNotFound(f"no hold {hold_id}")
    if actor.is_customer:
        require_role(actor, PAYING_CUSTOMER_ROLES)
        own = actor.customer_id is not None and debit.customer_id == actor.customer_id
        if not own or hold.code != TxCode.TRANSFER:
            raise TransferNotFound(f"no hold {hold_id}")
    else:
        require_role(actor, HOLD_ROLES)
        check_branch(uow, actor, debit.branch_code)
    return hold, debit


def resolve(
    ctx: Context,
    actor: Actor,
    hold_id: UUID,
    request: IdempotentRequest,
    respond: Callable[[PaymentResult], Response],
    *,
    capture: bool,
    amount_minor: int = 0,
    reference: str = "",
) -> Done[PaymentResult]:
    """Capture (``amount_minor`` of it, 0: all; the rest is released) or void a hold."""
    if amount_minor < 0 or (amount_minor and not capture):
        raise InvalidInput("an amount is for a capture, and positive")

    def work(uow: UnitOfWork) -> PaymentResult:
        hold, debit = _visible_hold(uow, actor, hold_id)
        credit = uow.accounts.get(hold.credit_account_id)
        assert credit is not None
        transfer = Transfer(
            id=idempotency.transfer_id(actor.user_id, request.key, 0),
            kind=TransferKind.POST_PENDING if capture else TransferKind.VOID_PENDING,
            pending_id=hold.id,
            amount_minor=amount_minor,
            currency=hold.currency,
            code=hold.code,
            channel=payments.API_CHANNEL,
            reference=reference,
        )
        action = "hold.capture" if capture else "hold.void"
        return _post(
            ctx, uow, actor, transfer, action, {debit.id: debit.number, credit.id: credit.number}
        )

    return idempotency.run_once(ctx, request, work, respond)
