"""Customers' payments through the channels: single transfers, linked batches (all or
nothing), and pending payments (a hold the customer places on their own account).

A payment goes through, in order: the caller's accounts and payees are resolved (the
debit account must be the caller's own); step-up (a one-time code bound to the payment)
when it is above the threshold or goes to a payee the customer has not saved; the
customer's limits are reserved; then one unit of work checks the step-up, posts the
transfers and keeps the response under the idempotency key. A payment the ledger
refuses, or one that turns out to be a replay, gives its limit reservation back.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from uuid import UUID

from ebank.application import audit, idempotency, identity, limits
from ebank.application.context import Context
from ebank.application.idempotency import Done, IdempotentRequest, Response
from ebank.application.ledger import post_within
from ebank.application.ports import UnitOfWork
from ebank.application.visibility import account_for, check_branch, own_customer
from ebank.domain.access import PAYING_CUSTOMER_ROLES, Actor, require_role
from ebank.domain.accounts import Account
from ebank.domain.codes import TxCode
from ebank.domain.customers import Customer
from ebank.domain.errors import (
    AccountNotFound,
    BeneficiaryNotFound,
    ChallengeInvalid,
    InvalidInput,
    OtpInvalid,
    OutsideBranch,
    StepUpChallenge,
    TotpNotEnrolled,
    TransferNotFound,
    TransferRefused,
)
from ebank.domain.ledger import BatchOutcome
from ebank.domain.step_up import (
    Challenge,
    PaymentLeg,
    StepUpPolicy,
    check_challenge,
    needs_step_up,
    new_challenge,
    payment_digest,
)
from ebank.domain.transfers import JournalEntry, Result, Transfer, TransferKind

API_CHANNEL = "api"
MAX_LEGS = 100


@dataclass(frozen=True, slots=True)
class PaymentOrder:
    """One leg as the customer asks for it: the payee by account number or by the id of
    a saved beneficiary."""

    debit_number: str
    amount_minor: int
    currency: str
    credit_number: str | None = None
    beneficiary_id: int | None = None
    reference: str = ""


@dataclass(frozen=True, slots=True)
class StepUpProof:
    challenge_id: UUID
    otp: str


@dataclass(frozen=True, slots=True)
class Payment:
    """Orders resolved to accounts, with what step-up needs to know about them."""

    customer: Customer
    debits: list[Account]
    credits: list[Account]
    legs: list[PaymentLeg]
    references: list[str]
    needs_step_up: bool

    @property
    def currency(self) -> str:
        return self.legs[0].currency


@dataclass(frozen=True, slots=True)
class PaymentResult:
    """The journal entries the payment made (or found, on a replay), in order."""

    entries: list[JournalEntry]
    numbers: dict[int, str]  # account id -> number, for the response
    replayed: bool


def _check_orders(orders: Sequence[PaymentOrder]) -> None:
    if not 1 <= len(orders) <= MAX_LEGS:
        raise InvalidInput(f"a payment has 1 to {MAX_LEGS} transfers")
    if len({o.currency for o in orders}) != 1:
        raise InvalidInput("every transfer of a batch is in one currency")
    for order in orders:
        if (order.credit_number is None) == (order.beneficiary_id is None):
            raise InvalidInput("name the payee by account number or by beneficiary id")
        if type(order.amount_minor) is not int or order.amount_minor <= 0:
            raise InvalidInput("the amount must be a positive whole number of minor units")


def _payee(uow: UnitOfWork, customer: Customer, order: PaymentOrder) -> Account:
    number = order.credit_number
    if order.beneficiary_id is not None:
        saved = uow.beneficiaries.get(customer.id, order.beneficiary_id)
        if saved is None:
            raise BeneficiaryNotFound(f"no saved payee {order.beneficiary_id}")
        number = saved.account_number
    assert number is not None
    account = uow.accounts.by_number(number)
    # Customers pay customers: the bank's internal accounts are not payees.
    if account is None or account.gl_kind is not None:
        raise AccountNotFound(f"no account {number} to pay to")
    return account


def prepare(
    uow: UnitOfWork, actor: Actor, orders: Sequence[PaymentOrder], policy: StepUpPolicy
) -> Payment:
    """Resolve the orders as ``actor`` sees them and decide whether step-up is needed."""
    require_role(actor, PAYING_CUSTOMER_ROLES)
    _check_orders(orders)
    customer = own_customer(uow, actor)
    debits = [account_for(uow, actor, o.debit_number) for o in orders]
    credits = [_payee(uow, customer, o) for o in orders]
    legs = [
        PaymentLeg(d.number, c.number, o.amount_minor, o.currency)
        for o, d, c in zip(orders, debits, credits, strict=True)
    ]
    known = {a.number for a in uow.accounts.for_customer(customer.id)}
    known.update(b.account_number for b in uow.beneficiaries.for_customer(customer.id))
    return Payment(
        customer=customer,
        debits=debits,
        credits=credits,
        legs=legs,
        references=[o.reference for o in orders],
        needs_step_up=needs_step_up(policy, legs, known),
    )


def create_challenge(
    ctx: Context, actor: Actor, orders: Sequence[PaymentOrder], policy: StepUpPolicy
) -> Challenge:
    """A step-up challenge for this payment: its id and the summary to confirm."""
    with ctx.read() as uow:
        payment = prepare(uow, actor, orders, policy)
    return _issue_challenge(ctx, actor, payment, policy)


def _issue_challenge(
    ctx: Context, actor: Actor, payment: Payment, policy: StepUpPolicy
) -> Challenge:
    with ctx.uow() as uow:
        user = uow.users.get(actor.user_id)
        if user is None or user.totp_secret_enc is None:
            raise TotpNotEnrolled("no authenticator app is enrolled")
        challenge = new_challenge(
            ctx.ids.new_id(), actor.user_id, payment.legs, policy, ctx.clock.now_us()
        )
        uow.challenges.add(challenge)
        uow.commit()
    return challenge


def _transfers(
    payment: Payment,
    request: IdempotentRequest,
    user_id: int,
    kind: TransferKind,
    timeout_s: int,
    channel: str,
) -> list[Transfer]:
    n = len(payment.legs)
    return [
        Transfer(
            id=idempotency.transfer_id(user_id, request.key, i),
            debit_account_id=payment.debits[i].id,
            credit_account_id=payment.credits[i].id,
            amount_minor=leg.amount_minor,
            currency=leg.currency,
            kind=kind,
            timeout_s=timeout_s,
            code=TxCode.TRANSFER,
            channel=channel,
            reference=payment.references[i],
            linked=n > 1 and i < n - 1,
        )
        for i, leg in enumerate(payment.legs)
    ]


def refusal(outcome: BatchOutcome) -> TransferRefused | None:
    """The refusal of a batch: its first result that is not "another part failed"."""
    if outcome.all_ok:
        return None
    first = next(
        (r for r in outcome.results if r not in (Result.OK, Result.LINKED_EVENT_FAILED)),
        Result.LINKED_EVENT_FAILED,
    )
    return TransferRefused(first.value)


def entries_of(uow: UnitOfWork, transfers: Sequence[Transfer]) -> list[JournalEntry]:
    found = []
    for t in transfers:
        entry = uow.journal.entry(t.id)
        assert entry is not None
        found.append(entry)
    return found


def _verify_step_up(
    ctx: Context, uow: UnitOfWork, actor: Actor, proof: StepUpProof, digest: str, now_us: int
) -> None:
    check_challenge(uow.challenges.get(proof.challenge_id), actor.user_id, digest, now_us)
    identity.verify_fresh_otp(uow, actor.user_id, proof.otp, now_us, security=ctx.security)
    if not uow.challenges.use(proof.challenge_id, now_us):
        raise ChallengeInvalid("the confirmation was already used")


def _burn(ctx: Context, challenge_id: UUID) -> None:
    """A wrong code spends the challenge: guessing needs a new challenge every time."""
    with ctx.uow() as uow:
        uow.challenges.use(challenge_id, ctx.clock.now_us())
        uow.commit()


def pay(
    ctx: Context,
    actor: Actor,
    orders: Sequence[PaymentOrder],
    request: IdempotentRequest,
    respond: Callable[[PaymentResult], Response],
    *,
    policy: StepUpPolicy,
    step_up: StepUpProof | None = None,
    kind: TransferKind = TransferKind.POSTING,
    timeout_s: int = 0,
    channel: str = API_CHANNEL,
) -> Done[PaymentResult]:
    """Pay ``orders`` (linked: all or nothing) once for ``request``'s idempotency key.
    ``channel`` names where the customer paid (``api``, ``web``): the postings carry it
    and the limits of that channel apply."""
    kept = idempotency.find(ctx, request)
    if kept is not None:
        return Done(kept, None)
    with ctx.read() as uow:
        payment = prepare(uow, actor, orders, policy)
    if payment.needs_step_up and step_up is None:
        challenge = _issue_challenge(ctx, actor, payment, policy)
        raise StepUpChallenge(str(challenge.id), challenge.summary, challenge.expires_at_us)
    transfers = _transfers(payment, request, actor.user_id, kind, timeout_s, channel)
    digest = payment_digest(payment.legs)

    def work(uow: UnitOfWork) -> PaymentResult:
        now_us = ctx.clock.now_us()
        if payment.needs_step_up:
            assert step_up is not None
            _verify_step_up(ctx, uow, actor, step_up, digest, now_us)
        outcome = post_within(uow, transfers, now_us)
        refused = refusal(outcome)
        if refused is not None:
            raise refused
        if not any(outcome.replayed):  # a replay was counted when it was first posted
            limits.count_in(
                uow,
                ctx.clock.today(),
                payment.customer,
                channel,
                payment.currency,
                [g.amount_minor for g in payment.legs],
            )
        if payment.needs_step_up:
            audit.record(
                uow,
                actor=actor,
                action="payment.step_up",
                target=f"transfer:{transfers[0].id}",
                details={"legs": len(transfers), "currency": payment.currency},
                now_us=now_us,
            )
        accounts = payment.debits + payment.credits
        return PaymentResult(
            entries=entries_of(uow, transfers),
            numbers={a.id: a.number for a in accounts},
            replayed=any(outcome.replayed),
        )

    try:
        return idempotency.run_once(ctx, request, work, respond)
    except OtpInvalid:
        if step_up is not None:
            _burn(ctx, step_up.challenge_id)
        raise


def transfer_view(ctx: Context, actor: Actor, transfer_id: UUID) -> PaymentResult:
    """One journal entry, for a customer who owns one of its accounts or staff in whose
    branch scope one of them sits; as not found to anyone else."""
    with ctx.read() as uow:
        entry = uow.journal.entry(transfer_id)
        if entry is None:
            raise TransferNotFound(f"no transfer {transfer_id}")
        accounts = [
            uow.accounts.get(entry.debit_account_id),
            uow.accounts.get(entry.credit_account_id),
        ]
        found = [a for a in accounts if a is not None]
        if not any(_may_see(uow, actor, a) for a in found):
            raise TransferNotFound(f"no transfer {transfer_id}")
    return PaymentResult([entry], {a.id: a.number for a in found}, replayed=False)


def _may_see(uow: UnitOfWork, actor: Actor, account: Account) -> bool:
    if actor.is_customer:
        return actor.customer_id is not None and account.customer_id == actor.customer_id
    try:
        check_branch(uow, actor, account.branch_code)
    except OutsideBranch:
        return False
    return True


def preview(
    ctx: Context, actor: Actor, orders: Sequence[PaymentOrder], policy: StepUpPolicy
) -> Payment:
    """The payment as it would be made, for a confirmation page: the accounts resolved
    (refused as ``pay`` would refuse them) and whether it needs step-up. Changes nothing."""
    with ctx.read() as uow:
        return prepare(uow, actor, orders, policy)
